"""Anchor files: the heads of every history chain and the SHA-256 of every uploaded template,
written outside the database so that a chain recomputed after tampering — consistent in itself —
is still caught (`vsoko verify --anchor FILE` writes, `vsoko verify --against FILE` checks).

The file is append-only: each run adds a block, the newest block is the one checked. A block:

    vsoko-anchor 1 2026-12-04T22:40:00Z
    head <artefact id> <sequence> <hash>          (in artefact order)
    template <id> <sha256>
    end <SHA-256 of the block's lines above, each with its newline>

The `end` digest is printed for the operator to keep elsewhere (or mail): a block edited in the
file no longer matches it. Reading and writing stream the lines: memory does not grow with them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .errors import ServiceError
from .runtime import Runtime
from .verify import VerifyReport, verify_store

MAGIC = "vsoko-anchor 1"


class AnchorError(ServiceError):
    status = 422
    code = "bad_anchor"


@dataclass(frozen=True)
class AnchorWritten:
    report: VerifyReport
    heads: int
    templates: int
    digest: str


@dataclass(frozen=True)
class Anchor:
    """The newest block of an anchor file: where it starts, when it was written, its digest."""

    path: Path
    offset: int
    written_at: str
    digest: str

    def heads(self) -> Iterator[tuple[int, int, str]]:
        for kind, fields in _lines_from(self.path, self.offset):
            if kind == "head":
                yield _parsed(fields, (int, int, str))

    def templates(self) -> dict[int, str]:
        return dict(_parsed(fields, (int, str)) for kind, fields in _lines_from(self.path, self.offset)
                    if kind == "template")


def _parsed(fields: list[str], types: tuple) -> tuple:
    if len(fields) != len(types):
        raise AnchorError(f"Файл якоря повреждён: строка «{' '.join(fields)}»")
    try:
        return tuple(kind(value) for kind, value in zip(types, fields))
    except ValueError:
        raise AnchorError(f"Файл якоря повреждён: строка «{' '.join(fields)}»") from None


def _lines_from(path: Path, offset: int) -> Iterator[tuple[str, list[str]]]:
    with path.open("rb") as file:
        file.seek(offset)
        file.readline()  # the block's first line
        for raw in file:
            kind, *fields = raw.decode("utf-8", errors="replace").split() or [""]
            if kind == "end":
                return
            yield kind, fields


def read_anchor(path: Path) -> Anchor:
    """The newest block of the file, its digest checked; AnchorError with a Russian message if not."""
    if not path.is_file():
        raise AnchorError(f"Файл якоря «{path}» не найден")
    try:
        return _newest_block(path)
    except OSError as exc:
        raise AnchorError(f"Файл якоря «{path}» не прочитан: {exc.strerror}") from None


def _newest_block(path: Path) -> Anchor:
    start, written_at, digest, running, offset = None, "", None, None, 0
    with path.open("rb") as file:
        for raw in file:
            line = raw.decode("utf-8", errors="replace")
            if line.startswith(MAGIC + " "):
                start, written_at, digest, running = offset, line.split()[-1], None, hashlib.sha256()
            if running is not None:
                if line.startswith("end"):
                    claimed = (line.split() + [""])[1]
                    digest = claimed if running.hexdigest() == claimed else "mismatch"
                    running = None
                else:
                    running.update(raw)
            offset += len(raw)
    if start is None:
        raise AnchorError(f"В файле «{path}» нет ни одного якоря")
    if digest is None:
        raise AnchorError(f"Последний якорь в файле «{path}» не дописан (нет строки end)")
    if digest == "mismatch":
        raise AnchorError(f"Последний якорь в файле «{path}» изменён: его контрольная сумма не совпадает")
    return Anchor(path, start, written_at, digest)


def verify_and_anchor(rt: Runtime, path: Path, against: Anchor | None = None, progress=None) -> AnchorWritten:  # noqa: ANN001
    """Verify the store (against an earlier anchor, if given) and, when it is intact, append a new
    block with its current heads to `path`. Nothing is appended when anything is wrong."""
    if not path.parent.is_dir():
        raise AnchorError(f"Папка «{path.parent}» для файла якоря не существует")
    if path.exists() and not path.is_file():
        raise AnchorError(f"«{path}» — не файл: укажите файл якоря")
    counts = {"heads": 0, "templates": 0}
    running = hashlib.sha256()
    with tempfile.NamedTemporaryFile("wb", delete=False, dir=path.parent, prefix=".vsoko-anchor-") as draft:
        def put(line: str) -> None:
            data = (line + "\n").encode("utf-8")
            running.update(data)
            draft.write(data)

        def head_out(head: tuple[int, int, str]) -> None:
            counts["heads"] += 1
            put(f"head {head[0]} {head[1]} {head[2]}")

        def template_out(template_id: int, sha256: str) -> None:
            counts["templates"] += 1
            put(f"template {template_id} {sha256}")

        put(f"{MAGIC} {dt.datetime.now(dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}")
        report = verify_store(rt, progress=progress, anchored=against.heads() if against else None,
                              anchored_templates=against.templates() if against else None,
                              heads_out=head_out, templates_out=template_out)
        digest = running.hexdigest()
        draft.write(f"end {digest}\n".encode())
    try:
        if report.ok:
            with Path(draft.name).open("rb") as block, path.open("ab") as target:
                while chunk := block.read(1 << 20):
                    target.write(chunk)
                target.flush()
                os.fsync(target.fileno())
    finally:
        os.unlink(draft.name)
    return AnchorWritten(report, counts["heads"], counts["templates"], digest)


def verify_against(rt: Runtime, anchor: Anchor, progress=None) -> VerifyReport:  # noqa: ANN001
    return verify_store(rt, progress=progress, anchored=anchor.heads(), anchored_templates=anchor.templates())
