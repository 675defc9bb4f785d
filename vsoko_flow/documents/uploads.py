"""Checking uploaded .docx files before any parser sees them.

python-docx decompresses whole zip members and parses XML with huge_tree: a zip bomb or a
DOCTYPE entity trick would go straight through. So the zip is inspected first.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_MEMBERS = 1000  # a workbook with many sheets has many parts
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_RATIO = 100
_DOCTYPE = re.compile(rb"<!\s*DOCTYPE", re.IGNORECASE)


class UploadError(ValueError):
    """The file is refused; the message is for the user."""


@dataclass(frozen=True)
class OfficeFormat:
    """What a real file of the format has, and how messages name it."""

    main_part: str      # «word/document.xml»
    name: str           # «документ Word (.docx)»
    extension: str      # «.docx»
    whole: str          # «документа» — as in «нет основной части документа»


DOCX = OfficeFormat("word/document.xml", "документ Word (.docx)", ".docx", "документа")
XLSX = OfficeFormat("xl/workbook.xml", "книга Excel (.xlsx)", ".xlsx", "книги")


def check_office_zip(data: bytes, office: OfficeFormat, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Refuse what is not a safe Office file before any parser opens it."""
    if len(data) > max_bytes:
        raise UploadError(f"Файл больше {max_bytes // (1024 * 1024)} МБ")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadError(f"Это не {office.name}: файл не открывается как {office.extension}") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise UploadError(f"В файле слишком много частей: это не похоже на обычный {office.name}")
        if office.main_part not in archive.namelist():
            raise UploadError(f"Это не {office.name}: нет основной части {office.whole}")
        total = 0
        for member in members:
            name = member.filename
            if name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name):
                raise UploadError("Файл содержит недопустимые пути внутри архива")
            total += member.file_size
            if total > MAX_UNCOMPRESSED or member.file_size > MAX_RATIO * max(member.compress_size, 1) + 1_000_000:
                raise UploadError("Файл после распаковки слишком велик (похоже на «zip-бомбу»)")
        for member in members:
            if member.filename.endswith((".xml", ".rels", ".vml")) and _DOCTYPE.search(archive.read(member)):
                raise UploadError("Файл содержит объявление DOCTYPE — такие документы не принимаются")


def check_docx(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    check_office_zip(data, DOCX, max_bytes)


def docx_paragraph_lines(data: bytes) -> list[str]:
    """The text of a checked .docx, paragraph by paragraph (tables row by row)."""
    from docx import Document

    check_docx(data)
    document = Document(io.BytesIO(data))
    return [paragraph.text for paragraph in document.paragraphs]
