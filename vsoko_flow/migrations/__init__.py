"""Alembic migrations, run with `vsoko init-db` (upgrade to the newest revision)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def include_object(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001 - Alembic's hook
    """Leave alone the tables the job queue keeps in the same PostgreSQL database (huey_*)."""
    return not (type_ == "table" and reflected and compare_to is None and name.startswith("huey_"))


def upgrade(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


def make_revision(database_url: str, message: str) -> None:
    """Developer helper: autogenerate a new revision against an up-to-date database."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
