"""The limited process: whatever the work does, the caller gets its result, its exception, or
LimitExceeded naming the limit — and stays alive."""
from __future__ import annotations

import time

import pytest

from vsoko_flow.documents.sandbox import LimitExceeded, Limits, run_limited
from vsoko_flow.services.errors import Unprocessable

from . import sandbox_work

SMALL = Limits(memory_mb=200, cpu_seconds=1, wall_seconds=3, output_mb=1)
# A second of CPU may take many seconds of a machine shared by many processes.
PATIENT = Limits(memory_mb=200, cpu_seconds=1, wall_seconds=60, output_mb=1)


@pytest.mark.parametrize("work, limits, limit, description", [
    (sandbox_work.grow_forever, PATIENT, "memory", "не более 200 МБ памяти"),
    (sandbox_work.spin_forever, PATIENT, "cpu", "не более 1 с процессорного времени"),
    (sandbox_work.sleep_forever, SMALL, "time", "не более 3 с"),
    (sandbox_work.large_result, PATIENT, "output", "результат не более 1 МБ"),
])
def test_work_over_a_limit_is_stopped_and_the_limit_named(work, limits, limit, description):
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as exceeded:
        run_limited(work, limits=limits)
    assert (exceeded.value.limit, exceeded.value.description) == (limit, description)
    assert time.monotonic() - started < limits.wall_seconds + 5
    assert run_limited(sandbox_work.add, 2, 3, limits=SMALL) == 5  # and the next work runs as usual


def test_an_exception_of_the_work_is_raised_with_its_details():
    with pytest.raises(Unprocessable) as refused:
        run_limited(sandbox_work.refuse)
    assert (refused.value.message, refused.value.details) == ("Отказ с подробностями", {"limit": "пример"})
