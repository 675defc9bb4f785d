"""What the HTTP benchmarks share: a fresh PostgreSQL database, gunicorn started and stopped as README
«Deployment» runs it, signing in like a browser, acts taken to «Принято», and the journal's numbers.

Used by http_load.py (load) and chaos.py (reliability). Traffic goes only to 127.0.0.1.
"""
from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import transition_vs_render as base
from sqlalchemy import create_engine, func, select, text

from vsoko_flow.config import PROJECT_ROOT
from vsoko_flow.migrations import upgrade
from vsoko_flow.models import Journal, JournalEntry
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.demo import DEMO_PASSWORD

SHORT_ACT = ("1. Общие положения\n1.1. Положение определяет порядок работы.\n1.2. Действует до замены.\n"
             "2. Заключительные положения\n2.1. Вступает в силу с даты приказа.")


def run_in_temporary_folder(run, args, prefix: str) -> None:  # noqa: ANN001 - a benchmark's run(args, workdir)
    """`run(args, workdir)` in a fresh temporary folder, removed afterwards whatever happens."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------- database and server

def fresh_database(url: str) -> None:
    database = url.rsplit("/", 1)[1]
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}).scalar():
            conn.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(url: str, workdir: Path, port: int, workers: int = 2, env: dict[str, str] | None = None,
                   timeout: int = 120) -> subprocess.Popen:
    """gunicorn on `port`; its log (a JSON line per request) goes to `workdir/gunicorn.log`.

    Never a pipe nobody reads: once its 64 KB buffer is full, every worker blocks on logging."""
    log = (workdir / "gunicorn.log").open("wb")
    environment = {
        **os.environ, "VSOKO_DATABASE_URL": url, "VSOKO_SECRET_KEY": "bench-secret-key-not-for-production",
        "VSOKO_INSTANCE_DIR": str(workdir / "instance"), "VSOKO_WORKFLOWS_DIR": str(workdir / "workflows"),
        "VSOKO_TEMPLATES_DIR": str(workdir / "document_templates"), "VSOKO_BASE_URL": "https://vsoko.example",
        **(env or {})}
    server = subprocess.Popen(
        # As README «Deployment» runs it: sync workers, one request per connection (nginx opens
        # one per request upstream), so the kernel hands each request to whichever worker is free.
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}",
         "--chdir", str(PROJECT_ROOT), "--log-level", "warning", "--timeout", str(timeout), "wsgi:app"],
        env=environment, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    log.close()  # the child has its own descriptor
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn не запустился за 60 с: "
                     + (workdir / "gunicorn.log").read_text(encoding="utf-8", errors="replace")[-2000:])


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


# ---------------------------------------------------------------- signing in

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def keep_cookies(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name] = rest.split(";", 1)[0]


def sign_in(port: int, login: str, jar: dict[str, str] | None = None) -> tuple[http.client.HTTPConnection, dict[str, str]]:
    """Sign in as a browser does; `jar` may carry cookies of an earlier visit (the known-device one)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    jar = {name: value for name, value in (jar or {}).items() if name not in ("session", "remember_token")}
    connection.request("GET", "/login", headers={"Cookie": cookie_header(jar)} if jar else {})
    response = connection.getresponse()
    page = response.read().decode()
    keep_cookies(response, jar)
    form = urlencode({"login": login, "password": DEMO_PASSWORD, "csrf_token": _TOKEN.search(page).group(1)})
    connection.request("POST", "/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header(jar)})
    response = connection.getresponse()
    response.read()
    keep_cookies(response, jar)
    if response.status != 302:
        raise SystemExit(f"вход {login} не удался: {response.status}")
    return connection, jar


# ---------------------------------------------------------------- acts and numbers

def adopted_act(scenario: base.Scenario, title: str, act_type: int | None = None) -> tuple[int, int]:
    """An act that needs no councils' opinions, taken to «Принято»: (id, version), ready for the order.
    Without `act_type` it belongs to the type named like its title."""
    fields = {"affects_students": False, **({"act_type": act_type} if act_type is not None else {})}
    artefact_id = create_artefact(scenario.rt, scenario.users["deputy"], scenario.school_id, "polozhenie",
                                  title=title, school_year=base.SCHOOL_YEAR, fields=fields,
                                  sections_text=SHORT_ACT, today=base.REQUEST_DAY)
    scenario.fire(artefact_id, "send_to_council", "deputy", base.COUNCIL_DAY)
    adopted = scenario.fire(artefact_id, "adopt", "secretary", base.COUNCIL_DAY,
                            protocol_date=base.COUNCIL_DAY.isoformat(), present=42, votes_for=40, votes_against=0,
                            votes_abstained=2)
    return artefact_id, adopted.version


def duplicate_numbers(rt) -> tuple[int, int, int]:
    """(registered orders, duplicates, gaps) in the orders journal."""
    with rt.sessions() as session:
        sequences = list(session.scalars(select(JournalEntry.sequence).join(Journal).where(Journal.code == "orders")))
        numbers = list(session.scalars(select(JournalEntry.number).join(Journal).where(Journal.code == "orders")))
        distinct_numbers = session.scalar(select(func.count(func.distinct(JournalEntry.number))).join(Journal)
                                          .where(Journal.code == "orders"))
    duplicates = len(numbers) - distinct_numbers
    gaps = (max(sequences) - len(set(sequences))) if sequences else 0
    return len(numbers), duplicates, gaps
