"""Reliability under attack: gunicorn (4 workers) + PostgreSQL, approvals and uploads — hostile ones
too — under load, workers killed with SIGKILL at random; then `vsoko verify` and the journal and
single-edition checks.

The school has its own accepted Положение template, so every approval also renders in the limited
process of an organisation's template (documents/sandbox.py). While it runs:

- approvals: acts in groups of one act type, each act titled differently (`--groups` × `--per-group`),
  approved through the JSON API by 5 clients at once, so that approvals of one act race each other;
- hostile uploads, one after another: the 5 KB workbook with one merge A1:XFD1048576 (preview and
  import), templates with a chain of `replace` filters, with a loop of 2·10⁸ iterations and with
  a single-quoted external target — each must be refused (422);
- ordinary plan previews (a small CSV) between them;
- `--kills` times, a random worker is killed with SIGKILL (gunicorn starts another);
- every 0.1 s the peak resident memory (VmHWM) of every process of the server (workers, their
  limited children) is read from /proc.

Then the server stops and the database is checked:
`partial_transitions` — an artefact whose state is not its last history entry's, a history entry
whose documents are missing, a document or a registered number without its history entry;
`duplicate_numbers` — duplicates and gaps in the orders journal; `editions_in_force_max` — the
most acts of one act type (номенклатура ЛНА) in force at once (1: approvals of one type take a lock,
and a partial unique index forbids a second); `verify` —
`vsoko verify` (ok, or its first line); `hostile_upload_rss_peak_mb` — the largest resident
memory of any server process during the run. Targets: 0, 0, 1, ok, under 300.

Bounded in time (about 3–5 minutes with the defaults; every loop has a deadline), loopback only;
the database (default `vsoko_chaos`) has its schema dropped and re-created.

    .venv/bin/python benchmarks/chaos.py [--seconds 60] [--workers 4] [--kills 10] [--postgres-url URL]
"""
from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import transition_vs_render as base  # noqa: E402 - the demo school and the calls of a Положение's life
from docx import Document  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from serving import (  # noqa: E402 - shared with http_load.py
    SHORT_ACT, _TOKEN, adopted_act, cookie_header, duplicate_numbers, free_port, fresh_database, keep_cookies, sign_in,
    run_in_temporary_folder, start_gunicorn, stop,
)
from sqlalchemy import select  # noqa: E402
from werkzeug.datastructures import FileStorage, MultiDict  # noqa: E402
from werkzeug.test import encode_multipart  # noqa: E402

from vsoko_flow.config import PROJECT_ROOT  # noqa: E402
from vsoko_flow.engine.history import canonical_json  # noqa: E402
from vsoko_flow.models import Artefact, HistoryEntry, JournalEntry, StoredDocument  # noqa: E402
from vsoko_flow.services import template_upload  # noqa: E402
from vsoko_flow.services.act_types import add_act_type  # noqa: E402
from vsoko_flow.services.artefacts import create_artefact  # noqa: E402
from vsoko_flow.services.users import issue_token  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/vsoko_chaos"
REDIS_URL = "redis://127.0.0.1:6379/0"
APPROVAL_CLIENTS = 5
RSS_TARGET_MB = 300
EXTERNAL = ("<Relationship Id='rId99' Type='http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
            "attachedTemplate' Target='file:///C:/x.dotm' TargetMode='External'/>")


# ---------------------------------------------------------------- files

def own_template(marker: str) -> bytes:
    """The shipped Положение template with a paragraph of the school's own on top."""
    document = Document(str(PROJECT_ROOT / "document_templates" / "polozhenie.docx"))
    document.paragraphs[0].insert_paragraph_before(marker)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def merge_bomb() -> bytes:
    book = Workbook()
    book.active.append(["№", "Мероприятие", "Срок", "Ответственный"])
    buffer = io.BytesIO()
    book.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</sheetData>", b'</sheetData><mergeCells count="1">'
                                          b'<mergeCell ref="A1:XFD1048576"/></mergeCells>')
            target.writestr(item.filename, content)
    return out.getvalue()


def external_target() -> bytes:
    data = own_template("Шаблон со ссылкой")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "word/_rels/document.xml.rels":
                content = content.replace(b"</Relationships>", EXTERNAL.encode() + b"</Relationships>")
            target.writestr(item.filename, content)
    return out.getvalue()


def hostile_templates() -> dict[str, bytes]:
    many = "[" + ",".join("0" for _ in range(15_000)) + "]"
    return {
        "replace_chain": own_template("{{ title" + '|replace("о", "оооооооооо")' * 9 + " }}"),
        "loop_2e8": own_template(f"{{% for a in {many} %}}{{% for b in {many} %}}{{% if a > b %}}.{{% endif %}}"
                                 "{% endfor %}{% endfor %}"),
        "external_target": external_target(),
    }


PLAN_CSV = ("№;Мероприятие;Срок;Ответственный\n1.;Раздел\n1.1.;Анкетирование родителей;Сентябрь;"
            "Заместитель директора по УВР\n").encode("utf-8")


# ---------------------------------------------------------------- HTTP, one connection per request

def call(port: int, method: str, path: str, body: bytes | str | None = None, headers: dict | None = None,
         jar: dict[str, str] | None = None, timeout: float = 120) -> tuple[int | str, bytes]:
    """(status, body); a dropped connection (a killed worker) is («dropped», message). With `jar`,
    its cookies are sent and the answer's kept, as a browser does."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers={**(headers or {}),
                                                             **({"Cookie": cookie_header(jar)} if jar else {})})
        response = connection.getresponse()
        if jar is not None:
            keep_cookies(response, jar)
        return response.status, response.read()
    except OSError as exc:
        return "dropped", str(exc).encode()
    finally:
        connection.close()


def multipart(fields: dict) -> tuple[str, bytes]:
    values = MultiDict({name: FileStorage(io.BytesIO(value[0]), filename=value[1]) if isinstance(value, tuple)
                       else value for name, value in fields.items()})
    boundary, body = encode_multipart(values)
    return f"multipart/form-data; boundary={boundary}", body


class Run:
    """What every thread records, and the deadline they share."""

    def __init__(self, port: int, seconds: float):
        self.port = port
        self.deadline = time.monotonic() + seconds
        self.lock = threading.Lock()
        self.approvals: Counter = Counter()
        self.hostile: Counter = Counter()
        self.hostile_unexpected: list[str] = []
        self.previews: Counter = Counter()
        self.kills = 0
        self.hostile_rounds = 0
        self.rss_peak: dict[str, float] = {}
        self.stopped = threading.Event()

    def running(self) -> bool:
        return not self.stopped.is_set() and time.monotonic() < self.deadline


# ---------------------------------------------------------------- the load

def approve_all(run: Run, token: str, queue: list[tuple[int, int]]) -> None:
    def client() -> None:
        while run.running():
            with run.lock:
                if not queue:
                    return
                artefact_id, version = queue.pop(0)
            body = json.dumps({"trigger": "approve", "version": version, "comment": "",
                               "fields": {"order_date": base.ORDER_DAY.isoformat(), "responsible": "deputy"}})
            status, _ = call(run.port, "POST", f"/api/v1/artefacts/{artefact_id}/transitions", body,
                             {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            with run.lock:
                run.approvals[status] += 1

    threads = [threading.Thread(target=client) for _ in range(APPROVAL_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def hostile_uploads(run: Run, token: str, plan_id: int, templates: dict[str, bytes]) -> None:
    bomb = merge_bomb()
    browser: dict[str, str] = {}  # the director's cookies: one sign-in while the session lasts
    while run.hostile_rounds == 0 or run.running():  # every hostile file at least once
        for preview in ("?preview=true", ""):
            content_type, body = multipart({"version": "1", "file": (bomb, "План.xlsx")})
            status, answer = call(run.port, "POST", f"/api/v1/artefacts/{plan_id}/items/import{preview}", body,
                                  {"Authorization": f"Bearer {token}", "Content-Type": content_type})
            record_hostile(run, f"xlsx_merge_bomb{preview or '_import'}", status, answer, "не больше 20000 строк")
        for name, data in templates.items():
            status, answer = upload_template_form(run.port, data, browser)
            record_hostile(run, f"template_{name}", status, answer, "Шаблон не принят")
        run.hostile_rounds += 1


def upload_template_form(port: int, data: bytes, browser: dict[str, str]) -> tuple[int | str, bytes]:
    """The administrator's upload form, as a browser sends it (signing in again when needed)."""
    status, page = call(port, "GET", "/admin/templates/polozhenie", jar=browser)
    if status != 200:
        try:
            _connection, signed_in = sign_in(port, "director", browser)
        except (OSError, SystemExit) as exc:  # the worker signing in was killed
            return "dropped", str(exc).encode()
        browser.clear()
        browser.update(signed_in)
        status, page = call(port, "GET", "/admin/templates/polozhenie", jar=browser)
    token = _TOKEN.search(page.decode("utf-8", "replace")) if status == 200 else None
    if token is None:
        return status, page[:300]
    content_type, body = multipart({"csrf_token": token.group(1), "file": (data, "Положение.docx")})
    return call(port, "POST", "/admin/templates/polozhenie", body, {"Content-Type": content_type}, jar=browser)


def record_hostile(run: Run, name: str, status: int | str, answer: bytes, expected: str) -> None:
    text = answer.decode("utf-8", "replace")
    if text.startswith("{"):
        text = str(json.loads(text).get("message"))
    refused = status == 422 and expected in text
    with run.lock:
        run.hostile[f"{name}:{'refused' if refused else status}"] += 1
        if not refused and status != "dropped":
            run.hostile_unexpected.append(f"{name}: {status} {text[:300]}")


def ordinary_previews(run: Run, token: str, plan_id: int) -> None:
    while run.running():
        content_type, body = multipart({"version": "1", "file": (PLAN_CSV, "План.csv")})
        status, _ = call(run.port, "POST", f"/api/v1/artefacts/{plan_id}/items/import?preview=true", body,
                         {"Authorization": f"Bearer {token}", "Content-Type": content_type})
        with run.lock:
            run.previews[status] += 1
        time.sleep(1)


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


def killer(run: Run, master: int, kills: int, seconds: float) -> None:
    rng = random.Random(10)
    for _ in range(kills):
        if not run.stopped.wait(seconds / kills * rng.uniform(0.5, 1.2)) and run.running():
            workers = [pid for pid in children(master) if "gunicorn" in _cmdline(pid)]
            if workers:
                os.kill(rng.choice(workers), signal.SIGKILL)
                run.kills += 1


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def sample_memory(run: Run, master: int) -> None:
    while not run.stopped.wait(0.1):
        pending, tree = [master], []
        while pending:
            pid = pending.pop()
            tree.append(pid)
            pending.extend(children(pid))
        for pid in tree:
            role = "master" if pid == master else ("worker" if "gunicorn" in _cmdline(pid) else "limited child")
            rss = _peak_rss_mb(pid)
            with run.lock:
                run.rss_peak[role] = max(run.rss_peak.get(role, 0.0), rss)


def _peak_rss_mb(pid: int) -> float:
    """The process's resident memory at its highest so far (VmHWM): a peak between samples counts too."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# ---------------------------------------------------------------- the checks

def partial_transitions(rt) -> tuple[int, list[str]]:
    """Artefacts, documents and numbers that do not agree with the history that should record them."""
    problems: list[str] = []
    with rt.sessions() as session:
        entries: dict[int, list[HistoryEntry]] = {}
        for entry in session.scalars(select(HistoryEntry).order_by(HistoryEntry.artefact_id, HistoryEntry.sequence)):
            entries.setdefault(entry.artefact_id, []).append(entry)
        documents = {(d.artefact_id, d.sha256) for d in session.execute(
            select(StoredDocument.artefact_id, StoredDocument.sha256))}
        for artefact_id, state in session.execute(select(Artefact.id, Artefact.state)):
            chain = entries.get(artefact_id, [])
            if not chain or chain[-1].to_state != state:
                problems.append(f"артефакт {artefact_id}: состояние {state}, а в истории "
                                f"{chain[-1].to_state if chain else 'ничего'}")
            for entry in chain:
                missing = [h for h in entry.document_hashes or [] if (artefact_id, h) not in documents]
                if missing:
                    problems.append(f"артефакт {artefact_id}, запись {entry.sequence}: нет документов {len(missing)}")
        recorded = {(e.artefact_id, e.sequence) for chain in entries.values() for e in chain}
        for artefact_id, sequence in session.execute(select(StoredDocument.artefact_id, StoredDocument.history_sequence)):
            if (artefact_id, sequence) not in recorded:
                problems.append(f"документ артефакта {artefact_id} без записи истории {sequence}")
        for artefact_id, number in session.execute(select(JournalEntry.artefact_id, JournalEntry.number)):
            if artefact_id and not any(number in canonical_json(e.fields or {}) for e in entries.get(artefact_id, [])):
                problems.append(f"номер {number} артефакта {artefact_id} без записи истории")
    return len(problems), problems[:5]


def editions_in_force_max(rt) -> int:
    """The most acts of one act type in force at once (an act stored without a type counts by its title)."""
    with rt.sessions() as session:
        rows = session.execute(select(Artefact.organisation_id, Artefact.kind, Artefact.act_type_id, Artefact.title)
                               .where(Artefact.state == "in_force")).all()
    counts = Counter((org, kind, act_type if act_type is not None else title.lower())
                     for org, kind, act_type, title in rows)
    return max(counts.values(), default=0)


def vsoko_verify(url: str, workdir: Path) -> str:
    env = {**os.environ, "VSOKO_DATABASE_URL": url, "VSOKO_INSTANCE_DIR": str(workdir / "instance"),
           "VSOKO_WORKFLOWS_DIR": str(workdir / "workflows"), "VSOKO_TEMPLATES_DIR": str(workdir / "document_templates")}
    done = subprocess.run([str(Path(sys.executable).parent / "vsoko"), "verify"], env=env, capture_output=True,
                          text=True, timeout=600)
    if done.returncode == 0:
        return "ok"
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return lines[0] if lines else f"exit {done.returncode}"


# ---------------------------------------------------------------- the run

def redis_url() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return REDIS_URL
    except Exception:  # noqa: BLE001 - no Redis: the login limit counts per worker, said below
        return None


def prepare(args: argparse.Namespace, workdir: Path):
    shutil.copytree(PROJECT_ROOT / "workflows", workdir / "workflows")
    shutil.copytree(PROJECT_ROOT / "document_templates", workdir / "document_templates")
    fresh_database(args.postgres_url)
    rt = base.make_runtime(args.postgres_url, workdir)
    scenario = base.Scenario(rt, SHORT_ACT)
    director = scenario.users["director"]
    version = template_upload.upload_template(rt, scenario.school_id, director, "polozhenie",
                                              own_template("Редакция шаблона школы"), "Положение школы.docx")
    template_upload.accept_version(rt, scenario.school_id, "polozhenie", version.id)
    started = time.perf_counter()
    types = [add_act_type(rt, scenario.school_id, name=f"Положение о порядке № {group}").id
             for group in range(args.groups)]
    queue = [adopted_act(scenario, f"Положение о порядке № {group} (вариант {n})", act_type=types[group])
             for group in range(args.groups) for n in range(args.per_group)]
    print(f"Подготовлено {len(queue)} актов «Принято» ({args.groups} видов актов по {args.per_group}, названия "
          f"разные) за "
          f"{time.perf_counter() - started:.0f} с; школа работает по своему шаблону Положения")
    plan_id = create_artefact(rt, scenario.users["deputy"], scenario.school_id, "activity_plan",
                              school_year=base.SCHOOL_YEAR, today=base.REQUEST_DAY)
    return rt, queue, plan_id, issue_token(rt, "director", "chaos"), issue_token(rt, "deputy", "chaos")


def run_chaos(args: argparse.Namespace, workdir: Path) -> None:
    print(f"load average в начале: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; CPU: {os.cpu_count()}")
    rt, queue, plan_id, director_token, deputy_token = prepare(args, workdir)
    shared = redis_url()
    print(f"Ограничение попыток входа: {'Redis ' + shared if shared else 'memory:// (Redis не отвечает)'}")
    port = free_port()
    server = start_gunicorn(args.postgres_url, workdir, port, workers=args.workers, timeout=60,
                            env={"VSOKO_RATELIMIT_STORAGE_URI": shared or "memory://"})
    run = Run(port, args.seconds)
    threads = [
        threading.Thread(target=approve_all, args=(run, director_token, queue)),
        threading.Thread(target=hostile_uploads, args=(run, deputy_token, plan_id, hostile_templates())),
        threading.Thread(target=ordinary_previews, args=(run, deputy_token, plan_id)),
        threading.Thread(target=killer, args=(run, server.pid, args.kills, args.seconds)),
        threading.Thread(target=sample_memory, args=(run, server.pid), daemon=True),
    ]
    started = time.monotonic()
    try:
        for thread in threads:
            thread.start()
        threads[0].join(timeout=args.seconds + 180)
        threads[1].join(timeout=max(run.deadline - time.monotonic(), 0) + 300)  # the round under way ends
        run.stopped.set()
        for thread in threads[2:4]:
            thread.join(timeout=180)
    finally:
        run.stopped.set()
        stop(server)
    print(f"Фаза нагрузки: {time.monotonic() - started:.0f} с, {args.workers} рабочих процесса, "
          f"убито SIGKILL: {run.kills}")
    print(f"  утверждения: {dict(run.approvals)} (422 — отказ по правилу, dropped — процесс убит во время запроса); "
          f"не дошли до сервера: {len(queue)}")
    print(f"  враждебные файлы ({run.hostile_rounds} кругов): {dict(sorted(run.hostile.items()))}")
    for line in run.hostile_unexpected[:5]:
        print(f"  НЕОЖИДАННЫЙ ОТВЕТ: {line}")
    print(f"  обычные предпросмотры плана: {dict(run.previews)}")
    print(f"  пик памяти (RSS, МБ) по ролям: {', '.join(f'{k} {v:.0f}' for k, v in sorted(run.rss_peak.items()))}")

    partial, examples = partial_transitions(rt)
    for example in examples:
        print(f"  частичный переход: {example}")
    registered, duplicates, gaps = duplicate_numbers(rt)
    editions = editions_in_force_max(rt)
    print(f"Журнал приказов: номеров {registered}, повторов {duplicates}, пропусков {gaps}; "
          f"больше всего действующих редакций одного вида акта: {editions}")
    verdict = vsoko_verify(args.postgres_url, workdir)
    rt.close()
    peak = max(run.rss_peak.values(), default=0.0)
    print(f"load average в конце: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ok = partial == 0 and duplicates + gaps == 0 and editions <= 1 and verdict == "ok" and peak < RSS_TARGET_MB \
        and not run.hostile_unexpected
    print("цель достигнута" if ok else "ЦЕЛЬ НЕ ДОСТИГНУТА")
    print(f"partial_transitions={partial}")
    print(f"duplicate_numbers={duplicates + gaps}")
    print(f"editions_in_force_max={editions}")
    print(f"verify={verdict}")
    print(f"hostile_upload_rss_peak_mb={peak:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load phase")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kills", type=int, default=10, help="workers killed with SIGKILL during the load")
    parser.add_argument("--groups", type=int, default=4, help="titles of acts approved in races")
    parser.add_argument("--per-group", type=int, default=5, help="acts of each title")
    parser.add_argument("--postgres-url", default=os.environ.get("VSOKO_CHAOS_DATABASE_URL", DEFAULT_URL))
    run_in_temporary_folder(run_chaos, parser.parse_args(), "vsoko-chaos-")


if __name__ == "__main__":
    main()
