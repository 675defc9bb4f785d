"""JSON columns are read with orjson and bulk-written with it (db.json_value, db.json_text): what is
stored reads back as the standard library reads it, and what the standard library refuses to
write is still refused."""
from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from sqlalchemy import insert, select

from vsoko_flow.db import insert_rows, json_text, json_value, reserve_ids, transaction
from vsoko_flow.models import Artefact

VALUES = [
    {"activity": "Мониторинг качества «ВСОКО»\n\tстрока 2", "n": 3, "share": 0.1, "big": 10 ** 6, "none": None,
     "flags": [True, False], "nested": {"б": [1, 2.5e-7, 1e16], "а": "\\ \" \u0001 \u2028"}},
    [], {}, "текст", 0, -17, 2 ** 63 - 1,
]


@pytest.mark.parametrize("value", VALUES)
def test_written_and_read_back_as_the_standard_library_does(value):
    assert json_value(json_text(value)) == json.loads(json.dumps(value)) == value
    assert json_value(json.dumps(value)) == value
    assert json_value(json.dumps(value).encode()) == value  # the driver hands over bytes


def test_what_orjson_refuses_to_read_is_read_as_before():
    for text in ('{"x": NaN}', '[Infinity, -Infinity]', f'{{"id": {2 ** 70}}}', '"\\ud800"'):
        expected = json.loads(text)
        got = json_value(text)
        assert json.dumps(got) == json.dumps(expected)
    assert math.isnan(json_value('{"x": NaN}')["x"])
    assert json_value(f'[{2 ** 64}, {-2 ** 63 - 1}, "{"9" * 25}"]') == [2 ** 64, -2 ** 63 - 1, "9" * 25]  # not floats


def test_what_orjson_would_write_differently_is_written_by_the_standard_library():
    assert json.loads(json_text({1: "a", "2": "b"})) == {"1": "a", "2": "b"}  # keys that are not strings
    assert json.loads(json_text({"id": 2 ** 70})) == {"id": 2 ** 70}
    with pytest.raises(TypeError):  # a date is refused as the ORM's json.dumps refuses it
        json_text({"day": dt.date(2024, 8, 30)})
    with pytest.raises(TypeError):
        json_text({"at": dt.datetime(2024, 8, 30, 10, 0)})


def test_json_columns_round_trip_through_the_database(rt, school):
    """The same fields written by the ORM, by a batched INSERT and by insert_rows (COPY on
    PostgreSQL) read back equal, Cyrillic, control characters and floats included."""
    fields = VALUES[0]
    with transaction(rt.sessions) as session:
        plan = Artefact(kind="activity_plan", organisation_id=school.id, state="draft", title="План",
                        school_year="2024/2025", author_id=school["deputy"], fields=fields)
        session.add(plan)
        session.flush()
        ids = reserve_ids(session, Artefact.__table__, 2)
        now = plan.created_at
        row = {"kind": "control_item", "organisation_id": school.id, "state": "planned", "title": "Пункт",
               "version": 1, "school_year": "2024/2025", "parent_id": plan.id, "supersedes_id": None,
               "due_date": None, "author_id": school["deputy"], "fields": fields, "created_at": now,
               "updated_at": now}
        session.execute(insert(Artefact.__table__), [{**row, "id": ids[0]}])
        insert_rows(session, Artefact.__table__, [{**row, "id": ids[1]}])
        written = [plan.id, *ids]
    with rt.sessions() as session:
        stored = session.execute(select(Artefact.id, Artefact.fields).where(Artefact.id.in_(written))).all()
    assert {artefact_id: value for artefact_id, value in stored} == {artefact_id: fields for artefact_id in written}
