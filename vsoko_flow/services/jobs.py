"""Background jobs: submit, run unit by unit with exactly-once units, recover after a crash.

A kind of job is a `JobHandler` registered by name: it lists the keys of its units (taken once,
at the job's first run, and kept with the job), does the slow part of a unit outside any
transaction (`work`: converting, rendering, sending), stores what it made inside a transaction
it is given (`save`), and sums up the result.
`run_job` takes the job (a lease: a random runner token and a heartbeat), does every unit that
is not done yet — each in its own transaction with its `JobUnit` row, so a unit is never done
twice — and marks the job done. A worker killed in the middle leaves the job «running» with a
heartbeat that stops; `recover_stalled` hands such a job to the queue again and the next run
goes on from the first unit not done.

The queue itself (huey) lives in `services/queue.py`; nothing here knows which one runs.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import transaction
from ..models import Job, JobUnit, Membership, utcnow
from .errors import NotFound
from .runtime import Runtime

log = logging.getLogger(__name__)

# A job is tried this many times (a failing unit stops the run; the next run starts from it).
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class JobHandler:
    kind: str
    title: str  # «Копии PDF», «Письма с рекомендациями школам»
    units: Callable[[Runtime, Job], list[str]]
    save: Callable[[Runtime, Session, Job, str, Any], dict[str, Any] | None]
    work: Callable[[Runtime, Job, str], Any] | None = None
    finish: Callable[[Runtime, Session, Job], dict[str, Any]] | None = None


HANDLERS: dict[str, JobHandler] = {}


def job_handler(handler: JobHandler) -> JobHandler:
    """Register a kind of job (at import of the module that defines it)."""
    if handler.kind in HANDLERS:
        raise RuntimeError(f"job kind {handler.kind} is registered twice")
    HANDLERS[handler.kind] = handler
    return handler


def load_handlers() -> None:
    """Import the modules that register job kinds, so every process knows them all."""
    from . import job_kinds  # noqa: F401


# --------------------------------------------------------------------------- submitting


def submit(rt: Runtime, kind: str, params: dict[str, Any] | None = None, *, organisation_id: int | None = None,
           requested_by: int | None = None, title: str = "") -> int:
    """Record a job and hand it to the queue; returns its id. The job runs after this returns."""
    load_handlers()
    handler = HANDLERS.get(kind)
    if handler is None:
        raise NotFound(f"Неизвестный вид фоновой задачи «{kind}»")
    with transaction(rt.sessions) as session:
        job = Job(kind=kind, title=title or handler.title, params=params or {}, organisation_id=organisation_id,
                  requested_by=requested_by)
        session.add(job)
        session.flush()
        job_id = job.id
    # After commit: a worker must find the row. If the queue is down now, `recover_stalled`
    # hands the job over later.
    try:
        rt.queue.enqueue(job_id)
    except Exception:  # noqa: BLE001 - any broker failure; the job row stays «queued»
        log.exception("job %s recorded but not queued; it will be recovered", job_id)
    return job_id


# --------------------------------------------------------------------------- running


def _now() -> dt.datetime:
    return utcnow()


def _stale_before(rt: Runtime) -> dt.datetime:
    return _now() - dt.timedelta(seconds=rt.settings.job_stale_seconds)


def _acquire(rt: Runtime, job_id: int, token: str) -> bool:
    """Take the job unless another live runner holds it or it is over."""
    with transaction(rt.sessions) as session:
        taken = session.execute(
            update(Job).where(
                Job.id == job_id, Job.state.in_(("queued", "running")),
                or_(Job.runner == "", Job.heartbeat_at.is_(None), Job.heartbeat_at < _stale_before(rt)))
            .values(runner=token, state="running", attempts=Job.attempts + 1, heartbeat_at=_now(), error=""))
        if not taken.rowcount:
            return False
        session.execute(update(Job).where(Job.id == job_id, Job.started_at.is_(None)).values(started_at=_now()))
        return True


def _holds(session: Session, job_id: int, token: str) -> Job | None:
    """The job, locked, if this runner still holds it."""
    job = session.get(Job, job_id, with_for_update=True, populate_existing=True)
    return job if job is not None and job.runner == token else None


def run_job(rt: Runtime, job_id: int) -> str:
    """Run or resume a job; returns its state after this run («done», «failed», «running» if another
    runner holds it). Raises when a unit failed and the job will be tried again."""
    load_handlers()
    token = uuid.uuid4().hex
    if not _acquire(rt, job_id, token):
        return "busy"
    try:
        with rt.sessions() as session:
            job = session.get(Job, job_id)
            done = set(session.scalars(select(JobUnit.key).where(JobUnit.job_id == job_id)))
        handler = HANDLERS[job.kind]
        keys = job.params.get("units")
        if keys is None:  # the first run decides the units; later runs resume the same list
            keys = handler.units(rt, job)
            _set(rt, job_id, token, params={**job.params, "units": keys})
        _set(rt, job_id, token, total=len(keys), done=len(done & set(keys)))
        for key in keys:
            if key in done:
                continue
            if not _run_unit(rt, handler, job_id, token, key):
                return "busy"  # another runner took the job over
        return _finish(rt, handler, job_id, token)
    except Exception as exc:  # noqa: BLE001 - recorded for the user, then retried or failed
        return _failed(rt, job_id, token, exc)


def _set(rt: Runtime, job_id: int, token: str, **values: Any) -> None:
    with transaction(rt.sessions) as session:
        session.execute(update(Job).where(Job.id == job_id, Job.runner == token)
                        .values(heartbeat_at=_now(), **values))


def _run_unit(rt: Runtime, handler: JobHandler, job_id: int, token: str, key: str) -> bool:
    made = None
    if handler.work is not None:
        with rt.sessions() as session:
            job = session.get(Job, job_id)
        made = handler.work(rt, job, key)
    try:
        with transaction(rt.sessions) as session:
            job = _holds(session, job_id, token)
            if job is None:
                return False
            result = handler.save(rt, session, job, key, made) or {}
            session.add(JobUnit(job_id=job_id, key=key, result=result))
            job.done += 1
            job.heartbeat_at = _now()
    except IntegrityError:
        # Done meanwhile by a runner that had taken the job over: exactly once all the same.
        log.info("unit %s of job %s was already done", key, job_id)
    return True


def _finish(rt: Runtime, handler: JobHandler, job_id: int, token: str) -> str:
    with transaction(rt.sessions) as session:
        job = _holds(session, job_id, token)
        if job is None:
            return "busy"
        job.done = session.query(JobUnit).filter(JobUnit.job_id == job_id).count()
        job.result = handler.finish(rt, session, job) if handler.finish else {"units": job.done}
        job.state, job.runner, job.finished_at = "done", "", _now()
        return "done"


def _failed(rt: Runtime, job_id: int, token: str, exc: Exception) -> str:
    message = str(exc) or type(exc).__name__
    with transaction(rt.sessions) as session:
        job = _holds(session, job_id, token)
        if job is None:
            return "busy"
        final = job.attempts >= MAX_ATTEMPTS
        job.error = message[:2000]
        job.runner = ""
        job.state = "failed" if final else "queued"
        if final:
            job.finished_at = _now()
    log.warning("job %s: %s (%s)", job_id, message, "failed" if final else "will be retried")
    if not final:
        raise exc
    return "failed"


def recover_stalled(rt: Runtime) -> list[int]:
    """Hand the queue again every job whose runner stopped saying it is alive, and every job
    recorded but never started (its message was lost); returns their ids."""
    with rt.sessions() as session:
        stalled = list(session.scalars(select(Job.id).where(
            Job.state.in_(("queued", "running")),
            or_(Job.heartbeat_at < _stale_before(rt),
                Job.heartbeat_at.is_(None) & (Job.created_at < _stale_before(rt))))))
    for job_id in stalled:
        rt.queue.enqueue(job_id)
    return stalled


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class JobView:
    id: int
    kind: str
    title: str
    state: str
    total: int
    done: int
    percent: int
    result: dict[str, Any]
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @property
    def state_label(self) -> str:
        return {"queued": "в очереди", "running": "выполняется", "done": "готово", "failed": "ошибка"}[self.state]


def job_for(rt: Runtime, user_id: int, job_id: int) -> JobView:
    """A job as its requester or a member of its organisation sees it; others get «не найдено»."""
    return job_view(rt, job_id, user_id)


def job_view(rt: Runtime, job_id: int, user_id: int | None = None) -> JobView:
    """A job; `user_id=None` is the server operator at the command line."""
    with rt.sessions() as session:
        job = session.get(Job, job_id)
        if job is None or (user_id is not None and not _may_see(session, user_id, job)):
            raise NotFound("Фоновая задача не найдена")
        percent = 100 if job.state == "done" else (job.done * 100 // job.total if job.total else 0)
        return JobView(job.id, job.kind, job.title, job.state, job.total, job.done, percent, dict(job.result or {}),
                       job.error, job.created_at, job.finished_at)


def _may_see(session: Session, user_id: int, job: Job) -> bool:
    if job.requested_by == user_id:
        return True
    if job.organisation_id is None:
        return False
    return session.scalar(select(Membership.id).where(
        Membership.user_id == user_id, Membership.organisation_id == job.organisation_id)) is not None
