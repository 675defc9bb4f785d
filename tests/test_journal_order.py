"""Journals in date order (issue 9.3): a number for a date earlier than one already issued in the journal
is refused, naming that number and its date; nothing is written."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from vsoko_flow.models import Artefact, Journal, JournalEntry
from vsoko_flow.services.errors import Unprocessable

from .flows import COUNCIL_DAY, ORDER_DAY, adopt, approve, new_draft, record_opinions


def adopted(rt, school, title: str, protocol_day: dt.date = COUNCIL_DAY) -> int:
    artefact_id = new_draft(rt, school, title=title)
    record_opinions(rt, school, artefact_id)
    adopt(rt, school, artefact_id, protocol_date=protocol_day.isoformat())
    return artefact_id


def entries(rt) -> int:
    """Numbers of orders and protocols (each new draft's letters to the councils take outgoing numbers before)."""
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(JournalEntry).join(JournalEntry.journal)
                              .where(Journal.code != "outgoing"))


def test_an_order_dated_before_the_last_issued_one_is_refused_naming_it(rt, school):
    later_day = ORDER_DAY + dt.timedelta(days=7)
    first, second = adopted(rt, school, "Положение о ВСОКО"), adopted(rt, school, "Положение о ШМО")
    issued = approve(rt, school, first, later_day)
    with rt.sessions() as session:
        number = session.get(Artefact, first).fields["order_number"]
    before = entries(rt)
    with pytest.raises(Unprocessable) as refused:
        approve(rt, school, second, ORDER_DAY)
    assert refused.value.message == (
        f"Уже выдан № {number} от {later_day:%d.%m.%Y} («Журнал регистрации приказов по основной деятельности»): "
        f"номер на "
        f"более раннюю дату ({ORDER_DAY:%d.%m.%Y}) выдать нельзя — журнал ведётся в порядке дат. Укажите дату "
        f"не раньше {later_day:%d.%m.%Y} (или проверьте, верна ли дата документа № {number})")
    assert entries(rt) == before
    with rt.sessions() as session:
        assert session.get(Artefact, second).state == "adopted"
    # The same day, or a later one, is numbered as usual.
    assert approve(rt, school, second, later_day).to_state == "in_force"
    assert issued.to_state == "in_force"


def test_a_protocol_of_a_meeting_before_the_last_one_is_refused(rt, school):
    adopted(rt, school, "Положение о ВСОКО", COUNCIL_DAY)
    before = entries(rt)
    with pytest.raises(Unprocessable) as refused:
        adopted(rt, school, "Положение о ШМО", COUNCIL_DAY - dt.timedelta(days=11))
    assert refused.value.message.startswith("Уже выдан № 1 ")
    assert (f"от {COUNCIL_DAY:%d.%m.%Y} («Протоколы педагогического совета»): номер на более раннюю дату"
            in refused.value.message)
    assert entries(rt) == before
    # Another act adopted at the same meeting shares its number (one meeting, one protocol).
    same_day = adopted(rt, school, "Положение о наставничестве", COUNCIL_DAY)
    with rt.sessions() as session:
        assert session.get(Artefact, same_day).state == "adopted"
