"""Document data sources for plans, their approval orders, execution reports and meeting protocols.

Every source returns plain values only (str/int/bool/list/dict), like `contexts.py`, whose
helpers (`person`, `signer`, `_title_forms`, …) are reused here. Query counts do not grow
with the size of a plan: one query for the sections, one for the items, and for the reports
one each for the control items, their assignees, their evidence counts and their reports.

plan_table (template plan_table.docx, A4 landscape)
    ``columns``: ``[{key, title, span}]`` from the plan kind's ``columns`` (YAML), in order;
    ``rows``: section rows ``{section: True, number, title, text}`` and item rows
    ``{section: False, number, cells: [{key, text, lines, span}]}`` (cells in column order;
    the deadline and responsible cells show the text as written). The template's table has
    ``GRID_UNITS`` (60) narrow grid columns: «№ п/п» takes ``number_span`` of them, each data
    column ``span`` (weighted by its kind: a deadline is narrower than an activity; the spans
    add up to 57), and a section row ``row_span`` — so 4 to 6 (or more) columns fill the
    landscape width.
    ``approval_grif`` / ``council_grif`` are nested dicts (not top-level numbers): the plan
    document is not registered under the order's number.

plan_approval_order (template order_approval.docx): the variables of ``approval_order``.

execution_report (template execution_report.docx): ``rows`` with section rows and one row per
control item: ``{section: False, n, title, due, responsible: [..], status, result: [..],
evidence: [..], mark, outcome}``; ``summary`` sentences; ``report_date``; signed by the person
closing the plan. A control item's outcome on the report date:

* ``cancelled`` — «отменено»;
* reported or accepted with the execution date (``executed_on`` of its last ``report``
  history entry, else of its fields) on or before the due date, or without a due date —
  ``on_time``, «в срок»; after the due date — ``late``, «с опозданием»;
* otherwise (planned, in progress, returned): due date before the report date or no due
  date — ``not_executed``, «не исполнено»; due on or after the report date — ``not_due``,
  «срок не наступил».

analytic_report (template analytic_report.docx): per section and in total — items on
control, accepted, accepted on time, accepted late, not executed, cancelled; each count with
its share of the total («66,7 %», one decimal, decimal comma); ``intro`` and ``conclusions``
sentences; signed by the person closing the plan (a deputy director).

meeting_protocol (template meeting_protocol.docx) — a meeting (workflows/meeting.yaml) or any
artefact with these fields (values submitted with the transition override them)::

    body:            «pedsovet» (a code of engine.meetings.BODIES) — gives body_genitive and
                     protocol_heading («заседания педагогического совета», «совещания при директоре»)
    body_genitive:   «школьного методического объединения учителей начальных классов» (overrides)
    protocol_date:   ISO «2025-03-31» or «31.03.2025» (default: meeting_date)
    protocol_number: «10»
    present:         23
    chair:           a member's login or a name as text (default: the director)
    secretary:       a member's login or a name as text (default: whoever fires the transition)
    votes_for, votes_against, votes_abstained: the votes of every agenda item with decisions
                     that has none of its own
    agenda:          per agenda item texts, see engine.meetings.agenda_of

The agenda items are the meeting's sections (PlanSection) in order, and their decisions the
section's items (PlanItem): text (``activity``), deadline and responsible as written (a row
whose responsible was chosen after the import names the people chosen). ``agenda`` entries
after the last section are agenda items without a decisions table. Agenda items are numbered
by position («1», «2») unless an entry gives its number; decisions «1.1.», «1.2.» after their
agenda item. The chair's certificate (if on file and valid) gives the e-signature mark.

decision_extracts (template protocol_extract.docx): one «Выписка из протокола» per decision
of an agenda item that was voted on — that agenda item (number, title, heard), the decision
with its deadline and responsible in one paragraph, the votes; certified «Верно» by the
meeting's secretary.

meeting_execution_report (template execution_report.docx): ``execution_report`` of the
meeting's decisions, headed «об исполнении решений педагогического совета (протокол от … № …)».
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select

from ..deadlines.phrases import Schedule, describe
from ..documents.russian import date_digits, date_words, initials_surname, lower_first, surname_initials
from ..models import Artefact, ArtefactAssignee, Evidence, HistoryEntry, Membership, PlanItem, PlanSection, User
from .context import TransitionContext
from .contexts import LAW_273, _digits, _title_forms, person, signer
from .control import CONTROL_KIND
from .fields import FieldError, parse_date
from .meetings import AgendaItem, Decision, agenda_of, body_genitive, protocol_heading
from .registry import document_context

# The plan table's grid: «№ п/п» + data columns share GRID_UNITS narrow grid columns.
GRID_UNITS = 60
NUMBER_SPAN = 3
MIN_SPAN = 2
# Relative widths of known columns; anything else gets DEFAULT_WEIGHT.
COLUMN_WEIGHTS = {
    "activity": 7, "object": 5, "criteria": 5, "indicators": 6, "result": 5, "expected_result": 5,
    "responsible": 4, "executors": 4, "deadline": 3, "document_format": 4,
}
DEFAULT_WEIGHT = 4

COUNCIL = "Педагогическим советом"
EMPTY = "—"
MAX_LISTED = 10
ACCEPTED, REPORTED, CANCELLED = "accepted", "reported", "cancelled"
MARKS = {
    "on_time": "в срок",
    "late": "с опозданием",
    "not_executed": "не исполнено",
    "not_due": "срок не наступил",
    "cancelled": "отменено",
}
# A few HTML leftovers of imported cells («<p>…</p>», «<br>») become line breaks.
_HTML_BREAK = re.compile(r"<\s*br\s*/?\s*>|<\s*/\s*(?:p|div)\s*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"<\s*/?\s*(?:p|div|span|b|i|u|strong|em)(?:\s[^<>]*)?/?\s*>", re.IGNORECASE)


# --------------------------------------------------------------------------- small helpers


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _lines(value: Any, empty: str = "") -> list[str]:
    """A cell's text as paragraphs: one per line, HTML leftovers removed; never an empty list."""
    if isinstance(value, (list, tuple)):
        raw = "\n".join(_text(v) for v in value)
    else:
        raw = _text(value)
    raw = _HTML_TAG.sub("", _HTML_BREAK.sub("\n", raw))
    lines = [" ".join(line.split()) for line in raw.splitlines()]
    lines = [line for line in lines if line]
    return lines or [empty]


def _sentence(text: str) -> str:
    """End with one full stop: a name ending in initials («Иванову И.И.») already has it."""
    text = text.rstrip()
    return text if text.endswith(".") else text + "."


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return parse_date(value)
    except FieldError:
        return None


def _date_text(value: Any) -> str:
    day = _date(value)
    return date_digits(day) if day else _text(value)


def _plural(n: int, forms: tuple[str, str, str]) -> str:
    """«1 пункт», «2 пункта», «5 пунктов»."""
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return forms[1]
    return forms[2]


def _of_items(n: int) -> str:
    """After «из»: «из 1 пункта», «из 21 пункта», «из 50 пунктов»."""
    return "пункта" if n % 10 == 1 and n % 100 != 11 else "пунктов"


def percent(part: int, whole: int) -> str:
    """«66,7 %»: one decimal, rounded half up, Russian decimal comma; «—» when there is no whole."""
    if not whole:
        return EMPTY
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value} %".replace(".", ",")


def _year_suffix(ctx: TransitionContext) -> str:
    """« на 2024/2025 учебный год», unless the title already names its school year."""
    year = ctx.artefact.school_year
    if not year or re.search(r"учебн\w*\s+год", ctx.artefact.title, re.IGNORECASE):
        return ""
    return f" на {year} учебный год"


def _plan_titles(ctx: TransitionContext) -> dict[str, str]:
    """The plan's title with its school year, in the nominative, genitive and instrumental."""
    suffix = _year_suffix(ctx)
    return {case: text + suffix for case, text in _title_forms(ctx).items()}


def _section_text(section: PlanSection) -> str:
    return " ".join(part for part in (section.number.strip(), " ".join(section.title.split())) if part)


def _council_grif(ctx: TransitionContext) -> dict[str, str] | None:
    number = ctx.value("protocol_number")
    if not number:
        return None
    return {"body_instrumental": COUNCIL, "protocol_date": _digits(ctx.value("protocol_date")),
            "protocol_number": _text(number)}


# --------------------------------------------------------------------------- plan rows


def _sections(ctx: TransitionContext) -> list[PlanSection]:
    return list(ctx.session.scalars(select(PlanSection).where(PlanSection.artefact_id == ctx.artefact.id)
                                    .order_by(PlanSection.position, PlanSection.id)))


def _plan_items(ctx: TransitionContext) -> list[PlanItem]:
    return list(ctx.session.scalars(select(PlanItem).where(PlanItem.artefact_id == ctx.artefact.id)
                                    .order_by(PlanItem.position, PlanItem.id)))


def _grouped(sections: list[PlanSection], items: list[PlanItem]) -> list[tuple[PlanSection | None, list[PlanItem]]]:
    """Items under their sections, in order; items without a (known) section come first."""
    by_section: dict[int | None, list[PlanItem]] = defaultdict(list)
    known = {section.id for section in sections}
    for item in items:
        by_section[item.section_id if item.section_id in known else None].append(item)
    groups: list[tuple[PlanSection | None, list[PlanItem]]] = []
    if by_section.get(None):
        groups.append((None, by_section[None]))
    groups += [(section, by_section.get(section.id, [])) for section in sections]
    return groups


def column_spans(keys: list[str], units: int = GRID_UNITS - NUMBER_SPAN) -> list[int]:
    """Share `units` grid columns among the data columns by weight (largest remainder), each ≥ MIN_SPAN."""
    if not keys:
        return []
    weights = [COLUMN_WEIGHTS.get(key, DEFAULT_WEIGHT) for key in keys]
    total = sum(weights)
    exact = [units * w / total for w in weights]
    spans = [max(MIN_SPAN, int(x)) for x in exact]
    by_remainder = sorted(range(len(keys)), key=lambda i: (exact[i] - int(exact[i]), weights[i]), reverse=True)
    i = 0
    while sum(spans) < units:
        spans[by_remainder[i % len(keys)]] += 1
        i += 1
    while sum(spans) > units:
        widest = max(range(len(keys)), key=lambda j: spans[j])
        spans[widest] -= 1
    return spans


def _cell_text(item: PlanItem, key: str) -> str:
    """What the plan says in a column; deadline and responsible exactly as written."""
    fields = item.fields or {}
    if key == "deadline":
        return item.deadline_text or _text(fields.get(key))
    if key == "responsible":
        return item.responsible_text or _text(fields.get(key))
    return _text(fields.get(key))


@document_context("plan_table", "План: таблица пунктов по разделам с грифом утверждения (альбомный лист)")
def plan_table(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    keys = list(ctx.definition.columns)
    spans = column_spans(keys)
    columns = [{"key": key, "title": ctx.definition.columns[key], "span": span} for key, span in zip(keys, spans)]
    rows: list[dict[str, Any]] = []
    for section, items in _grouped(_sections(ctx), _plan_items(ctx)):
        if section is not None:
            rows.append({"section": True, "number": section.number, "title": section.title,
                         "text": _section_text(section)})
        for item in items:
            cells = []
            for key, span in zip(keys, spans):
                text = _cell_text(item, key)
                cells.append({"key": key, "text": text, "lines": _lines(text), "span": span})
            rows.append({"section": False, "number": item.number, "cells": cells})
    approved = bool(ctx.value("order_number"))
    context = {
        **base,
        "plan_title": _plan_titles(ctx)["nomn"],
        "is_draft": not approved,
        "approval_grif": {
            "word": ctx.definition.approval_grif_word,
            "order_date": _digits(ctx.value("order_date")),
            "order_number": _text(ctx.value("order_number")),
        } if approved else None,
        "council_grif": _council_grif(ctx),
        "columns": columns,
        "row_span": GRID_UNITS,
        "rows": rows,
    }
    if not approved:
        context["signer"] = {**base["signer"], "certificate": None}
    return [context]


# --------------------------------------------------------------------------- the order


@document_context("plan_approval_order", "Приказ об утверждении плана и назначении ответственного за его исполнение")
def plan_approval_order(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    titles = _plan_titles(ctx)
    preamble = f"В соответствии с пунктом 13 части 3 статьи 28 {LAW_273}"
    if ctx.value("protocol_number"):
        preamble += (f", на основании решения педагогического совета (протокол от "
                     f"{_digits(ctx.value('protocol_date'))} № {ctx.value('protocol_number')})")
    responsible = person(ctx.member(ctx.value("responsible")))
    items = [f"Утвердить {titles['nomn']} (приложение)."]
    if responsible["accs"]:
        items.append(_sentence(f"Назначить ответственным за организацию исполнения плана {responsible['accs']}"))
    items += [
        "Ответственным за пункты плана обеспечить их выполнение в установленные сроки и представлять "
        "отчёты об исполнении.",
        "Контроль за исполнением приказа оставляю за собой.",
    ]
    return [{
        **base,
        "order_date": _digits(ctx.value("order_date")),
        "order_date_words": _date_words(ctx.value("order_date")),
        "order_number": _text(ctx.value("order_number")),
        "heading": f"Об утверждении {titles['gent']}",
        "preamble": preamble + ",",
        "items": items,
        "attachments": [_sentence(titles["nomn"])],
    }]


def _date_words(value: Any) -> str:
    day = _date(value)
    return date_words(day) if day else ""


# --------------------------------------------------------------------------- control items


@dataclass
class ControlRow:
    """One control item of the plan as the reports see it (plain values)."""

    id: int
    title: str
    state: str
    due: dt.date | None
    executed_on: dt.date | None
    fields: dict[str, Any]
    section_id: int | None
    sort_key: tuple
    plan_item: PlanItem | None
    outcome: str = ""


def outcome(state: str, due: dt.date | None, executed_on: dt.date | None, report_date: dt.date) -> str:
    """on_time / late / not_executed / not_due / cancelled (see the module docstring)."""
    if state == CANCELLED:
        return "cancelled"
    if state in (ACCEPTED, REPORTED) and (executed_on is not None or state == ACCEPTED):
        return "late" if due is not None and executed_on is not None and executed_on > due else "on_time"
    if due is not None and due >= report_date:
        return "not_due"
    return "not_executed"


def _report_date(ctx: TransitionContext) -> dt.date:
    return _date(ctx.value("report_date")) or ctx.today


def _children_ids(ctx: TransitionContext):
    return select(Artefact.id).where(Artefact.parent_id == ctx.artefact.id, Artefact.kind == CONTROL_KIND)


def _executed_dates(ctx: TransitionContext) -> dict[int, dt.date]:
    """The execution date of each control item's last report (from its history)."""
    dates: dict[int, dt.date] = {}
    entries = ctx.session.execute(
        select(HistoryEntry.artefact_id, HistoryEntry.fields)
        .where(HistoryEntry.trigger == "report", HistoryEntry.artefact_id.in_(_children_ids(ctx)))
        .order_by(HistoryEntry.artefact_id, HistoryEntry.sequence))
    for artefact_id, fields in entries:
        day = _date((fields or {}).get("executed_on"))
        if day is not None:
            dates[artefact_id] = day
    return dates


def control_rows(ctx: TransitionContext, report_date: dt.date) -> tuple[list[PlanSection], list[ControlRow]]:
    """The plan's sections and its control items in plan order (item position, then due date)."""
    sections = _sections(ctx)
    section_order = {section.id: index for index, section in enumerate(sections)}
    plan_items = {item.id: item for item in _plan_items(ctx)}
    children = ctx.session.scalars(select(Artefact).where(
        Artefact.parent_id == ctx.artefact.id, Artefact.kind == CONTROL_KIND)).all()
    executed = _executed_dates(ctx)
    rows = []
    for child in children:
        fields = dict(child.fields or {})
        plan_item = plan_items.get(fields.get("plan_item_id"))
        section_id = plan_item.section_id if plan_item is not None and plan_item.section_id in section_order else None
        executed_on = executed.get(child.id) or _date(fields.get("executed_on"))
        sort_key = (section_order.get(section_id, -1), plan_item.position if plan_item is not None else 1 << 30,
                    child.due_date or dt.date.max, child.id)
        row = ControlRow(id=child.id, title=child.title, state=child.state, due=child.due_date,
                         executed_on=executed_on, fields=fields, section_id=section_id, sort_key=sort_key,
                         plan_item=plan_item)
        row.outcome = outcome(row.state, row.due, row.executed_on, report_date)
        rows.append(row)
    rows.sort(key=lambda r: r.sort_key)
    return sections, rows


def _due_text(row: ControlRow) -> str:
    if row.due is not None:
        note = _text(row.fields.get("note")).strip()
        return date_digits(row.due) + (f" ({note})" if note else "")
    schedule = row.plan_item.schedule if row.plan_item is not None else None
    if schedule:
        try:
            return describe(Schedule.from_dict(schedule))
        except (KeyError, ValueError, TypeError):
            pass
    deadline = _text(row.fields.get("deadline_text")).strip()
    return f"по графику: {deadline}" if deadline else "без срока"


def _assignee_names(ctx: TransitionContext) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    found = ctx.session.execute(
        select(ArtefactAssignee.artefact_id, ArtefactAssignee.external_name,
               User.last_name, User.first_name, User.middle_name)
        .outerjoin(User, User.id == ArtefactAssignee.user_id)
        .where(ArtefactAssignee.artefact_id.in_(_children_ids(ctx)))
        .order_by(ArtefactAssignee.artefact_id, ArtefactAssignee.id))
    for artefact_id, external, last, first, middle in found:
        name = surname_initials(last, first or "", middle or "") if last else _text(external).strip()
        if name and name not in names[artefact_id]:
            names[artefact_id].append(name)
    return names


def _evidence_counts(ctx: TransitionContext) -> dict[int, int]:
    return dict(ctx.session.execute(
        select(Evidence.artefact_id, func.count()).where(Evidence.artefact_id.in_(_children_ids(ctx)))
        .group_by(Evidence.artefact_id)).all())


def _evidence_lines(count: int, links: Any) -> list[str]:
    lines = [f"материалов: {count}"] if count else []
    lines += [line for line in _lines(links) if line]
    return lines or [EMPTY]


def _status_label(ctx: TransitionContext, state: str) -> str:
    definition = ctx.definitions.get(CONTROL_KIND)
    return definition.state_label(state) if definition is not None else state


def _section_row(section: PlanSection) -> dict[str, Any]:
    return {"section": True, "number": section.number, "title": section.title, "text": _section_text(section)}


@document_context("execution_report", "Отчёт об исполнении плана: каждый пункт на контроле со статусом и сроком")
def execution_report(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    heading = f"об исполнении {lower_first(_plan_titles(ctx)['gent'])}"
    return [_execution_report(ctx, base, heading, {})]


def _execution_report(ctx: TransitionContext, base: dict[str, Any], heading: str,
                      section_texts: dict[int, str]) -> dict[str, Any]:
    """The report's context; `section_texts` replace the text of section rows (a meeting's agenda items)."""
    report_date = _report_date(ctx)
    sections, controls = control_rows(ctx, report_date)
    by_id = {section.id: section for section in sections}
    people = _assignee_names(ctx)
    evidence = _evidence_counts(ctx)
    rows: list[dict[str, Any]] = []
    current: Any = object()
    for n, row in enumerate(controls, start=1):
        if row.section_id != current:
            current = row.section_id
            if row.section_id is not None:
                section_row = _section_row(by_id[row.section_id])
                section_row["text"] = section_texts.get(row.section_id, section_row["text"])
                rows.append(section_row)
        responsible = people.get(row.id) or _lines(row.fields.get("responsible_text"), EMPTY)
        rows.append({
            "section": False,
            "n": n,
            "title": row.title,
            "due": _due_text(row),
            "responsible": responsible,
            "status": _status_label(ctx, row.state),
            "result": _lines(row.fields.get("result"), EMPTY),
            "evidence": _evidence_lines(evidence.get(row.id, 0), row.fields.get("links")),
            "executed_on": date_digits(row.executed_on) if row.executed_on else "",
            "mark": MARKS[row.outcome],
            "outcome": row.outcome,
        })
    return {
        **base,
        "heading": heading,
        "report_date": date_digits(report_date),
        "rows": rows,
        "summary": _summary(_counts(controls)),
        "signer": signer(ctx.membership, signed_on=ctx.today),
    }


# --------------------------------------------------------------------------- counts


def _counts(rows: list[ControlRow]) -> dict[str, int]:
    counts = {"total": len(rows), "accepted": 0, "on_time": 0, "late": 0, "not_executed": 0, "cancelled": 0,
              "on_review": 0, "not_due": 0}
    for row in rows:
        if row.state == ACCEPTED:
            counts["accepted"] += 1
            counts["on_time" if row.outcome == "on_time" else "late"] += 1
        elif row.outcome in ("not_executed", "cancelled", "not_due"):
            counts[row.outcome] += 1
        else:  # reported, awaiting acceptance
            counts["on_review"] += 1
    return counts


def _summary(counts: dict[str, int]) -> list[str]:
    total = counts["total"]
    lines = [
        f"Всего на контроле {total} {_plural(total, ('пункт', 'пункта', 'пунктов'))}; принято "
        f"{counts['accepted']} (в срок — {counts['on_time']}, с опозданием — {counts['late']}); "
        f"не исполнено — {counts['not_executed']}; отменено — {counts['cancelled']}.",
    ]
    rest = _unfinished(counts)
    if rest:
        lines.append(rest)
    return lines


def _unfinished(counts: dict[str, int]) -> str:
    parts = []
    if counts["on_review"]:
        parts.append(f"на проверке — {counts['on_review']}")
    if counts["not_due"]:
        parts.append(f"срок не наступил — {counts['not_due']}")
    return f"На дату отчёта не завершены: {', '.join(parts)}." if parts else ""


def _stat_row(title: str, counts: dict[str, int]) -> dict[str, Any]:
    total = counts["total"]
    row: dict[str, Any] = {"title": title, "total": total}
    for key in ("accepted", "on_time", "late", "not_executed", "cancelled"):
        row[key] = {"count": counts[key], "percent": percent(counts[key], total)}
    return row


def _conclusions(counts: dict[str, int], not_executed_numbers: list[str]) -> list[str]:
    total = counts["total"]
    if not total:
        return ["Пунктов на контроле не было."]
    sentences = [
        f"Выполнено в срок {counts['on_time']} из {total} {_of_items(total)} "
        f"({percent(counts['on_time'], total)}).",
        f"Выполнено с опозданием — {counts['late']} ({percent(counts['late'], total)}), "
        f"не исполнено — {counts['not_executed']} ({percent(counts['not_executed'], total)}), "
        f"отменено — {counts['cancelled']} ({percent(counts['cancelled'], total)}).",
    ]
    rest = _unfinished(counts)
    if rest:
        sentences.append(rest)
    if not_executed_numbers:
        shown = ", ".join(not_executed_numbers[:MAX_LISTED])
        more = len(not_executed_numbers) - MAX_LISTED
        sentences.append(f"Не исполнены пункты плана: {shown}{f' и ещё {more}' if more > 0 else ''}.")
    return sentences


@document_context("analytic_report", "Аналитическая справка по итогам исполнения плана: доли по разделам")
def analytic_report(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    report_date = _report_date(ctx)
    sections, controls = control_rows(ctx, report_date)
    grouped: dict[int | None, list[ControlRow]] = defaultdict(list)
    for row in controls:
        grouped[row.section_id].append(row)
    stats = []
    if grouped.get(None):
        stats.append(_stat_row("Пункты вне разделов", _counts(grouped[None])))
    stats += [_stat_row(_section_text(section), _counts(grouped.get(section.id, []))) for section in sections]
    totals = _counts(controls)
    numbers = []
    for row in controls:
        number = _text(row.fields.get("item_number")).strip() or (row.plan_item.number if row.plan_item else "")
        if row.outcome == "not_executed" and number and number not in numbers:
            numbers.append(number)
    titles = _plan_titles(ctx)
    total = totals["total"]
    intro = (f"На контроле по плану находилось {total} {_plural(total, ('пункт', 'пункта', 'пунктов'))} "
             f"(с учётом повторяющихся сроков исполнения) в {len(sections)} "
             f"{_plural(len(sections), ('разделе', 'разделах', 'разделах'))}. "
             f"Итоги исполнения на {date_digits(report_date)} по разделам плана приведены в таблице.")
    return [{
        **base,
        "heading": f"по итогам исполнения {lower_first(titles['gent'])}",
        "report_date": date_digits(report_date),
        "intro": intro,
        "sections": stats,
        "totals": _stat_row("Итого", totals),
        "conclusions": _conclusions(totals, numbers),
        "signer": signer(ctx.membership, signed_on=ctx.today),
    }]


# --------------------------------------------------------------------------- meeting protocol


def _member_or_text(ctx: TransitionContext, value: Any) -> tuple[Membership | None, str]:
    """A login of a member → that member and «И.О. Фамилия»; anything else is a name as written."""
    text = _text(value).strip()
    if not text:
        return None, ""
    member = ctx.member(text) if re.fullmatch(r"[\w.@+-]{1,100}", text) else None
    if member is None:
        return None, text
    user = member.user
    return member, initials_surname(user.last_name, user.first_name, user.middle_name)


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _responsible_names(ctx: TransitionContext, agenda: list[AgendaItem]) -> dict[str, str]:
    """«Фамилия И.О.» of every login named by a decision — one query for the whole protocol."""
    logins = sorted({login for a in agenda for d in a.decisions if d.item is not None
                     for login in d.item.responsible_logins or []})
    if not logins:
        return {}
    rows = ctx.session.execute(select(User.login, User.last_name, User.first_name, User.middle_name).join(Membership)
                               .where(Membership.organisation_id == ctx.artefact.organisation_id,
                                      User.login.in_(logins)))
    return {login: surname_initials(last, first or "", middle or "") for login, last, first, middle in rows}


def _decision_responsible(decision: Decision, names: dict[str, str]) -> str:
    """As written; a row whose responsible was chosen after the import names the people chosen."""
    if decision.responsible_text.strip() or decision.item is None:
        return decision.responsible_text.strip()
    people = [names[login] for login in decision.item.responsible_logins or [] if login in names]
    return ", ".join(people + list(decision.item.external_executors or []))


def _agenda_context(item: AgendaItem, names: dict[str, str]) -> dict[str, Any]:
    decisions = [{
        "number": f"{item.number}.{j}.",
        "text": " ".join(_lines(decision.text)),
        "deadline_text": " ".join(_lines(decision.deadline_text)),
        "responsible_text": " ".join(_lines(_decision_responsible(decision, names))),
    } for j, decision in enumerate(item.decisions, start=1)]
    votes = item.votes or {}
    return {
        "number": item.number,
        "title": " ".join(_lines(item.title)),
        "heard": [line for line in _lines(item.heard) if line],
        "spoke": [line for line in _lines(item.spoke) if line],
        "decisions": decisions,
        "has_votes": item.votes is not None,
        "votes_for": votes.get("votes_for", 0),
        "votes_against": votes.get("votes_against", 0),
        "votes_abstained": votes.get("votes_abstained", 0),
    }


def _protocol_people(ctx: TransitionContext) -> dict[str, Any]:
    """Chair (default: the director), secretary (default: whoever records), date, number, present."""
    chair_member, chair = _member_or_text(ctx, ctx.value("chair"))
    if not chair:
        chair_member = ctx.member_with_role("director")
        chair = person(chair_member)["initials_surname"]
    secretary_member, secretary = _member_or_text(ctx, ctx.value("secretary"))
    if not secretary:
        secretary_member, secretary = ctx.membership, person(ctx.membership)["initials_surname"]
    return {
        "body_genitive": body_genitive(ctx),
        "protocol_heading": protocol_heading(ctx),
        "protocol_date": _date_text(ctx.value("protocol_date") or ctx.value("meeting_date")),
        "protocol_number": _text(ctx.value("protocol_number")),
        "present": _int_or_none(ctx.value("present")) or 0,
        "chair": chair,
        "secretary": secretary,
        "chair_member": chair_member,
        "secretary_member": secretary_member,
    }


@document_context("meeting_protocol", "Протокол заседания: повестка, слушали, выступили, решили, голосование")
def meeting_protocol(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    people = _protocol_people(ctx)
    agenda = agenda_of(ctx)
    names = _responsible_names(ctx, agenda)
    return [{
        **base,
        **{key: value for key, value in people.items() if not key.endswith("_member")},
        "agenda": [_agenda_context(item, names) for item in agenda],
        # Signed by the chair: the e-signature mark only with the chair's certificate on file.
        "signer": signer(people["chair_member"], signed_on=ctx.today),
    }]


def _decision_sentence(decision: dict[str, str]) -> str:
    """«1.2. Разработать план… Срок — март 2024 г. Ответственный — Зам. директора по УВР.»"""
    parts = [_sentence(f"{decision['number']} {decision['text']}")]
    if decision["deadline_text"]:
        parts.append(_sentence(f"Срок — {decision['deadline_text']}"))
    if decision["responsible_text"]:
        parts.append(_sentence(f"Ответственный — {decision['responsible_text']}"))
    return " ".join(parts)


@document_context("decision_extracts", "Выписки из протокола: по одной на каждое решение, принятое голосованием")
def decision_extracts(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    """One extract per decision, for its executors: the agenda item with its original number, what
    was heard, that decision and the votes. Certified «Верно» by the meeting's secretary.
    Decisions taken without a vote (совещание при директоре) have no extracts: the form prints votes."""
    people = _protocol_people(ctx)
    agenda = agenda_of(ctx)
    names = _responsible_names(ctx, agenda)
    certifier_member = people["secretary_member"] or ctx.membership
    certifier = person(certifier_member)
    fixed = {key: value for key, value in people.items() if not key.endswith("_member")}
    extracts = []
    for item in agenda:
        if item.votes is None:
            continue
        agenda_context = _agenda_context(item, names)
        for decision in agenda_context["decisions"]:
            extracts.append({
                **base,
                **fixed,
                "agenda_number": item.number,
                "agenda_item": _sentence(agenda_context["title"]) if agenda_context["title"] else "",
                "heard": " ".join(agenda_context["heard"]),
                "decision": _decision_sentence(decision),
                "votes_for": agenda_context["votes_for"],
                "votes_against": agenda_context["votes_against"],
                "votes_abstained": agenda_context["votes_abstained"],
                "certifier": {"position": f"Секретарь {people['body_genitive']}",
                              "initials_surname": certifier["initials_surname"] or people["secretary"]},
                "certified_date": date_digits(ctx.today),
                "signer": signer(certifier_member, signed_on=ctx.today),
            })
    return extracts


@document_context("meeting_execution_report", "Отчёт об исполнении решений заседания: каждое решение со статусом")
def meeting_execution_report(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan's execution report, headed by the meeting («об исполнении решений педагогического
    совета (протокол от 15.02.2024 № 5)»), its section rows being the agenda items."""
    protocol = f"протокол от {_date_text(ctx.value('protocol_date') or ctx.value('meeting_date'))}"
    if ctx.value("protocol_number"):
        protocol += f" № {_text(ctx.value('protocol_number'))}"
    agenda = {item.section_id: " ".join(_lines(f"{item.number}. {item.title}")) for item in agenda_of(ctx)
              if item.section_id is not None}
    return [_execution_report(ctx, base, f"об исполнении решений {body_genitive(ctx)} ({protocol})", agenda)]
