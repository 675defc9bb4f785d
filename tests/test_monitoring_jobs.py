"""The 300 letters of a district are a job on the real queue: a job worker killed with -9 in the
middle leaves the job to the next worker, and every school gets its letter exactly once. The results
screen reads a fixed number of queries whatever the number of schools."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from vsoko_flow.config import PROJECT_ROOT
from vsoko_flow.db import transaction
from vsoko_flow.models import Job, JobUnit, MonitoringFile, MonitoringSchoolCard
from vsoko_flow.procedures import monitoring as domain
from vsoko_flow.services import monitoring as service
from vsoko_flow.services.jobs import job_view
from vsoko_flow.services.transitions import fire_transition

from .monitoring_seed import TODAY, Profile, seed_district
from .web_helpers import counted_queries

QUIET = Profile("школа", rows_on_time=0, rows_not_due=0, decisions_on_time=0, audits=0, findings_closed=0)


def published_campaign(rt, schools: int, prefix: str = "big") -> tuple[object, int]:
    """A district of `schools` schools whose campaign is published with every card returned (the cards are
    written as the service would score them, straight into the table: 300 experts' work is not the point)."""
    district = seed_district(rt, [Profile(f"МБОУ СОШ № {n}", **{k: getattr(QUIET, k) for k in (
        "rows_on_time", "rows_not_due", "decisions_on_time", "audits", "findings_closed")}) for n in range(1, schools + 1)],
        prefix=prefix)
    campaign = service.create_campaign(rt, district["methodologist"], district.id, today=TODAY)
    fire_transition(rt, campaign, "approve", district["head"],
                    fields={"order_date": TODAY.isoformat(), "order_number": "3-р"}, today=TODAY)
    fire_transition(rt, campaign, "start_collection", district["methodologist"],
                    fields={"data_deadline": TODAY.isoformat()}, today=TODAY)
    fire_transition(rt, campaign, "start_assessment", district["methodologist"], today=TODAY)
    with transaction(rt.sessions) as session:
        card = service._card_version(session, campaign)
        for n, row in enumerate(session.scalars(select(MonitoringSchoolCard).where(
                MonitoringSchoolCard.campaign_id == campaign))):
            answers = domain.scored_answers(card, {c["code"]: {"value": ("yes", "no")[n % 2] if c["scale"] == "yes_no"
                                                               else str(n % 3) if c["scale"] == "zero_two"
                                                               else str(n % 101)} for c in card.criteria}, {})
            totals = domain.card_totals(card, answers)
            row.answers, row.state = answers, "returned"
            row.score, row.max_score, row.percent, row.zone = totals.score, totals.max_score, totals.percent, totals.zone
    fire_transition(rt, campaign, "publish", district["methodologist"], today=TODAY)
    return district, campaign


def test_the_results_screen_reads_as_many_queries_for_40_schools_as_for_4(rt):
    counts = []
    for schools, prefix in ((4, "small"), (40, "large")):
        district, campaign = published_campaign(rt, schools, prefix)
        with counted_queries(rt) as counter:
            data = service.results(rt, district["methodologist"], campaign, today=TODAY)
        assert len(data["rows"]) == schools
        counts.append(counter["n"])
    assert counts[0] == counts[1], counts


def _worker(rt, log: Path) -> subprocess.Popen:
    env = {**os.environ, "VSOKO_DATABASE_URL": rt.settings.database_url, "VSOKO_JOBS_URL": rt.settings.jobs_url,
           "VSOKO_INSTANCE_DIR": str(rt.settings.instance_dir), "VSOKO_JOB_STALE_SECONDS": "2",
           "VSOKO_BASE_URL": rt.settings.base_url}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "vsoko_flow.cli", "jobs", "worker", "--workers", "1"],
                                cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _wait_for(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not reached within {seconds} s")


def test_a_worker_killed_in_the_middle_of_the_300_letters_leaves_each_letter_made_once(rt, tmp_path):
    district, campaign = published_campaign(rt, 300)
    job_ids = service.request_export(rt, district["methodologist"], campaign, "letters")
    assert len(job_ids) == 300 // service.LETTERS_PER_JOB

    def done() -> int:
        return sum(job_view(rt, job_id).done for job_id in job_ids)

    log = tmp_path / "worker.log"
    first = _worker(rt, log)
    try:
        _wait_for(lambda: job_view(rt, job_ids[0]).done >= 10, seconds=240)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    interrupted = job_view(rt, job_ids[0])
    assert interrupted.state == "running" and 10 <= interrupted.done < service.LETTERS_PER_JOB, log.read_text()[-2000:]
    assert done() < 300
    time.sleep(2.5)  # the killed worker's heartbeat goes stale
    second = _worker(rt, log)
    try:
        _wait_for(lambda: all(job_view(rt, job_id).state == "done" for job_id in job_ids), seconds=600)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=60)
    assert done() == 300
    with rt.sessions() as session:
        letters = session.execute(select(MonitoringFile.school_id, func.count()).where(
            MonitoringFile.job_id.in_(job_ids)).group_by(MonitoringFile.school_id)).all()
        assert len(letters) == 300 and {n for _, n in letters} == {1}
        assert {school for school, _ in letters} == set(district.profiles)
        assert session.scalar(select(func.count()).select_from(JobUnit).where(JobUnit.job_id.in_(job_ids))) == 300
        assert session.get(Job, job_ids[0]).attempts == 2  # taken over after the kill
