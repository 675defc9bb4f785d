"""District monitoring at scale: the results screen for 30, 100 and 300 schools, and the district's
справка and 300 letters as jobs with one and two job workers.

Every school is written straight into the database (bulk inserts: the benchmark measures the
monitoring, not the school year): a Положение history (an edition superseded, the edition in force),
3 plans of 60 rows on control (accepted on time, late, overdue), 2 audits with findings, and two
campaigns of the district — last year's (closed) and this year's (published) with every card
returned. The screen is `services.monitoring.results` as the page calls it (p50/p95 of 30 reads, and
its SQL statements, which must not grow with the schools). The jobs: the справка and the letters of
300 schools (12 jobs of 25) run by `vsoko jobs worker` processes — one, then two — on PostgreSQL with
the queue in PostgreSQL too; the speedup compares the times from the first job started to the last one
done (the workers' throughput; the wall time with their start-up is printed too).

    nice -n 10 .venv/bin/python benchmarks/district.py [--postgres-url URL] [--samples 30]

Targets: screen p95 under 300 ms at 300 schools with a flat query count; jobs with 2 workers at least
1.7× faster than with one. The last lines are `screen_p95_ms_300=`, `queries_30=`, `queries_300=`,
`jobs_speedup=`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_plan import counted  # noqa: E402 - sibling benchmark scripts
from transition_vs_render import prepare_postgresql  # noqa: E402

from vsoko_flow.config import PROJECT_ROOT, Settings  # noqa: E402
from vsoko_flow.db import transaction  # noqa: E402
from vsoko_flow.models import (  # noqa: E402
    Artefact, HistoryEntry, Job, Membership, MonitoringCampaign, MonitoringGroup, MonitoringRequest,
    MonitoringSchoolCard, Organisation, User,
)
from vsoko_flow.procedures import monitoring as domain  # noqa: E402
from vsoko_flow.services import monitoring as service  # noqa: E402
from vsoko_flow.services.runtime import Runtime  # noqa: E402

YEAR = "2024/2025"
TODAY = dt.date(2025, 4, 20)
SIZES = (30, 100, 300)
PLANS, ROWS, AUDITS, FINDINGS = 3, 60, 2, 3
TARGET_P95_MS, TARGET_SPEEDUP = 300, 1.7
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/vsoko_bench_district"


def _ids(session, model, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    return list(session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows))


def _artefact(org: int, kind: str, state: str, title: str, **extra) -> dict:
    return {"kind": kind, "organisation_id": org, "title": title, "state": state, "version": 1, "school_year": YEAR,
            "fields": extra.pop("fields", {}), **extra}


def seed_district(rt: Runtime, schools: int, tag: str) -> dict[str, int]:
    """A district, its people and `schools` schools with a year of ВСОКО each; returns the ids needed."""
    with transaction(rt.sessions) as session:
        district_id = _ids(session, Organisation, [{"kind": "district", "full_name": f"Комитет по образованию {tag}",
                                                    "short_name": f"Комитет {tag}", "address": "", "city": "г. Бенч"}])[0]
        people = _ids(session, User, [{"login": f"{tag}_{role}", "last_name": "Методистова", "first_name": "Анна",
                                       "middle_name": "", "gender": "f", "email": "", "password_hash": "",
                                       "session_token": "", "is_active": True}
                                      for role in ("methodologist", "expert")])
        _ids(session, Membership, [{"user_id": people[0], "organisation_id": district_id, "roles": ["methodologist"],
                                    "position": "Методист"},
                                   {"user_id": people[1], "organisation_id": district_id, "roles": ["expert"],
                                    "position": "Эксперт"}])
        school_ids = _ids(session, Organisation, [{"kind": "school", "full_name": f"Школа № {n} ({tag})",
                                                   "short_name": f"Школа № {n}", "address": "", "city": "г. Бенч",
                                                   "parent_id": district_id} for n in range(1, schools + 1)])
        for school_id in school_ids:
            _school_year(session, school_id)
        card = domain.newest_card(session, district_id, domain.DEFAULT_CARD)
        campaigns = []
        for number, state in enumerate(("closed", "published")):
            campaign_id = _ids(session, Artefact, [_artefact(district_id, domain.CAMPAIGN_KIND, state,
                                                             f"Мониторинг {2024 + number}")])[0]
            session.add(MonitoringCampaign(artefact_id=campaign_id, district_id=district_id, card_id=card.id,
                                           previous_id=campaigns[-1] if campaigns else None,
                                           data_deadline=TODAY - dt.timedelta(days=20)))
            group = _ids(session, MonitoringGroup, [{"campaign_id": campaign_id, "name": "Группа 1",
                                                     "expert_ids": [people[1]]}])[0]
            cards = []
            for n, school_id in enumerate(school_ids):
                answers = domain.scored_answers(card, {c["code"]: {"value": _value(c, n + number)}
                                                       for c in card.criteria}, {})
                totals = domain.card_totals(card, answers)
                cards.append({"campaign_id": campaign_id, "school_id": school_id, "group_id": group,
                              "state": "returned", "answers": answers, "score": totals.score,
                              "max_score": totals.max_score, "percent": totals.percent, "zone": totals.zone,
                              "recommendations": "Обновить раздел сайта", "filled_by": people[1]})
            _ids(session, MonitoringSchoolCard, cards)
            _ids(session, MonitoringRequest, [{"campaign_id": campaign_id, "school_id": s, "text": "Отчёт",
                                               "due_date": TODAY - dt.timedelta(days=20), "answer": "",
                                               "answer_link": ""} for s in school_ids])
            campaigns.append(campaign_id)
    return {"district": district_id, "methodologist": people[0], "campaign": campaigns[-1]}


def _value(criterion: dict, n: int) -> str:
    if criterion["scale"] == "yes_no":
        return ("yes", "yes", "no")[n % 3]
    if criterion["scale"] == "zero_two":
        return str(n % 3)
    return str((n * 7) % 101)


def _school_year(session, school_id: int) -> None:
    polozhenie = {"protocol_date": "2024-08-28", "order_date": "2024-08-30", "order_number": "12",
                  "opinions": {"student_council": {"date": "2024-08-20"}}}
    _ids(session, Artefact, [_artefact(school_id, "polozhenie", "superseded", "Положение о ВСОКО", fields=polozhenie),
                             _artefact(school_id, "polozhenie", "in_force", "Положение о ВСОКО", fields=polozhenie)])
    plans = _ids(session, Artefact, [_artefact(school_id, "vsoko_plan", "execution", f"План {p}",
                                               fields={"order_date": "2024-08-30"}) for p in range(PLANS)])
    rows = []
    for plan_id in plans:
        for r in range(ROWS):
            state = ("accepted", "accepted", "accepted", "in_progress", "planned")[r % 5]
            due = TODAY - dt.timedelta(days=30) if r % 5 < 4 else TODAY + dt.timedelta(days=30)
            rows.append(_artefact(school_id, "control_item", state, f"Пункт {r}", parent_id=plan_id, due_date=due))
    items = _ids(session, Artefact, rows)
    at = dt.datetime(2025, 3, 1)
    _ids(session, HistoryEntry, [{"artefact_id": item, "sequence": 2, "actor_name": "бенчмарк", "at": at,
                                  "trigger": "report", "from_state": "planned", "to_state": "reported", "comment": "",
                                  "fields": {"executed_on": (TODAY - dt.timedelta(days=35 if n % 2 else 25)).isoformat()},
                                  "document_hashes": [], "prev_hash": "0" * 64, "hash": "0" * 64}
                                 for n, item in enumerate(items) if n % 5 < 3])
    _ids(session, Artefact, [_artefact(school_id, "audit", "closed", f"Аудит {a}") for a in range(AUDITS)]
         + [_artefact(school_id, "finding", "closed" if f else "actions_in_progress", f"Несоответствие {f}")
            for f in range(FINDINGS)])


def measure_screen(rt: Runtime, ids: dict[str, int], samples: int) -> tuple[float, float, int]:
    service.results(rt, ids["methodologist"], ids["campaign"], today=TODAY)  # warm up
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        service.results(rt, ids["methodologist"], ids["campaign"], today=TODAY)
        times.append((time.perf_counter() - start) * 1000)
    with counted(rt) as counter:
        service.results(rt, ids["methodologist"], ids["campaign"], today=TODAY)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times), p95, counter["n"]


def run_jobs(rt: Runtime, ids: dict[str, int], workers: int, workdir: Path) -> tuple[float, float]:
    """The справка and the 300 letters, by `workers` job worker processes: seconds from submitting to the last
    job done (the workers' start-up included), and seconds from the first job started to the last one done
    (the throughput the workers give)."""
    job_ids = service.request_export(rt, ids["methodologist"], ids["campaign"], "report")
    job_ids += service.request_export(rt, ids["methodologist"], ids["campaign"], "letters")
    start = time.perf_counter()
    env = {**os.environ, "VSOKO_DATABASE_URL": rt.settings.database_url, "VSOKO_JOBS_URL": rt.settings.jobs_url,
           "VSOKO_INSTANCE_DIR": str(workdir), "PYTHONWARNINGS": "ignore"}
    processes = [subprocess.Popen([sys.executable, "-m", "vsoko_flow.cli", "jobs", "worker", "--workers", "1"],
                                  cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True) for _ in range(workers)]
    try:
        while True:
            with rt.sessions() as session:
                states = list(session.scalars(select(Job.state).where(Job.id.in_(job_ids))))
            if all(state in ("done", "failed") for state in states):
                break
            if time.perf_counter() - start > 1800:
                raise SystemExit("jobs did not finish within 30 minutes")
            time.sleep(0.2)
        elapsed = time.perf_counter() - start
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
    if "failed" in states:
        raise SystemExit(f"a job failed: {states}")
    with rt.sessions() as session:
        first, last = session.execute(select(func.min(Job.started_at), func.max(Job.finished_at))
                                      .where(Job.id.in_(job_ids))).one()
    return elapsed, (last - first).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("VSOKO_BENCH_DATABASE_URL", DEFAULT_POSTGRES_URL))
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    problem = prepare_postgresql(args.postgres_url)
    if problem:
        raise SystemExit(f"PostgreSQL does not answer: {problem}")
    workdir = Path(tempfile.mkdtemp(prefix="vsoko_district_"))
    jobs_url = args.postgres_url.replace("postgresql+psycopg://", "postgresql://")
    settings = Settings(database_url=args.postgres_url, instance_dir=workdir, workflows_dir=PROJECT_ROOT / "workflows",
                        templates_dir=PROJECT_ROOT / "document_templates", base_url="https://vsoko.example",
                        jobs_url=jobs_url)
    rt = Runtime.create(settings)
    results: dict[int, tuple[float, float, int]] = {}
    ids = {}
    for size in SIZES:
        start = time.perf_counter()
        ids[size] = seed_district(rt, size, f"d{size}")
        print(f"seeded {size} schools in {time.perf_counter() - start:.1f} s", flush=True)
        results[size] = measure_screen(rt, ids[size], args.samples)
        p50, p95, queries = results[size]
        print(f"screen schools={size} p50_ms={p50:.1f} p95_ms={p95:.1f} queries={queries}", flush=True)
    spans = {}
    for workers in (1, 2):
        elapsed, spans[workers] = run_jobs(rt, ids[300], workers, workdir)
        print(f"jobs workers={workers} report+300 letters: {elapsed:.1f} s from submitting (worker start-up "
              f"included), {spans[workers]:.1f} s from the first job started to the last done", flush=True)
    one, two = spans[1], spans[2]
    rt.close()
    print(f"targets: screen p95 < {TARGET_P95_MS} ms at 300 schools, flat queries; jobs speedup >= {TARGET_SPEEDUP}")
    print(f"screen_p95_ms_300={results[300][1]:.1f}")
    print(f"queries_30={results[30][2]}")
    print(f"queries_300={results[300][2]}")
    print(f"jobs_speedup={one / two:.2f}")


if __name__ == "__main__":
    main()
