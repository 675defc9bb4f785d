"""Fixtures: a real database per test (SQLite file, or PostgreSQL when VSOKO_TEST_DATABASE_URL is set)."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from vsoko_flow.config import PROJECT_ROOT, Settings
from vsoko_flow.migrations import upgrade
from vsoko_flow.models import Base
from vsoko_flow.services.demo import create_demo_school
from vsoko_flow.services.runtime import Runtime

POSTGRES_URL = os.environ.get("VSOKO_TEST_DATABASE_URL")


def pytest_report_header(config):
    seeds = os.environ.get("VSOKO_SEEDS_DIR")
    return [f"database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite (a file per test)'}",
            f"seed documents: {seeds or 'none (VSOKO_SEEDS_DIR is not set): tests/test_import_seeds.py is skipped'}"]


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> str:
    """Run every migration once: on a fresh PostgreSQL schema, or into a SQLite template file."""
    if POSTGRES_URL:
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgrade(POSTGRES_URL)
        return POSTGRES_URL
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> str:
    if POSTGRES_URL:
        engine = create_engine(POSTGRES_URL)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return POSTGRES_URL
    path = tmp_path / "vsoko.sqlite3"
    shutil.copy(migrated_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, instance_dir=tmp_path / "instance",
                    workflows_dir=PROJECT_ROOT / "workflows", templates_dir=PROJECT_ROOT / "document_templates",
                    base_url="https://vsoko.example")


@pytest.fixture
def rt(settings: Settings):
    runtime = Runtime.create(settings, **({"pool_size": 10, "max_overflow": 60} if POSTGRES_URL else {}))
    yield runtime
    runtime.close()


@dataclass(frozen=True)
class School:
    id: int
    users: dict[str, int]

    def __getitem__(self, login: str) -> int:
        return self.users[login]


@pytest.fixture
def school(rt: Runtime) -> School:
    school_id, users = create_demo_school(rt)
    return School(school_id, users)


@pytest.fixture
def app(rt):
    from vsoko_flow.web import create_app

    application = create_app(rt, {"TESTING": True})
    yield application


@pytest.fixture
def client(app):
    return app.test_client()
