"""The renderer skips two of docxtpl's passes when they would change nothing — «listing» (tabs and
line breaks typed in values turned into Word's marks) when no text holds such a character, and the
re-gridding of tables when every table's rows fit its grid: the documents must come out the same."""
from __future__ import annotations

import re
import zipfile
from io import BytesIO

import pytest
from docx import Document
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from lxml import etree

from vsoko_flow.documents import render
from vsoko_flow.documents.render import load_template, render_docx

from .test_document_templates import NAMES, TEMPLATES, context

ALWAYS = re.compile("")  # matches every text: docxtpl's own pass runs as before


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name.endswith(".xml")}


@pytest.mark.parametrize("name", NAMES)
def test_skipping_the_passes_changes_no_part_of_any_document(name, monkeypatch):
    source = load_template(TEMPLATES / f"{name}.docx")
    sample = context(name)
    skipped = parts(render_docx(source, sample))
    monkeypatch.setattr(render, "_LISTING_CHARACTER", ALWAYS)
    monkeypatch.setattr(render._PreparedDocxTemplate, "fix_tables", DocxTemplate.fix_tables)
    full = parts(render_docx(source, sample))
    assert skipped.keys() == full.keys()
    for part in full:
        assert skipped[part] == full[part], part


def test_tabs_and_line_breaks_in_a_value_still_become_word_marks():
    source = load_template(TEMPLATES / "order_approval.docx")
    data = render_docx(source, context("order_approval", heading="Первая строка\nвторая строка\tпосле табуляции"))
    body = Document(BytesIO(data)).element.body
    heading = next(p for p in body.iter(qn("w:p")) if "Первая строка" in "".join(t.text or "" for t in p.iter(qn("w:t"))))
    assert heading.findall(f".//{qn('w:br')}"), "the line break is a <w:br/>"
    assert heading.findall(f".//{qn('w:tab')}"), "the tab is a <w:tab/>"
    texts = [t.text for t in heading.iter(qn("w:t"))]
    assert "Первая строка" in texts and "вторая строка" in texts and "после табуляции" in texts
    assert not any("\n" in (t or "") or "\t" in (t or "") for t in texts)


def test_the_check_finds_a_break_only_inside_a_text_run():
    assert render._LISTING_CHARACTER.search('<w:p><w:r><w:t xml:space="preserve">а\nб</w:t></w:r></w:p>')
    assert render._LISTING_CHARACTER.search("<w:r><w:t>а\tб</w:t></w:r>")
    # Line breaks between elements, and tables' own tags, are not text.
    assert not render._LISTING_CHARACTER.search("<w:tbl>\n<w:tr>\n<w:tc><w:p><w:r><w:t>а б</w:t></w:r></w:p></w:tc>")
    assert not render._LISTING_CHARACTER.search("<w:r><w:tab/></w:r>\n<w:r><w:t>а</w:t></w:r>")


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def table(grid: int, *rows: list[int]):
    """A table of `grid` columns; each row given as the spans of its cells."""
    cells = "".join
    xml = (f'<w:tbl xmlns:w="{W}"><w:tblGrid>' + '<w:gridCol w:w="100"/>' * grid + "</w:tblGrid>"
           + "".join("<w:tr>" + cells(f'<w:tc><w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr></w:tc>' if span > 1
                                      else "<w:tc><w:p/></w:tc>" for span in row) + "</w:tr>" for row in rows)
           + "</w:tbl>")
    return etree.fromstring(xml)


@pytest.mark.parametrize(("grid", "rows", "needs"), [
    (4, [[1, 1, 1, 1], [2, 1, 1]], False),      # spans fill the grid: nothing to do
    (60, [[21, 12, 15, 12]], False),            # the plan's table: a wide grid spanned by four cells
    (3, [[1, 1, 1], [1, 1, 1, 1]], True),       # a row with a cell more than the grid (a column loop)
    (4, [[1, 1], [1, 1, 1]], True),             # no row fills the grid: docxtpl drops a column
    (2, [], True),                              # no rows at all: docxtpl drops the grid
])
def test_a_table_is_regridded_exactly_when_docxtpl_would_change_it(grid, rows, needs):
    element = table(grid, *rows)
    assert render._needs_regrid(element) is needs
    before = etree.tostring(element)
    changed = etree.tostring(DocxTemplate.fix_tables(None, before.decode()))
    assert (changed != before) is needs
