"""Background jobs on a real queue: huey on SQLite (the default), Redis and PostgreSQL; the job's
progress in the database; exactly-once units; a job worker killed with -9 in the middle of a job
and the job finished by the next worker; retries and failure; the PDF download as a job."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.flows import take_to_force
from tests.test_pdf import FAKE_PDF, WRITES_PDF, use_fake  # noqa: F401 - use_fake is a fixture
from tests.web_helpers import login
from vsoko_flow.config import PROJECT_ROOT
from vsoko_flow.db import transaction
from vsoko_flow.models import DocumentPdf, Job, JobUnit, StoredDocument
from vsoko_flow.services import jobs as job_service
from vsoko_flow.services.jobs import MAX_ATTEMPTS, job_view, recover_stalled, run_job, submit
from vsoko_flow.services.queue import make_huey
from vsoko_flow.services.organisations import create_organisation
from vsoko_flow.services.runtime import Runtime
from vsoko_flow.services.users import add_membership, create_user

SLOW_PDF = "import time; time.sleep(0.3)\n" + WRITES_PDF


@pytest.fixture
def soffice(use_fake):
    """A stand-in LibreOffice that writes a PDF (slowly when asked): jobs are about the queue."""
    return lambda body=WRITES_PDF: use_fake(body)


@pytest.fixture
def stored_documents(rt, school) -> list[int]:
    """Two Положения in force, so the store holds several documents without a PDF."""
    take_to_force(rt, school)
    with rt.sessions() as session:
        return list(session.scalars(select(StoredDocument.id).order_by(StoredDocument.id)))


def distinct_documents(rt) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.count(func.distinct(StoredDocument.sha256))))


def pdf_count(rt) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(DocumentPdf))


def wait_for(condition, seconds: float = 60.0, step: float = 0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not reached within {seconds} s")


# ----------------------------------------------------------------------------- a job through the queue


def test_a_submitted_job_is_run_by_the_embedded_worker_and_its_progress_is_kept(rt, stored_documents, soffice):
    soffice()
    total = distinct_documents(rt)
    job_id = submit(rt, "pdf_copies", {"limit": 100})
    assert job_view(rt, job_id).state == "queued" and rt.queue.huey.pending_count() == 1
    worker = rt.queue.start_embedded(poll_seconds=0.05)
    try:
        job = wait_for(lambda: (view := job_view(rt, job_id)).state == "done" and view)
    finally:
        worker.stop()
    assert (job.total, job.done, job.percent, job.result) == (total, total, 100, {"converted": total})
    assert pdf_count(rt) == total
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(JobUnit).where(JobUnit.job_id == job_id)) == total


def test_units_are_taken_once_and_a_second_run_does_nothing_again(rt, stored_documents, soffice):
    script = soffice()
    job_id = submit(rt, "pdf_copies", {"limit": 100})
    assert run_job(rt, job_id) == "done"
    calls = len(script.with_name("calls.jsonl").read_text().splitlines())
    # Handed over twice (a duplicated message, a recovery): the job is over, nothing runs again.
    assert run_job(rt, job_id) == "busy"
    assert len(script.with_name("calls.jsonl").read_text().splitlines()) == calls == distinct_documents(rt)


def test_a_job_held_by_a_live_runner_is_not_taken_by_another(rt, stored_documents, soffice):
    soffice()
    job_id = submit(rt, "pdf_copies", {"limit": 100})
    assert job_service._acquire(rt, job_id, "a" * 32)
    assert run_job(rt, job_id) == "busy"
    assert pdf_count(rt) == 0


def test_a_failing_unit_is_retried_then_the_job_fails_with_the_reason(rt, stored_documents, soffice):
    soffice("sys.exit(3)\n")
    job_id = submit(rt, "pdf_copies", {"limit": 100})
    for attempt in range(1, MAX_ATTEMPTS):
        with pytest.raises(Exception):
            run_job(rt, job_id)
        view = job_view(rt, job_id)
        assert view.state == "queued" and "LibreOffice" in view.error, attempt
    assert run_job(rt, job_id) == "failed"
    view = job_view(rt, job_id)
    assert view.state == "failed" and view.error.endswith("LibreOffice завершился с кодом 3") and pdf_count(rt) == 0


def test_a_job_that_fails_once_goes_on_from_the_unit_that_failed(rt, stored_documents, soffice, tmp_path):
    # The third conversion fails once (the counter file says which call it is).
    counter = tmp_path / "count"
    soffice(f"""
        p = pathlib.Path({str(counter)!r}); n = int(p.read_text()) + 1 if p.exists() else 1; p.write_text(str(n))
        if n == 3: sys.exit(3)
        """ + WRITES_PDF)
    job_id = submit(rt, "pdf_copies", {"limit": 100})
    with pytest.raises(Exception):
        run_job(rt, job_id)
    assert job_view(rt, job_id).done == 2 and pdf_count(rt) == 2
    assert run_job(rt, job_id) == "done"
    assert pdf_count(rt) == distinct_documents(rt) and int(counter.read_text()) == distinct_documents(rt) + 1


def test_recovery_hands_over_stalled_and_lost_jobs_but_not_live_or_finished_ones(rt, stored_documents, soffice):
    soffice()
    stale_rt = Runtime(settings=replace(rt.settings, job_stale_seconds=0.5), engine=rt.engine)
    stalled, lost, live, done = (submit(stale_rt, "pdf_copies", {"limit": 1}) for _ in range(4))
    stale_rt.queue.huey.flush()
    assert job_service._acquire(stale_rt, stalled, "s" * 32)  # its worker then died
    assert run_job(stale_rt, done) == "done"
    time.sleep(0.6)
    assert job_service._acquire(stale_rt, live, "l" * 32)  # alive: heartbeat just now
    assert sorted(recover_stalled(stale_rt)) == sorted([stalled, lost])
    assert stale_rt.queue.huey.pending_count() == 2


def other_school_member(rt) -> int:
    with transaction(rt.sessions) as session:
        other = create_organisation(session, "school", "Другая школа", "Другая школа")
        user = create_user(session, "stranger", "Чужой", "Пётр", "", "m")
        add_membership(session, user, other, ["director"], "Директор")
        return user.id


def test_another_schools_member_does_not_see_a_job(rt, school, stored_documents, soffice):
    soffice()
    job_id = submit(rt, "pdf_copies", {"limit": 1}, organisation_id=school.id, requested_by=school["deputy"])
    assert job_service.job_for(rt, school["teacher"], job_id).id == job_id  # same school
    with pytest.raises(job_service.NotFound):
        job_service.job_for(rt, other_school_member(rt), job_id)


# ----------------------------------------------------------------------------- the PDF download as a job


def test_a_pdf_not_made_yet_is_made_by_a_job_whose_page_shows_the_progress(rt, school, app, stored_documents, soffice):
    soffice()
    client = app.test_client()
    login(client, "director")
    document_id = stored_documents[-1]
    first = client.get(f"/documents/{document_id}/pdf")
    assert first.status_code == 302 and "/jobs/" in first.headers["Location"]
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in page and "<progress" in page and "ждёт своей очереди" in page
    job_id = int(first.headers["Location"].rsplit("/", 1)[1])
    assert run_job(rt, job_id) == "done"
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "http-equiv" not in page and "Скачать PDF" in page and f"/documents/{document_id}/pdf" in page
    pdf = client.get(f"/documents/{document_id}/pdf")
    assert pdf.status_code == 200 and pdf.data == FAKE_PDF and pdf.mimetype == "application/pdf"


# ----------------------------------------------------------------------------- storages


def test_the_queue_url_chooses_the_storage(tmp_path):
    from huey import RedisHuey, SqliteHuey

    assert isinstance(make_huey(f"sqlite:///{tmp_path / 'q.sqlite3'}"), SqliteHuey)
    assert isinstance(make_huey("redis://127.0.0.1:6379/15"), RedisHuey)
    # PostgresHuey connects when made: see test_a_job_travels_through_postgresql.
    with pytest.raises(ValueError, match="неизвестная очередь"):
        make_huey("amqp://guest@127.0.0.1/")


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


def _through_queue(rt, jobs_url: str) -> None:
    """A job submitted to the queue at `jobs_url` and done by an embedded worker reading it."""
    queue_rt = Runtime(settings=replace(rt.settings, jobs_url=jobs_url), engine=rt.engine)
    queue_rt.queue.huey.flush()
    job_id = submit(queue_rt, "pdf_copies", {"limit": 100})
    worker = queue_rt.queue.start_embedded(poll_seconds=0.05)
    try:
        wait_for(lambda: job_view(queue_rt, job_id).state == "done")
    finally:
        worker.stop()
        queue_rt.queue.huey.flush()
        queue_rt.queue.huey.storage.close()
    assert pdf_count(rt) == distinct_documents(rt)


def test_a_job_travels_through_redis(rt, stored_documents, soffice):
    if not _redis_answers():
        pytest.skip("Redis не отвечает на 127.0.0.1:6379: очередь на Redis не проверена")
    soffice()
    _through_queue(rt, "redis://127.0.0.1:6379/15")


def test_a_job_travels_through_postgresql(rt, stored_documents, soffice):
    url = os.environ.get("VSOKO_TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL не задан (VSOKO_TEST_DATABASE_URL): очередь на PostgreSQL проверяется в проходе CI на PostgreSQL")
    soffice()
    _through_queue(rt, url)


# ----------------------------------------------------------------------------- a worker killed mid-job


def _worker(rt, script: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "VSOKO_DATABASE_URL": rt.settings.database_url, "VSOKO_JOBS_URL": rt.settings.jobs_url,
           "VSOKO_INSTANCE_DIR": str(rt.settings.instance_dir), "VSOKO_JOB_STALE_SECONDS": "2",
           "VSOKO_SOFFICE": str(script)}
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "vsoko_flow.cli", "jobs", "worker", "--workers", "1"],
                                cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def test_a_worker_killed_in_the_middle_of_a_job_leaves_it_to_the_next_that_makes_each_unit_once(
        rt, stored_documents, soffice, tmp_path):
    script = soffice(SLOW_PDF)
    total = distinct_documents(rt)
    assert total >= 5
    job_id = submit(rt, "pdf_copies", {"limit": 100})
    log = tmp_path / "worker.log"
    first = _worker(rt, script, log)
    try:
        wait_for(lambda: job_view(rt, job_id).done >= 2, seconds=90)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    interrupted = job_view(rt, job_id)
    assert interrupted.state == "running" and 2 <= interrupted.done < total, log.read_text()[-2000:]
    time.sleep(2.5)  # the dead worker's heartbeat goes stale
    second = _worker(rt, script, log)
    try:
        finished = wait_for(lambda: (view := job_view(rt, job_id)).state == "done" and view, seconds=120)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)
    assert finished.done == finished.total == total
    with rt.sessions() as session:
        units = session.scalars(select(JobUnit.key).where(JobUnit.job_id == job_id)).all()
        assert sorted(units) == sorted(set(units)) and len(units) == total
        assert session.get(Job, job_id).attempts == 2
    assert pdf_count(rt) == total


def test_the_api_tells_a_jobs_progress_to_its_school_only(rt, school, app, stored_documents, soffice):
    from vsoko_flow.services.api_tokens import create_token as issue_token

    soffice()
    job_id = submit(rt, "pdf_copies", {"limit": 100}, organisation_id=school.id, requested_by=school["director"])
    run_job(rt, job_id)
    client = app.test_client()
    mine = client.get(f"/api/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {issue_token(rt, school['deputy'])}"})
    assert mine.status_code == 200
    body = mine.get_json()
    assert (body["state"], body["percent"], body["done"], body["page_url"]) == ("done", 100, body["total"], f"/jobs/{job_id}")
    stranger = client.get(f"/api/v1/jobs/{job_id}",
                          headers={"Authorization": f"Bearer {issue_token(rt, other_school_member(rt))}"})
    assert stranger.status_code == 404 and stranger.get_json()["error"] == "not_found"
    assert "/jobs/{job_id}" in client.get("/api/v1/openapi.json").get_json()["paths"]
