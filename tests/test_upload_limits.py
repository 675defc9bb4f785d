"""Uploaded tables are measured before any parser expands them, and parsed in a limited process.

The 5 KB workbook with one merged range A1:XFD1048576 took a worker to 3.1 GB: openpyxl makes a
cell object for every cell a merge covers. Now the sheet XML is streamed first and the file is
refused with a message naming the limit, quickly and with little memory — through the service,
the JSON API (also with ?preview=true) and the browser.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile

import pytest
from openpyxl import Workbook

from vsoko_flow.config import PROJECT_ROOT
from vsoko_flow.documents.uploads import TableLimits, UploadError, measure_docx_tables, measure_xlsx
from vsoko_flow.imports.tables import TableImportError, read_table_file

from .browser import browser, live_server  # noqa: F401 - fixtures
from .test_api import api  # noqa: F401 - fixture
from .test_api_items import stored, upload
from .test_browser_plan import signed_in_page
from .test_import_tables import docx_bytes
from .test_plan_pages import new_plan


def workbook(rows: int = 3) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["№", "Мероприятие", "Срок", "Ответственный"])
    for number in range(1, rows + 1):
        sheet.append([number, f"Мероприятие {number}", "Сентябрь", "Заместитель директора"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_sheet_xml(data: bytes, edit, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    """A copy of the workbook whose sheet XML went through `edit(bytes) -> bytes`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            target.writestr(item.filename, edit(content) if item.filename == part else content)
    return out.getvalue()


def merge_bomb() -> bytes:
    """The 5 KB workbook of issue 10: one merged range over the whole sheet."""
    return with_sheet_xml(workbook(), lambda xml: xml.replace(
        b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>'))


def refusal(data: bytes, name: str) -> str:
    with pytest.raises(TableImportError) as refused:
        read_table_file(data, name)
    return str(refused.value)


# --------------------------------------------------------------------------- the 5 KB bomb


def test_the_5kb_merge_bomb_is_refused_quickly_with_little_memory():
    data = merge_bomb()
    assert len(data) < 6 * 1024
    # A fresh interpreter, so that its peak memory is this refusal's alone.
    script = textwrap.dedent("""
        import json, resource, sys, time
        from vsoko_flow.imports.tables import TableImportError, read_table_file
        data = sys.stdin.buffer.read()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        try:
            read_table_file(data, "План.xlsx")
            message = None
        except TableImportError as exc:
            message = str(exc)
        print(json.dumps({"message": message, "seconds": time.perf_counter() - started,
                          "grew_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024,
                          "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
    """)
    run = subprocess.run([sys.executable, "-c", script], input=data, capture_output=True, cwd=PROJECT_ROOT,
                         timeout=120, check=True)
    result = json.loads(run.stdout)
    assert result["message"] == ("Книга Excel слишком велика для плана: строка 1048576, а допустимо не больше 20000 "
                                 "строк (часть «xl/worksheets/sheet1.xml»)")
    assert result["seconds"] < 1.0
    assert result["grew_mb"] < 20 and result["children_mb"] < 20  # never handed to openpyxl


@pytest.mark.parametrize("preview", [True, False])
def test_the_merge_bomb_is_refused_by_the_api_and_nothing_is_stored(api, rt, school, preview):  # noqa: F811
    plan_id = new_plan(rt, school)
    before = stored(rt, plan_id)
    response = upload(api, plan_id, merge_bomb(), "План.xlsx", preview=preview, version=1)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert "не больше 20000 строк" in response.get_json()["message"]
    assert stored(rt, plan_id) == before


def test_the_merge_bomb_is_refused_in_the_browser(rt, school, live_server, browser, tmp_path):  # noqa: F811
    plan_id = new_plan(rt, school)
    before = stored(rt, plan_id)
    bomb = tmp_path / "План.xlsx"
    bomb.write_bytes(merge_bomb())
    page = signed_in_page(browser, live_server, "deputy")
    page.goto(f"{live_server.url}/plans/{plan_id}/import")
    page.get_by_label("Файл с таблицей плана").set_input_files(str(bomb))
    page.get_by_role("button", name="Показать, как будет импортировано").click()
    page.wait_for_load_state()
    assert page.locator("#plan-file-error").inner_text().startswith(
        "Книга Excel слишком велика для плана: строка 1048576")
    assert stored(rt, plan_id) == before
    page.context.close()


# --------------------------------------------------------------------------- every other measure


def _merges(count: int, height: int, last_column: str = "J") -> bytes:
    refs = "".join(f'<mergeCell ref="A{1 + i * height}:{last_column}{(i + 1) * height}"/>' for i in range(count))
    return f'</sheetData><mergeCells count="{count}">{refs}</mergeCells>'.encode()


@pytest.mark.parametrize("edit, message", [
    (lambda xml: xml.replace(b"</sheetData>", _merges(6000, 1)), "больше 5000 объединённых диапазонов"),
    (lambda xml: xml.replace(b"</sheetData>", _merges(201, 10, "CV")), "охватывают больше 200000 ячеек"),
    (lambda xml: xml.replace(b"</sheetData>", b'</sheetData><mergeCells><mergeCell ref="A1:ZZ2"/></mergeCells>'),
     "столбец № 702, а допустимо не больше 256 столбцов"),
    (lambda xml: xml.replace(b"<sheetData>", b'<dimension ref="A1:D5000000"/><sheetData>', 1),
     "строка 5000000"),
    (lambda xml: xml.replace(b"</sheetData>", b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is>'
                             b'</c></row></sheetData>'), "строка 1048576"),
    (lambda xml: xml.replace(b"</sheetData>", b"<row>" + b"<c><v>1</v></c>" * 300 + b"</row></sheetData>"),
     "столбец № 257"),
])
def test_a_workbook_over_a_limit_is_refused_naming_it(edit, message):
    assert message in refusal(with_sheet_xml(workbook(), edit), "План.xlsx")


def test_cells_are_counted_in_every_part_whatever_its_name():
    # 105 000 cells in the sheet, the same again in a part no sheet name points to.
    rows = b"".join(b'<row r="%d">' % r + b"<c><v>1</v></c>" * 100 + b"</row>" for r in range(1, 1051))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook())) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</sheetData>", rows + b"</sheetData>")
                target.writestr("custom/odd.bin", content)
            target.writestr(item.filename, content)
    measure_xlsx(out.getvalue(), TableLimits(cells=220_000))
    with pytest.raises(UploadError, match="больше 200000 заполненных ячеек"):
        measure_xlsx(out.getvalue())


def test_the_limits_hold_an_ordinary_plan():
    measure_xlsx(workbook(600))
    assert len(read_table_file(workbook(600), "План.xlsx")[0].rows) == 601


def test_a_word_table_with_huge_column_spans_is_refused():
    data = docx_bytes([["№", "Мероприятие"], ["1", "Сбор данных"]])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml")
    spanned = xml.replace(b"<w:tc>", b'<w:tc><w:tcPr><w:gridSpan w:val="100000"/></w:tcPr>', 1)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, spanned if item.filename == "word/document.xml" else source.read(item))
    assert "больше 256 столбцов" in refusal(out.getvalue(), "План.docx")
    with pytest.raises(UploadError, match="больше 1 строк"):
        measure_docx_tables(data, TableLimits(rows=1))


def test_a_csv_row_of_ten_million_cells_is_refused_before_they_are_built():
    assert refusal(b"a;" + b";" * (9 * 1024 * 1024), "План.csv") == \
        "В таблице «План.csv» слишком много столбцов: больше 256"
    assert "больше 20000 строк" in refusal(b"1;2\n" * 30_000, "План.csv")


def test_a_utf16_part_with_a_doctype_is_refused():
    data = docx_bytes([["№", "Мероприятие"], ["1", "Сбор данных"]])
    hostile = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "e">]>'
               '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>').encode("utf-16")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, source.read(item))
        target.writestr("customXml/hostile1.xml", hostile)
        target.writestr("customXml/hostile2.xml", hostile.decode("utf-16").encode("utf-32"))
    assert "DOCTYPE" in refusal(out.getvalue(), "План.docx")


@pytest.mark.parametrize("content", [
    b" " * 5000 + b'<!DOCTYPE x [<!ENTITY e "e">]><x/>',                  # whitespace first, no declaration
    (" " * 100 + '<!DOCTYPE x [<!ENTITY e "e">]><x/>').encode("utf-16-le"),  # the same in UTF-16, no BOM
])
def test_a_doctype_behind_leading_whitespace_or_in_a_binary_named_part_is_refused(content):
    data = docx_bytes([["№", "Мероприятие"], ["1", "Сбор данных"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, source.read(item))
        target.writestr("word/media/image9.png", content)
    assert "DOCTYPE" in refusal(out.getvalue(), "План.docx")


def test_a_part_in_utf7_is_refused():
    data = docx_bytes([["№", "Мероприятие"], ["1", "Сбор данных"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, source.read(item))
        target.writestr("customXml/hostile.xml", b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE x+AD4-<a/>')
    assert "в кодировке «UTF-7»" in refusal(out.getvalue(), "План.docx")
