"""Plans (план функционирования ВСОКО, план мероприятий, дорожная карта): the plan table, the
approval order, and the execution report and analytical справка at the end of the year.

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

plan_approval_order (template order_approval.docx): the variables of ``approval_order`` (acts.py).

execution_report (template execution_report.docx): see ``control.execution_report_context``.

analytic_report (template analytic_report.docx): per section and in total — items on
control, accepted, accepted on time, accepted late, not executed, cancelled; each count with
its share of the total («66,7 %», one decimal, decimal comma); ``intro`` and ``conclusions``
sentences; signed by the person closing the plan (a deputy director).
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from ..documents.russian import date_digits, lower_first, surname_initials
from ..engine.context import TransitionContext
from ..engine.registry import document_context
from ..models import PlanItem, PlanSection
from .common import (
    LAW_273, digits, of_items, percent, person, plural, sentence, signer, text, title_forms, words,
)
from .common import lines as cell_lines
from .control import (
    MAX_LISTED, ControlRow, control_rows, execution_report_context, outcome_counts, plan_items, plan_sections,
    report_date_of, section_text, unfinished,
)

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


def _year_suffix(ctx: TransitionContext) -> str:
    """« на 2024/2025 учебный год», unless the title already names its school year."""
    year = ctx.artefact.school_year
    if not year or re.search(r"учебн\w*\s+год", ctx.artefact.title, re.IGNORECASE):
        return ""
    return f" на {year} учебный год"


def _plan_titles(ctx: TransitionContext) -> dict[str, str]:
    """The plan's title with its school year, in the nominative, genitive and instrumental."""
    suffix = _year_suffix(ctx)
    return {case: text + suffix for case, text in title_forms(ctx).items()}


def _council_grif(ctx: TransitionContext) -> dict[str, str] | None:
    number = ctx.value("protocol_number")
    if not number:
        return None
    return {"body_instrumental": COUNCIL, "protocol_date": digits(ctx.value("protocol_date")),
            "protocol_number": text(number)}



# --------------------------------------------------------------------------- plan rows


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
        return item.deadline_text or text(fields.get(key))
    if key == "responsible":
        return item.responsible_text or text(fields.get(key))
    return text(fields.get(key))


def _responsible_cell(ctx: TransitionContext, item: PlanItem) -> str:
    """The responsible as the plan writes them, with the people on control the text does not name: the
    printed plan and the control list agree («Заместитель директора по УВР (Иванова И.И.)»)."""
    written = _cell_text(item, "responsible")
    members = [m for m in (ctx.member(login) for login in item.responsible_logins or []) if m is not None]
    # Only «Иванова И.И.» is needed here: not every case of the name (a row of 2 000 each, on each rendering).
    unnamed = [surname_initials(m.user.last_name, m.user.first_name, m.user.middle_name)
               for m in members if m.user.last_name.lower() not in written.lower()]
    if not unnamed:
        return written
    return f"{written} ({', '.join(unnamed)})" if written.strip() else ", ".join(
        [*unnamed, *(item.external_executors or [])])


@document_context("plan_table", "План: таблица пунктов по разделам с грифом утверждения (альбомный лист)")
def plan_table(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    keys = list(ctx.definition.columns)
    spans = column_spans(keys)
    columns = [{"key": key, "title": ctx.definition.columns[key], "span": span} for key, span in zip(keys, spans)]
    rows: list[dict[str, Any]] = []
    for section, items in _grouped(plan_sections(ctx), plan_items(ctx)):
        if section is not None:
            rows.append({"section": True, "number": section.number, "title": section.title,
                         "text": section_text(section)})
        for item in items:
            cells = []
            for key, span in zip(keys, spans):
                written = _responsible_cell(ctx, item) if key == "responsible" else _cell_text(item, key)
                cells.append({"key": key, "text": written, "lines": cell_lines(written), "span": span})
            rows.append({"section": False, "number": item.number, "cells": cells})
    approved = bool(ctx.value("order_number"))
    context = {
        **base,
        "plan_title": _plan_titles(ctx)["nomn"],
        "is_draft": not approved,
        "approval_grif": {
            "word": ctx.definition.approval_grif_word,
            "order_date": digits(ctx.value("order_date")),
            "order_number": text(ctx.value("order_number")),
        } if approved else None,
        "council_grif": _council_grif(ctx),
        "columns": columns,
        "row_span": GRID_UNITS,
        "rows": rows,
    }
    return [context]


# --------------------------------------------------------------------------- the order


@document_context("plan_approval_order", "Приказ об утверждении плана и назначении ответственного за его исполнение")
def plan_approval_order(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    titles = _plan_titles(ctx)
    preamble = f"В соответствии с пунктом 13 части 3 статьи 28 {LAW_273}"
    if ctx.value("protocol_number"):
        preamble += (f", на основании решения педагогического совета (протокол от "
                     f"{digits(ctx.value('protocol_date'))} № {ctx.value('protocol_number')})")
    responsible = person(ctx.member(ctx.value("responsible")))
    items = [f"Утвердить {titles['nomn']} (приложение)."]
    if responsible["accs"]:
        items.append(sentence(f"Назначить ответственным за организацию исполнения плана {responsible['accs']}"))
    items += [
        "Ответственным за пункты плана обеспечить их выполнение в установленные сроки и представлять "
        "отчёты об исполнении.",
        "Контроль за исполнением приказа оставляю за собой.",
    ]
    return [{
        **base,
        "order_date": digits(ctx.value("order_date")),
        "order_date_words": words(ctx.value("order_date")),
        "order_number": text(ctx.value("order_number")),
        "heading": f"Об утверждении {titles['gent']}",
        "preamble": preamble + ",",
        "items": items,
        "attachments": [sentence(titles["nomn"])],
    }]




# --------------------------------------------------------------------------- reports


@document_context("execution_report", "Отчёт об исполнении плана: каждый пункт на контроле со статусом и сроком")
def execution_report(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    heading = f"об исполнении {lower_first(_plan_titles(ctx)['gent'])}"
    return [execution_report_context(ctx, base, heading, {})]


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
        f"Выполнено в срок {counts['on_time']} из {total} {of_items(total)} "
        f"({percent(counts['on_time'], total)}).",
        f"Выполнено с опозданием — {counts['late']} ({percent(counts['late'], total)}), "
        f"не исполнено — {counts['not_executed']} ({percent(counts['not_executed'], total)}), "
        f"отменено — {counts['cancelled']} ({percent(counts['cancelled'], total)}).",
    ]
    rest = unfinished(counts)
    if rest:
        sentences.append(rest)
    if not_executed_numbers:
        shown = ", ".join(not_executed_numbers[:MAX_LISTED])
        more = len(not_executed_numbers) - MAX_LISTED
        sentences.append(f"Не исполнены пункты плана: {shown}{f' и ещё {more}' if more > 0 else ''}.")
    return sentences


@document_context("analytic_report", "Аналитическая справка по итогам исполнения плана: доли по разделам")
def analytic_report(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    report_date = report_date_of(ctx)
    sections, controls = control_rows(ctx, report_date)
    grouped: dict[int | None, list[ControlRow]] = defaultdict(list)
    for row in controls:
        grouped[row.section_id].append(row)
    stats = []
    if grouped.get(None):
        stats.append(_stat_row("Пункты вне разделов", outcome_counts(grouped[None])))
    stats += [_stat_row(section_text(section), outcome_counts(grouped.get(section.id, []))) for section in sections]
    totals = outcome_counts(controls)
    numbers = []
    for row in controls:
        number = text(row.fields.get("item_number")).strip() or (row.plan_item.number if row.plan_item else "")
        if row.outcome == "not_executed" and number and number not in numbers:
            numbers.append(number)
    titles = _plan_titles(ctx)
    total = totals["total"]
    intro = (f"На контроле по плану {plural(total, ('находился', 'находились', 'находилось'))} {total} "
             f"{plural(total, ('пункт', 'пункта', 'пунктов'))} "
             f"(с учётом повторяющихся сроков исполнения) в {len(sections)} "
             f"{plural(len(sections), ('разделе', 'разделах', 'разделах'))}. "
             f"Итоги исполнения на {date_digits(report_date)} по разделам плана приведены в таблице.")
    return [{
        **base,
        "heading": f"по итогам исполнения {lower_first(titles['gent'])}",
        "report_date": date_digits(report_date),
        "intro": intro,
        "sections": stats,
        "totals": _stat_row("Итого", totals),
        "conclusions": _conclusions(totals, numbers),
        "signer": signer(ctx.membership),
    }]
