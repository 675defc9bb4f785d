"""`vsoko verify` notices every stored fact changed behind the history — evidence files, fields,
titles, act texts, plan rows, journal numbers, uploaded templates — and, with an anchor file kept
outside the database, a chain recomputed after tampering."""
from __future__ import annotations

import datetime as dt
import hashlib
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from vsoko_flow.engine.history import append_entry, entry_hash
from vsoko_flow.models import Artefact, HistoryEntry, Journal, JournalEntry, PlanItem
from vsoko_flow.services import template_upload
from vsoko_flow.services.anchor import AnchorError, read_anchor, verify_and_anchor, verify_against
from vsoko_flow.services.control import add_evidence
from vsoko_flow.services.verify import verify_store

from .flows import take_to_force
from .test_bulk_children import adopted_plan, approve
from .test_cli import run_vsoko
from .test_template_upload import own_polozhenie

FILE = "Протокол ШМО.pdf"


def execute(rt, sql: str, **params) -> None:
    """Tamper with the database directly, as someone with access to the file or the server would."""
    with rt.engine.begin() as connection:
        assert connection.execute(text(sql), params).rowcount >= 1


def only_problem(rt) -> str:
    problems = verify_store(rt).problems
    assert len(problems) == 1, problems
    return problems[0]


@pytest.fixture
def act(rt, school) -> int:
    artefact_id, _ = take_to_force(rt, school)
    assert verify_store(rt).ok
    return artefact_id


@pytest.fixture
def plan(rt, school) -> dict:
    """A plan of 12 rows on control, with a file and a link reported on one control item."""
    plan_id = adopted_plan(rt, school, 12)
    approve(rt, school, plan_id)
    with rt.sessions() as session:
        item_id = session.scalars(select(Artefact.id).where(Artefact.parent_id == plan_id).order_by(Artefact.id)).first()
    evidence_id = add_evidence(rt, item_id, school["deputy"], data=b"%PDF-1.4 protocol of the meeting", file_name=FILE)
    add_evidence(rt, item_id, school["deputy"], link_url="https://school.example/shmo")
    report = verify_store(rt)
    assert report.ok, report.problems
    return {"plan": plan_id, "item": item_id, "evidence": evidence_id}


def test_changed_evidence_bytes_are_caught(rt, plan):
    execute(rt, "UPDATE evidence SET content = :c WHERE id = :id", c=b"%PDF-1.4 another file", id=plan["evidence"])
    assert only_problem(rt) == (f"материал № {plan['evidence']} документа № {plan['item']} («{FILE}»): "
                                "содержимое файла не совпадает с сохранённым SHA-256")


def test_evidence_swapped_with_its_hash_is_caught(rt, plan):
    forged = b"%PDF-1.4 another file"
    execute(rt, "UPDATE evidence SET content = :c, sha256 = :s, size = :n WHERE id = :id", c=forged,
            s=hashlib.sha256(forged).hexdigest(), n=len(forged), id=plan["evidence"])
    assert only_problem(rt).startswith(f"документ № {plan['item']}: изменено в обход истории — "
                                       "материалы исполнения (файлы и ссылки)")


def test_deleted_evidence_link_is_caught(rt, plan):
    execute(rt, "DELETE FROM evidence WHERE artefact_id = :a AND link_url <> ''", a=plan["item"])
    assert "материалы исполнения" in only_problem(rt)


def test_changed_artefact_field_is_caught(rt, act):
    with rt.sessions() as session:
        fields = dict(session.get(Artefact, act).fields)
    fields["affects_students"] = not fields.get("affects_students", False)
    with rt.engine.begin() as connection:
        connection.execute(Artefact.__table__.update().where(Artefact.__table__.c.id == act).values(fields=fields))
    assert only_problem(rt).startswith(f"документ № {act}: изменено в обход истории — название или поля документа")


def test_changed_title_is_caught(rt, act):
    execute(rt, "UPDATE artefacts SET title = 'Положение о школьной форме' WHERE id = :id", id=act)
    assert "название или поля документа" in only_problem(rt)


def test_changed_act_text_is_caught(rt, act):
    execute(rt, "UPDATE sections SET text = 'Оценка качества не проводится.' "
                "WHERE id = (SELECT max(id) FROM sections WHERE artefact_id = :id)", id=act)
    assert only_problem(rt).startswith(f"документ № {act}: изменено в обход истории — текст акта (пункты)")


def test_changed_plan_row_is_caught(rt, plan):
    with rt.sessions() as session:
        row = session.scalars(select(PlanItem).where(PlanItem.artefact_id == plan["plan"]).order_by(PlanItem.id)).first()
    with rt.engine.begin() as connection:
        connection.execute(PlanItem.__table__.update().where(PlanItem.__table__.c.id == row.id)
                           .values(responsible_text="Директор", deadline_text="Ежемесячно"))
    assert only_problem(rt).startswith(f"документ № {plan['plan']}: изменено в обход истории — строки плана")


def test_deleted_plan_row_is_caught(rt, plan):
    execute(rt, "DELETE FROM plan_items WHERE id = (SELECT max(id) FROM plan_items WHERE artefact_id = :id)",
            id=plan["plan"])
    assert "строки плана" in only_problem(rt)


def order_entry(rt, act: int) -> JournalEntry:
    with rt.sessions() as session:
        return session.scalars(select(JournalEntry).join(Journal).where(
            JournalEntry.artefact_id == act, Journal.code == "orders")).one()


def test_renumbered_journal_entry_is_caught(rt, act):
    entry = order_entry(rt, act)
    execute(rt, "UPDATE journal_entries SET sequence = sequence + 10, number = :n WHERE id = :id",
            n=f"{entry.sequence + 10}-ОД", id=entry.id)
    assert only_problem(rt).startswith(f"документ № {act}: изменено в обход истории — "
                                       "записи журнала регистрации (номера)")


def test_deleted_journal_entry_is_caught(rt, act):
    execute(rt, "DELETE FROM journal_entries WHERE id = :id", id=order_entry(rt, act).id)
    assert "записи журнала регистрации" in only_problem(rt)


@pytest.fixture
def template(rt, school) -> int:
    version = template_upload.upload_template(rt, school.id, school["deputy"], "polozhenie", own_polozhenie(),
                                              "Положение школы.docx")
    return version.id


def test_changed_template_bytes_are_caught(rt, template):
    execute(rt, "UPDATE organisation_templates SET content = :c WHERE id = :id", c=own_polozhenie("Чужая школа"),
            id=template)
    assert only_problem(rt).startswith(f"загруженный шаблон № {template} («polozhenie», версия 1): "
                                       "содержимое файла не совпадает")


def test_template_swapped_with_its_hash_is_caught_by_the_anchor(rt, tmp_path, template):
    anchor_file = tmp_path / "anchor.txt"
    assert verify_and_anchor(rt, anchor_file).report.ok
    forged = own_polozhenie("Чужая школа")
    execute(rt, "UPDATE organisation_templates SET content = :c, sha256 = :s WHERE id = :id", c=forged,
            s=hashlib.sha256(forged).hexdigest(), id=template)
    assert verify_store(rt).ok  # consistent in itself
    assert verify_against(rt, read_anchor(anchor_file)).problems == [
        f"загруженный шаблон № {template} («polozhenie», версия 1): файл заменён после записи якоря"]


def recompute_chain_from(rt, artefact_id: int, sequence: int, comment: str) -> None:
    """Rewrite one entry and re-hash it and every later entry and the head: a chain consistent in itself."""
    with rt.engine.begin() as connection:
        rows = connection.execute(select(HistoryEntry.__table__).where(HistoryEntry.artefact_id == artefact_id)
                                  .order_by(HistoryEntry.sequence)).all()
        previous = None
        for row in rows:
            entry = SimpleNamespace(**row._mapping)
            if entry.sequence < sequence:
                previous = entry.hash
                continue
            if entry.sequence == sequence:
                entry.comment = comment
            entry.prev_hash = previous
            entry.hash = previous = entry_hash(entry)
            connection.execute(text("UPDATE history_entries SET comment = :c, prev_hash = :p, hash = :h WHERE id = :id"),
                               {"c": entry.comment, "p": entry.prev_hash, "h": entry.hash, "id": entry.id})
        connection.execute(text("UPDATE history_heads SET hash = :h WHERE artefact_id = :a"),
                           {"h": previous, "a": artefact_id})


def test_recomputed_chain_passes_alone_but_is_caught_by_the_anchor(rt, settings, tmp_path, act):
    anchor_file = tmp_path / "anchor.txt"
    result = run_vsoko(settings, "verify", "--anchor", anchor_file)
    assert result.returncode == 0, result.stderr
    digest = read_anchor(anchor_file).digest
    assert f"контрольная сумма {digest}" in result.stdout
    recompute_chain_from(rt, act, 3, "Мнение совета записано задним числом")
    assert verify_store(rt).ok  # the chain alone cannot tell
    result = run_vsoko(settings, "verify", "--against", anchor_file)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (f"Нарушена целостность: история документа № {act} переписана: "
                                             "запись 7 не совпадает с якорем")
    assert anchor_file.read_text(encoding="utf-8").count("vsoko-anchor 1") == 1
    # A refused run appends no new anchor.
    assert run_vsoko(settings, "verify", "--against", anchor_file, "--anchor", anchor_file).returncode == 1
    assert anchor_file.read_text(encoding="utf-8").count("vsoko-anchor 1") == 1


def test_anchor_appends_and_later_entries_are_fine(rt, settings, school, tmp_path, act):
    anchor_file = tmp_path / "anchor.txt"
    assert verify_and_anchor(rt, anchor_file).report.ok
    take_to_force(rt, school, title="Положение о второй системе оценки", day=dt.date(2025, 9, 1))
    assert run_vsoko(settings, "verify", "--against", anchor_file, "--anchor", anchor_file).returncode == 0
    assert anchor_file.read_text(encoding="utf-8").count("vsoko-anchor 1") == 2
    assert verify_against(rt, read_anchor(anchor_file)).ok


def test_deleted_artefact_and_edited_anchor_are_caught(rt, tmp_path, school, act):
    anchor_file = tmp_path / "anchor.txt"
    verify_and_anchor(rt, anchor_file)
    lines = anchor_file.read_text(encoding="utf-8").splitlines()
    edited = [line.replace(f"head {act} 7 ", f"head {act} 6 ") for line in lines]
    (tmp_path / "edited.txt").write_text("\n".join(edited) + "\n", encoding="utf-8")
    with pytest.raises(AnchorError, match="изменён"):
        read_anchor(tmp_path / "edited.txt")
    anchored = read_anchor(anchor_file)
    gone = SimpleNamespace(heads=lambda: iter([(act, 7, "0" * 64), (act + 1000, 1, "0" * 64)]), templates=dict)
    problems = verify_against(rt, gone).problems
    assert problems == [f"история документа № {act} переписана: запись 7 не совпадает с якорем",
                        f"документ № {act + 1000}, закреплённый якорем, удалён из базы"]
    assert verify_against(rt, anchored).ok


def test_a_transition_seals_its_facts_and_a_rolled_back_entry_seals_nothing(rt, act):
    def newest() -> tuple[int, str, dict]:
        with rt.sessions() as session:
            row = session.scalars(select(HistoryEntry).where(HistoryEntry.artefact_id == act)
                                  .order_by(HistoryEntry.sequence.desc()).limit(1)).one()
            return row.sequence, row.hash, row.facts

    sequence, sealed_hash, facts = newest()
    assert set(facts) == {"artefact", "text", "plan_sections", "plan_items", "evidence", "journal"}
    with rt.sessions() as session:
        artefact = session.get(Artefact, act)
        append_entry(session, artefact, None, "edit_sections", artefact.state, comment="не сохранится")
        session.flush()
        session.rollback()
        session.get(Artefact, act).title  # noqa: B018 - a new transaction in the same session
        session.commit()
    assert newest() == (sequence, sealed_hash, facts)
    assert verify_store(rt).ok


def test_a_missing_or_unfinished_anchor_is_refused_in_russian(rt, settings, tmp_path, act):
    result = run_vsoko(settings, "verify", "--against", tmp_path / "нет.txt")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == f"Ошибка: Файл якоря «{tmp_path / 'нет.txt'}» не найден"
    unfinished = tmp_path / "unfinished.txt"
    verify_and_anchor(rt, unfinished)
    unfinished.write_text(unfinished.read_text(encoding="utf-8").rsplit("end ", 1)[0], encoding="utf-8")
    with pytest.raises(AnchorError, match="не дописан"):
        read_anchor(unfinished)
    result = run_vsoko(settings, "verify", "--anchor", tmp_path / "нет" / "anchor.txt")
    assert result.returncode == 1 and "не существует" in result.stderr and "Traceback" not in result.stderr
