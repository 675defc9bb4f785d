"""The web shell (Flask). For now a start page and /healthz; the full UI comes with its own issue."""
from __future__ import annotations

from flask import Flask, jsonify, render_template_string
from sqlalchemy import func, select

from ..models import Artefact, Organisation
from ..services.runtime import Runtime

_START_PAGE = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>vsoko-flow</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:3rem auto;padding:0 1rem;color:#1d2733}
h1{font-size:1.6rem}li{margin:.3rem 0}code{background:#eef2f6;padding:.1rem .3rem;border-radius:.2rem}</style>
</head><body>
<h1>vsoko-flow — ВСОКО школы от проекта до приказа</h1>
<p>Сервер работает. Организаций: {{ organisations }}, документов: {{ artefacts }}.</p>
<p>Веб-интерфейс появится в следующей версии. Сейчас все действия доступны из командной строки:</p>
<ul>
<li><code>vsoko artefacts list</code> — список документов;</li>
<li><code>vsoko artefacts show ID</code> — карточка документа и доступные действия;</li>
<li><code>vsoko artefacts fire ID ДЕЙСТВИЕ --as ЛОГИН --field имя=значение</code> — выполнить действие;</li>
<li><code>vsoko documents export ID --out ПАПКА</code> — выгрузить документы .docx;</li>
<li><code>vsoko verify</code> — проверить целостность истории и документов.</li>
</ul></body></html>"""


def create_app(runtime: Runtime | None = None) -> Flask:
    app = Flask(__name__)
    rt = runtime or Runtime.create()
    app.config["SECRET_KEY"] = rt.settings.secret_key
    app.extensions["vsoko_runtime"] = rt

    @app.get("/")
    def start_page():
        with rt.sessions() as session:
            organisations = session.scalar(select(func.count()).select_from(Organisation))
            artefacts = session.scalar(select(func.count()).select_from(Artefact))
        return render_template_string(_START_PAGE, organisations=organisations, artefacts=artefacts)

    @app.get("/healthz")
    def healthz():
        with rt.sessions() as session:
            session.execute(select(1))
        return jsonify(status="ok")

    return app
