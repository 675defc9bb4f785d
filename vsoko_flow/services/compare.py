"""Comparing two editions of an act section by section, word by word.

Sections are matched by their number («1.2.»); inside a matched pair the words that were
inserted or deleted are marked. The diff itself is pure (plain values in, plain values out);
`compare_editions` only loads the two editions through the organisation check.
"""
from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from .access import artefact_for
from .runtime import Runtime

# Words, runs of spaces and single punctuation marks: whitespace is kept so the text reads as written.
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")

EQUAL, INSERT, DELETE = "equal", "insert", "delete"
SAME, CHANGED, ADDED, REMOVED = "same", "changed", "added", "removed"


@dataclass(frozen=True)
class Piece:
    """A run of text that is unchanged, inserted into the new edition, or deleted from the old one."""

    op: str
    text: str


@dataclass(frozen=True)
class SectionDiff:
    number: str
    status: str
    pieces: tuple[Piece, ...]

    @property
    def level(self) -> int:
        return self.number.strip(".").count(".") + 1


@dataclass(frozen=True)
class EditionDiff:
    sections: tuple[SectionDiff, ...]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def has_changes(self) -> bool:
        return any(self.counts.get(status) for status in (CHANGED, ADDED, REMOVED))


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def diff_words(old: str, new: str) -> tuple[Piece, ...]:
    """The new text with deleted and inserted words marked; neighbouring pieces of one kind merged."""
    a, b = tokens(old), tokens(new)
    pieces: list[Piece] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            _append(pieces, EQUAL, "".join(a[i1:i2]))
            continue
        if op in ("delete", "replace"):
            _append(pieces, DELETE, "".join(a[i1:i2]))
        if op in ("insert", "replace"):
            _append(pieces, INSERT, "".join(b[j1:j2]))
    return tuple(_absorb_lone_spaces(pieces))


def _append(pieces: list[Piece], op: str, text: str) -> None:
    if not text:
        return
    if pieces and pieces[-1].op == op:
        pieces[-1] = Piece(op, pieces[-1].text + text)
    else:
        pieces.append(Piece(op, text))


def _absorb_lone_spaces(pieces: list[Piece]) -> list[Piece]:
    """«<del>a</del> <ins>b</ins> <del>c</del>» reads badly: a space alone between changes joins them."""
    result: list[Piece] = []
    for i, piece in enumerate(pieces):
        lone_space = (piece.op == EQUAL and not piece.text.strip() and 0 < i < len(pieces) - 1
                      and pieces[i - 1].op != EQUAL and pieces[i + 1].op != EQUAL)
        if lone_space:
            for op in (DELETE, INSERT):
                result.append(Piece(op, piece.text))
        else:
            result.append(piece)
    merged: list[Piece] = []
    # Order inside a changed stretch: everything deleted, then everything inserted.
    stretch: dict[str, str] = {DELETE: "", INSERT: ""}
    for piece in result + [Piece(EQUAL, "")]:
        if piece.op == EQUAL:
            for op in (DELETE, INSERT):
                _append(merged, op, stretch[op])
            stretch = {DELETE: "", INSERT: ""}
            _append(merged, EQUAL, piece.text)
        else:
            stretch[piece.op] += piece.text
    return merged


def _keyed(sections: Iterable[tuple[str, str]]) -> list[tuple[tuple[str, int], str]]:
    """Key each section by (number, occurrence): a text may repeat a number by mistake."""
    seen: dict[str, int] = defaultdict(int)
    keyed = []
    for number, text in sections:
        keyed.append(((number, seen[number]), text))
        seen[number] += 1
    return keyed


def diff_sections(old: Iterable[tuple[str, str]], new: Iterable[tuple[str, str]]) -> EditionDiff:
    """Sections of the new edition in order, each compared with the old section of the same number.

    A section that exists only in the old edition is shown as removed right after the
    section that preceded it there.
    """
    old_keyed, new_keyed = _keyed(old), _keyed(new)
    old_by_key = dict(old_keyed)
    new_keys = {key for key, _ in new_keyed}
    removed_after: dict[tuple[str, int] | None, list[SectionDiff]] = defaultdict(list)
    anchor: tuple[str, int] | None = None
    for key, text in old_keyed:
        if key in new_keys:
            anchor = key
        else:
            removed_after[anchor].append(SectionDiff(key[0], REMOVED, (Piece(DELETE, text),)))
    result: list[SectionDiff] = list(removed_after[None])
    for key, text in new_keyed:
        if key not in old_by_key:
            result.append(SectionDiff(key[0], ADDED, (Piece(INSERT, text),)))
        elif old_by_key[key] == text:
            result.append(SectionDiff(key[0], SAME, (Piece(EQUAL, text),)))
        else:
            result.append(SectionDiff(key[0], CHANGED, diff_words(old_by_key[key], text)))
        result.extend(removed_after[key])
    counts = {status: sum(1 for s in result if s.status == status) for status in (SAME, CHANGED, ADDED, REMOVED)}
    return EditionDiff(sections=tuple(result), counts=counts)


def compare_editions(rt: Runtime, artefact_id: int, other_id: int, user_id: int | None) -> dict[str, Any]:
    """Compare `other_id` (the older edition) with `artefact_id` (the newer), both visible to the user."""
    with rt.sessions() as session:
        new, _ = artefact_for(session, user_id, artefact_id)
        old, _ = artefact_for(session, user_id, other_id)
        editions = {}
        for role, artefact in (("new", new), ("old", old)):
            definition = rt.definition(artefact.kind)
            editions[role] = {"id": artefact.id, "title": artefact.title, "state": artefact.state,
                              "state_label": definition.state_label(artefact.state),
                              "school_year": artefact.school_year, "supersedes_id": artefact.supersedes_id,
                              "fields": dict(artefact.fields or {})}
        diff = diff_sections([(s.number, s.text) for s in old.sections], [(s.number, s.text) for s in new.sections])
        return {"new": editions["new"], "old": editions["old"], "diff": diff}
