"""Reading uploaded tables: hostile or broken files get a clear Russian message, good ones a clean grid."""
from __future__ import annotations

import datetime as dt
import io
import random
import zipfile

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from vsoko_flow.imports import (
    MAX_IMPORT_BYTES,
    TYPICAL_SCHOOL_POSITIONS,
    PlanShape,
    RawTable,
    RowKind,
    TableImportError,
    clean_cell,
    parse_plan,
    parse_plans,
    read_table_file,
)
from vsoko_flow.imports.plan_rows import HEADER_NOT_FOUND

PLAN_ROWS = [
    ["№ п/п", "Мероприятия", "Ответственный", "Срок исполнения"],
    ["1. Организационная работа", "", "", ""],
    ["1.1.", "Утверждение плана ВСОКО «на 2024/25»; приказ", "Директор", "Сентябрь"],
    ["1.2.", "Анализ результатов ВПР, ГИА", "Заместитель директора по УВР", "Декабрь, июнь"],
    ["", "", "", ""],
    ["2. Мониторинг", "", "", ""],
    ["2.1.", "Анкетирование родителей — «удовлетворённость»", "Руководители МО", "апрель-май 2025"],
]


def docx_bytes(*tables: list[list[str]], paragraph: str = "") -> bytes:
    document = Document()
    for number, rows in enumerate(tables):
        if number:
            document.add_paragraph(paragraph)
        table = document.add_table(rows=0, cols=len(rows[0]))
        for values in rows:
            for cell, value in zip(table.add_row().cells, values):
                cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def csv_text(rows: list[list[str]], delimiter: str = ";") -> str:
    def quote(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if any(c in value for c in f'{delimiter}"\n') else value

    return "\r\n".join(delimiter.join(quote(value) for value in row) for row in rows) + "\r\n"


def replace_member(data: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(member.filename, content if member.filename == name else source.read(member))
    return buffer.getvalue()


def xlsx_bytes(build) -> bytes:
    workbook = Workbook()
    build(workbook.active)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def refused(data: bytes, name: str) -> str:
    with pytest.raises(TableImportError) as error:
        read_table_file(data, name)
    return str(error.value)


# ---------------------------------------------------------------------------
# Hostile and broken uploads


def test_a_text_file_named_docx_is_not_a_word_document():
    assert refused("просто текст".encode(), "План.docx").startswith("Это не документ Word (.docx)")


def test_a_zip_without_a_document_is_not_a_word_document():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "привет")
    assert refused(buffer.getvalue(), "plan.docx") == "Это не документ Word (.docx): нет основной части документа"


def zip_bomb(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, b"<a>" + b"0" * 8 * 1024 * 1024 + b"</a>")
    data = buffer.getvalue()
    assert len(data) < 100_000  # 8 MB inside, a few KB outside
    return data


@pytest.mark.parametrize("name, member", [("bomb.docx", "word/document.xml"), ("bomb.xlsx", "xl/workbook.xml")])
def test_zip_bombs_are_refused_before_unpacking(name, member):
    assert refused(zip_bomb(member), name) == ("Файл после распаковки слишком велик: больше 50 МБ или сжат сильнее "
                                               "чем в 100 раз (похоже на «zip-бомбу»)")


@pytest.mark.parametrize("size", [MAX_IMPORT_BYTES + 1, 50 * 1024 * 1024])
@pytest.mark.parametrize("name", ["plan.docx", "plan.xlsx", "plan.csv"])
def test_files_over_ten_megabytes_are_refused(size, name):
    assert refused(b"x" * size, name) == "Файл больше 10 МБ"


def test_an_empty_file_is_refused():
    assert refused(b"", "plan.csv") == "Файл пуст"


@pytest.mark.parametrize("name, start", [
    ("plan.pdf", "Формат файла «.pdf» не поддерживается"),
    ("plan", "Формат файла «без расширения» не поддерживается"),
    ("План.doc", "Формат «.doc» не поддерживается: откройте файл и сохраните его как .docx"),
    ("План.xls", "Формат «.xls» не поддерживается"),
])
def test_unknown_and_old_formats_are_named(name, start):
    assert refused(b"anything", name).startswith(start)


def test_binary_garbage_named_csv_is_refused():
    garbage = random.Random(4).randbytes(4096)
    assert refused(garbage, "plan.csv") == "Файл не похож на текстовую таблицу CSV: в нём двоичные данные"


XXE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
)


def test_xxe_docx_is_refused():
    data = docx_bytes(PLAN_ROWS)
    document = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    hostile = replace_member(data, "word/document.xml", XXE + document.split(b"?>", 1)[1])
    assert refused(hostile, "plan.docx") == "Файл содержит объявление DOCTYPE — такие документы не принимаются"


def test_xxe_xlsx_is_refused():
    data = xlsx_bytes(lambda sheet: sheet.append(["Мероприятия", "Срок"]))
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    hostile = replace_member(data, "xl/worksheets/sheet1.xml", XXE + sheet.split(b"?>", 1)[-1])
    assert refused(hostile, "plan.xlsx") == "Файл содержит объявление DOCTYPE — такие документы не принимаются"


def test_xlsx_with_a_path_out_of_the_archive_is_refused():
    buffer = io.BytesIO(xlsx_bytes(lambda sheet: sheet.append(["Мероприятия", "Срок"])))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("../../evil.sh", "rm -rf /")
    assert refused(buffer.getvalue(), "plan.xlsx") == "Файл содержит недопустимые пути внутри архива"


def test_a_damaged_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<не книга>")
    assert refused(buffer.getvalue(), "plan.xlsx").startswith("Не удалось прочитать книгу Excel")


def test_a_docx_without_tables_or_with_an_empty_table_is_refused():
    document = Document()
    document.add_paragraph("План без таблицы")
    buffer = io.BytesIO()
    document.save(buffer)
    assert refused(buffer.getvalue(), "plan.docx") == "В документе нет таблиц: план должен быть оформлен таблицей"
    empty = docx_bytes([["", "", ""], ["", "", ""]])
    assert refused(empty, "plan.docx").startswith("Таблица пуста")


def test_a_table_without_a_recognisable_header_is_refused():
    rows = [["Иванов", "5", "отлично"], ["Петров", "4", "хорошо"]]
    for data, name in ((docx_bytes(rows), "plan.docx"), (csv_text(rows).encode(), "plan.csv")):
        with pytest.raises(TableImportError) as error:
            parse_plan(read_table_file(data, name), "2024/2025")
        assert str(error.value) == HEADER_NOT_FOUND
    assert HEADER_NOT_FOUND == (
        "Не найдена строка заголовков: ожидаются столбцы вроде «Мероприятия», «Ответственный», «Срок»"
    )


def test_a_table_of_too_many_rows_is_refused():
    rows = [["Мероприятия", "Срок"]] + [[f"Мероприятие {n}", "май"] for n in range(5001)]
    assert refused(csv_text(rows).encode(), "plan.csv").endswith("слишком велика: больше 5000 строк")


def test_table_import_error_is_an_upload_error():
    from vsoko_flow.documents.uploads import UploadError

    assert issubclass(TableImportError, UploadError) and issubclass(TableImportError, ValueError)


# ---------------------------------------------------------------------------
# CSV: encodings and delimiters


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_cp1251_and_utf8_csv_import_identically(delimiter):
    text = csv_text(PLAN_ROWS, delimiter)
    variants = [
        text.encode("utf-8"), text.encode("utf-8-sig"), text.encode("cp1251"), text.encode("utf-16"),
    ]
    grids = [read_table_file(data, "план.csv") for data in variants]
    assert all([row.cells for row in grid[0].rows] == [row.cells for row in grids[0][0].rows] for grid in grids)
    assert grids[0][0].rows[2].cells[1] == "Утверждение плана ВСОКО «на 2024/25»; приказ"
    plans = [parse_plan(grid, "2024/2025").to_dict() for grid in grids]
    assert all(plan == plans[0] for plan in plans)
    assert [item["full_number"] for item in plans[0]["items"]] == ["1.1", "1.2", "2.1"]


def test_tsv_uses_tabs_and_multiline_cells_survive():
    rows = [["Мероприятия", "Ответственный", "Сроки"], ["Анализ\nрезультатов", "Директор", "Май"]]
    grid = read_table_file(csv_text(rows, "\t").encode("cp1251"), "plan.tsv")[0]
    assert grid.rows[1].cells == ("Анализ результатов", "Директор", "Май")


# ---------------------------------------------------------------------------
# Cells


@pytest.mark.parametrize("raw, clean", [
    ("<p>Качество условий</p>", "Качество условий"),
    ("<p>один</p> <p>-два</p>", "один -два"),
    ("строка<br>ещё<br/>и ещё", "строка ещё и ещё"),
    ("&nbsp;Рога &amp; Копыта &lt;ООО&gt;", "Рога & Копыта <ООО>"),
    ("Рога & Копыта <ООО>", "Рога & Копыта <ООО>"),
    ("<span style='x'>Июнь</span>", "Июнь"),
    ("  много \n\n пробелов\t и\u00a0строк ", "много пробелов и строк"),
    ("пере\u00adнос\u200b", "перенос"),
    ("2 < 3 и 5 > 4", "2 < 3 и 5 > 4"),
])
def test_cells_are_plain_text(raw, clean):
    assert clean_cell(raw) == clean


# ---------------------------------------------------------------------------
# Merged cells


def test_xlsx_with_merged_cells():
    def build(sheet):
        sheet.append(["Объект/предмет ВСОКО", "Критерии оценки качества образования", "Ответственный", "Сроки"])
        sheet.append(["Качество образовательных результатов"])
        sheet.merge_cells("A2:D2")
        sheet.append(["Кадровые условия", "Доля педагогов с категорией", "Методист", dt.datetime(2025, 1, 20)])
        sheet.append([None, "Доля педагогов в проектах", "Заместитель директора по УВР", "Июнь"])
        sheet.merge_cells("A3:A4")
        sheet.append([None, "Одна строка показателей", None, None])
        sheet.append(["Поступление выпускников", 2.5, "Заместитель директора по УВР", 2025])

    tables = read_table_file(xlsx_bytes(build), "plan.xlsx")
    grid = tables[0]
    assert grid.rows[1].cells == ("Качество образовательных результатов", "", "", "")
    assert grid.rows[1].merged_left == (False, True, True, True)
    assert grid.rows[3].merged_up == (True, False, False, False)
    assert grid.rows[2].cells[3] == "20.01.2025"
    assert grid.rows[5].cells[1:] == ("2.5", "Заместитель директора по УВР", "2025")
    plan = parse_plan(tables, "2024/2025")
    assert plan.shape is PlanShape.FUNCTIONING
    assert [section.title for section in plan.sections] == ["Качество образовательных результатов"]
    assert [item.main_text for item in plan.items] == [
        "Кадровые условия", "Кадровые условия", "Поступление выпускников"
    ]
    assert not any("строки выше" in w for w in plan.items[1].warnings)  # merged, not guessed
    assert plan.items[0].schedule["periods"][0]["due"] == "2025-01-20"
    assert plan.items[1].fields["criteria"] == "Доля педагогов в проектах\nОдна строка показателей"
    assert plan.row_accounting.balanced and plan.row_accounting.continuation_rows == 1


def test_xlsx_sheets_without_data_are_skipped():
    workbook = Workbook()
    workbook.active.title = "Пустой"
    sheet = workbook.create_sheet("План")
    for row in PLAN_ROWS:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    tables = read_table_file(buffer.getvalue(), "plan.xlsx")
    assert [table.name for table in tables] == ["лист «План»"]
    assert len(parse_plan(tables, "2024/2025").items) == 3


def test_docx_vertical_merge_keeps_the_value_in_the_first_row():
    document = Document()
    table = document.add_table(rows=4, cols=3)
    values_by_row = [
        ["Мероприятия", "Ответственный", "Сроки"], ["Аудит", "Директор", "Май"], ["", "Методист", "Июнь"],
        ["Анализ", "", "Май"],
    ]
    for row, values in zip(table.rows, values_by_row):
        for cell, value in zip(row.cells, values):
            cell.text = value
    table.cell(1, 0).merge(table.cell(2, 0))
    table.cell(2, 1).merge(table.cell(3, 1))
    buffer = io.BytesIO()
    document.save(buffer)
    grid = read_table_file(buffer.getvalue(), "plan.docx")[0]
    assert [row.cells for row in grid.rows[1:]] == [
        ("Аудит", "Директор", "Май"), ("", "Методист", "Июнь"), ("Анализ", "", "Май")
    ]
    assert [row.merged_up for row in grid.rows[1:]] == [(False,) * 3, (True, False, False), (False, True, False)]
    plan = parse_plan([grid], "2024/2025")
    assert [(item.main_text, item.responsible) for item in plan.items] == [
        ("Аудит", "Директор"), ("Аудит", "Методист"), ("Анализ", "")
    ]


def test_docx_table_split_by_a_paragraph_continues_and_foreign_tables_are_reported():
    first = PLAN_ROWS[:4]
    second = PLAN_ROWS[4:]
    signatures = [["Директор", "подпись"]]
    data = docx_bytes(first, second, signatures, paragraph="Продолжение таблицы")
    plans = parse_plans(read_table_file(data, "plan.docx"), "2024/2025")
    assert len(plans) == 1
    plan = plans[0]
    assert plan.table_indexes == (0, 1)
    assert [item.full_number for item in plan.items] == ["1.1", "1.2", "2.1"]
    assert plan.warnings == ["Таблица «таблица 3» без строки заголовков не импортирована (заполненных строк: 1)"]


def test_rows_above_the_header_and_repeated_headers_are_header_rows():
    rows = [["ПЛАН ВСОКО на 2024/2025 учебный год"] * 4] + PLAN_ROWS[:3] + [PLAN_ROWS[0]] + PLAN_ROWS[3:]
    plan = parse_plan([RawTable.from_texts(rows)], "2024/2025")
    kinds = [outcome.kind for outcome in plan.row_accounting.outcomes]
    assert kinds[:2] == [RowKind.HEADER, RowKind.HEADER] and kinds[4] is RowKind.HEADER
    assert plan.title == "ПЛАН ВСОКО на 2024/2025 учебный год"
    assert len(plan.items) == 3 and plan.row_accounting.balanced


# ---------------------------------------------------------------------------
# Numbers, sections, fingerprints


def numbered(*numbers: str) -> RawTable:
    rows = [["№", "Мероприятия", "Срок"], ["1. Раздел", "", ""]]
    rows += [[number, f"Мероприятие {index}", "май"] for index, number in enumerate(numbers)]
    return RawTable.from_texts(rows)


@pytest.mark.parametrize("numbers, repaired, warnings", [
    (["1", "l", "3"], ["1", "2", "3"], [None, "номер восстановлен: l → 2", None]),
    (["1", "2", "S"], ["1", "2", "3"], [None, None, "номер восстановлен: S → 3"]),
    (["9", "1О", "11"], ["9", "10", "11"],
     ["номер не по порядку: ожидался 1, указан 9", "номер восстановлен: 1О → 10", None]),
    (["1.1.", "1,2", "1.3"], ["1.1", "1.2", "1.3"], [None, "номер восстановлен: 1,2 → 1.2", None]),
    (["", "2", "2.12"], ["1", "2", "2.12"], ["номер восстановлен: (пусто) → 1", None,
                                            "номер не по порядку: ожидался 3, указан 2.12"]),
    (["1", "?", "3"], ["1", "2", "3"], [None, "номер восстановлен: ? → 2", None]),
])
def test_item_numbers_are_checked_against_the_sequence(numbers, repaired, warnings):
    plan = parse_plan([numbered(*numbers)], "2024/2025")
    assert [item.number for item in plan.items] == repaired
    assert [next((w for w in item.warnings if w.startswith("номер")), None) for item in plan.items] == warnings
    assert [item.number_written for item in plan.items] == numbers


def test_sections_rows_spanning_or_repeated_in_every_cell():
    rows = [["Мероприятия", "Срок"], ["3.Контроль", "3.Контроль"], ["Проверка", "май"], ["Итоги", ""]]
    plan = parse_plan([RawTable.from_texts(rows)], "2024/2025")
    assert [(s.number, s.title) for s in plan.sections] == [("3", "Контроль"), (None, "Итоги")]
    assert "Раздел «Итоги» без мероприятий" in plan.warnings


def test_fingerprints_are_stable_and_tell_duplicates_apart():
    rows = [["Мероприятия", "Срок"], ["Проверка", "май"], ["Проверка", "май"]]
    first = parse_plan([RawTable.from_texts(rows)], "2024/2025")
    again = parse_plan([RawTable.from_texts([[" ".join(c.split()) for c in row] for row in rows])], "2025/2026")
    assert [i.fingerprint for i in first.items] == [i.fingerprint for i in again.items]
    assert len({i.fingerprint for i in first.items}) == 2
    other = parse_plan([RawTable.from_texts([rows[0], ["Проверка журналов", "май"]])], "2024/2025")
    assert other.items[0].fingerprint not in {i.fingerprint for i in first.items}


def test_preview_is_plain_data():
    import json

    plan = parse_plan([RawTable.from_texts(PLAN_ROWS)], "2024/2025")
    preview = json.loads(json.dumps(plan.to_dict(), ensure_ascii=False))
    assert preview["row_accounting"]["balanced"] is True
    assert preview["items"][1]["schedule"]["periods"][0]["start"] == "2024-12-01"
    assert preview["shape"] == "roadmap"


WORDS = ["1.", "2", "S", "1.1.", "", "", "", "Анализ", "обеспеченности", "Директор", "Зам по УВР", "Май", "<p>Июнь</p>",
         "Согласно ВШК", "Руководители МО", "3.Контроль", "ИМЦ, ЦОКО", "мероприятия", "&nbsp;"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(WORDS), min_size=4, max_size=4), max_size=25))
def test_any_rows_under_a_header_are_all_accounted_for(rows):
    header = ["№ п/п", "Мероприятия", "Ответственный", "Срок исполнения"]
    plan = parse_plan([RawTable.from_texts([header] + rows)], "2024/2025", TYPICAL_SCHOOL_POSITIONS)
    accounting = plan.row_accounting
    assert accounting.balanced
    kinds = {outcome.source.row: outcome.kind for outcome in accounting.outcomes}
    table = RawTable.from_texts([header] + rows)
    assert sorted(kinds) == [row.index for row in table.rows]
    assert all((kinds[row.index] is RowKind.EMPTY) == row.is_empty for row in table.rows[1:])
    assert len({item.fingerprint for item in plan.items}) == len(plan.items)
