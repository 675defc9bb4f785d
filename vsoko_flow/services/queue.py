"""The job queue: huey carries job ids from the web to the job workers.

Why huey: it is maintained, small, has no dependencies of its own, and stores its queue in
SQLite (the default install: one machine, no server to run), in Redis or in PostgreSQL (a
district with job workers on several machines) behind one API. RQ and Dramatiq need Redis or
RabbitMQ even for one school; procrastinate needs PostgreSQL. huey removes a message when a
worker takes it, so a worker killed with its message would lose it — the job's row in our own
database is therefore the truth: `services/jobs.py` resumes any job whose runner stopped, and its
units are exactly-once there, whatever the queue does.

`VSOKO_JOBS_URL` chooses the storage: `sqlite:///path/jobs.sqlite3` (default: in the instance
folder), `redis://host:6379/0`, `postgresql://user@host/db`. `vsoko jobs worker` runs a consumer;
`vsoko serve` runs one in its own process (a thread) unless `VSOKO_JOBS_EMBEDDED=0`.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from urllib.parse import urlsplit

from huey import Huey, PostgresHuey, RedisHuey, SqliteHuey, crontab

log = logging.getLogger(__name__)

QUEUE_NAME = "vsoko"
RETRY_DELAY_SECONDS = 10


def make_huey(url: str) -> Huey:
    scheme = urlsplit(url).scheme.split("+", 1)[0]
    if scheme == "sqlite":
        path = Path(url.split(":///", 1)[1])
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=str(path), results=False)
    if scheme in ("redis", "rediss"):
        return RedisHuey(QUEUE_NAME, url=url, results=False)
    if scheme in ("postgresql", "postgres"):
        return PostgresHuey(QUEUE_NAME, dsn=url.replace("postgresql+psycopg://", "postgresql://"), results=False)
    raise ValueError(f"VSOKO_JOBS_URL: неизвестная очередь «{scheme}» (sqlite, redis или postgresql)")


class JobQueue:
    """One process's queue: the huey instance and the task that runs a job in this process."""

    def __init__(self, rt) -> None:  # noqa: ANN001 - Runtime (imported lazily: it owns us)
        from .jobs import MAX_ATTEMPTS

        self.rt = rt
        self.huey = make_huey(rt.settings.jobs_url)
        self._run = self.huey.task(retries=MAX_ATTEMPTS, retry_delay=RETRY_DELAY_SECONDS, name="run_job")(
            self._run_job)
        self.huey.periodic_task(crontab(minute="*"), name="recover_stalled_jobs")(self.recover)
        self.huey.on_startup("recover_at_start")(self.recover)

    def _run_job(self, job_id: int) -> None:
        from .jobs import run_job

        run_job(self.rt, job_id)

    def recover(self) -> None:
        from .jobs import recover_stalled

        recovered = recover_stalled(self.rt)
        if recovered:
            log.warning("jobs handed to the queue again: %s", recovered)

    def enqueue(self, job_id: int) -> None:
        self._run(job_id)

    def consumer(self, workers: int = 1):  # noqa: ANN201 - huey.consumer.Consumer
        """A full consumer (own signals, periodic recovery) for `vsoko jobs worker`."""
        return self.huey.create_consumer(workers=workers, worker_type="thread", periodic=True,
                                         check_worker_health=True)

    def start_embedded(self, poll_seconds: float = 1.0) -> "EmbeddedWorker":
        """A worker thread inside this process (the default install: one process does it all)."""
        return EmbeddedWorker(self, poll_seconds)


class EmbeddedWorker:
    """Takes jobs off the queue in a thread of this process; `stop()` ends it and waits."""

    def __init__(self, queue: JobQueue, poll_seconds: float) -> None:
        self.queue, self.poll_seconds = queue, poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vsoko-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        queue, stop, poll_seconds = self.queue, self._stop, self.poll_seconds
        ticks_per_recovery = max(1, int(queue.rt.settings.job_stale_seconds / poll_seconds))
        ticks = 0
        while not stop.is_set():
            try:
                if ticks % ticks_per_recovery == 0:
                    queue.recover()
                ticks += 1
                for due in queue.huey.read_schedule():  # retries wait in the schedule
                    queue.huey.enqueue(due)
                task = queue.huey.dequeue()
                if task is None:
                    stop.wait(poll_seconds)
                elif task.name != "recover_stalled_jobs":
                    queue.huey.execute(task)
            except Exception:  # noqa: BLE001 - the loop outlives one bad message; the job row records it
                log.exception("embedded job worker")
                stop.wait(poll_seconds)
        queue.huey.storage.close()  # this thread's own connection to the queue
