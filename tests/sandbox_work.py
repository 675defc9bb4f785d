"""Work for tests/test_sandbox.py, importable by the limited process (a module-level function each)."""
from __future__ import annotations

import time

from vsoko_flow.services.errors import Unprocessable


def grow_forever() -> None:
    blocks = []
    while True:
        blocks.append(bytearray(10 * 1024 * 1024))


def spin_forever() -> None:
    while True:
        pass


def sleep_forever() -> None:
    time.sleep(3600)


def large_result() -> bytes:
    return b"x" * (3 * 1024 * 1024)


def refuse() -> None:
    raise Unprocessable("Отказ с подробностями", details={"limit": "пример"})


def add(a: int, b: int) -> int:
    return a + b
