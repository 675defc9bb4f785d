"""Pages send a bounded number of SQL queries however many artefacts the database holds."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from vsoko_flow.db import transaction
from vsoko_flow.models import Artefact, ArtefactAssignee, HistoryEntry, HistoryHead, utcnow

from .flows import take_to_force
from .web_helpers import counted_queries, login

BULK = 5000


def seed_artefacts(rt, school, count: int) -> None:
    """`count` more artefacts: drafts, acts in force and control items due for the teacher."""
    now = utcnow()
    rows = []
    for n in range(count):
        kind = "control_item" if n % 3 == 0 else "polozhenie"
        rows.append({
            "kind": kind, "organisation_id": school.id, "title": f"Документ № {n}", "version": 1,
            "state": "planned" if kind == "control_item" else ("draft" if n % 2 else "in_force"),
            "school_year": "2025/2026", "fields": {}, "author_id": school["deputy"],
            "due_date": dt.date(2026, 1, 1) + dt.timedelta(days=n % 300) if kind == "control_item" else None,
            "created_at": now, "updated_at": now,
        })
    with transaction(rt.sessions) as session:
        ids = list(session.scalars(insert(Artefact).returning(Artefact.id), rows))
        session.execute(insert(HistoryEntry), [
            {"artefact_id": i, "sequence": 1, "actor_name": "система", "at": now, "trigger": "create",
             "from_state": "", "to_state": "draft", "comment": "", "fields": {}, "document_hashes": [],
             "prev_hash": "0" * 64, "hash": "0" * 64} for i in ids])
        session.execute(insert(HistoryHead), [{"artefact_id": i, "sequence": 1, "hash": "0" * 64} for i in ids])
        control = session.scalars(select(Artefact.id).where(Artefact.id.in_(ids), Artefact.kind == "control_item"))
        session.execute(insert(ArtefactAssignee), [{"artefact_id": i, "user_id": school["teacher"]} for i in control])


def page_queries(rt, client, artefact_id: int) -> dict[str, int]:
    counts = {}
    for url in ("/", "/artefacts/", "/artefacts/?state=draft&text=документ", f"/artefacts/{artefact_id}"):
        with counted_queries(rt) as counter:
            assert client.get(url).status_code == 200, url
        counts[url] = counter["n"]
    return counts


def test_pages_query_count_does_not_grow_with_5000_artefacts(rt, school, app):
    artefact_id, _ = take_to_force(rt, school)
    deputy, teacher = app.test_client(), app.test_client()
    login(deputy, "deputy")
    login(teacher, "teacher")
    seed_artefacts(rt, school, 10)
    small = {**page_queries(rt, deputy, artefact_id), **{f"teacher {k}": v for k, v in
                                                         page_queries(rt, teacher, artefact_id).items()}}
    seed_artefacts(rt, school, BULK)
    large = {**page_queries(rt, deputy, artefact_id), **{f"teacher {k}": v for k, v in
                                                         page_queries(rt, teacher, artefact_id).items()}}
    assert large == small
    assert max(large.values()) <= 40
