"""Running work on hostile files in a separate process with memory, CPU, time and output limits.

An uploaded template or table can be built to exhaust a worker: a merged range that a reader
expands into billions of cells, chained `replace` filters, a loop of 10⁸ iterations. Static
checks catch the known tricks; this is the net under them. The work runs in a child process
that cannot add more than `Limits.memory_mb` to the address space it starts with (whatever the
host process had imported) nor use more than `Limits.cpu_seconds` of CPU,
is killed after `Limits.wall_seconds`, and may hand back at most `Limits.output_mb`; whatever it
does, the worker that asked stays alive and small, and gets `LimitExceeded` naming the limit.

Children come from multiprocessing's fork server: a clean process started once per worker
(forking the worker itself would copy its memory and any lock another thread holds) with the
document libraries already imported, so a child costs about 10 ms.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import resource
import signal
import threading
from dataclasses import dataclass
from typing import Any, Callable

# Imported once by the fork server, so that children start with them loaded.
_PRELOAD = ["__main__", "vsoko_flow.documents.render", "vsoko_flow.imports.tables",
            "vsoko_flow.services.template_upload"]
_EXIT_OUT_OF_MEMORY = 71
_MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    # What the work may add to the child's address space (see _child_main), libraries it loads included.
    memory_mb: int = 256
    cpu_seconds: int = 5       # a shipped template renders in 0.05 s
    # The CPU limit is what stops a runaway render; this one stops a child that waits on nothing.
    # Generous, because 5 s of CPU can take many more on a busy machine — and below gunicorn's
    # --timeout (README «Deployment» runs it with 60), so that the worker answers first.
    wall_seconds: float = 40.0
    output_mb: int = 20        # the pickled result handed back

    def describe(self, kind: str) -> str:
        """The limit in Russian, as a refusal names it."""
        return {
            "memory": f"не более {self.memory_mb} МБ памяти",
            "cpu": f"не более {self.cpu_seconds} с процессорного времени",
            "time": f"не более {self.wall_seconds:g} с",
            "output": f"результат не более {self.output_mb} МБ",
        }[kind]


DEFAULT_LIMITS = Limits()


class LimitExceeded(Exception):
    """The work did not fit in a limit; `limit` is memory, cpu, time or output."""

    def __init__(self, limit: str, limits: Limits):
        self.limit = limit
        self.description = limits.describe(limit)
        super().__init__(self.description)


_context_lock = threading.Lock()
_context = None


def _fork_server():
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            _context = context
        return _context


def run_limited(function: Callable[..., Any], *args: Any, limits: Limits = DEFAULT_LIMITS) -> Any:
    """`function(*args)` in a limited child; its result, or its exception raised here.

    `function` must be a module-level function; arguments and result are pickled. Raises
    LimitExceeded when the child ran out of memory, CPU or time, or its result is too large.
    """
    context = _fork_server()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(sender, limits, function, args), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(limits.wall_seconds):
            raise LimitExceeded("time", limits)
        try:
            payload = receiver.recv_bytes(maxlength=limits.output_mb * _MB + 4096)
        except EOFError:  # the child died without a word: killed by a limit
            child.join(5)
            raise LimitExceeded(_limit_of_exit(child.exitcode), limits) from None
        except OSError:  # longer than maxlength
            raise LimitExceeded("output", limits) from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    status, value = pickle.loads(payload)
    if status == "limit":
        raise LimitExceeded(value, limits)
    if status == "error":
        raise value
    return value


def _limit_of_exit(exitcode: int | None) -> str:
    if exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
        return "cpu"
    return "memory"  # MemoryError, or a library that could not allocate and aborted


def _address_space_now() -> int:
    """The address space this process already has, in bytes (0 where /proc cannot tell).

    The limit is counted on top of it: a child starts with the fork server's mappings, which are
    whatever the host's main script imported — ~70 MB under gunicorn, but ~250 MB under the `vsoko`
    console script (matplotlib, and numpy's BLAS reserving buffers it never touches). An absolute
    limit left such a child no room at all, and it refused every template, even the shipped one."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _child_main(sender, limits: Limits, function: Callable[..., Any], args: tuple) -> None:  # noqa: ANN001
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 2))
    address_space = _address_space_now() + limits.memory_mb * _MB
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    try:
        result: tuple[str, Any] = ("ok", function(*args))
    except MemoryError:
        result = ("limit", "memory")
    except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
        result = ("error", exc)
    try:
        payload = pickle.dumps(result)
    except MemoryError:
        os._exit(_EXIT_OUT_OF_MEMORY)
    except Exception as exc:  # noqa: BLE001 - an exception that does not pickle
        payload = pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    if len(payload) > limits.output_mb * _MB:
        payload = pickle.dumps(("limit", "output"))
    try:
        sender.send_bytes(payload)
    except MemoryError:
        os._exit(_EXIT_OUT_OF_MEMORY)
    sender.close()
