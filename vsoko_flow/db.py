"""Database engine and sessions for SQLite (default) and PostgreSQL.

SQLite gets WAL, foreign keys and a busy timeout, and every transaction starts
with BEGIN IMMEDIATE: a transition reads and then writes, and a deferred
transaction would fail with «database is locked» when two writers meet.

PostgreSQL gets a connect timeout and a statement timeout (VSOKO_DB_CONNECT_TIMEOUT,
VSOKO_DB_STATEMENT_TIMEOUT, in seconds): a database that does not answer costs a worker
seconds, not the whole time until gunicorn kills it, and `/healthz` can say so.
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Iterable, Iterator

import orjson
from sqlalchemy import JSON, Table, create_engine, event, func, insert, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_S = 30  # the longest single statement of a request (a row lock wait included)


# An integer beyond 64 bits, which orjson would read as a float, has 19 digits or more in a row. A
# byte translation finds such a run ten times faster than a regular expression (which took longer
# than the parsing itself): digits become 0, everything else 1.
_DIGITS_AS_ZERO = bytes(0 if chr(code).isdigit() and code < 128 else 1 for code in range(256))
_LONG_NUMBER = bytes(19)


def json_value(data: str | bytes | memoryview) -> object:
    """A JSON column's value as Python: orjson (a 2 000-row plan's approval reads 20 000 JSON values,
    four times faster), the standard library where orjson reads otherwise or refuses (integers
    beyond 64 bits; NaN, lone surrogates), so that anything stored reads back as before."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    if len(raw) >= len(_LONG_NUMBER) and _LONG_NUMBER in raw.translate(_DIGITS_AS_ZERO):
        return json.loads(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def json_text(value: object) -> str:
    """JSON text of a value written in bulk (insert_rows): orjson, or the standard library for what
    orjson would write differently or refuses (dates and other non-JSON types raise there, as the
    ORM's own serializer does; keys that are not strings; integers beyond 64 bits)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS).decode()
    except TypeError:
        return json.dumps(value)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001 - DB-API types
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()
        # SQLite's lower() knows only Latin letters; searches in Russian need Python's.
        dbapi_connection.create_function("unicode_lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # noqa: ANN001
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def lowered(session: Session, column):  # noqa: ANN001 - a column expression
    """The column in lower case, Russian letters included, on both databases."""
    return func.unicode_lower(column) if session.get_bind().dialect.name == "sqlite" else func.lower(column)


def contains_text(session: Session, column, text: str):  # noqa: ANN001 - a column expression
    """Case-insensitive «contains» for Russian text on both databases; % and _ are literal."""
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return lowered(session, column).like(pattern, escape="\\")


def make_engine(url: str, *, statement_timeout_s: float | None = None, **kwargs) -> Engine:
    """An engine for `url`; `statement_timeout_s` 0 means no limit (migrations)."""
    parsed = make_url(url)
    kwargs.setdefault("json_deserializer", json_value)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {**_postgresql_timeouts(statement_timeout_s), **kwargs.get("connect_args", {})}
    return create_engine(url, **kwargs)


def _postgresql_timeouts(statement_timeout_s: float | None) -> dict:
    if statement_timeout_s is None:
        statement_timeout_s = float(os.environ.get("VSOKO_DB_STATEMENT_TIMEOUT", STATEMENT_TIMEOUT_S))
    connect = float(os.environ.get("VSOKO_DB_CONNECT_TIMEOUT", CONNECT_TIMEOUT_S))
    return {"connect_timeout": max(1, round(connect)),
            "options": f"-c statement_timeout={round(statement_timeout_s * 1000)}"}


def reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """`count` fresh primary keys of `table`, in one statement, so that many rows can be inserted
    in one batch without RETURNING (which SQLite can only do row by row when the order matters).

    PostgreSQL draws them from the column's sequence; SQLite continues after the largest id, which
    is safe because every write transaction holds SQLite's write lock from BEGIN IMMEDIATE."""
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
            {"table": table.name, "count": count}))
    start = session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    return list(range(start + 1, start + 1 + count))


def insert_rows(session: Session, table: Table, rows: Iterable[dict]) -> None:
    """Many new rows of `table` in the session's transaction; every row names the same columns,
    JSON columns take Python values.

    PostgreSQL gets them as one COPY stream — for the 12 000 rows a year's plan puts on control,
    a third faster than the batched INSERT, which PostgreSQL parses and executes row by row. The
    stream goes out in pieces as rows are written, so `rows` may be a generator that computes each
    row (a hash, say) while the database stores the ones before it: the work overlaps instead of
    adding up. Other databases get one batched INSERT. Statement counters and loggers see the COPY
    like any other statement (the engine's cursor events are fired for it, without parameters)."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), [first, *rows])
        return
    columns = list(first)
    as_json = [isinstance(table.c[name].type, JSON) for name in columns]
    quoted = ", ".join(f'"{name}"' for name in columns)
    statement = f'COPY "{table.name}" ({quoted}) FROM STDIN'
    connection = session.connection()
    cursor = connection.connection.dbapi_connection.cursor()
    connection.dispatch.before_cursor_execute(connection, cursor, statement, (), None, True)
    with cursor.copy(statement) as copy:
        for row in chain([first], rows):
            copy.write_row([json_text(row[name]) if is_json else row[name]
                            for name, is_json in zip(columns, as_json)])
    connection.dispatch.after_cursor_execute(connection, cursor, statement, (), None, True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with factory() as session:
        with session.begin():
            yield session
