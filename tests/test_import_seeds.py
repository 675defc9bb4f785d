"""The real documents the product was created from, when they are beside the project: every table
of the five seed documents, built into .docx and .csv from the seed files at test time, imports
with no row lost — sections, items, responsible and deadlines row by row.

The seeds are not part of the repository: `make test` points VSOKO_SEEDS_DIR at them when they
are there, and otherwise this module is skipped with the reason in the summary. Everything it
checks is also checked on the project's own tables (`test_import_shapes`, `tests/data/plans.py`).

The seed dumps write a table row as one line of tab-separated cells (seeds 000, 001, 002, 004)
or, in seed 003, one cell per line with a leading tab and blank lines between rows.  The
helpers below find those tables, rebuild them as real files (section rows as a merged row
spanning the table; seed 003's meeting cells merged vertically, as in the original), import
the files, and compare the result with expectations written here from reading the seeds.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from vsoko_flow.imports import PlanShape

from .plan_files import (
    FORMATS,
    MAIN_HEADINGS,
    Imported,
    Row,
    Table,
    check_a_document_holding_two_plans,
    check_import_identically,
    check_items_carry_their_rows,
    check_no_row_is_lost,
    check_row_kinds,
    check_same_fingerprints,
    check_sections,
    dates,
    import_table,
    plain,
)
from .test_responsible import check_every_responsible_text_is_known

SEEDS_DIR = os.environ.get("VSOKO_SEEDS_DIR", "")
if not SEEDS_DIR:
    pytest.skip("the real seed documents (VSOKO_SEEDS_DIR) are not beside the project: checked only on project data",
                allow_module_level=True)
SEEDS = Path(SEEDS_DIR)
if not SEEDS.is_dir():
    pytest.fail(f"VSOKO_SEEDS_DIR={SEEDS_DIR} is not a folder", pytrace=False)
HEADING_WORDS = ("Мероприят", "Наименование", "Объект", "Формулировк", "Ответствен", "Срок")


# ---------------------------------------------------------------------------
# Finding the tables in the seed dumps


def seed_lines(name: str) -> list[str]:
    return (SEEDS / name).read_text(encoding="utf-8").splitlines()


def grid_tables(name: str) -> list[Table]:
    """Runs of tab-separated lines; blank lines inside a run are empty rows, a paragraph ends a run."""
    runs: list[tuple[list[Row], str | None]] = []
    current: list[Row] = []
    blanks: list[Row] = []
    for number, line in enumerate(seed_lines(name), start=1):
        if "\t" in line:
            current += blanks + [Row(number, line.split("\t"))]
            blanks = []
        elif not line.strip():
            if current:
                blanks.append(Row(number, []))
        elif current:
            runs.append((current, line.strip()))
            current, blanks = [], []
    if current:
        runs.append((current, None))
    tables: list[Table] = []
    previous_break: str | None = None
    for rows, following in runs:
        if any(word in text for text in rows[0].cells for word in HEADING_WORDS):
            tables.append(Table(f"{name[:3]}-{len(tables) + 1}", [rows]))
        else:  # no header: the same table goes on after a paragraph
            tables[-1].pieces.append(rows)
            tables[-1].breaks.append(previous_break or "")
        previous_break = following
    return tables


def vertical_tables(name: str) -> list[Table]:
    """Seed 003: a cell per line («\\t<text>»), rows separated by blank lines."""
    lines = seed_lines(name)
    starts = [index for index, line in enumerate(lines) if line == "\t№"]
    tables = []
    for number, start in enumerate(starts):
        stop = starts[number + 1] if number + 1 < len(starts) else len(lines)
        last = max(index for index in range(start, stop) if "\t" in lines[index])
        blocks: list[Row] = []
        after_blank = True
        for index in range(start, last + 1):
            line = lines[index]
            if "\t" in line:
                text = line.split("\t", 1)[1]
                if after_blank:
                    blocks.append(Row(index + 1, [text]))
                else:
                    blocks[-1].cells.append(text)
                after_blank = False
            elif line.strip():  # another paragraph of the same cell
                blocks[-1].cells[-1] += "\n" + line.strip()
                after_blank = False
            else:
                after_blank = True
        width = len(blocks[0].cells)
        for block in blocks:  # a row whose merged meeting cells were dumped as one empty line
            block.cells = [""] * (width - len(block.cells)) + block.cells
        table = Table(f"{name[:3]}-{number + 1}", [blocks])
        table.group_columns = table.column(*MAIN_HEADINGS)
        tables.append(table)
    return tables


def is_section_row(table: Table, row: Row) -> bool:
    """One text, in the number or main column, starting with a capital or a number (written for the test)."""
    filled = [(index, plain(text)) for index, text in enumerate(row.cells) if plain(text)]
    main = table.column(*MAIN_HEADINGS) or 0
    return (
        len(filled) == 1 and filled[0][0] <= main and not table.group_columns
        and (filled[0][1][0].isupper() or filled[0][1][0].isdigit())
    )


@cache
def seed_tables() -> dict[str, Table]:
    found = {}
    for path in sorted(SEEDS.glob("*.txt")):
        lines = [line for line in seed_lines(path.name) if "\t" in line]
        vertical = all(len(line.split("\t")) == 2 and not line.split("\t")[0].strip() for line in lines)
        for table in vertical_tables(path.name) if vertical else grid_tables(path.name):
            for row in table.rows:
                row.spans = is_section_row(table, row)
            table.school_year = EXPECTED[table.key].school_year
            found[table.key] = table
    return found


def read_seed(key: str, form: str) -> Imported:
    """Build the file from the seed and import it (afresh on every call)."""
    return import_table(seed_tables()[key], form)


import_seed = cache(read_seed)  # the tests only read what an import gives


# ---------------------------------------------------------------------------
# What the seeds say (read by hand)


@dataclass
class Expected:
    school_year: str
    shape: PlanShape
    # (section number, title start, item count, first item text start, last item text start)
    sections: list[tuple[str | None, str, int, str, str]]
    section_lines: list[int] = field(default_factory=list)
    continuation_lines: dict[int, list[int]] = field(default_factory=dict)  # item line → its continuation lines
    header_lines: list[int] = field(default_factory=list)


EXPECTED: dict[str, Expected] = {
    "000-1": Expected(
        "2023/2024", PlanShape.ACTIVITY,
        [
            ("1", "Организационно-технологическое сопровождение мониторинга", 7,
             "Мониторинг учебных достижений", "Диагностика образовательных потребностей"),
            ("2", "Оценка образовательных процессов, условий и результатов", 8,
             "Мониторинговые исследования результатов ГИА", "Удовлетворенность родителей"),
            ("3", "Контроль в сфере образования", 2, "Контроль разработки рабочих программ",
             "Контроль ведения документации"),
            ("4", "Оценка качества профессионализма работников", 2, "Совершенствование механизмов",
             "Участие в профессиональных конкурсах"),
            ("5", "Методическое сопровождение становления", 3, "Совершенствование механизмов",
             "Изучение и внедрение передового опыта"),
            ("6", "Организационно — методическое сопровождение оценочных процедур", 10,
             "Организационно методическое и технологическое", "Ресурсное обеспечение воспитания"),
            ("7", "Оценка качества здоровьесберегающей деятельности", 2, "Динамика формирования ценности",
             "Динамика показателей здоровья"),
            ("8", "Оценка безопасности пребывания детей в школе", 4, "Оценка условий состояния",
             "Системность работы по обеспечению пожарной"),
            ("9", "Оценка качества работы с одаренными детьми", 3, "Количество участников предметных",
             "Участие в научных конференциях"),
            ("10", "Сформированность личностных и социальных компетенций", 5,
             "Участие в научно исследовательских", "Распределение выпускников"),
            ("11", "Организация ГИА", 1, "Организационно-методическое и технологическое",
             "Организационно-методическое и технологическое"),
            ("12", "Организация деятельности по ведению портфолио", 2, "Использование федеральных показателей",
             "Использование показателей оценки учебной"),
            ("13", "Информационно — статистическая деятельность", 1, "Создание базы данных", "Создание базы данных"),
            ("14", "Обеспечение внутренних и внешних пользователей", 1, "Размещение на сайте школы",
             "Размещение на сайте школы"),
        ],
        section_lines=[13, 22, 32, 35, 38, 42, 55, 58, 63, 67, 74, 76, 79, 83],
        continuation_lines={80: [82]},
        header_lines=[12],
    ),
    "001-1": Expected(
        "2024/2025", PlanShape.FUNCTIONING,
        [
            (None, "Качество образовательных результатов", 6, "Планируемые результаты", "Поступление выпускников"),
            (None, "Качество организации и осуществления образовательной деятельности", 3,
             "Основные общеобразовательные программы", "Профилактика учебной неуспешности"),
            (None, "Качество условий, обеспечивающих образовательную деятельность", 6,
             "Материально-технические условия", "Кадровые условия"),
        ],
        section_lines=[226, 245, 251],
        continuation_lines={231: [232, 233, 234, 235, 236], 237: [241, 242], 243: [244], 248: [250]},
        header_lines=[225],
    ),
    "001-2": Expected(
        "2024/2025", PlanShape.ROADMAP,
        [
            (None, "", 6, "Организационное сопровождение подготовки", "Участие в региональном семинаре"),
            ("2", "Организационное обеспечение проведения мероприятий, оценочных процедур", 12,
             "Организационно-техническое, технологическое", "Формирование, ведение, контроль"),
        ],
        section_lines=[271],
        continuation_lines={281: [283]},
        header_lines=[263],
    ),
    "002-1": Expected(
        "2019/2020", PlanShape.ROADMAP,
        [(None, "Формирование нормативно-правового обеспечения", 10, "Решение о создании", "Анализ ВСОКО")],
        section_lines=[7],
        continuation_lines={13: [15]},
        header_lines=[6],
    ),
    "003-1": Expected(
        "2023/2024", PlanShape.DECISIONS,
        [
            ("1", "Педагогический совет, Август 2023", 3, "Доработать и включить", "Разработать и организовать"),
            ("2", "Методический совет", 3, "Оказать методическую помощь", "Скорректировать план курсовой"),
            ("3", "Заседание ШМО учителей начальных классов", 3, "Рассмотреть наличие рабочих программ",
             "Рассмотреть возможность участия"),
            ("4", "Совещание при директоре, Август 2023", 2, "Сбор данных об оснащенности",
             "Разработать систему контрольно"),
            ("5", "Общешкольное родительское собрание, Ноябрь 2023", 1, "Особенности проведения ВПР",
             "Особенности проведения ВПР"),
            ("6", "Заседание ШМО учителей предметов естественно-математического", 2,
             "Организовать дополнительные занятия", ""),
            ("7", "Педагогический совет, Февраль 2024г", 6, "Назначить ответственного",
             "Провести анализ результатов ВПР, мониторинговых"),
            ("8", "Педагогический совет, Май 2024г", 2, "Провести разъяснительную работу",
             "Провести анализ результатов ВПР и РМО"),
        ],
        header_lines=[6],
    ),
    "003-2": Expected(
        "2023/2024", PlanShape.MEASURES,
        [("1", "2023-2024", 10, "Использование в качестве подготовки", "Необходимо совершенствовать формы")],
        header_lines=[200],
    ),
    "004-1": Expected(
        "2022/2023", PlanShape.ROADMAP,
        [
            ("1", "Проведение информационно-разъяснительной работы", 4, "Совещание с заместителями",
             "Совещание с заместителями"),
            ("2", "Мониторинг внутренней системы оценки качества образования", 12,
             "Утверждение положения о мониторинге", "Обновление положения о СОКО"),
        ],
        section_lines=[22, 27],
        header_lines=[21, 30, 41],
    ),
}
ALL = [(key, form) for key in EXPECTED for form in FORMATS]


def test_every_seed_table_is_found_and_expected():
    found = seed_tables()
    assert sorted(found) == sorted(EXPECTED)
    assert [len(table.pieces) for table in found.values()] == [1, 2, 1, 1, 1, 1, 1]
    assert found["001-1"].breaks == ["Статистические отчеты"]  # a paragraph the dump left inside the table


@pytest.fixture(scope="module", params=ALL, ids=[f"{key}-{form}" for key, form in ALL])
def imported(request) -> Imported:
    return import_seed(*request.param)


# ---------------------------------------------------------------------------
# Whole tables


def test_no_row_is_lost(imported: Imported):
    check_no_row_is_lost(imported)


def test_shape_sections_and_item_counts(imported: Imported):
    expected = EXPECTED[imported.table.key]
    assert imported.plan.shape is expected.shape
    check_sections(imported.plan, expected.sections)


def test_row_kinds_match_the_seed_lines(imported: Imported):
    expected = EXPECTED[imported.table.key]
    check_row_kinds(imported, expected.section_lines, expected.header_lines, expected.continuation_lines)


def test_every_item_carries_its_seed_row(imported: Imported):
    check_items_carry_their_rows(imported)


def test_the_same_file_imports_to_the_same_fingerprints(imported: Imported):
    check_same_fingerprints(imported.plan, read_seed(imported.table.key, "docx").plan)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_docx_and_csv_import_identically(key):
    check_import_identically([import_seed(key, form).plan for form in FORMATS])


# ---------------------------------------------------------------------------
# Particular rows


@pytest.mark.parametrize("form", FORMATS)
def test_seed_000_numbers_missing_and_mangled_are_repaired(form):
    imported = import_seed("000-1", form)
    repaired = {
        imported.line_of(item): (item.number_written, item.full_number)
        for item in imported.plan.items if any(w.startswith("номер восстановлен") for w in item.warnings)
    }
    assert repaired == {
        14: ("", "1.1"), 18: ("S", "1.5"), 23: ("", "2.1"), 33: ("", "3.1"), 39: ("", "5.1"),
        56: ("", "7.1"), 59: ("", "8.1"), 68: ("", "10.1"), 75: ("", "11.1"), 77: ("", "12.1"),
    }
    five = imported.item_at(18)
    assert five.warnings[0] == "номер восстановлен: S → 5"
    assert five.responsible == "Психолог" and dates(five) == [("2023-09-01", "2023-09-30")]
    assert imported.item_at(14).warnings[0] == "номер восстановлен: (пусто) → 1"
    assert [item.full_number for item in imported.plan.items_of(0)] == [f"1.{n}" for n in range(1, 8)]
    assert [item.number for item in imported.plan.items_of(5)] == [str(n) for n in range(1, 11)]


@pytest.mark.parametrize("form", FORMATS)
def test_seed_000_rows(form):
    imported = import_seed("000-1", form)
    both = imported.item_at(20)
    assert [part["position_keys"] for part in both.responsible_match["parts"]] == [["deputy_uvr"], ["psychologist"]]
    assert imported.item_at(14).schedule["kind"] == "linked" and imported.item_at(14).schedule["linked_to"] == "ВШК"
    assert imported.item_at(23).schedule["linked_to"] == "ГИА"
    assert imported.item_at(36).schedule["kind"] == "linked"  # «НСОТ» stays text
    assert dates(imported.item_at(31)) == [("2024-03-01", "2024-03-31")]  # «Март» of 2023/24
    assert imported.item_at(37).schedule["kind"] == "continuous"
    assert dates(imported.item_at(37)) == [("2023-09-01", "2024-08-31")]
    truncated = imported.item_at(33)
    assert truncated.responsible == "Заместитель директора по"
    assert any(w.startswith("ответственный записан не полностью") for w in truncated.warnings)
    assert imported.item_at(31).responsible_match["groups"] == ["Администрация"]
    assert imported.item_at(64).responsible_match["position_keys"] == ["deputy_uvr"]  # «Зам по УВР»
    base = imported.item_at(80)
    assert base.main_text.endswith("5. Мониторинг обеспеченности учебниками 6.Мониторинг условий реализации ФГОС")
    assert dates(imported.item_at(84)) == [("2024-05-01", "2024-05-31")]


@pytest.mark.parametrize("form", FORMATS)
def test_seed_001_functioning_plan(form):
    imported = import_seed("001-1", form)
    first = imported.item_at(227)
    assert first.fields["responsible"] == "Заместители директора по УВР, руководители МО"
    assert dates(first) == [("2024-12-01", "2024-12-31"), ("2025-06-01", "2025-06-30")]
    assert first.fields["document_format"] == "Статистико-аналитическая справка"
    projects = imported.item_at(229)
    assert [p["note"] for p in projects.schedule["periods"]] == ["9-е классы", "10-е классы"]
    assert dates(projects) == [("2025-02-01", "2025-02-28"), ("2025-05-01", "2025-05-31")]
    gia = imported.item_at(231)
    assert gia.fields["criteria"].count("\n") == 5  # five extra indicator lines, one item
    assert gia.fields["criteria"].endswith("Доля участников, набравших балл ниже минимального (ЕГЭ)")
    split = imported.item_at(237)  # a row cut by a page break
    assert split.main_text == (
        "Индивидуальные достижения обучающихся на конкурсах, соревнованиях, олимпиадах"
        " (работа с одаренными обучающимися)"
    )
    assert split.fields["responsible"] == "Заместители директора по УВР, по ВВВР, методисты"
    assert "ответственный не найден: «по ВВВР»" in split.warnings
    assert dates(imported.item_at(248)) == [("2024-09-01", "2025-05-31")]
    assert "<p>" not in imported.item_at(248).fields["indicators"]
    assert imported.plan.sections[2].title == "Качество условий, обеспечивающих образовательную деятельность"
    staff = [imported.item_at(line) for line in (254, 256, 257, 258)]
    assert [item.main_text for item in staff] == ["Кадровые условия"] * 4
    assert [item.responsible for item in staff] == [
        "Заместитель директора по УВР", "Методист", "Заместитель директора по УВР", "Заместитель директора по УВР"
    ]
    assert "объект оценки не указан — взят из строки выше" in staff[1].warnings
    assert [item.full_number for item in imported.plan.items_of(2)] == [f"3.{n}" for n in range(1, 7)]
    assert len(dates(imported.item_at(253))) == 3  # «Сентябрь, январь, май»


@pytest.mark.parametrize("form", FORMATS)
def test_seed_001_roadmap(form):
    imported = import_seed("001-2", form)
    yearly = imported.item_at(264)
    assert yearly.schedule["kind"] == "recurring" and yearly.schedule["periods"][-1]["due"] == "2024-11-30"
    assert imported.item_at(267).schedule["kind"] == "recurring"
    assert dates(imported.item_at(270)) == [("2024-12-01", "2024-12-31")]
    assert imported.item_at(270).number_written == "6." and imported.item_at(270).number == "6"
    assert imported.item_at(273).schedule["kind"] == "linked"
    assert "срок не распознан" in imported.item_at(274).warnings[0]
    assert "срок не указан" in imported.item_at(276).warnings
    assert dates(imported.item_at(281)) == [("2024-12-01", "2025-01-31")]
    assert imported.item_at(281).responsible.endswith("педагогических сообществ ОУ для проведения аудита")
    assert imported.item_at(284).schedule["linked_to"] == "график проведения"
    assert [item.number for item in imported.plan.items_of(1)] == [f"2.{n}" for n in range(1, 13)]
    assert not any(w.startswith("номер") for item in imported.plan.items for w in item.warnings)


@pytest.mark.parametrize("form", FORMATS)
def test_seed_002_plan_of_introduction(form):
    imported = import_seed("002-1", form)
    six = imported.item_at(13)
    assert "квалификации педагогов и заместителей директора ОО" in six.main_text
    assert six.main_text.endswith("реализации программы развития системы профориентационной работы")
    assert dates(imported.item_at(8)) == [("2020-01-01", "2020-01-31")]
    assert dates(imported.item_at(12)) == [("2020-01-01", "2020-03-31")]
    assert imported.item_at(12).responsible_match["position_keys"] == ["working_group", "director"]
    long = imported.item_at(17)
    assert dates(long) == [("2020-05-01", "2025-05-31")]
    assert any(w.startswith("срок: ") for w in long.warnings)  # beyond the 2019/2020 school year
    assert any(w.startswith("ответственный неоднозначен") for w in imported.item_at(9).warnings)


@pytest.mark.parametrize("form", FORMATS)
def test_seed_003_decisions(form):
    imported = import_seed("003-1", form)
    plan = imported.plan
    first = plan.items[0]
    assert (first.number_written, first.full_number) == ("1.", "1.1")
    assert first.fields["body"] == "Педагогический совет" and first.fields["meeting_date"] == "Август 2023"
    assert dates(first) == [("2023-10-01", "2023-12-31")]
    assert dates(plan.items[1]) == [("2023-09-01", "2023-11-30")]  # «Сентябрь- ноябрь2023г»
    assert plan.items[3].fields["body"] == "Методический совет" and plan.items[3].fields["meeting_date"] == ""
    kims = imported.item_at(74)
    assert kims.deadline == "Сентябрь-октябрь 2023г" and dates(kims) == [("2023-09-01", "2023-10-31")]
    assert "ответственный не указан" in kims.warnings
    many = imported.item_at(110)
    assert many.responsible == "Зам.директора по УВР Руководители ШМО, учителя-предметники, классные руководители"
    assert [p["kind"] for p in many.responsible_match["parts"]] == ["position", "group", "group", "group"]
    empty = plan.items_of(5)[1]
    assert empty.number == "2" and empty.main_text == "" and "не указан текст мероприятия" in empty.warnings
    assert imported.item_at(164).schedule["kind"] == "continuous"
    assert dates(plan.items[-1]) == [("2024-06-01", "2024-08-31")]
    assert [item.full_number for item in plan.items_of(6)] == [f"7.{n}" for n in range(1, 7)]


@pytest.mark.parametrize("form", FORMATS)
def test_seed_003_measures(form):
    plan = import_seed("003-2", form).plan
    assert [item.number for item in plan.items] == [str(n) for n in range(1, 11)]
    assert plan.items[0].fields["grade"] == "3,4" and plan.items[0].fields["school_year"] == "2023-2024"
    assert plan.items[2].responsible == "Зам.директора по УВР Учителя -предметники"
    assert "В таблице нет столбца «Срок»: сроки нужно указать вручную" in plan.warnings


@pytest.mark.parametrize("form", FORMATS)
def test_seed_004_district_plan(form):
    imported = import_seed("004-1", form)
    assert dates(imported.item_at(28)) == [("2023-01-20", "2023-01-20")]
    assert dates(imported.item_at(34)) == [("2023-04-10", "2023-04-10"), ("2023-04-20", "2023-04-20")]
    assert dates(imported.item_at(35)) == [("2023-04-01", "2023-05-31")]
    assert dates(imported.item_at(42)) == [("2023-05-01", "2023-07-31")]
    assert imported.item_at(23).responsible_match["external"] == ["АР", "ИМЦ", "ЦОКО"]
    assert imported.item_at(34).responsible_match["external"] == ["ИМЦ", "ЦОКО", "ОО"]
    assert imported.item_at(32).responsible_match["unresolved"] == ["ПреОО"]
    assert [item.number_written for item in imported.plan.items][:2] == ["1.1.", "1.2."]
    assert [item.number for item in imported.plan.items][-1] == "2.12"


def test_seed_001_whole_document_holds_two_plans():
    check_a_document_holding_two_plans(seed_tables()["001-1"], seed_tables()["001-2"], [15, 18])


def test_every_responsible_text_of_the_seeds_is_in_the_table():
    plans = ((key, import_seed(key, "csv-utf8-bom").plan) for key in EXPECTED)
    assert check_every_responsible_text_is_known(plans, actions_key="001-2") == 13
