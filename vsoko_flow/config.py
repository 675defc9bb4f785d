"""Settings read from the environment, with safe defaults for one school on one machine."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _instance_dir() -> Path:
    return Path(os.environ.get("VSOKO_INSTANCE_DIR", PROJECT_ROOT / "instance"))


def _secret_key(instance: Path) -> str:
    """Use VSOKO_SECRET_KEY, else a random key generated once and kept in the instance folder."""
    explicit = os.environ.get("VSOKO_SECRET_KEY")
    if explicit:
        return explicit
    key_file = instance / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    instance_dir: Path
    workflows_dir: Path
    templates_dir: Path
    base_url: str
    # Times are stored in UTC and shown in the school's zone.
    timezone: str = "Europe/Moscow"
    # The job queue (services/queue.py); empty: a SQLite file in the instance folder.
    jobs_url: str = ""
    # A running job whose worker has not said it is alive for this long is handed over again.
    job_stale_seconds: float = 180.0

    def __post_init__(self) -> None:
        if not self.jobs_url:
            object.__setattr__(self, "jobs_url", f"sqlite:///{self.instance_dir / 'jobs.sqlite3'}")

    @property
    def secret_key(self) -> str:
        return _secret_key(self.instance_dir)


def load_settings() -> Settings:
    instance = _instance_dir()
    default_db = f"sqlite:///{instance / 'vsoko.sqlite3'}"
    return Settings(
        database_url=os.environ.get("VSOKO_DATABASE_URL", default_db),
        instance_dir=instance,
        workflows_dir=Path(os.environ.get("VSOKO_WORKFLOWS_DIR", PROJECT_ROOT / "workflows")),
        templates_dir=Path(os.environ.get("VSOKO_TEMPLATES_DIR", PROJECT_ROOT / "document_templates")),
        base_url=os.environ.get("VSOKO_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        timezone=os.environ.get("VSOKO_TIMEZONE", "Europe/Moscow"),
        jobs_url=os.environ.get("VSOKO_JOBS_URL", ""),
        job_stale_seconds=float(os.environ.get("VSOKO_JOB_STALE_SECONDS", "180")),
    )
