"""The printed copy of a signed document: the stored .docx with the marks of the signatures made.

A stored document never changes — its bytes are what was signed. The mark of a signature
(ГОСТ Р 7.0.97-2025, «отметка об электронной подписи») goes on a copy made for showing and
printing: the template marks each place of signature with a bookmark ``vsoko_sign_<name>`` (see
tools/build_templates.py), and the mark replaces that paragraph — an empty line, or the line
for a handwritten signature. A document from a template without the bookmark (a school's own)
gets its marks after the text. Only the main part changes; every other part of the package, and
each part's place and timestamp in the zip, stays as stored, so the same marks give the same bytes.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass

from lxml import etree

from .russian import date_digits

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MAIN_PART = "word/document.xml"
BOOKMARK_PREFIX = "vsoko_sign_"
FONT = "Times New Roman"
MARK_HALF_POINTS = 20        # 10 pt, as the marks of the templates
MARK_INDENT_TWIPS = 85       # 1.5 mm inside the frame's edges

SIMPLE_HEADING = "Подписано простой электронной подписью"
QUALIFIED_HEADING = "ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ"


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


@dataclass(frozen=True)
class Mark:
    """The mark of one signature: where it goes (the signatory's name) and what it says."""

    slot: str
    capacity: str
    lines: tuple[str, ...]


def simple_mark(slot: str, capacity: str, signer_name: str, signed_at: dt.datetime) -> Mark:
    """«Подписано простой электронной подписью», the signer, the date and time (63-ФЗ ст. 9)."""
    offset = signed_at.utcoffset() or dt.timedelta()
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    zone = f"UTC{hours:+d}" + (f":{abs(rest) // 60:02d}" if rest else "")
    return Mark(slot, capacity, (SIMPLE_HEADING, signer_name,
                                 f"{date_digits(signed_at.date())} {signed_at:%H:%M} ({zone})"))


def qualified_mark(slot: str, capacity: str, serial: str, owner: str, valid_from: dt.date,
                   valid_to: dt.date) -> Mark:
    """The mark of a verified qualified signature: certificate, owner, validity."""
    return Mark(slot, capacity, (QUALIFIED_HEADING, f"Сертификат: {serial}", f"Владелец: {owner}",
                                 f"Действителен: с {date_digits(valid_from)} по {date_digits(valid_to)}"))


def with_marks(docx: bytes, marks: list[Mark]) -> bytes:
    """The copy for showing and printing; the stored bytes themselves when there is no mark."""
    if not marks:
        return docx
    with zipfile.ZipFile(io.BytesIO(docx)) as source:
        root = etree.fromstring(source.read(MAIN_PART))
        body = root.find(_w("body"))
        for mark in marks:
            _place(body, mark)
        main = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                target.writestr(info, main if info.filename == MAIN_PART else source.read(info.filename))
    return out.getvalue()


def _place(body: etree._Element, mark: Mark) -> None:
    paragraphs = [_paragraph(text, first=i == 0, last=i == len(mark.lines) - 1) for i, text in enumerate(mark.lines)]
    anchor = _anchor(body, mark.slot)
    if anchor is None:
        # A template without the place: the mark after the text, under the signer's capacity.
        paragraphs.insert(0, _paragraph(f"{mark.capacity}:", plain=True))
        section = body.find(_w("sectPr"))
        for paragraph in paragraphs:
            if section is not None:
                section.addprevious(paragraph)
            else:
                body.append(paragraph)
        return
    # The bookmark moves into the mark, which takes the place of the anchor paragraph.
    for index, bookmark in enumerate(list(anchor.iterchildren(_w("bookmarkStart"), _w("bookmarkEnd"))), start=1):
        paragraphs[0].insert(index, bookmark)
    for paragraph in paragraphs:
        anchor.addprevious(paragraph)
    anchor.getparent().remove(anchor)


def _anchor(body: etree._Element, slot: str) -> etree._Element | None:
    found = body.xpath(".//w:bookmarkStart[@w:name=$name]", namespaces={"w": W}, name=BOOKMARK_PREFIX + slot)
    if not found:
        return None
    parent = found[0].getparent()
    return parent if parent.tag == _w("p") else None


def _paragraph(text: str, *, first: bool = False, last: bool = True, plain: bool = False) -> etree._Element:
    """A line of the mark: consecutive boxed paragraphs make one frame, kept together on a page."""
    p = etree.Element(_w("p"))
    properties = etree.SubElement(p, _w("pPr"))
    if not last:
        etree.SubElement(properties, _w("keepNext"))
    etree.SubElement(properties, _w("keepLines"))
    if not plain:
        borders = etree.SubElement(properties, _w("pBdr"))
        for edge in ("top", "left", "bottom", "right"):
            etree.SubElement(borders, _w(edge), {_w("val"): "single", _w("sz"): "6", _w("space"): "2",
                                                 _w("color"): "000000"})
    etree.SubElement(properties, _w("spacing"), {_w("before"): "120" if plain else "0", _w("after"): "0"})
    if not plain:
        etree.SubElement(properties, _w("ind"), {_w("left"): str(MARK_INDENT_TWIPS),
                                                 _w("right"): str(MARK_INDENT_TWIPS)})
    etree.SubElement(properties, _w("jc"), {_w("val"): "center" if first and not plain else "left"})
    etree.SubElement(properties, _w("rPr")).extend(_size())
    run = etree.SubElement(p, _w("r"))
    run_properties = etree.SubElement(run, _w("rPr"))
    etree.SubElement(run_properties, _w("rFonts"), {_w(a): FONT for a in ("ascii", "hAnsi", "cs", "eastAsia")})
    if first and not plain:
        etree.SubElement(run_properties, _w("b"))
    run_properties.extend(_size())
    t = etree.SubElement(run, _w("t"))
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return p


def _size() -> list[etree._Element]:
    return [etree.Element(_w(tag), {_w("val"): str(MARK_HALF_POINTS)}) for tag in ("sz", "szCs")]
