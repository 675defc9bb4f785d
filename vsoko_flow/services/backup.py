"""Backups: an online copy of the SQLite file; PostgreSQL is backed up with pg_dump."""
from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from .errors import ServiceError
from .runtime import Runtime


def default_backup_path(rt: Runtime) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return rt.settings.instance_dir / "backups" / f"vsoko-{stamp}.sqlite3"


def backup_sqlite(rt: Runtime, target: Path) -> Path:
    """Copy the live database page by page (sqlite3 online backup): safe while the server runs."""
    url = make_url(rt.settings.database_url)
    if url.get_backend_name() != "sqlite":
        raise ServiceError(
            "Резервная копия PostgreSQL делается средствами PostgreSQL: "
            "pg_dump --format=custom --file=vsoko.dump <адрес базы> (восстановление: pg_restore). "
            "См. README, раздел «Резервные копии».")
    if not url.database or url.database == ":memory:":
        raise ServiceError("База данных в памяти: копировать нечего")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise ServiceError(f"Файл {target} уже существует: укажите другое имя")
    source = sqlite3.connect(url.database)
    destination = sqlite3.connect(target)
    try:
        with destination:
            source.backup(destination)
    finally:
        destination.close()
        source.close()
    return target
