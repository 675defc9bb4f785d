"""The body of an act as numbered sections («1.», «1.1.», …), parsed from plain text or .docx."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import Unprocessable

_NUMBERED = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,3}){0,4})\.?\s+(\S.*)$")
MAX_SECTIONS = 2000
MAX_TEXT = 2_000_000


@dataclass(frozen=True)
class ParsedSection:
    number: str
    text: str


def parse_sections(text: str) -> list[ParsedSection]:
    """Lines starting with a number open a section; other lines continue the one before."""
    if len(text) > MAX_TEXT:
        raise Unprocessable("Текст слишком большой: не более 2 млн символов")
    sections: list[ParsedSection] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _NUMBERED.match(line)
        if match:
            sections.append(ParsedSection(number=match.group(1) + ".", text=match.group(2).strip()))
        elif sections:
            last = sections[-1]
            sections[-1] = ParsedSection(number=last.number, text=f"{last.text}\n{line.strip()}")
        else:
            raise Unprocessable(
                f"Строка {line_number}: текст должен начинаться с номера раздела, например «1. Общие положения»")
    if not sections:
        raise Unprocessable("В тексте нет ни одного раздела вида «1. Общие положения»")
    if len(sections) > MAX_SECTIONS:
        raise Unprocessable(f"Слишком много разделов: не более {MAX_SECTIONS}")
    return sections


def sections_as_text(sections) -> str:  # noqa: ANN001 - Section rows or ParsedSection
    return "\n".join(f"{s.number} {s.text}" for s in sections)
