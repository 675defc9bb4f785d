"""The project's own plan tables (`tests/data/plans.py`), in the shapes schools write them, built
into .docx (section rows merged across the table, meeting cells merged down, a title table
above, a table split by a page break), .csv in windows-1251 with «;» and in UTF-8 with BOM and
«,», and .xlsx, then imported: no row lost, every row what the data says it is, every item
carrying its row's cells, numbers repaired with a warning, responsible matched to positions,
groups and external bodies or flagged, deadlines read into schedules.
"""
from __future__ import annotations

from functools import cache

import pytest

from vsoko_flow.imports import PlanShape, RowKind

from .data.plans import ACTIVITY, FUNCTIONING, ROADMAP, TABLES
from .plan_files import (
    ALL_FORMATS,
    Imported,
    Section,
    Table,
    build_csv,
    check_a_document_holding_two_plans,
    check_import_identically,
    check_items_carry_their_rows,
    check_no_row_is_lost,
    check_row_kinds,
    check_same_fingerprints,
    check_sections,
    dates,
    import_table,
)

# What each table must give, read from the table by hand: its shape and, per section,
# (number, title start, item count, first item text start, last item text start).
EXPECTED: dict[str, tuple[PlanShape, list[Section]]] = {
    "activity": (PlanShape.ACTIVITY, [
        ("1", "Организационное обеспечение оценки качества", 7, "Мониторинг предметных результатов",
         "Анкетирование обучающихся 9-х классов"),
        ("2", "Оценка образовательных результатов, процессов и условий", 8, "Анализ результатов ГИА",
         "Удовлетворённость родителей"),
        ("3", "Контроль исполнения требований", 2, "Контроль соответствия рабочих программ",
         "Контроль ведения электронного журнала"),
        ("4", "Оценка профессиональной деятельности педагогов", 2, "Учёт результатов оценки", "Участие педагогов"),
        ("5", "Методическое сопровождение педагогов", 2, "Сопровождение аттестации", "Семинары и вебинары"),
        ("6", "Информационное обеспечение ВСОКО", 4, "Ведение школьной базы данных", "Создание базы данных"),
        ("7", "Работа с одарёнными детьми", 2, "Число участников", "Число победителей"),
        ("8", "Информирование участников образовательных отношений", 1, "Публикация на сайте школы",
         "Публикация на сайте школы"),
    ]),
    "functioning": (PlanShape.FUNCTIONING, [
        (None, "Оценка качества образовательных результатов", 6, "Предметные результаты",
         "Продолжение образования выпускников"),
        (None, "Оценка качества образовательной деятельности", 3, "Основные образовательные программы",
         "Работа с обучающимися, имеющими трудности"),
        (None, "Оценка качества условий реализации ООП", 6, "Материально-техническое оснащение", "Кадровые условия"),
    ]),
    "roadmap": (PlanShape.ROADMAP, [
        (None, "", 6, "Подготовка плана мероприятий", "Участие в семинаре по итогам итогового сочинения"),
        ("2", "Организация оценочных процедур", 12, "Организационное и технологическое сопровождение ВПР",
         "Внесение сведений о ВПР в ФИС ОКО"),
    ]),
    "introduction": (PlanShape.ROADMAP, [
        (None, "Создание нормативной базы", 10, "Приказ о введении", "Анализ функционирования ВСОКО"),
    ]),
    "decisions": (PlanShape.DECISIONS, [
        ("1", "Педагогический совет, Август 2023", 3, "Включить в программу развития", "Организовать сбор"),
        ("2", "Методический совет", 3, "Провести для педагогов практикум", "Уточнить план курсовой подготовки"),
        ("3", "Заседание ШМО учителей начальных классов, Сентябрь 2023", 3, "Проверить соответствие",
         "Участвовать в региональной диагностике"),
        ("4", "Совещание при директоре, Август 2023", 2, "Собрать сведения", "Подготовить порядок"),
        ("5", "Общешкольное родительское собрание, Ноябрь 2023", 1, "О порядке проведения ВПР",
         "О порядке проведения ВПР"),
        ("6", "Заседание ШМО учителей естественно-математического цикла", 2, "Организовать консультации", ""),
        ("7", "Педагогический совет, Февраль 2024г", 6, "Назначить школьного координатора",
         "Обсуждать результаты ВПР"),
        ("8", "Педагогический совет, Май 2024г", 2, "Провести разъяснительную работу", "Подготовить анализ"),
    ]),
    "measures": (PlanShape.MEASURES, [
        ("1", "2023-2024", 10, "Пробные работы в формате ВПР", "Корректировка рабочих программ"),
    ]),
    "district": (PlanShape.ROADMAP, [
        ("1", "Информационно-разъяснительная работа", 4, "Совещание заместителей директоров",
         "Совещание по итогам выполнения"),
        ("2", "Мониторинг ВСОКО школ района", 12, "Утверждение положения о мониторинге",
         "Обновление положения о районной системе"),
    ]),
}
ALL = [(key, form) for key in EXPECTED for form in ALL_FORMATS]


@cache
def imported_as(key: str, form: str) -> Imported:
    return import_table(TABLES[key], form)


@pytest.fixture(scope="module", params=ALL, ids=[f"{key}-{form}" for key, form in ALL])
def imported(request) -> Imported:
    return imported_as(*request.param)


def declared(table: Table) -> tuple[list[int], list[int], dict[int, list[int]]]:
    """The section and header rows, and each item's continuation rows, as the data marks them."""
    sections, headers, continuations = [], [], {}
    last_item = None
    for row in table.rows:
        if row.kind is RowKind.SECTION:
            sections.append(row.line)
        elif row.kind is RowKind.HEADER:
            headers.append(row.line)
        elif row.kind is RowKind.ITEM:
            last_item = row.line
        elif row.kind is RowKind.CONTINUATION:
            continuations.setdefault(last_item, []).append(row.line)
    return sections, headers, continuations


# ---------------------------------------------------------------------------
# Whole tables


def test_every_table_of_the_data_is_expected():
    assert sorted(TABLES) == sorted(EXPECTED)
    assert all(row.kind for table in TABLES.values() for row in table.rows)  # the data says what every row is


def test_no_row_is_lost(imported: Imported):
    check_no_row_is_lost(imported)


def test_shape_sections_and_item_counts(imported: Imported):
    shape, sections = EXPECTED[imported.table.key]
    assert imported.plan.shape is shape
    check_sections(imported.plan, sections)


def test_every_row_is_what_the_data_says(imported: Imported):
    assert imported.kinds() == {row.line: row.kind for row in imported.table.rows}
    check_row_kinds(imported, *declared(imported.table))


def test_every_item_carries_its_row(imported: Imported):
    check_items_carry_their_rows(imported)


def test_the_same_file_imports_to_the_same_fingerprints(imported: Imported):
    check_same_fingerprints(imported.plan, import_table(imported.table, "docx").plan)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_docx_csv_and_xlsx_import_identically(key):
    check_import_identically([imported_as(key, form).plan for form in ALL_FORMATS])


def test_the_csv_files_are_in_their_encodings():
    cp1251 = build_csv(ACTIVITY, "cp1251", ";")[0]
    with pytest.raises(UnicodeDecodeError):
        cp1251.decode("utf-8")
    assert cp1251.decode("cp1251").splitlines()[0] == ";Мероприятия;Ответственный;Индикатор/ Результат;Срок исполнения"
    bom = build_csv(ACTIVITY, "utf-8-sig", ",")[0]
    assert bom.startswith(b"\xef\xbb\xbf") and bom.decode("utf-8-sig").startswith(",Мероприятия,Ответственный")


# ---------------------------------------------------------------------------
# Particular rows


@pytest.mark.parametrize("form", ALL_FORMATS)
def test_activity_numbers_missing_and_mangled_are_repaired(form):
    activity = imported_as("activity", form)
    repaired = {
        item.full_number: item.number_written
        for item in activity.plan.items if any(w.startswith("номер восстановлен") for w in item.warnings)
    }
    assert repaired == {"1.1": "", "1.5": "S", "2.1": "", "3.1": "", "5.1": ""}
    five = activity["1.5"]
    assert five.warnings == ["номер восстановлен: S → 5"]
    assert five.main_text == "Диагностика готовности первоклассников к обучению в школе"
    assert five.responsible == "Психолог" and dates(five) == [("2024-09-01", "2024-09-30")]
    assert activity["1.1"].warnings[0] == "номер восстановлен: (пусто) → 1"
    assert [item.full_number for item in activity.plan.items_of(0)] == [f"1.{n}" for n in range(1, 8)]
    assert [item.number for item in activity.plan.items_of(1)] == [str(n) for n in range(1, 9)]
    assert not any(w.startswith("номер не по порядку") for item in activity.plan.items for w in item.warnings)


@pytest.mark.parametrize("form", ALL_FORMATS)
def test_activity_rows(form):
    activity = imported_as("activity", form)
    both = activity["1.6"]  # «Заместитель директора по УВР психолог»: two people, no comma
    assert [part["position_keys"] for part in both.responsible_match["parts"]] == [["deputy_uvr"], ["psychologist"]]
    assert activity["1.1"].schedule["kind"] == "linked" and activity["1.1"].schedule["linked_to"] == "ВШК"
    assert activity["2.1"].schedule["linked_to"] == "ГИА"
    assert activity["2.4"].schedule["linked_to"] == "единый график оценочных процедур"
    assert activity["4.1"].schedule["kind"] == "linked" and activity["4.1"].deadline == "НСОТ"  # stays text
    assert dates(activity["2.8"]) == [("2025-03-01", "2025-03-31")]  # «Март» of 2024/2025
    assert dates(activity["2.3"]) == [("2024-12-01", "2024-12-31"), ("2025-05-01", "2025-05-31")]
    assert len(dates(activity["6.2"])) == 3  # «Сентябрь, январь, май»
    for number in ("4.2", "5.1"):  # «В течение года», «В течение учебного года»
        assert activity[number].schedule["kind"] == "continuous"
        assert dates(activity[number]) == [("2024-09-01", "2025-08-31")]
    truncated = activity["3.1"]
    assert truncated.responsible == "Заместитель директора по"
    assert any(w.startswith("ответственный записан не полностью: «Заместитель директора по»")  # cut short: flagged
               for w in truncated.warnings)
    assert activity["2.8"].responsible_match["groups"] == ["Администрация"]
    assert activity["2.8"].responsible_match["position_keys"] == ["director", "deputy_uvr", "deputy_vr", "deputy_ahr"]
    assert activity["4.2"].responsible_match["groups"] == ["Руководители МО"]
    assert activity["6.2"].responsible_match["position_keys"] == ["librarian"]  # «Библиотечная служба»
    for number in ("5.2", "7.1", "7.2", "6.4"):  # «Зам по УВР», «зам по УВР», «Зам директора по УВР»
        assert activity[number].responsible_match["position_keys"] == ["deputy_uvr"], number
    base = activity["6.4"]  # a row cut by a page break goes on in lower case, after an empty row
    assert base.main_text.endswith("5. Мониторинг читательской грамотности обучающихся 6. Мониторинг условий "
                                   "реализации ООП")
    assert dates(activity["8.1"]) == [("2025-05-01", "2025-05-31")]


def test_activity_title_table_above_the_plan_is_not_imported():
    plan = imported_as("activity", "docx").plan
    assert plan.table_indexes == (1,)
    assert plan.warnings == ["Таблица «таблица 1» без строки заголовков не импортирована (заполненных строк: 2)"]
    assert imported_as("activity", "csv-cp1251").plan.warnings == []  # a CSV has no title table


@pytest.mark.parametrize("form", ALL_FORMATS)
def test_functioning_plan(form):
    plan = imported_as("functioning", form)
    first = plan["1.1"]
    assert first.fields["responsible"] == "Заместители директора по УВР, руководители МО"
    assert first.responsible_match["position_keys"] == [
        "deputy_uvr", "mo_head_primary", "mo_head_science", "mo_head_humanities"]
    assert dates(first) == [("2024-12-01", "2024-12-31"), ("2025-06-01", "2025-06-30")]
    assert first.fields["document_format"] == "Статистико-аналитическая справка"
    projects = plan["1.3"]
    assert [p["note"] for p in projects.schedule["periods"]] == ["9-е классы", "10-е классы"]
    assert dates(projects) == [("2025-02-01", "2025-02-28"), ("2025-05-01", "2025-05-31")]
    gia = plan["1.4"]
    assert gia.fields["criteria"].count("\n") == 5  # five extra indicator lines, one item
    assert gia.fields["criteria"].endswith("Доля выпускников, не преодолевших минимальный порог ЕГЭ")
    split = plan["1.5"]  # a row cut by a page break, a paragraph between the two pieces of the table
    assert split.main_text == "Достижения обучающихся в олимпиадах и конкурсах (работа с одарёнными детьми)"
    assert split.fields["criteria"].startswith("Число участников, призёров и победителей школьного, муниципального")
    assert split.fields["responsible"] == "Заместители директора по УВР, по ИКТ, методисты"
    assert "ответственный не найден: «по ИКТ»" in split.warnings
    assert split.fields["document_format"] == "Анализ достижений обучающихся в олимпиадах и конкурсах"
    struggling = plan["2.3"]
    assert dates(struggling) == [("2024-09-01", "2025-05-31")]  # «Сентябрь - май»
    assert "<p>" not in struggling.fields["indicators"] and struggling.fields["indicators"].endswith(
        "по вопросам успеваемости.")
    assert plan.plan.sections[2].title == "Оценка качества условий реализации ООП"
    staff = [plan[f"3.{n}"] for n in range(3, 7)]
    assert [item.main_text for item in staff] == ["Кадровые условия"] * 4
    assert [item.responsible for item in staff] == [
        "Заместитель директора по УВР", "Методист", "Заместитель директора по УВР", "Заместитель директора по УВР"]
    assert [("объект оценки не указан — взят из строки выше" in item.warnings) for item in staff] == [
        False, True, True, True]
    assert [item.full_number for item in plan.plan.items_of(2)] == [f"3.{n}" for n in range(1, 7)]
    assert all(item.number_written is None for item in plan.plan.items)  # the numbers are ours
    assert len(dates(plan["3.2"])) == 3  # «Сентябрь, январь, май»


@pytest.mark.parametrize("form", ALL_FORMATS)
def test_roadmap(form):
    roadmap = imported_as("roadmap", form)
    yearly = roadmap["1"]
    assert yearly.schedule["kind"] == "recurring" and yearly.schedule["periods"][-1]["due"] == "2024-11-30"
    assert roadmap["4"].schedule["kind"] == "recurring" and len(roadmap["4"].schedule["periods"]) == 3
    assert dates(roadmap["6"]) == [("2024-12-01", "2024-12-31")]  # «декабрь»
    assert roadmap["6"].number_written == "6." and roadmap["6"].number == "6"
    assert roadmap["2.2"].schedule["kind"] == "linked"
    assert roadmap["2.3"].warnings[0] == "срок не распознан: «Участие в совещаниях по вопросам объективности»"
    assert "срок не указан" in roadmap["2.4"].warnings
    assert "ответственный не указан" in roadmap["2.5"].warnings
    audit = roadmap["2.9"]
    assert dates(audit) == [("2024-12-01", "2025-01-31")]  # «декабрь-январь» across the new year
    assert audit.responsible.endswith("планов работы методических объединений школы для проведения аудита")
    assert roadmap["2.10"].schedule["linked_to"] == "график проведения"
    assert [item.number for item in roadmap.plan.items_of(1)] == [f"2.{n}" for n in range(1, 13)]
    assert [item.number_written for item in roadmap.plan.items_of(1)][2:4] == ["2.3.", "2.4."]
    assert not any(w.startswith("номер") for item in roadmap.plan.items for w in item.warnings)


@pytest.mark.parametrize("form", ALL_FORMATS)
def test_plan_of_introduction(form):
    plan = imported_as("introduction", form)
    six = plan["6"]
    assert "о повышении квалификации педагогов по итогам оценки" in six.main_text
    assert six.main_text.endswith("- о мониторинге удовлетворённости родителей")
    assert dates(plan["1"]) == [("2026-01-01", "2026-01-31")]  # «январь 2026»
    assert dates(plan["5"]) == [("2026-01-01", "2026-03-31")]  # «Январь – март 2026»
    assert plan["5"].responsible_match["position_keys"] == ["working_group", "director"]
    long = plan["8"]
    assert dates(long) == [("2026-05-01", "2030-05-31")]
    assert any(w.startswith("срок: ") and "2025/2026" in w for w in long.warnings)  # beyond the school year
    assert any(w.startswith("ответственный неоднозначен: «Заместитель директора»") for w in plan["2"].warnings)


@pytest.mark.parametrize("form", ALL_FORMATS)
def test_decisions_register(form):
    register = imported_as("decisions", form)
    plan = register.plan
    first = plan.items[0]
    assert (first.number_written, first.full_number) == ("1.", "1.1")
    assert first.fields["body"] == "Педагогический совет" and first.fields["meeting_date"] == "Август 2023"
    assert dates(first) == [("2023-10-01", "2023-12-31")]
    assert dates(register["1.2"]) == [("2023-09-01", "2023-11-30")]  # «Сентябрь- ноябрь2023г»
    assert register["2.1"].fields["body"] == "Методический совет" and register["2.1"].fields["meeting_date"] == ""
    tests = register["3.2"]  # the deadline written on two lines of its cell
    assert tests.deadline == "Сентябрь-октябрь 2023г" and dates(tests) == [("2023-09-01", "2023-10-31")]
    assert "ответственный не указан" in tests.warnings
    many = register["6.1"]
    assert many.responsible == "Зам.директора по УВР Руководители ШМО, учителя-предметники, классные руководители"
    assert [p["kind"] for p in many.responsible_match["parts"]] == ["position", "group", "group", "group"]
    assert "2. Провести встречи с родителями" in many.main_text  # three decisions in one cell stay one
    empty = register["6.2"]
    assert empty.number == "2" and empty.main_text == "" and "не указан текст мероприятия" in empty.warnings
    assert register["7.5"].schedule["kind"] == "continuous"  # «Постоянно по мере поступления»
    assert dates(register["7.4"]) == [("2023-10-01", "2023-10-31")]  # «октябрь» of 2023/2024
    assert dates(plan.items[-1]) == [("2024-06-01", "2024-08-31")]
    assert [item.full_number for item in plan.items_of(6)] == [f"7.{n}" for n in range(1, 7)]


@pytest.mark.parametrize("form", ALL_FORMATS)
def test_measures_by_class_and_subject(form):
    plan = imported_as("measures", form).plan
    assert [item.number for item in plan.items] == [str(n) for n in range(1, 11)]
    assert plan.items[0].fields["grade"] == "3,4" and plan.items[0].fields["school_year"] == "2023-2024"
    assert plan.items[2].responsible == "Зам.директора по УВР Учителя -предметники"  # two lines of one cell
    assert plan.items[2].responsible_match["position_keys"] == ["deputy_uvr", "subject_teacher"]
    assert "В таблице нет столбца «Срок»: сроки нужно указать вручную" in plan.warnings


@pytest.mark.parametrize("form", ALL_FORMATS)
def test_district_plan(form):
    district = imported_as("district", form)
    assert district.plan.title == "План ИМЦ по формированию объективной ВСОКО в школах района"
    assert dates(district["2.1"]) == [("2025-01-20", "2025-01-20")]  # «20 января»
    assert dates(district["2.4"]) == [("2025-01-20", "2025-01-20")]  # «20 января 2025»
    assert dates(district["2.5"]) == [("2025-04-10", "2025-04-10"), ("2025-04-20", "2025-04-20")]
    assert dates(district["2.6"]) == [("2025-04-01", "2025-05-31")]
    assert dates(district["2.11"]) == [("2025-05-01", "2025-07-31")]
    assert district["1.1"].responsible_match["external"] == ["АР", "ИМЦ", "ЦОКО"]
    assert district["1.1"].responsible_match["position_keys"] == [] and district["1.1"].responsible_match["resolved"]
    assert district["2.6"].responsible_match["external"] == ["ИМЦ", "ЦОКО", "ОО"]
    assert district["2.5"].responsible_match["external"] == ["ИМЦ", "ЦОКО", "ОО"]  # «ИМЦ, ЦОКО. ОО»
    assert district["2.3"].responsible_match["unresolved"] == ["ТПМПК"]
    assert [item.number_written for item in district.plan.items][:2] == ["1.1.", "1.2."]
    assert [item.number for item in district.plan.items][-1] == "2.12"


def test_a_document_holding_two_plans():
    plans = check_a_document_holding_two_plans(FUNCTIONING, ROADMAP, [15, 18])
    assert plans[0].warnings == ["Таблиц-планов в файле: 2; эта — №1, другие начинаются в таблицах 3"]
