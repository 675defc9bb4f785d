"""`vsoko backup` copies a live SQLite database that opens and verifies on its own."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest

from vsoko_flow.services.backup import backup_sqlite
from vsoko_flow.services.errors import ServiceError
from vsoko_flow.services.runtime import Runtime
from vsoko_flow.services.verify import verify_store

from .conftest import POSTGRES_URL
from .flows import take_to_force


def test_backup_of_sqlite_is_a_complete_verified_copy(rt, school, tmp_path):
    if POSTGRES_URL:
        with pytest.raises(ServiceError, match="pg_dump"):
            backup_sqlite(rt, tmp_path / "copy.sqlite3")
        return
    take_to_force(rt, school)
    copy = backup_sqlite(rt, tmp_path / "copy.sqlite3")
    copied = Runtime.create(replace(rt.settings, database_url=f"sqlite:///{copy}"))
    report = verify_store(copied)
    copied.close()
    # The act, and the council meeting it was adopted at (an adoption is a question of a meeting).
    assert report.ok and report.documents == 7 and report.artefacts == 2


def test_backup_command_refuses_to_overwrite(rt, tmp_path):
    target = tmp_path / "exists.sqlite3"
    target.write_bytes(b"")
    env = {**os.environ, "VSOKO_DATABASE_URL": rt.settings.database_url,
           "VSOKO_INSTANCE_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "vsoko_flow.cli", "backup", "--out", str(target)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("Ошибка:")
    assert "Traceback" not in result.stderr
