"""«Мои задачи» over HTTP (gunicorn + PostgreSQL) with 10, 1 000 and 10 000 control items in one school.

One school (the demo people), one plan in execution whose control items grow from 10 to 1 000 to
10 000: due dates spread over the school year around today (some overdue, some this week, most
later, one in twenty without a date), four in five waiting for the executor's report, one in five
reported and waiting for the deputy's acceptance; every item assigned to the teacher. At each
size the teacher and the deputy each open «/» `--requests` times, one after another over loopback,
after a warm-up; p95 is over both. The SQL statements one page sends are counted in-process (the
same app and database) for the teacher's page. Targets: p95 < 150 ms at 10 000, the same number of
statements at every size. The last lines are `name=value` for scripts:

    tasks_p95_ms_10=… tasks_p95_ms_1000=… tasks_p95_ms_10000=… tasks_queries_10=… tasks_queries_10000=…

    .venv/bin/python benchmarks/tasks_page.py [--requests 200] [--postgres-url URL]

The database's schema `public` is dropped and re-created: never point it at one with data.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import transition_vs_render as base  # noqa: E402 - the runtime over a snapshot of the files
from serving import (  # noqa: E402 - shared with http_load.py and chaos.py
    cookie_header, free_port, fresh_database, run_in_temporary_folder, sign_in, start_gunicorn, stop,
)
from sqlalchemy import event, insert, text  # noqa: E402

from vsoko_flow.config import PROJECT_ROOT  # noqa: E402
from vsoko_flow.db import transaction  # noqa: E402
from vsoko_flow.models import Artefact, ArtefactAssignee  # noqa: E402
from vsoko_flow.services.artefacts import current_school_year  # noqa: E402
from vsoko_flow.services.demo import DEMO_PASSWORD, create_demo_school  # noqa: E402
from vsoko_flow.web import create_app  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/vsoko_bench_tasks"
SIZES = (10, 1000, 10_000)
USERS = ("teacher", "deputy")
P95_TARGET_MS = 150.0
WARMUP = 10
BATCH = 2000
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def snapshot_files(workdir: Path) -> None:
    """Every workflow (plans, control items) and the templates, copied once for the whole run."""
    shutil.copytree(PROJECT_ROOT / "workflows", workdir / "workflows")
    shutil.copytree(PROJECT_ROOT / "document_templates", workdir / "document_templates")


def add_items(rt, school_id: int, plan_id: int, teacher_id: int, start: int, stop_at: int, today: dt.date) -> None:
    """Control items number `start`…`stop_at - 1` of the plan, written in batches (Core inserts)."""
    first_day = dt.date(int(current_school_year(today)[:4]), 9, 1)
    span = 272  # 1 September → 31 May
    for batch_start in range(start, stop_at, BATCH):
        numbers = range(batch_start, min(batch_start + BATCH, stop_at))
        rows = [{"kind": "control_item", "organisation_id": school_id, "title": f"{n // 40 + 1}.{n % 40 + 1} "
                 f"Мероприятие плана № {n + 1}", "state": "reported" if n % 5 == 4 else "planned",
                 "version": 1, "school_year": current_school_year(today), "parent_id": plan_id, "fields": {},
                 # A prime step spreads the dates over the year whatever the size.
                 "due_date": None if n % 20 == 19 else first_day + dt.timedelta(days=(n * 37) % span)}
                for n in numbers]
        with transaction(rt.sessions) as session:
            ids = session.scalars(insert(Artefact).returning(Artefact.id), rows).all()
            session.execute(insert(ArtefactAssignee), [{"artefact_id": i, "user_id": teacher_id, "external_name": ""}
                                                       for i in ids])
    # What autovacuum does a minute after such a load: the planner sees the tables as they are.
    with rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE artefacts"))
        connection.execute(text("ANALYZE artefact_assignees"))


def page_queries(rt, login: str) -> tuple[int, int]:
    """(SQL statements, bytes) of the user's «Мои задачи», counted in-process on the same database."""
    app = create_app(rt, {"TESTING": True, "RATELIMIT_ENABLED": False})
    logging.getLogger("vsoko.requests").setLevel(logging.WARNING)   # one line per request is noise here
    client = app.test_client()
    token = _TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"login": login, "password": DEMO_PASSWORD, "csrf_token": token})
    client.get("/")
    counter = {"n": 0}

    def count(*_args) -> None:
        counter["n"] += 1

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        response = client.get("/")
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.status_code
    return counter["n"], len(response.get_data())


def timed_pages(port: int, login: str, requests: int) -> list[float]:
    connection, jar = sign_in(port, login)
    timings = []
    for n in range(WARMUP + requests):
        started = time.perf_counter()
        connection.request("GET", "/", headers={"Cookie": cookie_header(jar)})
        response = connection.getresponse()
        body = response.read()
        spent = (time.perf_counter() - started) * 1000
        if response.status != 200 or b"<h1>" not in body:
            raise SystemExit(f"«Мои задачи» для {login}: ответ {response.status}")
        if n >= WARMUP:
            timings.append(spent)
    connection.close()
    return timings


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94]


def run(args: argparse.Namespace, workdir: Path) -> None:
    print(f"load average в начале: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; CPU: {os.cpu_count()}")
    snapshot_files(workdir)
    print(f"PostgreSQL: {args.postgres_url} (схема public пересоздаётся)")
    fresh_database(args.postgres_url)
    rt = base.make_runtime(args.postgres_url, workdir)
    school_id, users = create_demo_school(rt)
    today = dt.date.today()
    with transaction(rt.sessions) as session:
        plan = Artefact(kind="activity_plan", organisation_id=school_id, title="План мероприятий ВСОКО",
                        state="execution", school_year=current_school_year(today), fields={})
        session.add(plan)
        session.flush()
        plan_id = plan.id
    port = free_port()
    server = start_gunicorn(args.postgres_url, workdir, port)
    results: dict[int, dict[str, float]] = {}
    try:
        written = 0
        for size in SIZES:
            add_items(rt, school_id, plan_id, users["teacher"], written, size, today)
            written = size
            queries, size_bytes = page_queries(rt, "teacher")
            deputy_queries, _ = page_queries(rt, "deputy")
            per_user = {login: timed_pages(port, login, args.requests) for login in USERS}
            all_timings = [t for timings in per_user.values() for t in timings]
            results[size] = {"p95": p95(all_timings), "queries": queries}
            print(f"{size:>6} пунктов: p95 {p95(all_timings):.1f} мс (учитель {p95(per_user['teacher']):.1f}, "
                  f"заместитель {p95(per_user['deputy']):.1f}), медиана {statistics.median(all_timings):.1f} мс; "
                  f"запросов SQL: учитель {queries}, заместитель {deputy_queries}; страница {size_bytes // 1024} КБ")
    finally:
        stop(server)
        rt.close()
    ok = results[SIZES[-1]]["p95"] < P95_TARGET_MS and len({r["queries"] for r in results.values()}) == 1
    print(f"load average в конце: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("цель достигнута" if ok else "ЦЕЛЬ НЕ ДОСТИГНУТА")
    for size in SIZES:
        print(f"tasks_p95_ms_{size}={results[size]['p95']:.1f}")
    print(f"tasks_queries_{SIZES[0]}={results[SIZES[0]]['queries']}")
    print(f"tasks_queries_{SIZES[-1]}={results[SIZES[-1]]['queries']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="timed pages per user and size")
    parser.add_argument("--postgres-url", default=os.environ.get("VSOKO_BENCH_TASKS_DATABASE_URL", DEFAULT_URL))
    run_in_temporary_folder(run, parser.parse_args(), "vsoko-tasks-")


if __name__ == "__main__":
    main()
