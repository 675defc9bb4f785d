"""«Анализ функционирования ВСОКО» of a busy school year: generation time and SQL statements.

The school's year is written straight into the database (bulk inserts, not transitions: the
benchmark measures the review, not the year): at 1× — 20 plans of 100 rows (5 sections) on
control in every state (accepted in time and late with their reports, reported, planned,
cancelled), 10 audits of 30 findings (areas, severities, repeats), their corrective-action plans
with 2 actions per finding, accepted, each with an effectiveness check (effective, partial, not
effective, pending). At 3× and 10× the rows of each plan and the findings of each audit grow
threefold and tenfold (the plans and audits stay 20 and 10). Then the deputy sends the review to
the council (`send_to_council` of annual_review: the figures with their sources, the .docx with
its tables and four charts) and the time (median of 3 runs) and the SQL statements of that
transition are measured, on SQLite and on PostgreSQL when one answers. Target: under 2 s at 1×; the statements must not
grow with the rows.

    nice -n 10 .venv/bin/python benchmarks/annual_review.py [--postgres-url URL | --no-postgresql]

The last lines are `review_s=…` (1×: PostgreSQL when reachable, else SQLite), `queries_1x=…`,
`queries_10x=…`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_plan import counted  # noqa: E402 - sibling benchmark scripts
from transition_vs_render import prepare_postgresql  # noqa: E402

from vsoko_flow.config import PROJECT_ROOT, Settings  # noqa: E402
from vsoko_flow.db import transaction  # noqa: E402
from vsoko_flow.documents.charts import clear_chart_cache  # noqa: E402
from vsoko_flow.migrations import upgrade  # noqa: E402
from vsoko_flow.models import (  # noqa: E402
    Artefact, CorrectiveSection, HistoryEntry, PlanItem, PlanSection,
)
from vsoko_flow.services.artefacts import create_artefact  # noqa: E402
from vsoko_flow.services.demo import create_demo_school  # noqa: E402
from vsoko_flow.services.plans import add_item, add_section  # noqa: E402
from vsoko_flow.services.runtime import Runtime  # noqa: E402
from vsoko_flow.services.transitions import fire_transition  # noqa: E402

YEAR = "2024/2025"
REVIEW_DAY = dt.date(2025, 6, 20)
PLANS, SECTIONS, ROWS = 20, 5, 100
AUDITS, FINDINGS, ACTIONS = 10, 30, 2
SCALES = (1, 3, 10)
TARGET_S = 2.0
SAMPLES = 3
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/vsoko_bench_quality"
AREAS, SEVERITIES, TYPES = ("results", "processes", "conditions"), ("significant", "minor"), \
    ("nonconformity", "remark", "improvement")
CHECK_RESULTS = ("effective", "effective", "partial", "not_effective", None)


def _ids(session, model, rows: list[dict]) -> list[int]:
    """Insert many rows in one statement per batch; their ids in the order given."""
    if not rows:
        return []
    return list(session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows))


def _artefact(org: int, kind: str, state: str, title: str, **extra) -> dict:
    return {"kind": kind, "organisation_id": org, "title": title, "state": state, "version": 1, "school_year": YEAR,
            "fields": extra.pop("fields", {}), **extra}


def _reports(ids_and_days: list[tuple[int, dt.date]]) -> list[dict]:
    at = dt.datetime(2025, 6, 1)
    return [{"artefact_id": artefact_id, "sequence": 2, "actor_name": "бенчмарк", "at": at, "trigger": "report",
             "from_state": "planned", "to_state": "reported", "comment": "", "fields": {"executed_on": day.isoformat()},
             "document_hashes": [], "prev_hash": "0" * 64, "hash": "0" * 64} for artefact_id, day in ids_and_days]


def _control_rows(session, org: int, parent_id: int, item_ids: list[int], states: list[str], due: list[dt.date],
                  reports: list[tuple[int, dt.date]]) -> list[int]:
    ids = _ids(session, Artefact, [_artefact(org, "control_item", state, f"Пункт {n + 1}", parent_id=parent_id,
                                             due_date=day, fields={"plan_item_id": item_id})
                                   for n, (item_id, state, day) in enumerate(zip(item_ids, states, due))])
    for artefact_id, state, day in zip(ids, states, due):
        if state in ("accepted", "reported"):
            late = artefact_id % 7 == 0
            reports.append((artefact_id, day + dt.timedelta(days=3) if late else day - dt.timedelta(days=2)))
    return ids


PLAN_STATES = ("accepted", "accepted", "accepted", "accepted", "accepted", "accepted", "reported", "planned",
               "planned", "cancelled")


def build_year(rt: Runtime, org: int, scale: int) -> None:
    rows_per_plan, findings_per_audit = ROWS * scale, FINDINGS * scale
    with transaction(rt.sessions) as session:
        reports: list[tuple[int, dt.date]] = []
        plan_ids = _ids(session, Artefact, [_artefact(org, "activity_plan", "execution", f"План № {p + 1}")
                                            for p in range(PLANS)])
        for plan_id in plan_ids:
            sections = _ids(session, PlanSection, [{"artefact_id": plan_id, "position": s, "number": str(s + 1),
                                                    "title": f"Раздел {s + 1}"} for s in range(SECTIONS)])
            items = _ids(session, PlanItem, [
                {"artefact_id": plan_id, "section_id": sections[r * SECTIONS // rows_per_plan], "position": r,
                 "number": str(r + 1), "fields": {"activity": f"Мероприятие {r + 1}"}, "responsible_text": "",
                 "responsible_logins": [], "external_executors": [], "deadline_text": "Май", "schedule": {},
                 "warnings": [], "fingerprint": ""} for r in range(rows_per_plan)])
            due = [dt.date(2024, 9, 1) + dt.timedelta(days=(r * 7) % 280) for r in range(rows_per_plan)]
            _control_rows(session, org, plan_id, items, [PLAN_STATES[r % len(PLAN_STATES)] for r in range(rows_per_plan)],
                          due, reports)
        checks = []
        for a in range(AUDITS):
            (audit_id,) = _ids(session, Artefact, [_artefact(org, "audit", "closed", f"Аудит {a + 1}")])
            findings = _ids(session, Artefact, [_artefact(
                org, "finding", "closed", f"Требование {f + 1}", parent_id=audit_id,
                fields={"area": AREAS[f % 3], "severity": SEVERITIES[f % 2], "finding_type": TYPES[f % 3],
                        "recurrence": 2 if f % 10 == 0 else 1, "requirement_key": f"code:R-{f % 25}"})
                for f in range(findings_per_audit)])
            (plan_id,) = _ids(session, Artefact, [_artefact(org, "corrective_plan", "execution", f"План КМ {a + 1}",
                                                            parent_id=audit_id)])
            sections = _ids(session, PlanSection, [{"artefact_id": plan_id, "position": f, "number": str(f + 1),
                                                    "title": f"Несоответствие {f + 1}"} for f in range(len(findings))])
            session.execute(insert(CorrectiveSection), [{"section_id": s, "finding_id": f}
                                                        for s, f in zip(sections, findings)])
            items = _ids(session, PlanItem, [
                {"artefact_id": plan_id, "section_id": s, "position": i, "number": f"{n + 1}.{k + 1}",
                 "fields": {"action_kind": "Корректирующее действие", "activity": "Действие", "result": "Результат"},
                 "responsible_text": "", "responsible_logins": [], "external_executors": [], "deadline_text": "Апрель",
                 "schedule": {}, "warnings": [], "fingerprint": ""}
                for i, (n, s, k) in enumerate((n, s, k) for n, s in enumerate(sections) for k in range(ACTIONS))])
            actions = _control_rows(session, org, plan_id, items, ["accepted"] * len(items),
                                    [dt.date(2025, 4, 30)] * len(items), reports)
            checks += [_artefact(org, "effectiveness_check", "checked" if CHECK_RESULTS[i % 5] else "scheduled",
                                 f"Проверка {i}", parent_id=action, due_date=dt.date(2025, 5, 30),
                                 fields={"result": CHECK_RESULTS[i % 5], "action_id": action})
                       for i, action in enumerate(actions)]
        _ids(session, Artefact, checks)
        session.execute(insert(HistoryEntry), _reports(reports))


def measure(rt: Runtime, users: dict[str, int], org: int) -> tuple[float, int]:
    review_id = create_artefact(rt, users["deputy"], org, "annual_review", school_year=YEAR, today=REVIEW_DAY)
    section = add_section(rt, review_id, users["deputy"], "Меры по совершенствованию ВСОКО", version=None)
    add_item(rt, review_id, users["deputy"], version=None, section_id=section.id,
             fields={"activity": "Провести аудит объективности", "result": "Акт"}, responsible_logins=["deputy"],
             deadline_text="Октябрь")
    clear_chart_cache()  # charts are remembered by their numbers: measure them drawn, not remembered
    with counted(rt) as statements:
        started = time.perf_counter()
        fire_transition(rt, review_id, "send_to_council", users["deputy"], fields={"report_date": REVIEW_DAY.isoformat()},
                        today=REVIEW_DAY)
        elapsed = time.perf_counter() - started
    return elapsed, statements["n"]


def run(url: str, workdir: Path, scale: int) -> tuple[float, int]:
    settings = Settings(database_url=url, instance_dir=workdir / "instance", workflows_dir=PROJECT_ROOT / "workflows",
                        templates_dir=PROJECT_ROOT / "document_templates", base_url="https://vsoko.example")
    rt = Runtime.create(settings)
    try:
        org, users = create_demo_school(rt)
        build_year(rt, org, scale)
        measure(rt, users, org)  # warm-up: templates prepared, charts' fonts loaded
        # The machine is shared: the median of a few runs, each a new review of the same year.
        runs = sorted(measure(rt, users, org) for _ in range(SAMPLES))
        return runs[len(runs) // 2]
    finally:
        rt.close()


def sqlite_url(workdir: Path, scale: int) -> str:
    path = workdir / f"review_{scale}.sqlite3"
    upgrade(f"sqlite:///{path}")
    return f"sqlite:///{path}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("VSOKO_BENCH_DATABASE_URL", DEFAULT_POSTGRES_URL))
    parser.add_argument("--no-postgresql", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    results: dict[tuple[str, int], tuple[float, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for scale in SCALES:
            results[("sqlite", scale)] = run(sqlite_url(workdir, scale), workdir, scale)
            print(f"SQLite {scale:>2}×: {results[('sqlite', scale)][0]:.2f} s, "
                  f"{results[('sqlite', scale)][1]} SQL statements", flush=True)
        reason = "отключено ключом --no-postgresql" if args.no_postgresql else None
        for scale in SCALES:
            if reason is None:
                reason = prepare_postgresql(args.postgres_url)
            if reason is not None:
                break
            results[("postgresql", scale)] = run(args.postgres_url, workdir, scale)
            reason = None if scale == SCALES[-1] else prepare_postgresql(args.postgres_url)
            print(f"PostgreSQL {scale:>2}×: {results[('postgresql', scale)][0]:.2f} s, "
                  f"{results[('postgresql', scale)][1]} SQL statements", flush=True)
    if reason:
        print(f"PostgreSQL ({make_url(args.postgres_url).render_as_string(hide_password=True)}) пропущен: {reason}")
    database = "postgresql" if ("postgresql", 1) in results else "sqlite"
    review_s, queries_1x = results[(database, 1)]
    queries_10x = results[(database, 10)][1]
    print(f"database={database}")
    print(f"target_s={TARGET_S}")
    print(f"review_s={review_s:.3f}")
    print(f"queries_1x={queries_1x}")
    print(f"queries_10x={queries_10x}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
