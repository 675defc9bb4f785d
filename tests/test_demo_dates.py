"""The demo lives in the present (issue 11, point 7): loaded on any day — today, a year later, the first
days of September, the last days of August, mid-winter — it is a school in its current school year,
with a Положение in force since last spring and this year's plan in execution: some rows due this
week, exactly one overdue by the few days the demo intends, the rows of past weeks done."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from vsoko_flow.deadlines.school_year import SchoolYear
from vsoko_flow.models import Artefact
from vsoko_flow.services.demo import DEMO_PLAN, OVERDUE_DAYS, DemoCalendar, load_demo
from vsoko_flow.services.verify import verify_store

TODAY = dt.date.today()
DAYS = {
    "today": TODAY,
    "a year later": TODAY + dt.timedelta(days=365),
    "first school days": dt.date(TODAY.year, 9, 3),
    "end of August": dt.date(TODAY.year, 8, 29),
    "mid-winter": dt.date(TODAY.year + 1, 1, 15),
}
FINAL = ("accepted", "cancelled")


def artefacts(rt, **where) -> list[Artefact]:
    with rt.sessions() as session:
        rows = session.scalars(select(Artefact).filter_by(**where).order_by(Artefact.id)).all()
        session.expunge_all()
        return rows


@pytest.mark.parametrize("day", list(DAYS.values()), ids=list(DAYS))
def test_the_demo_is_a_school_in_its_current_year_with_only_the_intended_row_overdue(rt, day):
    load_demo(rt, today=day)
    year = SchoolYear.containing(day)

    acts = {a.state: a for a in artefacts(rt, kind="polozhenie")}
    in_force, draft = acts["in_force"], acts["draft"]
    order_day = dt.date.fromisoformat(in_force.fields["order_date"])
    assert order_day.month == 4 and dt.timedelta(days=20) < day - order_day < dt.timedelta(days=400)  # last spring
    assert draft.supersedes_id == in_force.id and draft.school_year == year.label  # never last year's label

    (plan,) = artefacts(rt, kind="activity_plan")
    assert (plan.state, plan.school_year) == ("execution", year.label)
    assert dt.date.fromisoformat(plan.fields["order_date"]) <= day

    items = artefacts(rt, parent_id=plan.id)
    assert len(items) == len(DEMO_PLAN)
    open_items = [i for i in items if i.state not in FINAL]
    overdue = [(day - i.due_date).days for i in open_items if i.due_date and i.due_date < day]
    assert overdue == [OVERDUE_DAYS]  # one row in red, a few days late — not a wall of red
    this_week = [i for i in open_items if i.due_date and day <= i.due_date <= day + dt.timedelta(days=7)]
    assert len(this_week) == 2
    done = [i for i in items if i.state == "accepted"]
    assert len(done) == 2 and all(i.due_date < day for i in done)
    assert sum(1 for i in items if i.due_date is None) == 2  # «Согласно ВШК», «по мере необходимости»

    # Nothing else in the school is due in the past and still open.
    late = [a for a in artefacts(rt) if a.due_date and a.due_date < day and a.state not in FINAL]
    assert [(day - a.due_date).days for a in late] == [OVERDUE_DAYS]
    assert verify_store(rt).ok


def test_the_calendar_never_dates_anything_after_the_day_it_is_loaded():
    for day in DAYS.values():
        calendar = DemoCalendar(day)
        assert calendar.act_day(4, 3) < day and calendar.plan_approved < day
        assert calendar.plan_approved <= calendar.due(min(d for *_, d, _done in DEMO_PLAN if isinstance(d, int)))
