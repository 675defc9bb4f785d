"""Registration numbers are issued at the end of a transition, after its documents are rendered.

The journal's counter row is locked from the moment a number is issued until commit; issuing
it last keeps other transitions of the same journal from waiting for the renders.
"""
from __future__ import annotations

import io
import shutil
import threading
import zipfile
from dataclasses import replace

import pytest
from docx import Document
from sqlalchemy import event, select

from vsoko_flow.config import PROJECT_ROOT
from vsoko_flow.documents.render import (
    PlaceholderLost, TemplateCatalog, fill_placeholders, finish_draft, placeholder, qr_png, render_draft,
)
from vsoko_flow.engine import journals
from vsoko_flow.engine.registry import ACTIONS
from vsoko_flow.models import Artefact, HistoryEntry, JournalEntry, StoredDocument
from vsoko_flow.services import transitions
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.runtime import Runtime

from .conftest import POSTGRES_URL
from .flows import COUNCIL_DAY, adopt, approve, docx_text, take_to_force
from .test_transaction import SHORT_TEXT, adopted_new_edition, run_in_threads, snapshot


def adopted_act(rt, school, title: str) -> int:
    artefact_id = create_artefact(rt, school["deputy"], school.id, "polozhenie", title=title,
                                  fields={"affects_students": False}, sections_text=SHORT_TEXT, today=COUNCIL_DAY)
    adopt(rt, school, artefact_id)
    return artefact_id


def documents_of(rt, artefact_id: int) -> dict[str, StoredDocument]:
    with rt.sessions() as session:
        documents = session.scalars(select(StoredDocument).where(StoredDocument.artefact_id == artefact_id)).all()
        for document in documents:
            document.content  # noqa: B018 - loaded (deferred column) before the session closes
        return {d.template_name: d for d in documents}


def test_documents_are_rendered_before_the_journal_counter_is_locked(rt, school, monkeypatch):
    artefact_id = adopted_act(rt, school, "Положение о рабочей группе")
    events: list[str] = []
    real_render, real_lock = transitions.render_draft, journals._locked_counter

    def logged_render(*args, **kwargs):
        events.append("render")
        return real_render(*args, **kwargs)

    def logged_lock(*args, **kwargs):
        events.append("counter locked")
        return real_lock(*args, **kwargs)

    monkeypatch.setattr(transitions, "render_draft", logged_render)
    monkeypatch.setattr(journals, "_locked_counter", logged_lock)
    approve(rt, school, artefact_id)
    assert events == ["render", "render", "render", "counter locked"]


@pytest.mark.skipif(not POSTGRES_URL, reason="SQLite admits one writing transaction at a time (BEGIN IMMEDIATE): "
                                             "there the whole database, not the journal, waits")
def test_another_order_is_registered_while_an_approval_renders_its_documents(rt, school, monkeypatch):
    slow_id = adopted_act(rt, school, "Положение о медленном приказе")
    quick_id = adopted_act(rt, school, "Положение о быстром приказе")
    slow_is_rendering, let_slow_go = threading.Event(), threading.Event()
    real_render = transitions.render_draft

    def render(*args, **kwargs):
        if threading.current_thread().name == "slow":
            slow_is_rendering.set()
            let_slow_go.wait(timeout=60)
        return real_render(*args, **kwargs)

    monkeypatch.setattr(transitions, "render_draft", render)
    outcomes: dict[str, object] = {}

    def run(name: str, artefact_id: int) -> None:
        try:
            outcomes[name] = approve(rt, school, artefact_id)
        except Exception as exc:  # noqa: BLE001 - the test reports it
            outcomes[name] = exc

    slow = threading.Thread(target=run, args=("slow", slow_id), name="slow")
    slow.start()
    assert slow_is_rendering.wait(timeout=30)
    quick = threading.Thread(target=run, args=("quick", quick_id), name="quick")
    quick.start()
    quick.join(timeout=30)
    finished_while_slow_rendered = not quick.is_alive()
    let_slow_go.set()
    quick.join(timeout=60)
    slow.join(timeout=60)
    assert finished_while_slow_rendered, "the second approval waited for the first one's documents"
    with rt.sessions() as session:
        numbers = {a.id: a.fields["order_number"] for a in session.scalars(
            select(Artefact).where(Artefact.id.in_([slow_id, quick_id])))}
    assert numbers == {quick_id: "Ш29-13-1/5", slow_id: "Ш29-13-2/5"}
    assert "№ Ш29-13-2/5" in docx_text(documents_of(rt, slow_id)["order_approval"].content)


def test_acts_adopted_at_one_council_meeting_at_once_share_its_protocol_number(rt, school):
    ids = []
    for title in ("Положение о первом", "Положение о втором", "Положение о третьем"):
        artefact_id = create_artefact(rt, school["deputy"], school.id, "polozhenie", title=title,
                                      fields={"affects_students": False}, sections_text=SHORT_TEXT,
                                      today=COUNCIL_DAY)
        ids.append(artefact_id)
    outcomes = run_in_threads(len(ids), lambda i: adopt(rt, school, ids[i]))
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    with rt.sessions() as session:
        numbers = {a.fields["protocol_number"] for a in session.scalars(select(Artefact).where(Artefact.id.in_(ids)))}
        entries = session.scalars(select(JournalEntry).where(JournalEntry.registered_on == COUNCIL_DAY)).all()
    assert numbers == {"1"}
    assert len(entries) == 1


def test_the_superseded_edition_history_names_the_new_order_number(rt, school):
    second_id = adopted_new_edition(rt, school)
    fired = approve(rt, school, second_id)
    with rt.sessions() as session:
        second = session.get(Artefact, second_id)
        entry = session.scalars(select(HistoryEntry).where(HistoryEntry.artefact_id == second.supersedes_id)
                                .order_by(HistoryEntry.sequence.desc())).first()
    assert fired.to_state == "in_force"
    assert entry.trigger == "supersede"
    assert entry.fields["order_number"] == second.fields["order_number"] == "Ш29-13-2/5"


def test_the_qr_code_of_a_document_carries_its_own_verification_link(rt, school):
    artefact_id, _ = take_to_force(rt, school)
    for document in documents_of(rt, artefact_id).values():
        link = f"https://vsoko.example/verify/{document.public_id}?h={document.content_sha256}"
        with zipfile.ZipFile(io.BytesIO(document.content)) as package:
            pictures = [package.read(n) for n in package.namelist() if n.startswith("word/media/")]
        assert pictures == [qr_png(link)], document.template_name
        assert f"Проверить подлинность: {link}" in docx_text(document.content)


def _runtime_with_order_template(rt, settings, tmp_path, text: str) -> Runtime:
    folder = tmp_path / "templates"
    shutil.copytree(PROJECT_ROOT / "document_templates", folder)
    document = Document()
    document.add_paragraph(text)
    document.save(folder / "order_approval.docx")
    return Runtime(settings=replace(settings, templates_dir=folder), engine=rt.engine)


@pytest.mark.parametrize("expression, printed", [
    ("{{ order_number[:3] }}", "Ш29"),
    ("{{ order_number | lower }}", "ш29-13-1/5"),
    ("{{ order_number | replace('/', '-') }}", "Ш29-13-1-5"),
    ("{{ order_number | replace('Ш', 'Sh') }}", "Sh29-13-1/5"),
    ("{{ order_number }}", "Ш29-13-1/5"),
])
def test_a_template_that_transforms_the_number_prints_the_issued_one_transformed(
        rt, school, settings, tmp_path, expression, printed):
    artefact_id = adopted_act(rt, school, "Положение о шаблоне школы")
    own_rt = _runtime_with_order_template(rt, settings, tmp_path, f"Приказ № {expression}")
    approve(own_rt, school, artefact_id)
    text = docx_text(documents_of(rt, artefact_id)["order_approval"].content)
    assert text.strip() == f"Приказ № {printed}"


def test_placeholders_are_filled_in_body_and_footer_and_an_altered_one_is_reported():
    catalog = TemplateCatalog(PROJECT_ROOT / "document_templates")
    source = catalog.get("acquaintance_sheet")
    number, link = placeholder(0), placeholder(1)
    values = {number: "Ш29-13-7/5", link: "https://vsoko.example/verify/abc?h=1&x=<2>"}
    assert fill_placeholders({"a": [f"№ {number}"], "b": 3}, values) == {"a": ["№ Ш29-13-7/5"], "b": 3}
    context = {"org_full_name": "МБОУ СОШ № 29", "subject": f"с приказом № {number}", "people": [],
               "verify_url": link}
    data = finish_draft(render_draft(source, context, with_qr=True), values, qr_payload=values[link])
    text = docx_text(data)
    assert "с приказом № Ш29-13-7/5" in text and values[link] in text
    assert "\ue000" not in text
    with pytest.raises(PlaceholderLost):
        finish_draft(render_draft(source, {**context, "subject": f"№ {number.lower()}"}), values)


def test_an_approval_writes_its_artefact_once_and_moves_its_version_by_one(rt, school):
    artefact_id = adopted_act(rt, school, "Положение об одной версии")
    with rt.sessions() as session:
        before = session.get(Artefact, artefact_id).version
    updates: list[str] = []

    def count_updates(conn, cursor, statement, *args):  # noqa: ANN001 - SQLAlchemy's event signature
        if statement.startswith("UPDATE artefacts"):
            updates.append(statement)

    event.listen(rt.engine, "before_cursor_execute", count_updates)
    try:
        fired = approve(rt, school, artefact_id)
    finally:
        event.remove(rt.engine, "before_cursor_execute", count_updates)
    assert fired.version == before + 1
    assert len(updates) == 1


def test_an_action_that_stores_a_number_before_it_is_issued_writes_nothing(rt, school, monkeypatch):
    second_id = adopted_new_edition(rt, school)
    before = snapshot(rt)

    def copy_number_too_early(ctx, **params):
        previous = ctx.session.get(Artefact, ctx.artefact.supersedes_id)
        previous.fields = {**previous.fields, "replaced_by_order": ctx.value("order_number")}

    monkeypatch.setitem(ACTIONS, "set_deadlines", replace(ACTIONS["set_deadlines"], func=copy_number_too_early))
    with pytest.raises(RuntimeError, match="when_numbered"):
        approve(rt, school, second_id)
    assert snapshot(rt) == before
