"""Hostile text: in values it is printed literally; in a template it is refused and nothing is kept."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from vsoko_flow.models import StoredDocument
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.errors import Unprocessable

from .flows import COUNCIL_DAY, REQUEST_DAY, adopt, approve, docx_text, fire, new_draft
from .test_rules import custom_runtime, refused

EXEC = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
SUBCLASSES = "{% for x in ().__class__.__base__.__subclasses__() %}{{x}}{% endfor %}"
XML = "Рога & Копыта <ООО> </w:t>"


def touching(marker: Path) -> str:
    """An expression that would leave a file behind if it ever ran."""
    return f"{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}"


def documents(rt, artefact_id: int) -> dict[str, list[str]]:
    """Text of every stored document of the artefact, by template name."""
    texts: dict[str, list[str]] = {}
    with rt.sessions() as session:
        for doc in session.scalars(select(StoredDocument).where(StoredDocument.artefact_id == artefact_id)):
            texts.setdefault(doc.template_name, []).append(docx_text(doc.content))
    return texts


def test_hostile_values_are_printed_as_literal_text(rt, school, tmp_path):
    marker = tmp_path / "executed"
    title = f"Положение о «{XML}» {EXEC}"
    sections = "\n".join(["1. Общие положения", f"1.1. {EXEC}", f"1.2. {SUBCLASSES}", f"1.3. {XML}",
                          f"1.4. {touching(marker)}"])
    artefact_id = create_artefact(rt, school["deputy"], school.id, "polozhenie", title=title,
                                  school_year="2024/2025", fields={"edition_note": SUBCLASSES},
                                  sections_text=sections, today=REQUEST_DAY)
    fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY, request_date=REQUEST_DAY.isoformat())
    for body in ("student_council", "parents_council"):
        fire(rt, artefact_id, "record_opinion", school["secretary"], REQUEST_DAY, opinion_body=body,
             opinion_date=REQUEST_DAY.isoformat(), opinion_protocol_number=XML, opinion_result="remarks",
             opinion_remarks=EXEC)
    adopt(rt, school, artefact_id)
    approve(rt, school, artefact_id)

    texts = documents(rt, artefact_id)
    act = texts["polozhenie"][-1]  # the approved text
    for literal in (f"о «{XML}» {EXEC}", f"1.1. {EXEC}", f"1.2. {SUBCLASSES}", f"1.3. {XML}", touching(marker),
                    SUBCLASSES, f"(протокол от 10.03.2025 № {XML})"):
        assert literal in act, literal
    order = texts["order_approval"][0]
    # A brand-new act supersedes nothing: its edition note is not printed (issue 9.6), the title is, literally.
    assert f"Утвердить {title} (приложение)." in order
    assert f"Совета обучающихся (протокол от 10.03.2025 № {XML})" in order
    everything = "\n".join(text for group in texts.values() for text in group)
    assert "uid=" not in everything
    assert "<class " not in everything
    assert not marker.exists()
    with rt.sessions() as session:
        names = session.scalars(select(StoredDocument.file_name).where(
            StoredDocument.artefact_id == artefact_id, StoredDocument.template_name == "polozhenie")).all()
    assert names and all("cycler.__init__.__globals__.os.popen('id').read()" in name for name in names)
    assert not any("/" in name or "<" in name for name in names)


def template_docx(body: str = "{{ title }}", header: str = "") -> bytes:
    document = Document()
    document.add_paragraph("ПОЛОЖЕНИЕ")
    document.add_paragraph(body)
    if header:
        document.sections[0].header.paragraphs[0].text = header
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


SIDE_YAML = """name: polozhenie
title: Положение (загружено организацией)
file_name: '{{ title }}.docx'
variables: [title]
"""


def _draft_with_template(rt, school, settings, tmp_path, **parts):
    """A draft, and a runtime whose «polozhenie» template is replaced by the given one."""
    artefact_id = new_draft(rt, school, affects_students=False)  # straight to the council
    template = (template_docx(**parts), SIDE_YAML)
    return artefact_id, custom_runtime(settings, tmp_path, templates={"polozhenie": template})


@pytest.mark.parametrize("parts", [
    {"body": EXEC}, {"body": SUBCLASSES}, {"header": EXEC}, {"body": "{{ title.__class__.__mro__ }}"},
], ids=["popen_in_body", "subclasses_in_body", "popen_in_header", "dunder_attribute"])
def test_template_reaching_python_internals_is_refused(rt, school, settings, tmp_path, parts):
    artefact_id, runtime = _draft_with_template(rt, school, settings, tmp_path, **parts)
    with runtime as custom:
        error = refused(custom, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY)
    assert error.message == "Шаблон «polozhenie» пытается выполнить недопустимое действие и отклонён"
    assert error.details == {"template": "polozhenie"}


def test_template_command_never_runs(rt, school, settings, tmp_path):
    marker = tmp_path / "executed"
    artefact_id, runtime = _draft_with_template(rt, school, settings, tmp_path, body=touching(marker))
    with runtime as custom:
        refused(custom, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY)
    assert not marker.exists()


@pytest.mark.parametrize("body", [
    "{{ undefined_thing.attr.more }}", "{% if %}сломанный тег", "{{ title }", "{% for s in sections %}без конца",
], ids=["undefined_attribute", "empty_if", "unclosed_expression", "unclosed_for"])
def test_template_that_fails_to_render_rolls_the_transition_back(rt, school, settings, tmp_path, body):
    artefact_id, runtime = _draft_with_template(rt, school, settings, tmp_path, body=body)
    with runtime as custom:
        error = refused(custom, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY)
    assert error.message.startswith("Шаблон «polozhenie» содержит ошибку")
    assert error.details == {"template": "polozhenie"}


@pytest.mark.parametrize("body", ["{{ title + 1 }}", "{{ 1 / 0 }}"], ids=["text_plus_number", "division_by_zero"])
def test_template_raising_a_python_error_is_a_russian_refusal(rt, school, settings, tmp_path, body):
    """An organisation's template may be wrong in any way: the user gets a message, never a 500."""
    artefact_id, runtime = _draft_with_template(rt, school, settings, tmp_path, body=body)
    with runtime as custom:
        error = refused(custom, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY, error=Unprocessable)
    assert error.message.startswith("Шаблон «polozhenie»")
