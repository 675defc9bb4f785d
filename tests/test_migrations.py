"""Upgrading never loses data: a database filled at the first revision survives every migration."""
from __future__ import annotations

import datetime as dt

from alembic import command

from vsoko_flow.engine.history import GENESIS_HASH, entry_hash
from vsoko_flow.migrations import alembic_config, upgrade
from vsoko_flow.models import HistoryEntry
from vsoko_flow.services.runtime import Runtime
from vsoko_flow.services.verify import verify_store

from .conftest import POSTGRES_URL
from .flows import take_to_force

FIRST_REVISION = "f6a813dcdf16"


def test_upgrade_from_the_first_revision_keeps_every_row(settings, tmp_path, school, rt):
    if POSTGRES_URL:
        # The PostgreSQL schema is already at head (shared test database): check that running
        # the migrations again is a no-op that keeps the data.
        take_to_force(rt, school)
        upgrade(rt.settings.database_url)
        assert verify_store(rt).ok
        return
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    command.upgrade(alembic_config(url), FIRST_REVISION)
    old = Runtime.create(settings.__class__(**{**settings.__dict__, "database_url": url}))
    _fill_at_first_revision(old)
    old.close()
    upgrade(url)
    new = Runtime.create(settings.__class__(**{**settings.__dict__, "database_url": url}))
    with new.sessions() as session:
        from vsoko_flow.models import Artefact

        artefact = session.get(Artefact, 1)
        assert (artefact.title, artefact.state, artefact.parent_id, artefact.due_date) == (
            "Положение", "draft", None, None)
        assert [(s.number, s.text) for s in artefact.sections] == [("1.", "Общие положения")]
        assert artefact.organisation.short_name == "Школа"
    report = verify_store(new)  # the chain written before the upgrade still verifies, head included
    new.close()
    assert report.ok and report.entries == 1, report.problems


def _fill_at_first_revision(rt: Runtime) -> None:
    """Write rows with plain SQL of the first revision's tables (the ORM is already newer)."""
    from sqlalchemy import text

    with rt.engine.begin() as conn:
        conn.execute(text("INSERT INTO organisations (id, kind, full_name, short_name, address, city, created_at) "
                          "VALUES (1, 'school', 'Школа', 'Школа', '', '', '2025-01-01')"))
        conn.execute(text("INSERT INTO artefacts (id, kind, organisation_id, title, state, version, school_year, "
                          "fields, created_at, updated_at) VALUES (1, 'polozhenie', 1, 'Положение', 'draft', 1, "
                          "'2024/2025', '{}', '2025-01-01', '2025-01-01')"))
        conn.execute(text("INSERT INTO sections (id, artefact_id, position, number, text) "
                          "VALUES (1, 1, 0, '1.', 'Общие положения')"))
        entry = HistoryEntry(artefact_id=1, sequence=1, actor_id=None, actor_name="система",
                             at=dt.datetime(2025, 1, 1, 9, 0), trigger="create", from_state="", to_state="draft",
                             comment="", fields={}, document_hashes=[], prev_hash=GENESIS_HASH)
        entry.hash = entry_hash(entry)
        conn.execute(text("INSERT INTO history_entries (artefact_id, sequence, actor_name, at, trigger, from_state, "
                          "to_state, comment, fields, document_hashes, prev_hash, hash) VALUES (1, 1, 'система', "
                          "'2025-01-01 09:00:00.000000', 'create', '', 'draft', '', '{}', '[]', :prev, :hash)"),
                     {"prev": GENESIS_HASH, "hash": entry.hash})
