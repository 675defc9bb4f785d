"""Checking uploaded .docx files before any parser sees them.

python-docx decompresses whole zip members and parses XML with huge_tree: a zip bomb or a
DOCTYPE entity trick would go straight through. So the zip is inspected first.
"""
from __future__ import annotations

import io
import re
import zipfile

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_MEMBERS = 500
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_RATIO = 100
_DOCTYPE = re.compile(rb"<!\s*DOCTYPE", re.IGNORECASE)


class UploadError(ValueError):
    """The file is refused; the message is for the user."""


def check_docx(data: bytes) -> None:
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError("Файл больше 10 МБ")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadError("Это не документ Word (.docx): файл не открывается как .docx") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise UploadError("В файле слишком много частей: это не похоже на обычный документ .docx")
        if "word/document.xml" not in archive.namelist():
            raise UploadError("Это не документ Word (.docx): нет основной части документа")
        total = 0
        for member in members:
            name = member.filename
            if name.startswith(("/", "\\")) or ".." in name.split("/"):
                raise UploadError("Файл содержит недопустимые пути внутри архива")
            total += member.file_size
            if total > MAX_UNCOMPRESSED or member.file_size > MAX_RATIO * max(member.compress_size, 1) + 1_000_000:
                raise UploadError("Файл после распаковки слишком велик (похоже на «zip-бомбу»)")
        for member in members:
            if member.filename.endswith((".xml", ".rels")) and _DOCTYPE.search(archive.read(member)):
                raise UploadError("Файл содержит объявление DOCTYPE — такие документы не принимаются")


def docx_paragraph_lines(data: bytes) -> list[str]:
    """The text of a checked .docx, paragraph by paragraph (tables row by row)."""
    from docx import Document

    check_docx(data)
    document = Document(io.BytesIO(data))
    return [paragraph.text for paragraph in document.paragraphs]
