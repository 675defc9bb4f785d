"""«Анализ функционирования ВСОКО» for a school year (workflows/annual_review.yaml), and the
figures of the school's ВСОКО page and of an audit's page, with their charts.

`tally_year` reads a school year's records in a fixed number of queries (however many plans,
rows, findings and actions there are) and files every counted row under the figure it counts
for (`Tally`: figure key → ids), so that every figure has its sources: the rows it was
counted from. Figure keys:

* ``plans/<outcome>``, ``plan/<plan id>/<outcome>``, ``plan/<plan id>/<section id or 0>/<outcome>`` —
  control items of the year's plans (plans, roadmaps) by outcome;
* ``audits/all``, ``audits/closed``; ``findings/all``, ``findings/<area>/<severity>``,
  ``findings/type/<type>``; ``recurrence/first``, ``recurrence/repeat`` — findings recorded
  for the first time or again on the same requirement;
* ``actions/<outcome>`` — control items of the year's corrective-action plans;
* ``checks/<result>`` (effective, partial, not_effective) and ``checks/pending`` —
  effectiveness checks;
* ``council/<outcome>``, ``council/meetings`` — decisions of the year's meetings and their execution.

Outcomes: ``on_time``, ``late`` (accepted in time or late), ``on_review`` (reported, not accepted
yet), ``not_executed``, ``not_due``, ``cancelled`` — as procedures/control.py defines them on the
report date; ``all`` counts every item.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..deadlines.phrases import parse_deadline
from ..deadlines.school_year import SchoolYear
from ..documents.charts import Series, bar_chart
from ..documents.render import Picture
from ..documents.russian import date_digits
from ..engine.context import TransitionContext
from ..engine.registry import action, document_context
from ..models import Artefact, HistoryEntry, PlanItem, PlanSection
from .children import add_child
from .common import LAW_273, as_date, digits, lines, percent, person, plural, sentence, signer, text, words
from .control import ACCEPTED, CONTROL_KIND, REPORTED, outcome, plan_items
from .audits import no_mark
from .corrective import CHECK_KIND, CORRECTIVE_KIND
from .findings import AREA_SHORT, AREAS, FINDING_KIND, SEVERITIES

PLAN_KINDS = ("vsoko_plan", "activity_plan", "roadmap")
MEETING_KIND = "meeting"
AUDIT_KIND = "audit"
OUTCOMES = {"on_time": "в срок", "late": "с опозданием", "on_review": "на проверке", "not_executed": "не исполнено",
            "not_due": "срок не наступил", "cancelled": "отменено"}
CHECK_RESULTS = {"effective": "эффективно", "partial": "частично", "not_effective": "не эффективно"}
CHART_WIDTH_MM = 160


@dataclass
class Tally:
    """Figure key → the ids of the rows counted for it."""

    school_year: str
    report_date: dt.date
    sources: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    titles: dict[str, str] = field(default_factory=dict)  # plan and section titles by key

    def add(self, keys: list[str], row_id: int) -> None:
        for key in keys:
            self.sources[key].append(row_id)

    def n(self, key: str) -> int:
        return len(self.sources.get(key, ()))

    def figures(self) -> dict[str, int]:
        return {key: len(ids) for key, ids in sorted(self.sources.items())}


def item_outcome(state: str, due: dt.date | None, executed_on: dt.date | None, report_date: dt.date) -> str:
    """The outcome a report counts a control item under (see the module docstring)."""
    if state == REPORTED:
        return "on_review"
    found = outcome(state, due, executed_on, report_date)
    if state == ACCEPTED:
        return "late" if found == "late" else "on_time"
    return found


def tally_year(session: Session, organisation_id: int, school_year: str, report_date: dt.date) -> Tally:
    """Every figure of the year, with its sources (a fixed number of queries)."""
    tally = Tally(school_year, report_date)
    year = (Artefact.organisation_id == organisation_id, Artefact.school_year == school_year)
    parents = {a.id: a for a in session.scalars(select(Artefact).where(
        *year, Artefact.kind.in_((*PLAN_KINDS, CORRECTIVE_KIND, MEETING_KIND)),
        Artefact.state.not_in(("draft", "withdrawn"))))}
    for plan in parents.values():
        if plan.kind in PLAN_KINDS:
            tally.titles[f"plan/{plan.id}"] = plan.title
    _tally_items(session, tally, parents)
    _tally_quality(session, tally, year)
    return tally


def _tally_items(session: Session, tally: Tally, parents: dict[int, Artefact]) -> None:
    if not parents:
        return
    ids = sorted(parents)
    sections = {s.id: s for s in session.scalars(select(PlanSection).where(PlanSection.artefact_id.in_(ids)))}
    item_sections = dict(session.execute(select(PlanItem.id, PlanItem.section_id).where(PlanItem.artefact_id.in_(ids))).all())
    children = select(Artefact.id).where(Artefact.parent_id.in_(ids), Artefact.kind == CONTROL_KIND)
    # Only the values needed are read out of the JSON columns (in SQL): tens of thousands of rows.
    executed: dict[int, dt.date] = {}
    for artefact_id, day in session.execute(
            select(HistoryEntry.artefact_id, HistoryEntry.fields["executed_on"].as_string())
            .where(HistoryEntry.trigger == "report", HistoryEntry.artefact_id.in_(children))
            .order_by(HistoryEntry.artefact_id, HistoryEntry.sequence)):
        found = as_date(day)
        if found is not None:
            executed[artefact_id] = found
    section_titles = {s.id: " ".join(part for part in (s.number, s.title) if part) for s in sections.values()}
    rows = session.execute(select(Artefact.id, Artefact.parent_id, Artefact.state, Artefact.due_date,
                                  Artefact.fields["plan_item_id"].as_integer())
                           .where(Artefact.parent_id.in_(ids), Artefact.kind == CONTROL_KIND).order_by(Artefact.id))
    report_date, sources = tally.report_date, tally.sources
    for row_id, parent_id, state, due, plan_item_id in rows:
        result = item_outcome(state, due, executed.get(row_id), report_date)
        parent = parents[parent_id]
        if parent.kind == CORRECTIVE_KIND:
            keys: tuple[str, ...] = (f"actions/{result}", "actions/all")
        elif parent.kind == MEETING_KIND:
            keys = (f"council/{result}", "council/all")
        else:
            section_id = item_sections.get(plan_item_id) or 0
            if section_id in section_titles:
                tally.titles[f"plan/{parent_id}/{section_id}"] = section_titles[section_id]
            plan, section = f"plan/{parent_id}", f"plan/{parent_id}/{section_id}"
            keys = (f"plans/{result}", "plans/all", f"{plan}/{result}", f"{plan}/all", f"{section}/{result}",
                    f"{section}/all")
        for key in keys:
            sources[key].append(row_id)
    for meeting in (p for p in parents.values() if p.kind == MEETING_KIND):
        tally.add(["council/meetings"], meeting.id)


def _tally_quality(session: Session, tally: Tally, year: tuple) -> None:
    for audit_id, state in session.execute(select(Artefact.id, Artefact.state).where(
            *year, Artefact.kind == AUDIT_KIND, Artefact.state != "withdrawn")):
        tally.add(["audits/all"] + (["audits/closed"] if state == "closed" else []), audit_id)
    for finding_id, fields in session.execute(select(Artefact.id, Artefact.fields).where(
            *year, Artefact.kind == FINDING_KIND).order_by(Artefact.id)):
        fields = fields or {}
        repeat = int(fields.get("recurrence") or 1) > 1
        tally.add(["findings/all", f"findings/{fields.get('area')}/{fields.get('severity')}",
                   f"findings/type/{fields.get('finding_type')}", f"recurrence/{'repeat' if repeat else 'first'}"],
                  finding_id)
    for check_id, state, fields in session.execute(select(Artefact.id, Artefact.state, Artefact.fields).where(
            *year, Artefact.kind == CHECK_KIND).order_by(Artefact.id)):
        result = (fields or {}).get("result") if state == "checked" else None
        tally.add([f"checks/{result}" if result else "checks/pending"] + (["checks/done"] if result else []),
                  check_id)


# --------------------------------------------------------------------------- figures as sentences and tables


def share(tally: Tally, part: str, whole: str) -> str:
    return percent(tally.n(part), tally.n(whole))


def effectiveness_rate(tally: Tally) -> str:
    return share(tally, "checks/effective", "checks/done")


def outcome_row(tally: Tally, prefix: str, title: str, bold: bool = False) -> dict[str, Any]:
    total = tally.n(f"{prefix}/all")
    return {"title": title, "bold": bold, "total": total,
            **{key: {"count": tally.n(f"{prefix}/{key}"), "percent": percent(tally.n(f"{prefix}/{key}"), total)}
               for key in ("on_time", "late", "not_executed")},
            "other": tally.n(f"{prefix}/on_review") + tally.n(f"{prefix}/not_due") + tally.n(f"{prefix}/cancelled")}


def plan_rows(tally: Tally) -> list[dict[str, Any]]:
    """Per plan (bold) and per section of it: rows on control by outcome."""
    rows = []
    for key, title in sorted(tally.titles.items()):
        parts = key.split("/")
        if len(parts) != 2:
            continue
        rows.append(outcome_row(tally, key, title, bold=True))
        for section_key, section_title in sorted(tally.titles.items()):
            if section_key.startswith(key + "/"):
                rows.append(outcome_row(tally, section_key, section_title))
        loose = f"{key}/0"
        if tally.n(f"{loose}/all"):
            rows.append(outcome_row(tally, loose, "Пункты вне разделов"))
    return rows


def finding_table(tally: Tally) -> list[dict[str, Any]]:
    rows = []
    for area, title in AREAS.items():
        counts = {severity: tally.n(f"findings/{area}/{severity}") for severity in SEVERITIES}
        rows.append({"title": title, **counts, "total": sum(counts.values())})
    totals = {severity: sum(r[severity] for r in rows) for severity in SEVERITIES}
    rows.append({"title": "Итого", **totals, "total": sum(totals.values())})
    return rows


def summary_sentences(tally: Tally) -> list[str]:
    plans_total = tally.n("plans/all")
    findings = tally.n("findings/all")
    checks = tally.n("checks/done")
    return [
        f"На контроле по планам учебного года — {plans_total} {plural(plans_total, ('пункт', 'пункта', 'пунктов'))}: "
        f"выполнено в срок {tally.n('plans/on_time')} ({share(tally, 'plans/on_time', 'plans/all')}), с опозданием — "
        f"{tally.n('plans/late')} ({share(tally, 'plans/late', 'plans/all')}), не выполнено — "
        f"{tally.n('plans/not_executed')} ({share(tally, 'plans/not_executed', 'plans/all')}).",
        f"Проведено внутренних аудитов: {tally.n('audits/all')} (закрыто {tally.n('audits/closed')}); выявлено "
        f"несоответствий, замечаний и областей для улучшения: {findings}, из них значительных — "
        f"{sum(tally.n(f'findings/{a}/significant') for a in AREAS)}.",
        f"Повторно по тем же требованиям выявлено: {tally.n('recurrence/repeat')} из {findings}.",
        f"Корректирующих действий на контроле: {tally.n('actions/all')}; выполнено в срок "
        f"{tally.n('actions/on_time')} ({share(tally, 'actions/on_time', 'actions/all')}), с опозданием — "
        f"{tally.n('actions/late')}, не выполнено — {tally.n('actions/not_executed')}.",
        f"Проверок результативности проведено: {checks}; эффективно — {tally.n('checks/effective')}, частично — "
        f"{tally.n('checks/partial')}, не эффективно — {tally.n('checks/not_effective')}; результативность "
        f"действий — {effectiveness_rate(tally)}. Ожидают проверки: {tally.n('checks/pending')}.",
        f"Заседаний с решениями на контроле: {tally.n('council/meetings')}; решений — {tally.n('council/all')}, "
        f"исполнено в срок {tally.n('council/on_time')} ({share(tally, 'council/on_time', 'council/all')}), "
        f"с опозданием — {tally.n('council/late')}, не исполнено — {tally.n('council/not_executed')}.",
    ]


# --------------------------------------------------------------------------- charts


def chart_findings(figures: dict[str, int]) -> bytes:
    categories = tuple(AREA_SHORT[a] for a in AREAS)
    series = tuple(Series(SEVERITIES[s].capitalize(), tuple(figures.get(f"findings/{a}/{s}", 0) for a in AREAS),
                          (color,) * len(AREAS)) for s, color in (("significant", "#c0392b"), ("minor", "#e08a1e")))
    return bar_chart("Несоответствия по направлениям и значимости", categories, series)


def chart_actions(figures: dict[str, int]) -> bytes:
    keys = ("on_time", "late", "on_review", "not_executed", "not_due")
    return _bars("Корректирующие действия: в срок и с опозданием", [OUTCOMES[k] for k in keys],
                 [figures.get(f"actions/{k}", 0) for k in keys], ("#27ae60", "#e08a1e", "#1f5fa8", "#c0392b", "#7f8c8d"),
                 note=f"Всего действий: {figures.get('actions/all', 0)}")


def chart_effectiveness(figures: dict[str, int]) -> bytes:
    keys = ("effective", "partial", "not_effective")
    values = [figures.get(f"checks/{k}", 0) for k in keys]
    return _bars(f"Результативность действий: {percent(values[0], sum(values))}", [CHECK_RESULTS[k] for k in keys],
                 values, ("#27ae60", "#e08a1e", "#c0392b"), note=f"Проверок проведено: {sum(values)}")


def chart_recurrence(figures: dict[str, int]) -> bytes:
    return _bars("Повторяемость несоответствий", ["выявлено впервые", "повторно"],
                 [figures.get("recurrence/first", 0), figures.get("recurrence/repeat", 0)], ("#1f5fa8", "#c0392b"))


def _bars(title: str, categories: list[str], values: list[int], colors: tuple[str, ...], note: str = "") -> bytes:
    """One bar per category, each in its colour (the categories under the bars say what they are)."""
    return bar_chart(title, tuple(categories), (Series(title, tuple(values), colors),), note=note)


CHARTS = {"findings": chart_findings, "actions": chart_actions, "effectiveness": chart_effectiveness,
          "recurrence": chart_recurrence}


def pictures(figures: dict[str, int]) -> list[dict[str, Any]]:
    return [{"image": Picture(draw(figures), CHART_WIDTH_MM)} for draw in CHARTS.values()]


# --------------------------------------------------------------------------- the review's transitions


def _report_date(ctx: TransitionContext) -> dt.date:
    return as_date(ctx.value("report_date")) or ctx.today


@action("compute_review", "Рассчитать показатели анализа ВСОКО за учебный год на дату анализа")
def compute_review(ctx: TransitionContext) -> None:
    tally = tally_year(ctx.session, ctx.artefact.organisation_id, ctx.artefact.school_year, _report_date(ctx))
    ctx.set_field("figures", tally.figures())
    ctx.set_field("report_author", ctx.actor.login)
    ctx.set_field("figure_titles", dict(tally.titles))
    ctx.notes["tally"] = tally


def _stored_tally(ctx: TransitionContext) -> Tally:
    """The figures the review was sent to the council with (the document must not change later)."""
    if "tally" in ctx.notes:
        return ctx.notes["tally"]
    tally = Tally(ctx.artefact.school_year, _report_date(ctx))
    for key, count in (ctx.value("figures") or {}).items():
        tally.sources[key] = [0] * int(count)
    tally.titles.update(ctx.value("figure_titles") or {})
    return tally


def _decisions(ctx: TransitionContext) -> list[dict[str, Any]]:
    return [{"number": item.number, "activity": lines(item.fields.get("activity"), "—"),
             "responsible": item.responsible_text or "—", "deadline": item.deadline_text or "—",
             "result": lines(item.fields.get("result"), "—")} for item in plan_items(ctx)]


@document_context("annual_review", "Анализ функционирования ВСОКО: показатели года, таблицы, диаграммы, решения")
def annual_review(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    tally = _stored_tally(ctx)
    figures = tally.figures()
    approved = bool(ctx.value("order_number"))
    context = {
        **base,
        "is_draft": not approved,
        "council_grif": {"body_instrumental": "Педагогическим советом", "protocol_date": digits(ctx.value("protocol_date")),
                         "protocol_number": text(ctx.value("protocol_number"))} if ctx.value("protocol_number") else None,
        "approval_grif": {"word": ctx.definition.approval_grif_word, "order_date": digits(ctx.value("order_date")),
                          "order_number": text(ctx.value("order_number"))} if approved else None,
        "heading": f"функционирования внутренней системы оценки качества образования за {tally.school_year} "
                   "учебный год",
        "report_date": date_digits(tally.report_date),
        "summary": summary_sentences(tally),
        "plans": plan_rows(tally),
        "findings": finding_table(tally),
        "charts": pictures(figures),
        "effectiveness_rate": effectiveness_rate(tally),
        "decisions": _decisions(ctx),
        # The analysis is signed by who wrote it (sent it to the council), also in its approved copy.
        "signer": signer(ctx.member(ctx.value("report_author")) or ctx.membership, signed_on=ctx.today),
    }
    return [no_mark(context)]


@document_context("review_approval_order", "Приказ об утверждении анализа ВСОКО и подготовке плана на следующий год")
def review_approval_order(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    year = SchoolYear.parse(ctx.artefact.school_year)
    responsible = person(ctx.member(ctx.value("responsible")))
    preamble = f"В соответствии с пунктом 13 части 3 статьи 28 {LAW_273}"
    if ctx.value("protocol_number"):
        preamble += (f", на основании решения педагогического совета (протокол от "
                     f"{digits(ctx.value('protocol_date'))} № {ctx.value('protocol_number')})")
    items = [f"Утвердить анализ функционирования внутренней системы оценки качества образования за {year.label} "
             "учебный год (приложение)."]
    if responsible["accs"]:
        items.append(sentence(f"Назначить ответственным за подготовку плана мероприятий ВСОКО на {year.next().label} "
                              f"учебный год с учётом решений анализа {responsible['accs']}"))
    items.append("Контроль за исполнением приказа оставляю за собой.")
    return [no_mark({**base, "order_date": digits(ctx.value("order_date")), "order_date_words": words(ctx.value("order_date")),
             "order_number": text(ctx.value("order_number")),
             "heading": f"Об утверждении анализа функционирования ВСОКО за {year.label} учебный год",
             "preamble": preamble + ",", "items": items,
             "attachments": [f"Анализ функционирования ВСОКО за {year.label} учебный год."]})]


# --------------------------------------------------------------------------- next year's plan


def _unfinished_rows(session: Session, organisation_id: int, school_year: str) -> list[PlanItem]:
    """Rows of the year's plans with a control item neither accepted nor cancelled, in plan order."""
    plans = select(Artefact.id).where(Artefact.organisation_id == organisation_id, Artefact.school_year == school_year,
                                      Artefact.kind.in_(PLAN_KINDS))
    open_items = select(Artefact.fields["plan_item_id"].as_integer()).where(
        Artefact.parent_id.in_(plans), Artefact.kind == CONTROL_KIND, Artefact.state.not_in((ACCEPTED, "cancelled")))
    return list(session.scalars(select(PlanItem).where(PlanItem.id.in_(open_items))
                                .order_by(PlanItem.artefact_id, PlanItem.position)))


def _row_copy(item: PlanItem, columns: dict[str, str], next_year: str, section_id: int, position: int,
              number: str, carried: bool) -> PlanItem:
    fields = item.fields or {}
    what = fields.get("activity") or fields.get("object") or fields.get("indicators") or ""
    result = fields.get("result") or fields.get("indicators") or fields.get("document_format") or ""
    values = {key: text(fields.get(key)) for key in columns if fields.get(key)}
    for key, fallback in (("activity", what), ("result", result)):
        if key in columns and not values.get(key) and fallback:
            values[key] = text(fallback)
    schedule = parse_deadline(item.deadline_text, next_year)
    return PlanItem(section_id=section_id, position=position, number=number, fields=values,
                    responsible_text=item.responsible_text, responsible_logins=list(item.responsible_logins or []),
                    external_executors=list(item.external_executors or []), deadline_text=item.deadline_text,
                    schedule=schedule.to_dict(), carried_over_from_id=item.id if carried else None,
                    warnings=([] if schedule.resolved else list(schedule.messages))
                    + (["перенесено: не исполнено в прошлом учебном году"] if carried else []))


@action("draft_next_year_plan", "Проект плана на следующий учебный год: невыполненные пункты и решения анализа",
        required=("kind",))
def draft_next_year_plan(ctx: TransitionContext, kind: str) -> None:
    definition = ctx.definitions[kind]
    next_year = SchoolYear.parse(ctx.artefact.school_year).next().label
    plan = add_child(ctx.session, definition, organisation_id=ctx.artefact.organisation_id, actor=ctx.actor,
                     title=f"{definition.default_title} на {next_year} учебный год", school_year=next_year,
                     fields={"drafted_from_review": ctx.artefact.id})
    groups = [("Невыполненные пункты планов " + ctx.artefact.school_year + " учебного года",
               _unfinished_rows(ctx.session, ctx.artefact.organisation_id, ctx.artefact.school_year), True),
              ("Меры по итогам анализа функционирования ВСОКО", plan_items(ctx), False)]
    position = 0
    for number, (title, rows, carried) in enumerate((g for g in groups if g[1]), start=1):
        section = PlanSection(artefact_id=plan.id, position=number - 1, number=str(number), title=title)
        ctx.session.add(section)
        ctx.session.flush()
        for index, row in enumerate(rows, start=1):
            copy = _row_copy(row, definition.columns, next_year, section.id, position, f"{number}.{index}", carried)
            copy.artefact_id = plan.id
            ctx.session.add(copy)
            position += 1
    ctx.set_field("next_plan_id", plan.id)
