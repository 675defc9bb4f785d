"""`vsoko verify` reads the store as streams: a fixed number of statements whatever its size, and a
progress bar when it runs on a terminal."""
from __future__ import annotations

import os
import pty
import re
import subprocess

from sqlalchemy import event, func, select

from vsoko_flow.models import HistoryEntry
from vsoko_flow.services.verify import verify_store

from .flows import take_to_force
from .test_cli import VSOKO
from .test_query_counts import seed_artefacts


def verify_statements(rt) -> tuple[int, object]:
    counter = {"n": 0}

    def count(*_args) -> None:
        counter["n"] += 1

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        report = verify_store(rt)
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)
    return counter["n"], report


def test_verify_statement_count_does_not_grow_with_the_store(rt, school):
    take_to_force(rt, school)
    small, small_report = verify_statements(rt)
    seed_artefacts(rt, school, 600)
    large, large_report = verify_statements(rt)
    # The act, and the council meeting it was adopted at (an adoption is a question of a meeting).
    assert (small_report.artefacts, large_report.artefacts) == (2, 602)
    assert large_report.entries == small_report.entries + 600
    assert large == small <= 15


def test_progress_bar_on_a_terminal(rt, settings, school):
    take_to_force(rt, school)
    take_to_force(rt, school, title="Положение о внутренней системе оценки качества образования (вторая)")
    env = {**os.environ, "VSOKO_DATABASE_URL": settings.database_url,
           "VSOKO_INSTANCE_DIR": str(settings.instance_dir), "VSOKO_WORKFLOWS_DIR": str(settings.workflows_dir),
           "VSOKO_TEMPLATES_DIR": str(settings.templates_dir), "VSOKO_BASE_URL": settings.base_url}
    leader, follower = pty.openpty()
    process = subprocess.Popen([str(VSOKO), "verify"], stdout=subprocess.PIPE, stderr=follower, env=env, text=True)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal is closed when the command ends
            break
        if not chunk:
            break
        shown += chunk
    stdout, _ = process.communicate(timeout=60)
    os.close(leader)
    assert process.returncode == 0
    with rt.sessions() as session:
        entries = session.scalar(select(func.count()).select_from(HistoryEntry))
    assert entries > 14  # two acts through their lives, the meetings they were adopted at
    assert re.match(rf"Целостность подтверждена: \d+ документ\w*, {entries} запис\w+ истории", stdout), stdout
    terminal = shown.decode()
    assert "Проверка истории" in terminal and f"{entries}/{entries}" in terminal
