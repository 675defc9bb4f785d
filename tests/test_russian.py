"""Russian formatting: dates, personal names, positions and act titles."""

from datetime import date, datetime

import pytest

from vsoko_flow.documents.russian import (
    Case,
    date_digits,
    date_words,
    decline_person,
    decline_phrase,
    initials_surname,
    lower_first,
    person_in_case,
    position_forms,
    surname_initials,
    upper_first,
)

# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2025, 4, 3), "03.04.2025"),
        (date(2024, 12, 31), "31.12.2024"),
        (date(2025, 1, 1), "01.01.2025"),
        (datetime(2025, 3, 31, 15, 45), "31.03.2025"),
    ],
)
def test_date_digits(d, expected):
    assert date_digits(d) == expected


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2025, 1, 3), "3 января 2025 г."),
        (date(2025, 2, 3), "3 февраля 2025 г."),
        (date(2025, 3, 3), "3 марта 2025 г."),
        (date(2025, 4, 3), "3 апреля 2025 г."),
        (date(2025, 5, 3), "3 мая 2025 г."),
        (date(2025, 6, 3), "3 июня 2025 г."),
        (date(2025, 7, 3), "3 июля 2025 г."),
        (date(2025, 8, 3), "3 августа 2025 г."),
        (date(2025, 9, 3), "3 сентября 2025 г."),
        (date(2025, 10, 3), "3 октября 2025 г."),
        (date(2025, 11, 3), "3 ноября 2025 г."),
        (date(2025, 12, 3), "3 декабря 2025 г."),
        (date(2024, 12, 31), "31 декабря 2024 г."),
        (date(2025, 8, 18), "18 августа 2025 г."),
    ],
)
def test_date_words(d, expected):
    assert date_words(d) == expected


# --------------------------------------------------------------------------- names

SVETLOVA = ("Светлова", "Марина", "Борисовна", "f")
PETROV = ("Петров", "Сергей", "Иванович", "m")
GRITSENKO_F = ("Гриценко", "Ольга", "Петровна", "f")
GRITSENKO_M = ("Гриценко", "Олег", "Петрович", "m")
IVANOVA = ("Иванова", "Ирина", "Игоревна", "f")


@pytest.mark.parametrize(
    ("person", "case", "expected"),
    [
        (SVETLOVA, Case.NOMINATIVE, ("Светлова", "Марина", "Борисовна")),
        (SVETLOVA, Case.GENITIVE, ("Светловой", "Марины", "Борисовны")),
        (SVETLOVA, Case.DATIVE, ("Светловой", "Марине", "Борисовне")),
        (SVETLOVA, Case.ACCUSATIVE, ("Светлову", "Марину", "Борисовну")),
        (SVETLOVA, Case.INSTRUMENTAL, ("Светловой", "Мариной", "Борисовной")),
        (SVETLOVA, Case.PREPOSITIONAL, ("Светловой", "Марине", "Борисовне")),
        (PETROV, Case.NOMINATIVE, ("Петров", "Сергей", "Иванович")),
        (PETROV, Case.GENITIVE, ("Петрова", "Сергея", "Ивановича")),
        (PETROV, Case.DATIVE, ("Петрову", "Сергею", "Ивановичу")),
        (PETROV, Case.ACCUSATIVE, ("Петрова", "Сергея", "Ивановича")),
        (PETROV, Case.INSTRUMENTAL, ("Петровым", "Сергеем", "Ивановичем")),
        (PETROV, Case.PREPOSITIONAL, ("Петрове", "Сергее", "Ивановиче")),
        (GRITSENKO_F, Case.GENITIVE, ("Гриценко", "Ольги", "Петровны")),
        (GRITSENKO_F, Case.DATIVE, ("Гриценко", "Ольге", "Петровне")),
        (GRITSENKO_F, Case.ACCUSATIVE, ("Гриценко", "Ольгу", "Петровну")),
        (GRITSENKO_F, Case.INSTRUMENTAL, ("Гриценко", "Ольгой", "Петровной")),
        (GRITSENKO_F, Case.PREPOSITIONAL, ("Гриценко", "Ольге", "Петровне")),
        (GRITSENKO_M, Case.GENITIVE, ("Гриценко", "Олега", "Петровича")),
        (GRITSENKO_M, Case.DATIVE, ("Гриценко", "Олегу", "Петровичу")),
        (GRITSENKO_M, Case.ACCUSATIVE, ("Гриценко", "Олега", "Петровича")),
        (GRITSENKO_M, Case.INSTRUMENTAL, ("Гриценко", "Олегом", "Петровичем")),
        (GRITSENKO_M, Case.PREPOSITIONAL, ("Гриценко", "Олеге", "Петровиче")),
        (IVANOVA, Case.GENITIVE, ("Ивановой", "Ирины", "Игоревны")),
        (IVANOVA, Case.ACCUSATIVE, ("Иванову", "Ирину", "Игоревну")),
        # no patronymic
        (("Петров", "Сергей", "", "m"), Case.DATIVE, ("Петрову", "Сергею", "")),
    ],
)
def test_decline_person(person, case, expected):
    last, first, middle, gender = person
    assert decline_person(last, first, middle, gender, case) == expected


def test_decline_person_accepts_case_value_and_upper_gender():
    assert decline_person("Светлова", "Марина", "Борисовна", "F", "datv") == (
        "Светловой",
        "Марине",
        "Борисовне",
    )


@pytest.mark.parametrize("gender", ["", "x", None, "female"])
def test_decline_person_rejects_unknown_gender(gender):
    with pytest.raises(ValueError):
        decline_person("Петров", "Сергей", "Иванович", gender, Case.DATIVE)


@pytest.mark.parametrize(
    ("parts", "si", "is_"),
    [
        (("Иванова", "Ирина", "Игоревна"), "Иванова И.И.", "И.И. Иванова"),
        (("Светлова", "Марина", "Борисовна"), "Светлова М.Б.", "М.Б. Светлова"),
        (("Гриценко", "Олег", ""), "Гриценко О.", "О. Гриценко"),
        ((" Петров ", "сергей", "иванович"), "Петров С.И.", "С.И. Петров"),
    ],
)
def test_short_name_forms(parts, si, is_):
    assert surname_initials(*parts) == si
    assert initials_surname(*parts) == is_
    # a normal space, no space between the initials
    assert "\u00a0" not in si and "\u00a0" not in is_
    assert ". " not in si.split(" ", 1)[1]


@pytest.mark.parametrize(
    ("person", "case", "style", "expected"),
    [
        (IVANOVA, Case.ACCUSATIVE, "surname_initials", "Иванову И.И."),
        (IVANOVA, Case.DATIVE, "initials_surname", "И.И. Ивановой"),
        (IVANOVA, Case.GENITIVE, "full", "Ивановой Ирины Игоревны"),
        (SVETLOVA, Case.NOMINATIVE, "initials_surname", "М.Б. Светлова"),
        (SVETLOVA, Case.INSTRUMENTAL, "surname_initials", "Светловой М.Б."),
        (SVETLOVA, Case.ACCUSATIVE, "full", "Светлову Марину Борисовну"),
        (PETROV, Case.ACCUSATIVE, "surname_initials", "Петрова С.И."),
        (PETROV, Case.DATIVE, "initials_surname", "С.И. Петрову"),
        (PETROV, Case.INSTRUMENTAL, "full", "Петровым Сергеем Ивановичем"),
        (PETROV, Case.PREPOSITIONAL, "full", "Петрове Сергее Ивановиче"),
        (GRITSENKO_F, Case.DATIVE, "surname_initials", "Гриценко О.П."),
        (GRITSENKO_F, Case.DATIVE, "full", "Гриценко Ольге Петровне"),
        (GRITSENKO_M, Case.GENITIVE, "full", "Гриценко Олега Петровича"),
        (("Петров", "Сергей", "", "m"), Case.GENITIVE, "full", "Петрова Сергея"),
    ],
)
def test_person_in_case(person, case, style, expected):
    last, first, middle, gender = person
    assert person_in_case(last, first, middle, gender, case, style=style) == expected


def test_person_in_case_default_style_and_bad_style():
    assert person_in_case(*IVANOVA, Case.ACCUSATIVE) == "Иванову И.И."
    with pytest.raises(ValueError):
        person_in_case(*IVANOVA, Case.ACCUSATIVE, style="nickname")


# --------------------------------------------------------------------------- phrases

DEPUTY = "Заместитель директора по УВР"
POLOZHENIE = "Положение о внутренней системе оценки качества образования"


@pytest.mark.parametrize(
    ("text", "case", "animate", "expected"),
    [
        # positions: people, animate
        (DEPUTY, Case.GENITIVE, True, "Заместителя директора по УВР"),
        (DEPUTY, Case.DATIVE, True, "Заместителю директора по УВР"),
        (DEPUTY, Case.ACCUSATIVE, True, "Заместителя директора по УВР"),
        (DEPUTY, Case.INSTRUMENTAL, True, "Заместителем директора по УВР"),
        (DEPUTY, Case.ACCUSATIVE, None, "Заместителя директора по УВР"),
        ("Учитель русского языка", Case.DATIVE, True, "Учителю русского языка"),
        ("Учитель русского языка", Case.GENITIVE, True, "Учителя русского языка"),
        ("Главный бухгалтер", Case.GENITIVE, True, "Главного бухгалтера"),
        ("Главный бухгалтер", Case.ACCUSATIVE, True, "Главного бухгалтера"),
        ("Главный бухгалтер", Case.INSTRUMENTAL, True, "Главным бухгалтером"),
        ("Педагог-психолог", Case.ACCUSATIVE, True, "Педагога-психолога"),
        ("Педагог-психолог", Case.DATIVE, True, "Педагогу-психологу"),
        ("Педагог-психолог", Case.INSTRUMENTAL, True, "Педагогом-психологом"),
        ("Директор", Case.DATIVE, True, "Директору"),
        ("Директор", Case.ACCUSATIVE, True, "Директора"),
        ("Руководитель МО", Case.GENITIVE, True, "Руководителя МО"),
        ("Руководитель МО", Case.DATIVE, True, "Руководителю МО"),
        ("Старший вожатый", Case.DATIVE, True, "Старшему вожатому"),
        ("Социальный педагог", Case.ACCUSATIVE, True, "Социального педагога"),
        ("Классный руководитель", Case.INSTRUMENTAL, True, "Классным руководителем"),
        ("Учитель-логопед", Case.GENITIVE, True, "Учителя-логопеда"),
        ("Советник директора по воспитанию", Case.DATIVE, True, "Советнику директора по воспитанию"),
        ("Заведующая библиотекой", Case.ACCUSATIVE, True, "Заведующую библиотекой"),
        ("Члены рабочей группы", Case.DATIVE, True, "Членам рабочей группы"),
        ("Члены рабочей группы", Case.ACCUSATIVE, True, "Членов рабочей группы"),
        # acts and bodies: inanimate
        (POLOZHENIE, Case.GENITIVE, False, "Положения о внутренней системе оценки качества образования"),
        (POLOZHENIE, Case.INSTRUMENTAL, False, "Положением о внутренней системе оценки качества образования"),
        (POLOZHENIE, Case.ACCUSATIVE, False, POLOZHENIE),
        (POLOZHENIE, Case.PREPOSITIONAL, False, "Положении о внутренней системе оценки качества образования"),
        ("Педагогический совет", Case.INSTRUMENTAL, False, "Педагогическим советом"),
        ("Педагогический совет", Case.GENITIVE, False, "Педагогического совета"),
        ("Педагогический совет", Case.ACCUSATIVE, False, "Педагогический совет"),
        ("Педагогический совет", Case.ACCUSATIVE, None, "Педагогический совет"),
        ("Совет родителей", Case.GENITIVE, False, "Совета родителей"),
        ("Совет родителей", Case.ACCUSATIVE, False, "Совет родителей"),
        ("Совет обучающихся", Case.GENITIVE, False, "Совета обучающихся"),
        ("Управляющий совет", Case.DATIVE, False, "Управляющему совету"),
        ("Общее собрание работников", Case.INSTRUMENTAL, False, "Общим собранием работников"),
        ("Дорожная карта", Case.ACCUSATIVE, False, "Дорожную карту"),
        ("План функционирования ВСОКО", Case.GENITIVE, False, "Плана функционирования ВСОКО"),
        # capitalisation of every word is kept
        ("педагогический совет", Case.GENITIVE, False, "педагогического совета"),
        ("заместитель директора по УВР", Case.DATIVE, True, "заместителю директора по УВР"),
        # nominative and undeclinable input: unchanged
        (DEPUTY, Case.NOMINATIVE, True, DEPUTY),
        ("МБОУ СОШ № 29", Case.GENITIVE, False, "МБОУ СОШ № 29"),
        ("", Case.GENITIVE, None, ""),
    ],
)
def test_decline_phrase(text, case, animate, expected):
    assert decline_phrase(text, case, animate=animate) == expected


def test_decline_phrase_accepts_case_value():
    assert decline_phrase("Директор", "datv") == "Директору"


def test_decline_phrase_keeps_spacing_and_tail_verbatim():
    text = "Заместитель  директора по учебно-воспитательной работе (ВСОКО)"
    assert decline_phrase(text, Case.DATIVE, animate=True) == (
        "Заместителю  директора по учебно-воспитательной работе (ВСОКО)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            DEPUTY,
            {
                "nomn": DEPUTY,
                "gent": "Заместителя директора по УВР",
                "datv": "Заместителю директора по УВР",
                "accs": "Заместителя директора по УВР",
                "ablt": "Заместителем директора по УВР",
            },
        ),
        (
            "Педагог-психолог",
            {
                "nomn": "Педагог-психолог",
                "gent": "Педагога-психолога",
                "datv": "Педагогу-психологу",
                "accs": "Педагога-психолога",
                "ablt": "Педагогом-психологом",
            },
        ),
        (
            "Главный бухгалтер",
            {
                "nomn": "Главный бухгалтер",
                "gent": "Главного бухгалтера",
                "datv": "Главному бухгалтеру",
                "accs": "Главного бухгалтера",
                "ablt": "Главным бухгалтером",
            },
        ),
    ],
)
def test_position_forms(text, expected):
    assert position_forms(text) == expected


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("s", "lower", "upper"),
    [
        ("Заместитель директора по УВР", "заместитель директора по УВР", "Заместитель директора по УВР"),
        ("заместитель директора", "заместитель директора", "Заместитель директора"),
        ("МО учителей начальных классов", "МО учителей начальных классов", "МО учителей начальных классов"),
        ("", "", ""),
        ("я", "я", "Я"),
    ],
)
def test_lower_upper_first(s, lower, upper):
    assert lower_first(s) == lower
    assert upper_first(s) == upper


def test_sentence_with_declined_position_and_name():
    position = lower_first(decline_phrase(DEPUTY, Case.ACCUSATIVE, animate=True))
    name = person_in_case(*IVANOVA, Case.ACCUSATIVE)
    sentence = f"Назначить ответственным {position} {name}"
    assert sentence == "Назначить ответственным заместителя директора по УВР Иванову И.И."
