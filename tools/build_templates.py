"""Build the official document templates in ``document_templates/``.

Run from the project root::

    .venv/bin/python tools/build_templates.py            # (re)write document_templates/
    .venv/bin/python tools/build_templates.py --out DIR  # write elsewhere

Every template is a real .docx (python-docx) with docxtpl tags, laid out per
ГОСТ Р 7.0.97-2025: A4 (landscape for the plan table and the execution report);
margins 30 / 15 / 20 / 20 mm; Times New Roman 14 pt (12 pt in tables and grifs,
11/10 pt in the eight-column execution report), single spacing, 1.25 cm
first-line indent for body text. Beside each ``<name>.docx`` goes ``<name>.yaml`` with ``name``, ``title``,
``file_name`` and ``variables`` (the top-level context names the template uses).

The output is reproducible (fixed timestamps), so rebuilding an unchanged template
gives a byte-identical file. The .docx files are committed so that an administrator
can open and adjust them in Word or LibreOffice; the rules for editing them:
docxtpl tags ``{%p …%}`` / ``{%tr …%}`` must stay alone in their paragraph / row.
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.text.paragraph import Paragraph
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "document_templates"

FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 12
SMALL_PT = 10
FIRST_LINE = Cm(1.25)
PAGE_W, PAGE_H = Mm(210), Mm(297)
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = Mm(30), Mm(15), Mm(20), Mm(20)
TEXT_WIDTH_MM = 210 - 30 - 15  # 165 mm
FIXED_TIME = datetime(2025, 8, 18, 0, 0, 0)

ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}


# --------------------------------------------------------------------------- low level

def _new_paragraph(target):
    """A new paragraph in a document or a table cell. A new cell holds one empty
    paragraph without properties; it is reused instead of leaving a blank line."""
    if hasattr(target, "_tc"):
        paragraphs = target.paragraphs
        first = paragraphs[0]._p
        if len(paragraphs) == 1 and first.pPr is None and not first.r_lst:
            return target.paragraphs[0]
    return target.add_paragraph()


def _set_run_font(run, size: float, bold: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    r_pr = run._r.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _mark_size(paragraph, size: float) -> None:
    """Font size of the paragraph mark (matters for empty paragraphs)."""
    p_pr = paragraph._p.get_or_add_pPr()
    r_pr = p_pr.find(qn("w:rPr"))
    if r_pr is None:
        r_pr = OxmlElement("w:rPr")
        p_pr.append(r_pr)
    for tag in ("w:sz", "w:szCs"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), str(int(size * 2)))
        r_pr.append(el)


def par(
    target,
    text: str | list[tuple[str, bool]] = "",
    *,
    align: str = "left",
    bold: bool = False,
    size: float = BODY_PT,
    indent: bool = False,
    before: float = 0,
    after: float = 0,
    keep_next: bool = False,
    keep_together: bool = False,
    left_indent: float | None = None,
    right_indent: float | None = None,
):
    """Add a paragraph. *text* is a string or a list of (text, bold) runs."""
    p = _new_paragraph(target)
    fmt = p.paragraph_format
    fmt.alignment = ALIGN[align]
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = 1.0
    fmt.first_line_indent = FIRST_LINE if indent else Cm(0)
    if left_indent is not None:
        fmt.left_indent = Mm(left_indent)
    if right_indent is not None:
        fmt.right_indent = Mm(right_indent)
    if keep_next:
        fmt.keep_with_next = True
    if keep_together:
        fmt.keep_together = True
    runs = [(text, bold)] if isinstance(text, str) else text
    for chunk, chunk_bold in runs:
        if chunk:
            _set_run_font(p.add_run(chunk), size, chunk_bold)
    _mark_size(p, size)
    return p


# A paragraph style for the text of long tables: Times New Roman 12 pt, single spacing, no indent.
# A plan's table repeats its cell paragraph for every line of every row (2 000 rows, ~10 000
# lines): in a style, each line is a style reference instead of its full paragraph and run
# properties, and an administrator changes the look of every cell in one place in Word.
TABLE_TEXT_STYLE = "TableText"
TABLE_TEXT_STYLE_NAME = "Текст таблицы"


def add_table_text_style(doc) -> None:
    style = doc.styles.add_style(TABLE_TEXT_STYLE_NAME, WD_STYLE_TYPE.PARAGRAPH)
    style.element.set(qn("w:styleId"), TABLE_TEXT_STYLE)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    style.font.size = Pt(TABLE_PT)
    fmt = style.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    fmt.first_line_indent = Cm(0)
    fmt.alignment = WD_ALIGN_PARAGRAPH.LEFT
    complex_script_size = OxmlElement("w:szCs")  # as _mark_size writes it beside w:sz
    complex_script_size.set(qn("w:val"), str(TABLE_PT * 2))
    style.element.get_or_add_rPr().append(complex_script_size)


def table_text(target, text: str, *, align: str = "left"):
    """A paragraph of table text: the style «Текст таблицы» (add_table_text_style), one plain run."""
    p = _new_paragraph(target)
    p.style = TABLE_TEXT_STYLE_NAME
    if align != "left":
        p.paragraph_format.alignment = ALIGN[align]
    p.add_run(text)
    return p


def tag(target, jinja: str):
    """A paragraph holding only a docxtpl ``{%p … %}`` tag (removed on render)."""
    return par(target, jinja, size=SMALL_PT)


def spacer(target, height_pt: float = 1):
    """A (nearly) invisible paragraph: keeps a table cell valid after {%p %} blocks,
    and is the anchor paragraph after a floating table."""
    p = _new_paragraph(target)
    fmt = p.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = Pt(height_pt)
    _mark_size(p, height_pt)
    return p


def blank(target, size: float = BODY_PT):
    """An empty line of body height."""
    return par(target, "", size=size)


def _set_borders(parent, tag_name: str, edges: tuple[str, ...], val: str, size: int = 4) -> None:
    borders = parent.find(qn(tag_name))
    if borders is None:
        borders = OxmlElement(tag_name)
        parent.append(borders)
    for edge in edges:
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), val)
        if val != "nil":
            el.set(qn("w:sz"), str(size))
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        borders.append(el)


def _insert_tbl_pr_child(tbl_pr, element, after: tuple[str, ...]) -> None:
    """Insert *element* into <w:tblPr> right after the last of the *after* tags present."""
    index = 0
    for i, child in enumerate(tbl_pr):
        if child.tag in {qn(t) for t in after}:
            index = i + 1
    tbl_pr.insert(index, element)


def table(
    target,
    widths_mm: list[float],
    rows: int = 1,
    *,
    grid: bool = False,
    cell_margins: bool = False,
):
    """A fixed-layout table. Layout tables (grid=False) are borderless and have no
    cell margins so their text lines up with the page margins."""
    t = target.add_table(rows=rows, cols=len(widths_mm))
    t.style = "Table Grid" if grid else None
    t.alignment = WD_TABLE_ALIGNMENT.LEFT
    t.autofit = False
    tbl_pr = t._tbl.tblPr

    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        _insert_tbl_pr_child(tbl_pr, tbl_w, ("w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual"))
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(int(sum(widths_mm) * 1440 / 25.4)))

    if not grid:
        _set_borders(
            tbl_pr, "w:tblBorders", ("top", "left", "bottom", "right", "insideH", "insideV"), "nil"
        )
    if not cell_margins:
        mar = OxmlElement("w:tblCellMar")
        for edge in ("left", "right"):
            el = OxmlElement(f"w:{edge}")
            el.set(qn("w:w"), "0")
            el.set(qn("w:type"), "dxa")
            mar.append(el)
        tbl_pr.append(mar)
    # schema order inside tblPr: … tblW, jc, …, tblBorders, shd, tblLayout, tblCellMar, tblLook
    order = [
        "w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
        "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd",
        "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
    ]
    rank = {qn(name): i for i, name in enumerate(order)}
    children = sorted(tbl_pr, key=lambda el: rank.get(el.tag, len(order)))
    for child in children:
        tbl_pr.append(child)

    for i, width in enumerate(widths_mm):
        t.columns[i].width = Mm(width)
        for cell in t.columns[i].cells:
            cell.width = Mm(width)
    return t


def float_to_page_bottom(t) -> None:
    """Make *t* a floating table pinned to the bottom of the text area of the page
    where it ends up (the last page, as it is the last block of the body)."""
    tbl_pr = t._tbl.tblPr
    tblp = OxmlElement("w:tblpPr")
    for attr, value in (
        ("w:leftFromText", "0"),
        ("w:rightFromText", "0"),
        ("w:topFromText", "142"),
        ("w:bottomFromText", "0"),
        ("w:vertAnchor", "margin"),
        ("w:horzAnchor", "margin"),
        ("w:tblpYSpec", "bottom"),
    ):
        tblp.set(qn(attr), value)
    _insert_tbl_pr_child(tbl_pr, tblp, ("w:tblStyle",))
    overlap = OxmlElement("w:tblOverlap")
    overlap.set(qn("w:val"), "never")
    _insert_tbl_pr_child(tbl_pr, overlap, ("w:tblStyle", "w:tblpPr"))


def repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    tr_pr.append(el)


def cant_split(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


def valign(row, how: str) -> None:
    value = {
        "top": WD_CELL_VERTICAL_ALIGNMENT.TOP,
        "center": WD_CELL_VERTICAL_ALIGNMENT.CENTER,
        "bottom": WD_CELL_VERTICAL_ALIGNMENT.BOTTOM,
    }[how]
    for cell in row.cells:
        cell.vertical_alignment = value


def _box(paragraph) -> None:
    """Paragraph borders on all sides; consecutive boxed paragraphs form one frame."""
    p_pr = paragraph._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    for edge in ("top", "left", "bottom", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "6")
        el.set(qn("w:space"), "2")
        el.set(qn("w:color"), "000000")
        bdr.append(el)
    # pBdr goes before spacing/ind/jc in pPr (schema order: pStyle, keepNext,
    # keepLines, pageBreakBefore, framePr, widowControl, numPr, suppressLineNumbers, pBdr, …)
    anchor_tags = {qn(t) for t in ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore",
                                     "w:framePr", "w:widowControl", "w:numPr", "w:suppressLineNumbers")}
    index = 0
    for i, child in enumerate(p_pr):
        if child.tag in anchor_tags:
            index = i + 1
    p_pr.insert(index, bdr)


# --------------------------------------------------------------------------- document


def page_numbers(section) -> None:
    """ГОСТ Р 7.0.97-2025, п. 5.8: pages numbered from the second, centred in the top margin; the first page
    has its own (empty) header. The number is Word's PAGE field, so it follows the rendered text."""
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, None), ("end", None)):
        run = paragraph.add_run()
        _set_run_font(run, TABLE_PT)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = "2"  # shown until the field is updated (Word and LibreOffice update it on opening)


def new_document(title: str):
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_W, PAGE_H
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.header_distance = section.footer_distance = Mm(10)
    page_numbers(section)

    # document defaults: Times New Roman 14, Russian, single spacing, no gaps
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for child in list(r_pr):
        r_pr.remove(child)
    fonts = OxmlElement("w:rFonts")
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    r_pr.append(fonts)
    for tag_name in ("w:sz", "w:szCs"):
        el = OxmlElement(tag_name)
        el.set(qn("w:val"), str(BODY_PT * 2))
        r_pr.append(el)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "ru-RU")
    lang.set(qn("w:eastAsia"), "ru-RU")
    lang.set(qn("w:bidi"), "ar-SA")
    r_pr.append(lang)
    p_pr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    for child in list(p_pr):
        p_pr.remove(child)
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    spacing.set(qn("w:lineRule"), "auto")
    p_pr.append(spacing)

    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0

    props = doc.core_properties
    props.title = title
    props.author = "vsoko-flow"
    props.last_modified_by = "vsoko-flow"
    # document properties are rendered as templates too: no tags in them
    props.comments = "Шаблон vsoko-flow (docxtpl): служебные теги абзацев и строк таблиц — каждый в отдельном абзаце или строке."
    props.created = props.modified = FIXED_TIME
    props.revision = 1
    return doc


def org_header(doc, kind: str | None, *, kind_after: float = 12) -> None:
    """Organisation name centred at the top, then the document kind in capitals."""
    par(doc, "{{ org_full_name }}", align="center", bold=True)
    if kind:
        par(doc, kind, align="center", bold=True, before=12, after=kind_after)


def date_number_line(doc, date_var: str, number_var: str) -> None:
    """Date on the left, number on the right, one line (borderless 2-column table)."""
    half = TEXT_WIDTH_MM / 2
    t = table(doc, [half, half])
    left, right = t.rows[0].cells
    par(left, "{{ %s }}" % date_var)
    par(right, "№ {{ %s }}" % number_var, align="right")


def place_line(doc) -> None:
    par(doc, "{{ org_city }}", align="center", before=6)


# Places of signature: a bookmark «vsoko_sign_<name>» per signatory named in the side file's
# ``signers`` (vsoko_flow/procedures/signatures.py). The mark of a signature actually made
# replaces the bookmarked paragraph on the printed copy (vsoko_flow/documents/marks.py); the
# stored document never carries a mark.
SIGNATORY_BOOKMARK_IDS = {"director": 901, "chair": 902, "secretary": 903, "certifier": 904, "actor": 905}


def sign_place(target, slot: str, text: str = "", *, size: float = BODY_PT, align: str = "center"):
    """The paragraph where the mark of *slot*'s signature goes: empty, or a line for a pen."""
    p = par(target, text, align=align, size=size)
    start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
    start.set(qn("w:id"), str(SIGNATORY_BOOKMARK_IDS[slot]))
    start.set(qn("w:name"), f"vsoko_sign_{slot}")
    end.set(qn("w:id"), str(SIGNATORY_BOOKMARK_IDS[slot]))
    p._p.insert(1 if p._p.pPr is not None else 0, start)
    p._p.append(end)
    return p


def keep_with_signature(doc) -> None:
    """«Keep with next» on the last paragraph of text and the empty lines after it, so that the
    signature never stands alone on the last page (ГОСТ Р 7.0.97). A paragraph repeated by a loop is
    not marked: the whole list would be glued together; its ``{%p endfor %}`` and the lines after are."""
    body = doc.element.body
    element = body[-1] if len(body) else None
    if element is not None and element.tag == qn("w:sectPr"):
        element = element.getprevious()
    while element is not None and element.tag == qn("w:p"):
        paragraph = Paragraph(element, doc)
        paragraph.paragraph_format.keep_with_next = True
        text = paragraph.text.strip()
        if text.startswith("{%p endfor"):
            return
        if text and not text.startswith("{%p"):
            return  # the last paragraph of text: marked, and the walk stops
        element = element.getprevious()


def signature_block(
    doc,
    position: str,
    name: str,
    *,
    slot: str | None = None,
    handwritten_line: bool = False,
    widths: tuple[float, float, float] = (50, 78, 37),
) -> None:
    """Position on the left, the place of *slot*'s signature in the middle, «И.О. Фамилия» on the right.
    Without a slot the document is not signed in the system: the middle holds only the line for a pen."""
    keep_with_signature(doc)
    t = table(doc, list(widths))
    row = t.rows[0]
    cant_split(row)
    for cell in row.cells:
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.keep_with_next = True
    valign(row, "center")
    left, middle, right = row.cells
    par(left, position)
    pen_line = "______________" if handwritten_line else ""
    if slot is None:
        par(middle, pen_line, align="center")
    else:
        sign_place(middle, slot, pen_line)
    par(right, name, align="right")


def qr_block(doc, text_width: float = TEXT_WIDTH_MM) -> None:
    """QR code with the verification address, pinned to the bottom of the last page."""
    blank(doc)
    t = table(doc, [26, text_width - 26])
    float_to_page_bottom(t)
    row = t.rows[0]
    cant_split(row)
    valign(row, "center")
    image_cell, text_cell = row.cells
    par(image_cell, "{{ qr }}")
    par(text_cell, "Проверить подлинность: {{ verify_url }}", size=SMALL_PT)
    spacer(doc)  # the anchor paragraph of the floating table; the body ends with it


# --------------------------------------------------------------------------- templates


@dataclass
class Spec:
    name: str
    title: str
    file_name: str
    variables: list[str]
    build: Callable[[], object]
    notes: dict[str, str] = field(default_factory=dict)
    # Who signs the document in the system (vsoko_flow/procedures/signatures.py), each at the
    # bookmark of sign_place; and the working days they have for it (None: no deadline).
    signers: list[str] = field(default_factory=list)
    sign_within_working_days: int | None = None


def build_polozhenie():
    doc = new_document("Положение")
    par(doc, "{{ org_full_name }}", align="center", bold=True, after=12)

    t = table(doc, [80, 85])
    row = t.rows[0]
    cant_split(row)
    valign(row, "top")
    left, right = row.cells
    # left: agreement grif and the councils whose opinion was taken into account
    council_grif_cell(left)
    tag(left, "{%p for o in opinions %}")
    par(
        left,
        "Принято с учётом мнения {{ o.body_genitive }} "
        "(протокол от {{ o.protocol_date }} № {{ o.protocol_number }})",
        size=TABLE_PT,
        before=6,
    )
    tag(left, "{%p endfor %}")
    spacer(left)
    # right: «ПРОЕКТ» or the approval grif (+ the place of the director's signature)
    tag(right, "{%p if is_draft %}")
    par(right, "ПРОЕКТ", align="right", bold=True)
    draft_date_line(right)
    tag(right, "{%p elif approval_grif %}")
    par(right, "УТВЕРЖДЕНО", size=TABLE_PT, left_indent=5)
    par(right, "приказом {{ org_short_name }}", size=TABLE_PT, left_indent=5)
    par(
        right,
        "от {{ approval_grif.order_date }} № {{ approval_grif.order_number }}",
        size=TABLE_PT,
        left_indent=5,
    )
    sign_place(right, "director", size=SMALL_PT)
    tag(right, "{%p endif %}")
    spacer(right)

    par(doc, "ПОЛОЖЕНИЕ", align="center", bold=True, before=18, keep_next=True)
    par(
        doc,
        '{{ title[10:] if title[:10]|lower == "положение " else title }}',
        align="center",
        bold=True,
        keep_next=True,
    )
    tag(doc, "{%p if edition_note %}")
    par(doc, "{{ edition_note }}", align="center", bold=True, keep_next=True)
    tag(doc, "{%p endif %}")
    blank(doc)

    tag(doc, "{%p for s in sections %}")
    tag(doc, "{%p if s.level|int == 1 %}")
    par(doc, "{{ s.number }} {{ s.text }}", align="center", bold=True, before=12, after=6, keep_next=True)
    tag(doc, "{%p else %}")
    par(doc, "{{ s.number }} {{ s.text }}", align="justify", indent=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")

    qr_block(doc)
    return doc


def order_with_items():
    """An order's head and its numbered items («…, приказываю: 1. …»): a school's and a district's alike."""
    doc = new_document("Приказ")
    org_header(doc, "ПРИКАЗ")
    date_number_line(doc, "order_date", "order_number")
    place_line(doc)
    blank(doc)
    par(doc, "{{ heading }}", align="center", bold=True, keep_next=True)
    blank(doc)
    par(doc, "{{ preamble|trim|trim('.,;:')|trim }}, приказываю:", align="justify", indent=True)
    tag(doc, "{%p for item in items %}")
    par(doc, "{{ loop.index }}. {{ item }}", align="justify", indent=True)
    tag(doc, "{%p endfor %}")
    return doc


def build_order_approval():
    doc = order_with_items()

    tag(doc, "{%p if attachments|length == 1 %}")
    par(doc, "Приложение: {{ attachments[0] }}", align="justify", before=12)
    tag(doc, "{%p elif attachments %}")
    par(doc, "Приложение:", before=12)
    tag(doc, "{%p for a in attachments %}")
    par(doc, "{{ loop.index }}. {{ a }}", align="justify")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")

    blank(doc)
    blank(doc)
    signature_block(doc, "{{ signer.position }}", "{{ signer.initials_surname }}", slot="director")
    qr_block(doc)
    return doc


def build_acquaintance_sheet():
    doc = new_document("Лист ознакомления")
    par(doc, "{{ org_full_name }}", align="center", bold=True, after=12)
    par(doc, "ЛИСТ ОЗНАКОМЛЕНИЯ", align="center", bold=True, before=12)
    par(doc, "{{ subject }}", align="center", after=12)

    widths = [12, 53, 45, 25, 30]
    t = table(doc, widths, rows=4, grid=True, cell_margins=True)
    header, loop_start, data, loop_end = t.rows
    repeat_header(header)
    cant_split(header)
    valign(header, "center")
    for cell, caption in zip(header.cells, ["№", "Ф.И.О.", "Должность", "Дата", "Подпись"]):
        par(cell, caption, align="center", bold=True, size=TABLE_PT)
    par(loop_start.cells[0], "{%tr for person in people %}", size=TABLE_PT)
    cant_split(data)
    valign(data, "center")
    values = ["{{ person.n }}", "{{ person.name }}", "{{ person.position }}", "", ""]
    aligns = ["center", "left", "left", "center", "center"]
    for cell, value, align in zip(data.cells, values, aligns):
        par(cell, value, align=align, size=TABLE_PT, before=6, after=6)
    par(loop_end.cells[0], "{%tr endfor %}", size=TABLE_PT)

    qr_block(doc)
    return doc


def build_opinion_request():
    doc = new_document("Письмо")
    t = table(doc, [85, 80])
    row = t.rows[0]
    valign(row, "top")
    left, right = row.cells
    par(left, "{{ org_full_name }}", align="center", bold=True, size=TABLE_PT, right_indent=10)
    par(left, "{{ org_address }}", align="center", size=TABLE_PT, right_indent=10)
    par(left, "{% if org_phone %}тел. {{ org_phone }}{% endif %}{% if org_phone and org_email %}, {% endif %}"
        "{% if org_email %}e-mail: {{ org_email }}{% endif %}", align="center", size=TABLE_PT, right_indent=10)
    par(left, "{{ request_date }} № {{ outgoing_number }}", align="center", size=TABLE_PT, before=12, right_indent=10)
    par(right, "{{ addressee }}")
    blank(doc)
    par(doc, "О направлении проекта локального нормативного акта для учёта мнения", bold=True)
    blank(doc)
    par(
        doc,
        "В соответствии {{ legal_basis_preposition or \"с\" }} {{ legal_basis }} направляем проект {{ act_title_genitive }} "
        "для учёта мнения {{ body_genitive }}.",
        align="justify",
        indent=True,
    )
    par(
        doc,
        "Просим рассмотреть проект и направить мотивированное мнение в письменной форме "
        "в срок до {{ response_deadline }}.",
        align="justify",
        indent=True,
    )
    par(doc, "Приложение: проект {{ act_title_genitive }}.", align="justify", before=12)
    blank(doc)
    blank(doc)
    signature_block(doc, "{{ signer.position }}", "{{ signer.initials_surname }}", slot="director")
    blank(doc)
    par(doc, "{{ executor }}", size=SMALL_PT)
    qr_block(doc)
    return doc


PROTOCOL_HEADING_NOTE = ("after «ПРОТОКОЛ»: «заседания педагогического совета»; a совещание or a собрание names "
                         "itself: «совещания при директоре», «родительского собрания»")


def protocol_head(title: str, kind: str):
    """The opening of a protocol and of its extract: requisites, chair, secretary, attendance."""
    doc = new_document(title)
    org_header(doc, kind, kind_after=0)
    par(doc, "{{ protocol_heading }}", align="center", bold=True, after=12)
    date_number_line(doc, "protocol_date", "protocol_number")
    place_line(doc)
    blank(doc)
    par(doc, "Председатель — {{ chair }}")
    par(doc, "Секретарь — {{ secretary }}")
    par(
        doc,
        "Присутствовали: {{ present }} "
        "{{ 'человека' if present|int % 10 in [2, 3, 4] and present|int % 100 not in [12, 13, 14] "
        "else 'человек' }}",
    )
    blank(doc)
    par(doc, "ПОВЕСТКА ДНЯ:", bold=True, keep_next=True)
    return doc


def build_protocol_extract():
    doc = protocol_head("Выписка из протокола", "ВЫПИСКА ИЗ ПРОТОКОЛА")
    par(doc, "{{ agenda_number }}. {{ agenda_item }}", align="justify", indent=True)
    blank(doc)
    par(doc, [("СЛУШАЛИ: ", True), ("{{ heard }}", False)], align="justify", indent=True)
    par(doc, [("РЕШИЛИ: ", True), ("{{ decision }}", False)], align="justify", indent=True, before=6)
    par(
        doc,
        "Голосовали: «за» — {{ votes_for }}, «против» — {{ votes_against }}, "
        "«воздержались» — {{ votes_abstained }}",
        align="justify",
        indent=True,
        before=6,
    )
    blank(doc)
    t = table(doc, [50, TEXT_WIDTH_MM - 50])
    chair_row = t.rows[0]
    par(chair_row.cells[0], "Председатель")
    par(chair_row.cells[1], "{{ chair }}", align="right")
    secretary_row = t.add_row()
    par(secretary_row.cells[0], "Секретарь")
    par(secretary_row.cells[1], "{{ secretary }}", align="right")
    blank(doc)
    par(doc, "Верно", keep_next=True)
    signature_block(
        doc, "{{ certifier.position }}", "{{ certifier.initials_surname }}", slot="certifier",
        handwritten_line=True,
    )
    par(doc, "{{ certified_date }}")
    qr_block(doc)
    return doc


# --------------------------------------------------------------------------- plans and reports

LANDSCAPE_TEXT_WIDTH_MM = 297 - 30 - 15  # 252 mm
# The plan table's grid: narrow grid columns shared by «№ п/п» and the data columns, whose
# number (4–6, from the plan kind) is known only at render time. Each cell spans as many grid
# columns as the context says (``{% colspan %}``), so the columns get their own widths.
# Must match GRID_UNITS / NUMBER_SPAN in vsoko_flow/procedures/plans.py; Word allows 63.
PLAN_GRID_UNITS = 60
PLAN_NUMBER_SPAN = 3


def landscape(doc) -> None:
    """A4 landscape with the same margins (left 30 mm at the binding edge)."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = PAGE_H, PAGE_W


def _drop_width(cell) -> None:
    """Remove the cell's preferred width: its grid span decides (a ``{% colspan %}`` cell)."""
    tc_pr = cell._tc.get_or_add_tcPr()
    for tc_w in tc_pr.findall(qn("w:tcW")):
        tc_pr.remove(tc_w)


def spanned(row, spans: list[int]) -> list:
    """Merge the grid columns of *row* into cells of the given spans; return the cells."""
    cells, start = [], 0
    for span in spans:
        cell = row.cells[start]
        if span > 1:
            cell = cell.merge(row.cells[start + span - 1])
        cells.append(cell)
        start += span
    return cells


def tag_row(t, jinja: str, spans: int) -> None:
    """A table row holding only a docxtpl ``{%tr … %}`` tag (removed on render)."""
    row = t.add_row()
    cell = spanned(row, [spans])[0]
    par(cell, jinja, size=SMALL_PT)


def cell_lines(cell, loop: str, value: str, *, align: str = "left", bold: bool = False,
               size: float = TABLE_PT, prefix: str = "", table_style: bool = False) -> None:
    """Paragraphs of a cell from a list: ``{%p for … %}`` / value / ``{%p endfor %}``.
    The context guarantees a non-empty list, so the cell always ends with a paragraph.
    `table_style`: the value's paragraph in the style «Текст таблицы» (`size` and `bold` unused)."""
    tag(cell, f"{prefix}{{%p for {loop} %}}")
    if table_style:
        table_text(cell, value, align=align)
    else:
        par(cell, value, align=align, bold=bold, size=size)
    tag(cell, "{%p endfor %}")


def draft_date_line(cell) -> None:
    """A draft is dated too (ГОСТ Р 7.0.97-2025: a date on every document): «от 10.03.2025» under «ПРОЕКТ»."""
    tag(cell, "{%p if draft_date %}")
    par(cell, "от {{ draft_date }}", align="right", size=TABLE_PT)
    tag(cell, "{%p endif %}")


def council_grif_cell(cell) -> None:
    """«ПРИНЯТО / на заседании педагогического совета / … (протокол от … № …)» for an act the council adopts,
    «СОГЛАСОВАНО / Педагогическим советом / …» where it only agrees (council_grif.word, by the act's type)."""
    tag(cell, "{%p if council_grif %}")
    par(cell, '{{ council_grif.word or "СОГЛАСОВАНО" }}', size=TABLE_PT)
    par(cell, "{{ council_grif.body_instrumental }}", size=TABLE_PT)
    par(cell, "{{ org_short_name }}", size=TABLE_PT)
    par(
        cell,
        "(протокол от {{ council_grif.protocol_date }} № {{ council_grif.protocol_number }})",
        size=TABLE_PT,
    )
    tag(cell, "{%p endif %}")


def grif_table(doc, widths: list[float], approval_word: str) -> None:
    """Council grif on the left; «ПРОЕКТ» or the approval grif (+ the director's place of signature) on the right."""
    t = table(doc, widths)
    row = t.rows[0]
    cant_split(row)
    valign(row, "top")
    left, right = row.cells
    council_grif_cell(left)
    spacer(left)
    tag(right, "{%p if is_draft %}")
    par(right, "ПРОЕКТ", align="right", bold=True)
    draft_date_line(right)
    tag(right, "{%p elif approval_grif %}")
    par(right, approval_word, size=TABLE_PT, left_indent=5)
    par(right, "приказом {{ org_short_name }}", size=TABLE_PT, left_indent=5)
    par(
        right,
        "от {{ approval_grif.order_date }} № {{ approval_grif.order_number }}",
        size=TABLE_PT,
        left_indent=5,
    )
    sign_place(right, "director", size=SMALL_PT)
    tag(right, "{%p endif %}")
    spacer(right)


def build_plan_table():
    doc = new_document("План")
    add_table_text_style(doc)
    landscape(doc)
    par(doc, "{{ org_full_name }}", align="center", bold=True, after=12)
    grif_table(doc, [152, 100], "{{ approval_grif.word }}")
    par(doc, "{{ plan_title }}", align="center", bold=True, before=18, after=12, keep_next=True)

    units, number_span = PLAN_GRID_UNITS, PLAN_NUMBER_SPAN
    loop_spans = [number_span, 5, units - number_span - 10, 5]  # №, for, cell, endfor
    t = table(
        doc, [LANDSCAPE_TEXT_WIDTH_MM / units] * units, rows=1, grid=True, cell_margins=True
    )
    header = t.rows[0]
    repeat_header(header)
    cant_split(header)
    number, start, cell, end = spanned(header, loop_spans)
    for c in (number, start, cell, end):
        c.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    par(number, "№ п/п", align="center", bold=True, size=TABLE_PT - 1)
    par(start, "{%tc for c in columns %}", size=SMALL_PT)
    _drop_width(cell)
    par(cell, "{% colspan c.span %}{{ c.title }}", align="center", bold=True, size=TABLE_PT - 1)
    par(end, "{%tc endfor %}", size=SMALL_PT)

    tag_row(t, "{%tr for row in rows %}", units)
    tag_row(t, "{%tr if row.section %}", units)
    section_row = t.add_row()
    cant_split(section_row)
    section_cell = spanned(section_row, [units])[0]
    _drop_width(section_cell)
    par(
        section_cell,
        "{% colspan row_span %}{{ row.text }}",
        bold=True,
        size=TABLE_PT,
        before=3,
        after=3,
        keep_next=True,
    )
    tag_row(t, "{%tr else %}", units)
    item_row = t.add_row()
    cant_split(item_row)
    number, start, cell, end = spanned(item_row, loop_spans)  # cells align to the top, Word's default
    table_text(number, "{{ row.number }}", align="center")
    par(start, "{%tc for c in row.cells %}", size=SMALL_PT)
    _drop_width(cell)
    cell_lines(cell, "line in c.lines", "{{ line }}", prefix="{% colspan c.span %}", table_style=True)
    par(end, "{%tc endfor %}", size=SMALL_PT)
    tag_row(t, "{%tr endif %}", units)
    tag_row(t, "{%tr endfor %}", units)

    qr_block(doc, LANDSCAPE_TEXT_WIDTH_MM)
    return doc


REPORT_COLUMNS = [
    (9, "№ п/п"),
    (52, "Пункт плана"),
    (23, "Срок"),
    (33, "Ответственный"),
    (30, "Статус"),
    (43, "Результат"),
    (34, "Доказательства"),
    (28, "Отметка об исполнении"),
]
# Eight columns on a landscape page: 11 pt text, 10 pt headings (ГОСТ allows smaller type in tables).
REPORT_PT = 11


def build_execution_report():
    doc = new_document("Отчёт об исполнении плана")
    landscape(doc)
    org_header(doc, "ОТЧЁТ", kind_after=0)
    par(doc, "{{ heading }}", align="center", bold=True, after=12)
    par(doc, "{{ report_date }}")
    place_line(doc)
    blank(doc)

    widths = [w for w, _ in REPORT_COLUMNS]
    n = len(widths)
    t = table(doc, widths, rows=1, grid=True, cell_margins=True)
    header = t.rows[0]
    repeat_header(header)
    cant_split(header)
    valign(header, "center")
    for c, (_, caption) in zip(header.cells, REPORT_COLUMNS):
        par(c, caption, align="center", bold=True, size=SMALL_PT)
    tag_row(t, "{%tr for r in rows %}", n)
    tag_row(t, "{%tr if r.section %}", n)
    section_row = t.add_row()
    cant_split(section_row)
    par(
        spanned(section_row, [n])[0],
        "{{ r.text }}",
        bold=True,
        size=REPORT_PT,
        before=3,
        after=3,
        keep_next=True,
    )
    tag_row(t, "{%tr else %}", n)
    row = t.add_row()
    cant_split(row)
    valign(row, "top")
    number, title, due, responsible, status, result, evidence, mark = row.cells
    par(number, "{{ r.n }}", align="center", size=REPORT_PT)
    par(title, "{{ r.title }}", size=REPORT_PT)
    par(due, "{{ r.due }}", align="center", size=REPORT_PT)
    cell_lines(responsible, "x in r.responsible", "{{ x }}", size=REPORT_PT)
    par(status, "{{ r.status }}", size=REPORT_PT)
    cell_lines(result, "x in r.result", "{{ x }}", size=REPORT_PT)
    cell_lines(evidence, "x in r.evidence", "{{ x }}", size=REPORT_PT)
    par(mark, "{{ r.mark }}", align="center", size=REPORT_PT)
    par(mark, "{{ r.executed_on }}", align="center", size=SMALL_PT)
    tag_row(t, "{%tr endif %}", n)
    tag_row(t, "{%tr endfor %}", n)

    tag(doc, "{%p for s in summary %}")
    par(doc, "{{ s }}", align="justify", indent=True, before=6)
    tag(doc, "{%p endfor %}")
    blank(doc)
    signature_block(
        doc, "{{ signer.position }}", "{{ signer.initials_surname }}", slot="actor", widths=(100, 90, 62)
    )
    qr_block(doc, LANDSCAPE_TEXT_WIDTH_MM)
    return doc


ANALYTIC_COLUMNS = [
    ("accepted", "Принято"),
    ("on_time", "Принято в срок"),
    ("late", "Принято позже срока"),
    ("not_executed", "Не исполнено"),
    ("cancelled", "Отменено"),
]


def _stat_cells(cells, var: str, bold: bool = False) -> None:
    title, total, *counts = cells
    par(title, "{{ %s.title }}" % var, bold=bold, size=TABLE_PT)
    par(total, "{{ %s.total }}" % var, align="center", bold=bold, size=TABLE_PT)
    for c, (key, _) in zip(counts, ANALYTIC_COLUMNS):
        par(c, "{{ %s.%s.count }}" % (var, key), align="center", bold=bold, size=TABLE_PT)
        par(c, "{{ %s.%s.percent }}" % (var, key), align="center", size=SMALL_PT + 1)


def build_analytic_report():
    doc = new_document("Аналитическая справка")
    org_header(doc, "АНАЛИТИЧЕСКАЯ СПРАВКА", kind_after=0)
    par(doc, "{{ heading }}", align="center", bold=True, after=12)
    par(doc, "{{ report_date }}")
    place_line(doc)
    blank(doc)
    par(doc, "{{ intro }}", align="justify", indent=True, after=6)

    widths = [37, 18] + [22] * len(ANALYTIC_COLUMNS)
    t = table(doc, widths, rows=1, grid=True, cell_margins=True)
    header = t.rows[0]
    repeat_header(header)
    cant_split(header)
    valign(header, "center")
    captions = ["Раздел плана", "Всего пунктов"] + [caption for _, caption in ANALYTIC_COLUMNS]
    for c, caption in zip(header.cells, captions):
        par(c, caption, align="center", bold=True, size=SMALL_PT)
    tag_row(t, "{%tr for s in sections %}", len(widths))
    row = t.add_row()
    cant_split(row)
    valign(row, "center")
    _stat_cells(row.cells, "s")
    tag_row(t, "{%tr endfor %}", len(widths))
    total_row = t.add_row()
    cant_split(total_row)
    valign(total_row, "center")
    _stat_cells(total_row.cells, "totals", bold=True)

    par(doc, "Выводы", align="center", bold=True, before=12, after=6, keep_next=True)
    tag(doc, "{%p for c in conclusions %}")
    par(doc, "{{ c }}", align="justify", indent=True)
    tag(doc, "{%p endfor %}")
    blank(doc)
    blank(doc)
    signature_block(doc, "{{ signer.position }}", "{{ signer.initials_surname }}", slot="actor")
    qr_block(doc)
    return doc


def build_meeting_protocol():
    doc = protocol_head("Протокол", "ПРОТОКОЛ")
    tag(doc, "{%p for a in agenda %}")
    par(doc, "{{ a.number }}. {{ a.title }}", align="justify", indent=True)
    tag(doc, "{%p endfor %}")

    tag(doc, "{%p for a in agenda %}")
    par(doc, "{{ a.number }}. СЛУШАЛИ:", bold=True, before=12, keep_next=True)
    tag(doc, "{%p for h in a.heard %}")
    par(doc, "{{ h }}", align="justify", indent=True)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if a.spoke %}")
    par(doc, "ВЫСТУПИЛИ:", bold=True, before=6, keep_next=True)
    tag(doc, "{%p for s in a.spoke %}")
    par(doc, "{{ s }}", align="justify", indent=True)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if a.decisions %}")
    par(doc, "РЕШИЛИ:", bold=True, before=6, keep_next=True)
    tag(doc, "{%p for d in a.decisions %}")
    par(doc, "{{ d.number }} {{ d.text }}", align="justify", indent=True)
    tag(doc, "{%p if d.deadline_text %}")
    par(doc, "Срок: {{ d.deadline_text }}", align="justify", indent=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if d.responsible_text %}")
    par(doc, "{{ d.responsible_label or \"Ответственный\" }}: {{ d.responsible_text }}", align="justify", indent=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if a.has_votes %}")
    par(
        doc,
        "Голосовали: «за» — {{ a.votes_for }}, «против» — {{ a.votes_against }}, "
        "«воздержались» — {{ a.votes_abstained }}",
        align="justify",
        indent=True,
        before=6,
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")

    blank(doc)
    blank(doc)
    signature_block(doc, "Председатель", "{{ chair }}", slot="chair")
    t = table(doc, [50, 78, 37])
    row = t.rows[0]
    cant_split(row)
    par(row.cells[0], "Секретарь", before=12)
    sign_place(row.cells[1], "secretary")
    par(row.cells[2], "{{ secretary }}", align="right", before=12)
    qr_block(doc)
    return doc


COMMON_DOC = {
    "org_full_name": "full name of the organisation",
    "org_short_name": "short name of the organisation («МБОУ СОШ № 29»)",
    "org_city": "place of compilation, printed as given («г. Курск»)",
    "org_address": "the organisation's postal address",
    "org_phone": "the organisation's phone («8 (3462) 52-00-29»), may be empty",
    "org_email": "the organisation's e-mail, may be empty",
    "verify_url": "URL of the authenticity check",
    "qr": "QR code (docxtpl InlineImage supplied by the renderer)",
    "draft_date": "the day a draft is produced, printed under «ПРОЕКТ» (every document is dated)",
    "signer": "{position, initials_surname}: «Директор» or «И.о. директора» and the name; the mark of an "
    "e-signature is never in the template (see signers)",
}

SPECS = [
    Spec(
        name="polozhenie",
        title="Положение (локальный нормативный акт)",
        file_name='{{ title }} — {{ "проект" if is_draft else "утверждённая редакция" }}.docx',
        variables=[
            "org_full_name", "org_short_name", "verify_url", "qr",
            "is_draft", "draft_date", "title", "edition_note", "council_grif", "approval_grif",
            "opinions", "sections",
        ],
        build=build_polozhenie,
        signers=['director'],
        notes={
            "is_draft": "True: «ПРОЕКТ» top right and no approval grif",
            "title": "«Положение о …»; the word «Положение» is printed apart, in capitals",
            "edition_note": "«(в новой редакции)» or an empty string",
            "council_grif": "None | {body_instrumental, protocol_date, protocol_number}",
            "approval_grif": "None | {order_date, order_number}",
            "opinions": "[{body_genitive, protocol_date, protocol_number}]",
            "sections": "[{number «1.»/«1.1.», text, level 1|2}]",
        },
    ),
    Spec(
        name="order_approval",
        title="Приказ об утверждении",
        file_name="Приказ от {{ order_date }} № {{ order_number }}.docx",
        variables=[
            "org_full_name", "org_city", "verify_url", "qr", "signer",
            "order_date", "order_number", "heading", "preamble", "items", "attachments",
        ],
        build=build_order_approval,
        signers=['director'],
        sign_within_working_days=1,
        notes={
            "heading": "«Об утверждении Положения о …», no full stop",
            "preamble": "«В соответствии с …»; the template appends «, приказываю:»",
            "items": "order items (full sentences); the last one is «Контроль за исполнением приказа оставляю за собой.»",
            "attachments": "attachment names, may be empty",
        },
    ),
    Spec(
        name="acquaintance_sheet",
        title="Лист ознакомления",
        file_name="Лист ознакомления.docx",
        variables=["org_full_name", "verify_url", "qr", "subject", "people"],
        build=build_acquaintance_sheet,
        notes={
            "subject": "«с Положением о …, утверждённым приказом от … № …»",
            "people": "[{n, name, position}]",
        },
    ),
    Spec(
        name="opinion_request",
        title="Письмо о направлении проекта для учёта мнения",
        file_name="Запрос мнения {{ body_genitive }} от {{ request_date }}.docx",
        variables=[
            "org_full_name", "org_address", "org_phone", "org_email", "verify_url", "qr", "signer",
            "request_date", "outgoing_number", "addressee", "executor", "body_genitive", "act_title_genitive",
            "response_deadline", "legal_basis", "legal_basis_preposition",
        ],
        build=build_opinion_request,
        signers=['director'],
        sign_within_working_days=1,
        notes={
            "outgoing_number": "number from the school's journal of outgoing documents",
            "executor": "«Исп. Иванова И.И., тел. 8 (3462) 52-00-29»: who prepared the letter",
            "addressee": "addressee in the dative («Председателю Совета обучающихся»)",
            "body_genitive": "the body in the genitive («Совета обучающихся»)",
            "act_title_genitive": "act title in the genitive («Положения о …»)",
            "legal_basis": "instrumental, it follows «В соответствии с» («частью 3 статьи 30 Федерального закона …»)",
            "legal_basis_preposition": "«с» or «со» («со статьёй 372»), agreed with legal_basis",
        },
    ),
    Spec(
        name="protocol_extract",
        title="Выписка из протокола",
        file_name="Выписка из протокола от {{ protocol_date }} № {{ protocol_number }}, вопрос {{ question_label or agenda_number }}.docx",
        variables=[
            "org_full_name", "org_city", "verify_url", "qr",
            "protocol_heading", "protocol_date", "protocol_number", "chair", "secretary",
            "present", "agenda_number", "agenda_item", "heard", "decision",
            "votes_for", "votes_against", "votes_abstained", "certifier", "certified_date",
        ],
        build=build_protocol_extract,
        signers=['certifier'],
        notes={
            "protocol_heading": PROTOCOL_HEADING_NOTE,
            "present": "number of people present (int)",
            "certifier": "{position, initials_surname}: who certifies «Верно»",
        },
    ),
    Spec(
        name="plan_table",
        title="План (таблица, альбомный лист)",
        file_name='{{ plan_title }} — {{ "проект" if is_draft else "утверждённая редакция" }}.docx',
        variables=[
            "org_full_name", "org_short_name", "verify_url", "qr",
            "plan_title", "is_draft", "draft_date", "council_grif", "approval_grif", "columns", "rows", "row_span",
        ],
        build=build_plan_table,
        signers=['director'],
        notes={
            "plan_title": "«План функционирования … на 2024/2025 учебный год»",
            "is_draft": "True: «ПРОЕКТ» top right and no approval grif",
            "council_grif": "None | {body_instrumental, protocol_date, protocol_number}",
            "approval_grif": "None | {word «УТВЕРЖДЁН», order_date, order_number}",
            "columns": f"[{{key, title, span}}]: data columns in order; «№ п/п» spans "
            f"{PLAN_NUMBER_SPAN} of the table's {PLAN_GRID_UNITS} grid columns, the data columns "
            f"share the other {PLAN_GRID_UNITS - PLAN_NUMBER_SPAN}",
            "rows": "[{section: true, text} | {section: false, number, cells: [{text, lines (non-empty), span}]}]",
            "row_span": f"grid columns of a section row ({PLAN_GRID_UNITS})",
        },
    ),
    Spec(
        name="execution_report",
        title="Отчёт об исполнении плана",
        file_name="Отчёт об исполнении плана от {{ report_date }}.docx",
        variables=[
            "org_full_name", "org_city", "verify_url", "qr", "signer",
            "heading", "report_date", "rows", "summary",
        ],
        build=build_execution_report,
        signers=['actor'],
        notes={
            "heading": "«об исполнении плана … на 2024/2025 учебный год» (after «ОТЧЁТ»)",
            "rows": "[{section: true, text} | {section: false, n, title, due, responsible: [..], status, "
            "result: [..], evidence: [..], mark, executed_on}]; lists are non-empty",
            "summary": "sentences under the table",
        },
    ),
    Spec(
        name="analytic_report",
        title="Аналитическая справка по итогам исполнения плана",
        file_name="Аналитическая справка от {{ report_date }}.docx",
        variables=[
            "org_full_name", "org_city", "verify_url", "qr", "signer",
            "heading", "report_date", "intro", "sections", "totals", "conclusions",
        ],
        build=build_analytic_report,
        signers=['actor'],
        notes={
            "heading": "«по итогам исполнения плана … на 2024/2025 учебный год» (after the kind)",
            "sections": "[{title, total, accepted, on_time, late, not_executed, cancelled}], "
            "each count as {count, percent «66,7 %»}",
            "totals": "the same for the whole plan (title «Итого»)",
            "conclusions": "sentences («Выполнено в срок 42 из 50 пунктов (84,0 %).»)",
            "signer": "the deputy director who closes the plan: {position, initials_surname}",
        },
    ),
    Spec(
        name="meeting_protocol",
        title="Протокол заседания",
        file_name="Протокол от {{ protocol_date }} № {{ protocol_number }}.docx",
        variables=[
            "org_full_name", "org_city", "verify_url", "qr",
            "protocol_heading", "protocol_date", "protocol_number", "chair", "secretary",
            "present", "agenda",
        ],
        build=build_meeting_protocol,
        signers=['chair', 'secretary'],
        notes={
            "protocol_heading": PROTOCOL_HEADING_NOTE,
            "present": "number of people present (int)",
            "agenda": "[{number, title, heard: [..], spoke: [..], decisions: [{number «1.1.», text, "
            "deadline_text, responsible_text}], has_votes, votes_for, votes_against, votes_abstained}]",
        },
    ),
]


# --------------------------------------------------------------------------- the quality cycle
# Internal audits, corrective-action plans, effectiveness checks and the yearly review
# (vsoko_flow/procedures/audits.py, corrective.py, review.py).


def label_value_table(target, loop: str, widths: tuple[float, float] = (60, TEXT_WIDTH_MM - 60)) -> None:
    """A two-column grid table «what — value (lines)» from a list of {title, lines}."""
    t = table(target, list(widths), rows=3, grid=True, cell_margins=True)
    start, row, end = t.rows
    par(start.cells[0], "{%%tr for r in %s %%}" % loop, size=SMALL_PT)
    cant_split(row)
    valign(row, "top")
    par(row.cells[0], "{{ r.title }}", bold=True, size=TABLE_PT)
    cell_lines(row.cells[1], "x in r.lines", "{{ x }}")
    par(end.cells[0], "{%tr endfor %}", size=SMALL_PT)


def page_break(doc) -> None:
    p = par(doc, "")
    run = p.add_run()
    br = OxmlElement("w:br")
    br.set(qn("w:type"), "page")
    run._r.append(br)


def looped_table(target, columns: list[tuple[float, str]], loop: str, *, header_size: float = SMALL_PT,
                 repeat: bool = True):
    """A grid table: a header row of `columns` [(width mm, caption)] and a ``{%tr for <loop> %}`` row;
    the caller adds the looped rows and ``{%tr endfor %}``."""
    t = table(target, [w for w, _ in columns], rows=1, grid=True, cell_margins=True)
    header = t.rows[0]
    if repeat:
        repeat_header(header)
    cant_split(header)
    valign(header, "center")
    for c, (_, caption) in zip(header.cells, columns):
        par(c, caption, align="center", bold=True, size=header_size)
    tag_row(t, "{%%tr for %s %%}" % loop, len(columns))
    return t


def build_audit_order():
    doc = build_order_approval()
    # The appendix: the programme, on its own page, after the order (and before its QR code).
    body = doc.element.body
    qr_start = [el for el in body if el.tag == qn("w:p")][-2]  # the blank line before the QR table
    appendix = new_document("Программа")
    page_break(appendix)
    par(appendix, "Приложение", align="right", size=TABLE_PT)
    par(appendix, "к приказу от {{ order_date }} № {{ order_number }}", align="right", size=TABLE_PT)
    par(appendix, "ПРОГРАММА", align="center", bold=True, before=12)
    par(appendix, "внутреннего аудита", align="center", bold=True, after=12)
    label_value_table(appendix, "programme")
    for element in list(appendix.element.body):
        if element.tag != qn("w:sectPr"):
            qr_start.addprevious(element)
    return doc


def build_audit_checklist():
    doc = new_document("Чек-лист аудита")
    landscape(doc)
    org_header(doc, "ЧЕК-ЛИСТ ВНУТРЕННЕГО АУДИТА", kind_after=0)
    par(doc, "{{ heading }}", align="center", bold=True)
    par(doc, "Аудит: {{ audit_title }}", align="center", after=6)
    par(doc, "Заполнен {{ filled_on }}")
    blank(doc)
    columns = [(10, "№"), (80, "Требование"), (42, "Источник требования"), (28, "Ответ"), (62, "Комментарий аудитора"),
               (30, "Доказательства, несоответствие")]
    t = looped_table(doc, columns, "r in rows")
    n = len(columns)
    tag_row(t, "{%tr if r.section %}", n)
    section_row = t.add_row()
    cant_split(section_row)
    par(spanned(section_row, [n])[0], "{{ r.text }}", bold=True, size=REPORT_PT, keep_next=True)
    tag_row(t, "{%tr else %}", n)
    row = t.add_row()
    cant_split(row)
    valign(row, "top")
    number, requirement, source, answer, comment, evidence = row.cells
    par(number, "{{ r.n }}", align="center", size=REPORT_PT)
    par(requirement, "{{ r.requirement }}", size=REPORT_PT)
    par(source, "{{ r.source }}", size=REPORT_PT)
    par(answer, "{{ r.answer }}", align="center", size=REPORT_PT)
    cell_lines(comment, "x in r.comment", "{{ x }}", size=REPORT_PT)
    par(evidence, "{{ r.evidence }}", size=REPORT_PT)
    par(evidence, "{{ r.finding }}", size=REPORT_PT)
    tag_row(t, "{%tr endif %}", n)
    tag_row(t, "{%tr endfor %}", n)
    blank(doc)
    par(doc, "Аудиторы:", keep_next=True)
    team_signatures(doc, "auditors", widths=(100, 90, 62))
    qr_block(doc, LANDSCAPE_TEXT_WIDTH_MM)
    return doc


def team_signatures(doc, loop: str, widths: tuple[float, float, float] = (50, 78, 37)) -> None:
    """One signature line per person of a list of {position, initials_surname}: handwritten signatures."""
    t = table(doc, list(widths), rows=3)
    start, row, end = t.rows
    par(start.cells[0], "{%%tr for p in %s %%}" % loop, size=SMALL_PT)
    cant_split(row)
    valign(row, "bottom")
    par(row.cells[0], "{{ p.position }}", before=12)
    par(row.cells[1], "______________", align="center", before=12)
    par(row.cells[2], "{{ p.initials_surname }}", align="right", before=12)
    par(end.cells[0], "{%tr endfor %}", size=SMALL_PT)


def approval_corner(doc) -> None:
    """«ПРОЕКТ», or «УТВЕРЖДАЮ / Директор / И.О. Фамилия / дата» once the director approved it."""
    t = table(doc, [85, 80])
    row = t.rows[0]
    valign(row, "top")
    left, right = row.cells
    spacer(left)
    tag(right, "{%p if is_draft %}")
    par(right, "ПРОЕКТ", align="right", bold=True)
    draft_date_line(right)
    tag(right, "{%p else %}")
    par(right, "УТВЕРЖДАЮ", size=TABLE_PT, left_indent=5)
    par(right, "{{ signer.position }}", size=TABLE_PT, left_indent=5)
    par(right, "{{ org_short_name }}", size=TABLE_PT, left_indent=5)
    par(right, "______________ {{ signer.initials_surname }}", size=TABLE_PT, left_indent=5, before=6)
    par(right, "{{ approval.date }}", size=TABLE_PT, left_indent=5)
    sign_place(right, "director", size=SMALL_PT)
    tag(right, "{%p endif %}")
    spacer(right)


def build_audit_act():
    doc = new_document("Акт внутреннего аудита")
    par(doc, "{{ org_full_name }}", align="center", bold=True, after=12)
    approval_corner(doc)
    par(doc, "АКТ", align="center", bold=True, before=12)
    par(doc, "внутреннего аудита «{{ audit_title }}»", align="center", bold=True, after=12)
    date_number_line(doc, "act_date", "act_number")
    place_line(doc)
    blank(doc)
    tag(doc, "{%p if basis %}")
    par(doc, "Основание: {{ basis }}.", align="justify", indent=True)
    tag(doc, "{%p endif %}")
    par(doc, "Период проведения: {{ period }}.", align="justify", indent=True)
    par(doc, "Направление ВСОКО: {{ area }}.", align="justify", indent=True)
    par(doc, "Предмет и границы аудита:", align="justify", indent=True)
    tag(doc, "{%p for x in scope %}")
    par(doc, "{{ x }}", align="justify", indent=True)
    tag(doc, "{%p endfor %}")
    par(doc, "Критерии аудита:", align="justify", indent=True)
    tag(doc, "{%p for x in criteria %}")
    par(doc, "{{ x }}", align="justify", indent=True)
    tag(doc, "{%p endfor %}")
    par(doc, "Группа аудиторов:", align="justify", indent=True)
    tag(doc, "{%p for p in team %}")
    par(doc, "{{ p.initials_surname }}, {{ p.position }}", align="justify", indent=True)
    tag(doc, "{%p endfor %}")
    par(doc, "{{ summary }}", align="justify", indent=True, before=6, after=6)
    par(doc, "Выявленные несоответствия", align="center", bold=True, keep_next=True, after=6)
    columns = [(8, "№"), (30, "Вид"), (40, "Требование (источник)"), (35, "Что обнаружено"), (28, "Доказательства"),
               (24, "Значимость")]
    t = looped_table(doc, columns, "f in findings")
    n = len(columns)
    row = t.add_row()
    cant_split(row)
    valign(row, "top")
    number, kind, requirement, found, evidence, severity = row.cells
    par(number, "{{ f.n }}", align="center", size=SMALL_PT + 1)
    par(kind, "{{ f.kind }} № {{ f.number }}", size=SMALL_PT + 1)
    cell_lines(requirement, "x in f.requirement", "{{ x }}", size=SMALL_PT + 1)
    cell_lines(found, "x in f.found", "{{ x }}", size=SMALL_PT + 1)
    cell_lines(evidence, "x in f.evidence", "{{ x }}", size=SMALL_PT + 1)
    par(severity, "{{ f.severity }}", size=SMALL_PT + 1)
    par(severity, "{{ f.recurrence }}", size=SMALL_PT)
    tag_row(t, "{%tr endfor %}", n)
    par(doc, "Выводы", align="center", bold=True, before=12, after=6, keep_next=True)
    tag(doc, "{%p for x in conclusion %}")
    par(doc, "{{ x }}", align="justify", indent=True)
    tag(doc, "{%p endfor %}")
    blank(doc)
    team_signatures(doc, "team")
    qr_block(doc)
    return doc


def build_corrective_plan_table():
    doc = new_document("План корректирующих мероприятий")
    landscape(doc)
    par(doc, "{{ org_full_name }}", align="center", bold=True, after=12)
    grif_table(doc, [152, 100], "{{ approval_grif.word }}")
    par(doc, "{{ plan_title }}", align="center", bold=True, before=18, after=12, keep_next=True)
    columns = [(14, "№ п/п"), (38, "Вид действия"), (80, "Мероприятие"), (38, "Ответственный"), (30, "Срок"),
               (52, "Ожидаемый результат")]
    t = looped_table(doc, columns, "r in rows", header_size=SMALL_PT + 1)
    n = len(columns)
    tag_row(t, "{%tr if r.section %}", n)
    section_row = t.add_row()
    cant_split(section_row)
    cell = spanned(section_row, [n])[0]
    par(cell, "{{ r.title }}", bold=True, size=REPORT_PT, keep_next=True)
    cell_lines(cell, "x in r.lines", "{{ x }}", size=REPORT_PT)
    tag_row(t, "{%tr else %}", n)
    row = t.add_row()
    cant_split(row)
    valign(row, "top")
    number, kind, activity, responsible, deadline, result = row.cells
    par(number, "{{ r.number }}", align="center", size=REPORT_PT)
    par(kind, "{{ r.kind }}", size=REPORT_PT)
    cell_lines(activity, "x in r.activity", "{{ x }}", size=REPORT_PT)
    cell_lines(responsible, "x in r.responsible", "{{ x }}", size=REPORT_PT)
    par(deadline, "{{ r.deadline }}", align="center", size=REPORT_PT)
    cell_lines(result, "x in r.result", "{{ x }}", size=REPORT_PT)
    tag_row(t, "{%tr endif %}", n)
    tag_row(t, "{%tr endfor %}", n)
    qr_block(doc, LANDSCAPE_TEXT_WIDTH_MM)
    return doc


def build_effectiveness_protocol():
    doc = new_document("Протокол проверки результативности")
    org_header(doc, "ПРОТОКОЛ", kind_after=0)
    par(doc, "проверки результативности корректирующего действия", align="center", bold=True, after=12)
    date_number_line(doc, "checked_on", "check_number")
    place_line(doc)
    blank(doc)
    label_value_table(doc, "rows")
    par(doc, [("Результат проверки: ", True), ("{{ result }}", False)], align="justify", indent=True, before=12)
    par(doc, "{{ conclusion }}", align="justify", indent=True, before=6)
    blank(doc)
    blank(doc)
    signature_block(doc, "{{ signer.position }}", "{{ signer.initials_surname }}", slot="actor", handwritten_line=True)
    qr_block(doc)
    return doc


def build_annual_review():
    doc = new_document("Анализ функционирования ВСОКО")
    par(doc, "{{ org_full_name }}", align="center", bold=True, after=12)
    grif_table(doc, [80, 85], "{{ approval_grif.word }}")
    par(doc, "АНАЛИЗ", align="center", bold=True, before=18)
    par(doc, "{{ heading }}", align="center", bold=True, after=6)
    par(doc, "{{ report_date }}")
    place_line(doc)
    blank(doc)
    par(doc, "1. Итоги года", bold=True, keep_next=True, after=6)
    tag(doc, "{%p for s in summary %}")
    par(doc, "{{ s }}", align="justify", indent=True)
    tag(doc, "{%p endfor %}")
    par(doc, "2. Исполнение планов по разделам", bold=True, keep_next=True, before=12, after=6)
    columns = [(61, "План, раздел"), (16, "Всего"), (22, "В срок"), (22, "С опозданием"), (22, "Не выполнено"),
               (22, "Иное*")]
    t = looped_table(doc, columns, "p in plans")
    n = len(columns)
    row = t.add_row()
    cant_split(row)
    valign(row, "center")
    title, total, on_time, late, missed, other = row.cells
    par(title, "{{ p.title }}", size=SMALL_PT + 1)
    par(total, "{{ p.total }}", align="center", size=SMALL_PT + 1)
    for c, key in ((on_time, "on_time"), (late, "late"), (missed, "not_executed")):
        par(c, "{{ p.%s.count }} ({{ p.%s.percent }})" % (key, key), align="center", size=SMALL_PT + 1)
    par(other, "{{ p.other }}", align="center", size=SMALL_PT + 1)
    tag_row(t, "{%tr endfor %}", n)
    par(doc, "* на проверке, срок не наступил, отменено.", size=SMALL_PT, before=3)
    par(doc, "3. Внутренние аудиты: несоответствия по направлениям и значимости", bold=True, keep_next=True,
        before=12, after=6)
    f_widths = [85, 27, 27, 26]
    t = table(doc, f_widths, rows=1, grid=True, cell_margins=True)
    header = t.rows[0]
    for c, caption in zip(header.cells, ["Направление ВСОКО", "Значительные", "Незначительные", "Всего"]):
        par(c, caption, align="center", bold=True, size=SMALL_PT)
    tag_row(t, "{%tr for f in findings %}", len(f_widths))
    row = t.add_row()
    cant_split(row)
    cells = row.cells
    par(cells[0], "{{ f.title }}", size=SMALL_PT + 1)
    for c, key in zip(cells[1:], ("significant", "minor", "total")):
        par(c, "{{ f.%s }}" % key, align="center", size=SMALL_PT + 1)
    tag_row(t, "{%tr endfor %}", len(f_widths))
    par(doc, "4. Диаграммы", bold=True, keep_next=True, before=12, after=6)
    tag(doc, "{%p for c in charts %}")
    par(doc, "{{ c.image }}", align="center", after=6)
    tag(doc, "{%p endfor %}")
    par(doc, "Результативность корректирующих действий: {{ effectiveness_rate }}.", align="justify", indent=True)
    par(doc, "5. Решения по итогам анализа", bold=True, keep_next=True, before=12, after=6)
    tag(doc, "{%p if decisions %}")
    d_columns = [(12, "№"), (63, "Мероприятие"), (32, "Ответственный"), (25, "Срок"), (33, "Ожидаемый результат")]
    t = looped_table(doc, d_columns, "d in decisions")
    n = len(d_columns)
    row = t.add_row()
    cant_split(row)
    valign(row, "top")
    number, activity, responsible, deadline, result = row.cells
    par(number, "{{ d.number }}", align="center", size=SMALL_PT + 1)
    cell_lines(activity, "x in d.activity", "{{ x }}", size=SMALL_PT + 1)
    par(responsible, "{{ d.responsible }}", size=SMALL_PT + 1)
    par(deadline, "{{ d.deadline }}", size=SMALL_PT + 1)
    cell_lines(result, "x in d.result", "{{ x }}", size=SMALL_PT + 1)
    tag_row(t, "{%tr endfor %}", n)
    tag(doc, "{%p else %}")
    par(doc, "Решения не записаны.", indent=True)
    tag(doc, "{%p endif %}")
    blank(doc)
    blank(doc)
    signature_block(doc, "{{ signer.position }}", "{{ signer.initials_surname }}")
    qr_block(doc)
    return doc


GRIFS_NOTES = {
    "is_draft": "True: «ПРОЕКТ» top right and no approval grif",
    "council_grif": "None | {body_instrumental, protocol_date, protocol_number}",
    "approval_grif": "None | {word «УТВЕРЖДЁН», order_date, order_number}",
}

QUALITY_SPECS = [
    Spec(
        name="audit_order",
        title="Приказ о проведении внутреннего аудита",
        file_name="Приказ от {{ order_date }} № {{ order_number }} о проведении аудита.docx",
        variables=[
            "org_full_name", "org_city", "verify_url", "qr", "signer",
            "order_date", "order_number", "heading", "preamble", "items", "attachments", "programme",
        ],
        signers=['director'],
        sign_within_working_days=1,
        build=build_audit_order,
        notes={
            "heading": "«О проведении внутреннего аудита»",
            "preamble": "«В соответствии с …»; the template appends «, приказываю:»",
            "items": "order items (full sentences)",
            "attachments": "[«Программа внутреннего аудита.»]",
            "programme": "the appendix: [{title, lines: [..]}] (area, scope, criteria, checklist, team, auditees, dates, plan row)",
        },
    ),
    Spec(
        name="audit_checklist",
        title="Чек-лист внутреннего аудита (заполненный)",
        file_name="Чек-лист аудита от {{ filled_on }}.docx",
        variables=["org_full_name", "verify_url", "qr", "heading", "audit_title", "filled_on", "rows",
                   "auditors"],
        build=build_audit_checklist,
        notes={
            "heading": "the checklist's title and version",
            "rows": "[{section: true, text} | {section: false, n, requirement, source, answer, comment: [..], evidence, finding}]",
            "auditors": "[{position, initials_surname}]: the lead auditor first",
        },
    ),
    Spec(
        name="audit_act",
        title="Акт внутреннего аудита",
        file_name="Акт внутреннего аудита от {{ act_date }}.docx",
        variables=["org_full_name", "org_short_name", "org_city", "verify_url", "qr", "signer", "is_draft", "draft_date", "approval",
                   "act_date", "act_number", "audit_title", "basis", "period", "area", "scope", "criteria", "team",
                   "summary", "findings", "conclusion"],
        signers=['director'],
        build=build_audit_act,
        notes={
            "is_draft": "True: «ПРОЕКТ» top right; else «УТВЕРЖДАЮ» with the director's name and approval.date",
            "approval": "None | {date}: when the director approved the act",
            "act_number": "number in the journal of audit acts (empty in the draft)",
            "basis": "«приказ от … № …»",
            "findings": "[{n, number, kind, requirement: [..], found: [..], evidence: [..], severity, recurrence}]",
            "team": "[{position, initials_surname}]: the auditors sign by hand",
            "conclusion": "paragraphs",
        },
    ),
    Spec(
        name="corrective_plan_table",
        title="План корректирующих мероприятий",
        file_name='{{ plan_title }} — {{ "проект" if is_draft else "утверждённая редакция" }}.docx',
        variables=["org_full_name", "org_short_name", "verify_url", "qr", "plan_title", "is_draft", "draft_date",
                   "council_grif", "approval_grif", "rows"],
        signers=['director'],
        build=build_corrective_plan_table,
        notes={**GRIFS_NOTES,
               "rows": "[{section: true, title, lines: [requirement, found, causes, corrections]} | {section: false, "
                       "number, kind, activity: [..], responsible: [..], deadline, result: [..]}]"},
    ),
    Spec(
        name="effectiveness_protocol",
        title="Протокол проверки результативности",
        file_name="Протокол проверки результативности от {{ checked_on }}.docx",
        variables=["org_full_name", "org_city", "verify_url", "qr", "signer", "checked_on", "check_number", "rows",
                   "result", "conclusion"],
        signers=['actor'],
        build=build_effectiveness_protocol,
        notes={"rows": "[{title, lines: [..]}]: finding, action, executor, acceptance, method, evidence",
               "result": "«эффективно» | «частично эффективно» | «не эффективно»",
               "signer": "the checker: {position, initials_surname}"},
    ),
    Spec(
        name="annual_review",
        title="Анализ функционирования ВСОКО",
        file_name="Анализ функционирования ВСОКО от {{ report_date }}.docx",
        variables=["org_full_name", "org_short_name", "org_city", "verify_url", "qr", "signer", "is_draft", "draft_date",
                   "council_grif", "approval_grif", "heading", "report_date", "summary", "plans", "findings", "charts",
                   "effectiveness_rate", "decisions"],
        signers=['director'],
        build=build_annual_review,
        notes={**GRIFS_NOTES,
               "summary": "sentences with the year's figures",
               "plans": "[{title, bold, total, on_time|late|not_executed: {count, percent}, other}] per plan and section",
               "findings": "[{title, significant, minor, total}] per area and «Итого»",
               "charts": "[{image}]: PNG charts (docxtpl InlineImage supplied by the renderer from a Picture)",
               "decisions": "[{number, activity: [..], responsible, deadline, result: [..]}]"},
    ),
]
SPECS += QUALITY_SPECS


# --------------------------------------------------------------------------- district monitoring


def build_monitoring_order():
    """The district's order launching a monitoring campaign (signed by hand: a district's head)."""
    doc = order_with_items()
    blank(doc)
    blank(doc)
    signature_block(doc, "{{ signer.position }}", "{{ signer.initials_surname }}", handwritten_line=True)
    qr_block(doc)
    return doc


def build_monitoring_card():
    """A school's filled expert card: criteria, scale, answer, points, the expert's comment."""
    doc = new_document("Экспертная карта")
    landscape(doc)
    org_header(doc, "ЭКСПЕРТНАЯ КАРТА", kind_after=0)
    par(doc, "{{ heading }}", align="center", bold=True)
    par(doc, "Образовательная организация: {{ school_name }}", align="center", after=6)
    par(doc, "Заполнена {{ filled_on }}")
    blank(doc)
    columns = [(14, "№"), (92, "Критерий"), (30, "Шкала"), (26, "Ответ"), (20, "Баллы"), (80, "Комментарий эксперта")]
    t = looped_table(doc, columns, "r in rows")
    row = t.add_row()
    cant_split(row)
    valign(row, "top")
    number, criterion, scale, answer, points, comment = row.cells
    par(number, "{{ r.code }}", align="center", size=REPORT_PT)
    par(criterion, "{{ r.text }}", size=REPORT_PT)
    par(scale, "{{ r.scale }}", align="center", size=REPORT_PT)
    par(answer, "{{ r.answer }}", align="center", size=REPORT_PT)
    par(points, "{{ r.points }}", align="center", size=REPORT_PT)
    par(comment, "{{ r.comment }}", size=REPORT_PT)
    tag_row(t, "{%tr endfor %}", len(columns))
    par(doc, "Итого: {{ total }}. Зона: {{ zone }}. Проходной балл: {{ pass_mark }}.", before=6)
    blank(doc)
    signature_block(doc, "Эксперт", "{{ expert }}", handwritten_line=True)
    qr_block(doc, LANDSCAPE_TEXT_WIDTH_MM)
    return doc


def build_monitoring_report():
    """The district's analytical справка: zones, the ranking table, criteria, charts, conclusions."""
    doc = new_document("Аналитическая справка")
    org_header(doc, "АНАЛИТИЧЕСКАЯ СПРАВКА", kind_after=0)
    par(doc, "{{ heading }}", align="center", bold=True, after=12)
    par(doc, "{{ report_date }}")
    place_line(doc)
    blank(doc)
    tag(doc, "{%p for x in summary %}")
    par(doc, "{{ x }}", align="justify", indent=True)
    tag(doc, "{%p endfor %}")
    par(doc, "Результаты общеобразовательных организаций", align="center", bold=True, before=12, after=6, keep_next=True)
    columns = [(12, "Место"), (63, "Организация"), (22, "Баллы"), (22, "%"), (22, "Индекс (лучшая = 100)"), (24, "Зона")]
    t = looped_table(doc, columns, "r in ranking")
    row = t.add_row()
    cant_split(row)
    place, name, points, share, index, zone = row.cells
    par(place, "{{ r.place }}", align="center", size=TABLE_PT)
    par(name, "{{ r.school }}", size=TABLE_PT)
    par(points, "{{ r.points }}", align="center", size=TABLE_PT)
    par(share, "{{ r.percent }}", align="center", size=TABLE_PT)
    par(index, "{{ r.index }}", align="center", size=TABLE_PT)
    par(zone, "{{ r.zone }}", align="center", size=TABLE_PT)
    tag_row(t, "{%tr endfor %}", len(columns))
    par(doc, "Выполнение критериев", align="center", bold=True, before=12, after=6, keep_next=True)
    columns = [(15, "№"), (100, "Критерий"), (25, "Средний % от максимума"), (25, "Школ с нулём баллов")]
    t = looped_table(doc, columns, "c in criteria")
    row = t.add_row()
    cant_split(row)
    code, text, mean, zero = row.cells
    par(code, "{{ c.code }}", align="center", size=TABLE_PT)
    par(text, "{{ c.text }}", size=TABLE_PT)
    par(mean, "{{ c.mean }}", align="center", size=TABLE_PT)
    par(zero, "{{ c.zero }}", align="center", size=TABLE_PT)
    tag_row(t, "{%tr endfor %}", len(columns))
    tag(doc, "{%p for c in charts %}")
    par(doc, "{{ c.image }}", align="center", before=6, after=6)
    tag(doc, "{%p endfor %}")
    par(doc, "Выводы и рекомендации", align="center", bold=True, before=12, after=6, keep_next=True)
    tag(doc, "{%p for x in conclusions %}")
    par(doc, "{{ x }}", align="justify", indent=True)
    tag(doc, "{%p endfor %}")
    blank(doc)
    signature_block(doc, "{{ signer.position }}", "{{ signer.initials_surname }}", handwritten_line=True)
    qr_block(doc)
    return doc


def build_monitoring_letter():
    """A letter of recommendations to one school: its result, the criteria it missed, what to do."""
    doc = new_document("Письмо")
    t = table(doc, [80, 85])
    left, right = t.rows[0].cells
    par(left, "{{ org_full_name }}", align="center", bold=True, size=TABLE_PT)
    par(left, "{{ letter_date }} № {{ letter_number }}", align="center", size=TABLE_PT, before=6)
    par(right, "Руководителю", size=BODY_PT)
    par(right, "{{ school_name }}", size=BODY_PT)
    blank(doc)
    par(doc, "{{ heading }}", bold=True, after=12)
    par(doc, "{{ greeting }}", align="center", after=6)
    tag(doc, "{%p for x in body %}")
    par(doc, "{{ x }}", align="justify", indent=True)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if recommendations %}")
    par(doc, "Рекомендации:", before=6, keep_next=True)
    tag(doc, "{%p for x in recommendations %}")
    par(doc, "{{ loop.index }}. {{ x }}", align="justify", indent=True)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    blank(doc)
    blank(doc)
    signature_block(doc, "{{ signer.position }}", "{{ signer.initials_surname }}", handwritten_line=True)
    qr_block(doc)
    return doc


MONITORING_SPECS = [
    Spec(
        name="monitoring_order",
        title="Приказ о проведении мониторинга ВСОКО",
        file_name="Приказ от {{ order_date }} № {{ order_number }} о мониторинге.docx",
        variables=["org_full_name", "org_city", "verify_url", "qr", "signer", "order_date", "order_number", "heading",
                   "preamble", "items"],
        build=build_monitoring_order,
        notes={"heading": "«О проведении мониторинга: …»", "items": "order items (full sentences)",
               "signer": "the district's head who approves: {position, initials_surname} (signed by hand)"},
    ),
    Spec(
        name="monitoring_card",
        title="Экспертная карта (заполненная)",
        file_name="Экспертная карта {{ school_name }}.docx",
        variables=["org_full_name", "verify_url", "qr", "heading", "school_name", "filled_on", "rows", "total", "zone",
                   "pass_mark", "expert"],
        build=build_monitoring_card,
        notes={"rows": "[{code, text, scale, answer, points, comment}]", "total": "«14 из 20 (70,0 %)»",
               "expert": "«И.О. Фамилия» of the expert who returned the card"},
    ),
    Spec(
        name="monitoring_report",
        title="Аналитическая справка по итогам мониторинга",
        file_name="Аналитическая справка по итогам мониторинга от {{ report_date }}.docx",
        variables=["org_full_name", "org_city", "verify_url", "qr", "signer", "heading", "report_date", "summary",
                   "ranking", "criteria", "charts", "conclusions"],
        build=build_monitoring_report,
        notes={"ranking": "[{place, school, points, percent, index, zone}]",
               "criteria": "[{code, text, mean, zero}]", "charts": "[{image}]: PNG charts (Picture)",
               "summary": "sentences with the district's figures", "conclusions": "sentences"},
    ),
    Spec(
        name="monitoring_letter",
        title="Письмо с рекомендациями по итогам мониторинга",
        file_name="Письмо {{ school_name }} по итогам мониторинга.docx",
        variables=["org_full_name", "verify_url", "qr", "signer", "letter_date", "letter_number", "school_name",
                   "heading", "greeting", "body", "recommendations"],
        build=build_monitoring_letter,
        notes={"body": "sentences: the school's result", "recommendations": "sentences, one per criterion missed"},
    ),
]
SPECS += MONITORING_SPECS

# --------------------------------------------------------------------------- output


def _reproducible_zip(data: bytes) -> bytes:
    """Rewrite a .docx with fixed member timestamps so rebuilding is byte-stable."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def _side_file(spec: Spec) -> str:
    lines = [
        f"# Template «{spec.title}» ({spec.name}.docx), generated by tools/build_templates.py.",
        "# variables: the top-level context names the template uses. All dates arrive as strings.",
    ]
    for var in spec.variables:
        note = spec.notes.get(var) or COMMON_DOC.get(var, "")
        lines.append(f"#   {var}: {note}" if note else f"#   {var}")
    data = {
        "name": spec.name,
        "title": spec.title,
        "file_name": spec.file_name,
        "variables": list(spec.variables),
    }
    if spec.signers:
        lines.append("# signers: who signs it in the system, each where the bookmark vsoko_sign_<name> stands "
                     "(a draft — is_draft — is never signed)")
        data["signers"] = list(spec.signers)
    if spec.sign_within_working_days is not None:
        lines.append("# sign_within_working_days: the signers' deadline, in working days from the day it is issued")
        data["sign_within_working_days"] = spec.sign_within_working_days
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200)
    return "\n".join(lines) + "\n" + body


def _check_variables(spec: Spec, docx_bytes: bytes) -> None:
    from docxtpl import DocxTemplate
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    found = DocxTemplate(io.BytesIO(docx_bytes)).get_undeclared_template_variables(
        ImmutableSandboxedEnvironment(autoescape=True)
    )
    if found != set(spec.variables):
        raise SystemExit(
            f"{spec.name}: template variables {sorted(found)} differ from the declared "
            f"{sorted(spec.variables)}"
        )


def build_all(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in SPECS:
        doc = spec.build()
        buffer = io.BytesIO()
        doc.save(buffer)
        data = _reproducible_zip(buffer.getvalue())
        _check_variables(spec, data)
        docx_path = out_dir / f"{spec.name}.docx"
        docx_path.write_bytes(data)
        yaml_path = out_dir / f"{spec.name}.yaml"
        yaml_path.write_text(_side_file(spec), encoding="utf-8")
        written += [docx_path, yaml_path]
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)
    for path in build_all(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
