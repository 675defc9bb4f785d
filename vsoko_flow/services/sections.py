"""The body of an act as numbered sections («1.», «1.1.», …), parsed from plain text or .docx.

Typed text must start with a numbered line. A file (.docx from Word, or .txt) is read as a school
writes it: the title and grifs above «1. Общие положения» are left out (the system prints its own),
Word's automatic numbering is read as the numbers it shows, and numbers out of order are pointed out
in the preview.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..documents.uploads import MAX_UPLOAD_BYTES, UploadError, docx_numbered_lines
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


@dataclass
class ParsedDocument:
    """An act's text read from a file: its sections, the lines above the first section (not kept) and
    what a person should look at before saving."""

    sections: list[ParsedSection]
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"sections": [{"number": s.number, "text": s.text} for s in self.sections],
                "skipped": list(self.skipped), "warnings": list(self.warnings)}


TEXT_FILE_TYPES = (".docx", ".txt")


def read_text_file(data: bytes, file_name: str) -> ParsedDocument:
    """The act's text from a Word .docx or a plain .txt (UTF-8 or Windows-1251); Unprocessable with a
    Russian message for anything else."""
    extension = file_name.lower().rsplit(".", 1)[-1] if "." in file_name else ""
    if len(data) > MAX_UPLOAD_BYTES:
        raise Unprocessable(f"Файл больше {MAX_UPLOAD_BYTES // (1024 * 1024)} МБ")
    notes = []
    if extension == "docx":
        try:
            lines, tables = docx_numbered_lines(data)
        except UploadError as error:
            raise Unprocessable(str(error)) from None
        if tables:
            notes.append(f"Таблиц в файле: {tables} — они не входят в текст (план загружается отдельно, "
                         "как план функционирования ВСОКО)")
    elif extension == "txt":
        lines = _decoded(data).splitlines()
    else:
        raise Unprocessable("Загрузите текст как документ Word (.docx) или обычный текст (.txt)")
    parsed = parse_document(lines)
    parsed.warnings = notes + parsed.warnings
    return parsed


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251")


def parse_document(lines: list[str]) -> ParsedDocument:
    """Sections from the first numbered line on; the lines above it are the document's own title and grifs."""
    first = next((index for index, line in enumerate(lines) if _NUMBERED.match(line)), None)
    if first is None:
        raise Unprocessable("В файле нет ни одного раздела с номером вида «1. Общие положения»: если разделы "
                            "пронумерованы в Word автоматически списком с буквами или маркерами, замените их "
                            "цифрами")
    skipped = [" ".join(line.split()) for line in lines[:first] if line.strip()]
    sections = parse_sections("\n".join(lines[first:]))
    return ParsedDocument(sections, skipped, numbering_gaps(sections))


def _parts(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.strip(".").split("."))


def numbering_gaps(sections: list[ParsedSection]) -> list[str]:
    """«После 1.2 идёт 1.4»: a number that is neither the next at its level nor the first of a deeper one."""
    warnings = []
    previous: tuple[int, ...] = ()
    for section in sections:
        current = _parts(section.number)
        expected = {previous + (1,)} | {previous[:depth] + (previous[depth] + 1,) for depth in range(len(previous))}
        if current not in expected and (previous or current != (1,)):
            shown = ".".join(map(str, previous)) if previous else "начала текста"
            warnings.append(f"После {shown} идёт {section.number.rstrip('.')}: проверьте нумерацию разделов")
        previous = current
    return warnings
