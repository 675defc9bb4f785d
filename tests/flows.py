"""Driving a Положение through its life in tests, with the dates of a real school year; its text is the
project's own (`tests/data/polozhenie.txt`)."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from docx import Document

from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.transitions import fire_transition

from .data import polozhenie_text

REQUEST_DAY = dt.date(2025, 3, 10)
STUDENTS_DAY = dt.date(2025, 3, 14)
PARENTS_DAY = dt.date(2025, 3, 17)
COUNCIL_DAY = dt.date(2025, 3, 31)
ORDER_DAY = dt.date(2025, 4, 3)


def new_draft(rt, school, title: str | None = None, supersedes: int | None = None, **fields) -> int:
    return create_artefact(rt, school["deputy"], school.id, "polozhenie", title=title, school_year="2024/2025",
                           fields=fields, supersedes_id=supersedes,
                           sections_text=None if supersedes else polozhenie_text(), today=REQUEST_DAY)


def fire(rt, artefact_id: int, trigger: str, actor: int, day: dt.date, **fields):
    return fire_transition(rt, artefact_id, trigger, actor, fields=fields, today=day)


def record_opinions(rt, school, artefact_id: int) -> None:
    fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY, request_date=REQUEST_DAY.isoformat())
    for body, day, number in (("student_council", STUDENTS_DAY, "3"), ("parents_council", PARENTS_DAY, "4")):
        fire(rt, artefact_id, "record_opinion", school["secretary"], day, opinion_body=body,
             opinion_date=day.isoformat(), opinion_protocol_number=number, opinion_result="positive")


def adopt(rt, school, artefact_id: int, **votes):
    fire(rt, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY)
    fields = {"protocol_date": COUNCIL_DAY.isoformat(), "present": 42, "votes_for": 40, "votes_against": 0,
              "votes_abstained": 2, **votes}
    return fire(rt, artefact_id, "adopt", school["secretary"], COUNCIL_DAY, **fields)


def approve(rt, school, artefact_id: int, day: dt.date = ORDER_DAY):
    return fire(rt, artefact_id, "approve", school["director"], day, order_date=day.isoformat(), responsible="deputy")


def take_to_force(rt, school, title: str | None = None, supersedes: int | None = None, day: dt.date = ORDER_DAY):
    artefact_id = new_draft(rt, school, title=title, supersedes=supersedes)
    record_opinions(rt, school, artefact_id)
    adopt(rt, school, artefact_id)
    return artefact_id, approve(rt, school, artefact_id, day)


def docx_text(data: bytes) -> str:
    """All text of a .docx: paragraphs, tables (nested too), headers and footers."""
    document = Document(io.BytesIO(data))
    parts: list[str] = []

    def walk(container) -> None:
        for paragraph in container.paragraphs:
            parts.append(paragraph.text)
        for table in container.tables:
            for row in table.rows:
                for cell in row.cells:
                    walk(cell)

    walk(document)
    for section in document.sections:
        walk(section.header)
        walk(section.footer)
    return "\n".join(parts)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
