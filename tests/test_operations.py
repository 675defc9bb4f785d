"""Operations: nothing behind the login or of the API is cached, `/healthz` is a 503 JSON answer while the
database does not answer, and PostgreSQL connections carry connect and statement timeouts."""
from __future__ import annotations

import os
import socket
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from vsoko_flow.config import Settings
from vsoko_flow.db import make_engine
from vsoko_flow.services.demo import load_demo
from vsoko_flow.services.runtime import Runtime
from vsoko_flow.web import create_app

from .conftest import POSTGRES_URL
from .test_api import api  # noqa: F401 - fixture
from .web_helpers import login

LOCAL_POSTGRES = POSTGRES_URL or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def test_signed_in_pages_and_api_answers_are_not_stored(rt, school, app, api):  # noqa: F811
    client = app.test_client()
    login(client, "deputy")
    for url in ("/", "/artefacts/", "/admin/", "/password"):
        assert client.get(url).headers.get("Cache-Control") == "no-store", url
    answer = api("GET", "/artefacts", "deputy")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert api("GET", "/artefacts/999999", "deputy").headers["Cache-Control"] == "no-store"
    static = app.test_client().get("/static/style.css")
    static.close()
    assert "no-store" not in static.headers.get("Cache-Control", "")


def _app_on(database_url: str, tmp_path) -> object:
    settings = Settings(database_url=database_url, instance_dir=tmp_path / "instance", workflows_dir=tmp_path,
                        templates_dir=tmp_path, base_url="https://vsoko.example")
    return create_app(Runtime.create(settings), {"TESTING": True})


def test_healthz_is_503_json_when_the_database_refuses(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    response = _app_on(f"postgresql+psycopg://postgres@127.0.0.1:{port}/vsoko", tmp_path).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "message": "База данных не отвечает"}


def test_healthz_gives_up_on_a_database_that_never_answers(tmp_path, monkeypatch):
    silent = socket.socket()  # accepts the connection, never says a word
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    monkeypatch.setenv("VSOKO_DB_CONNECT_TIMEOUT", "1")
    try:
        client = _app_on(f"postgresql+psycopg://postgres@127.0.0.1:{silent.getsockname()[1]}/vsoko", tmp_path)
        started = time.monotonic()
        response = client.test_client().get("/healthz")
        assert response.status_code == 503
        assert time.monotonic() - started < 10  # not the 30 s of gunicorn's worker timeout
    finally:
        for connection, _address in accepted:
            connection.close()
        silent.close()


def test_healthz_is_ok_with_the_database(rt, app):
    assert app.test_client().get("/healthz").get_json() == {"status": "ok"}


def _postgres_or_skip():
    engine = make_engine(LOCAL_POSTGRES, statement_timeout_s=1)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        pytest.skip(f"PostgreSQL не отвечает на {LOCAL_POSTGRES}: таймауты PostgreSQL проверить негде ({exc.orig})")
    return engine


def test_postgresql_statements_are_cut_at_the_statement_timeout():
    engine = _postgres_or_skip()
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "1s"
            started = time.monotonic()
            with pytest.raises(OperationalError, match="statement timeout"):
                conn.execute(text("SELECT pg_sleep(5)"))
            assert time.monotonic() - started < 4
    finally:
        engine.dispose()


def test_the_default_timeouts_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("VSOKO_DB_STATEMENT_TIMEOUT", "12")
    engine = _postgres_or_skip()
    engine.dispose()
    engine = make_engine(LOCAL_POSTGRES)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "12s"
    finally:
        engine.dispose()
    assert os.environ["VSOKO_DB_STATEMENT_TIMEOUT"] == "12"
