"""District monitoring of the schools' ВСОКО: expert cards and their scales, scores and zones, the
answers the system computes from a school's own data, and the campaign's rules and actions.

A card's criterion is scored on one of three scales (regional practice):
- `yes_no` — «да» earns the criterion's weight, «нет» nothing;
- `zero_two` — 0 (нет), 1 (частично), 2 (полностью), times the weight;
- `thresholds` — a percentage: 10 points from `high` %, 5 from `middle` %, else 0, times the weight.
A school's percent is its points over the card's maximum; its zone is green from the card's
`green_from`, yellow from the pass mark, red below. Ranking is relative to the best school (= 100).

Automatic answers (`suggestions`) read what the system already holds about a school — its
Положение, its plans' rows, its council's decisions, its audits — and are shown to the expert with
their evidence; they are never written into a card by themselves. Where the system holds nothing,
the answer says «нет данных».
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..engine.context import TransitionContext
from ..engine.registry import ActionError, action, document_context, rule
from ..engine.definitions import WorkflowDefinition
from ..engine.fields import coerce_fields
from ..engine.history import append_entry
from ..models import (
    Artefact, ArtefactAssignee, CorrectiveSection, Membership, MonitoringCampaign, MonitoringCard, MonitoringRequest,
    MonitoringSchoolCard, Organisation, PlanItem, PlanSection, User,
)
from .children import add_child
from .common import digits, signer
from .control import CONTROL_KIND, FINAL_CONTROL_STATES, _item_fields, _item_title, _occurrences
from .findings import FINDING_KIND, requirement_key
from .review import tally_year

CAMPAIGN_KIND = "monitoring_campaign"
CARDS_DIR = Path(__file__).resolve().parent.parent / "monitoring_cards"
DEFAULT_CARD = "vsoko_local_acts"
SCALES = {"yes_no": "да / нет", "zero_two": "0–2", "thresholds": "10 / 5 / 0 по порогам"}
SCALE_VALUES = {"yes_no": {"yes": "да", "no": "нет"}, "zero_two": {"0": "0", "1": "1", "2": "2"}}
ZONES = {"green": "зелёная", "yellow": "жёлтая", "red": "красная"}
NO_DATA = "нет данных"
DEFAULT_REQUEST = ("Разместите в системе (или укажите ссылку) документы, которых в ней нет: отчёт о самообследовании, "
                   "график оценочных процедур, ссылку на раздел ВСОКО официального сайта")
# Campaign states in which a school sees its card and the district's recommendations.
PUBLISHED_STATES = ("published", "closed")


# --------------------------------------------------------------------------- cards and scales


class CardError(ValueError):
    """A card or an answer that does not fit its scale; the message is for the user (Russian)."""


def shipped_card(code: str = DEFAULT_CARD) -> dict[str, Any]:
    path = CARDS_DIR / f"{code}.yaml"
    if not path.is_file():
        raise CardError(f"Экспертная карта «{code}» не найдена")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    validate_criteria(data["criteria"])
    return data


def validate_criteria(criteria: list[dict[str, Any]]) -> None:
    codes = set()
    if not criteria:
        raise CardError("В карте нет ни одного критерия")
    for number, criterion in enumerate(criteria, 1):
        code = str(criterion.get("code") or "").strip()
        if not code or code in codes:
            raise CardError(f"Критерий {number}: код пустой или повторяется")
        codes.add(code)
        if not str(criterion.get("text") or "").strip():
            raise CardError(f"Критерий {code}: впишите, что проверяется")
        if criterion.get("scale") not in SCALES:
            raise CardError(f"Критерий {code}: шкала должна быть одной из: {', '.join(SCALES.values())}")
        if not isinstance(criterion.get("weight", 1), (int, float)) or criterion.get("weight", 1) <= 0:
            raise CardError(f"Критерий {code}: вес — положительное число")
        if criterion["scale"] == "thresholds":
            high, middle = criterion.get("high"), criterion.get("middle")
            if not (isinstance(high, (int, float)) and isinstance(middle, (int, float)) and 0 <= middle <= high <= 100):
                raise CardError(f"Критерий {code}: пороги — проценты, «5 баллов от» не больше «10 баллов от»")


def criterion_max(criterion: dict[str, Any]) -> float:
    weight = float(criterion.get("weight", 1))
    return weight * {"yes_no": 1, "zero_two": 2, "thresholds": 10}[criterion["scale"]]


def criterion_score(criterion: dict[str, Any], value: Any) -> float:
    """Points for an answer on the criterion's scale; CardError for a value the scale does not have."""
    weight, scale = float(criterion.get("weight", 1)), criterion["scale"]
    text = str(value).strip().replace(",", ".")
    if scale == "yes_no":
        if text not in ("yes", "no"):
            raise CardError(f"{criterion['code']}: ответ «да» или «нет»")
        return weight if text == "yes" else 0.0
    if scale == "zero_two":
        if text not in ("0", "1", "2"):
            raise CardError(f"{criterion['code']}: оценка 0, 1 или 2")
        return weight * int(text)
    try:
        share = float(text)
    except ValueError:
        raise CardError(f"{criterion['code']}: укажите процент от 0 до 100") from None
    if not 0 <= share <= 100:
        raise CardError(f"{criterion['code']}: процент от 0 до 100")
    points = 10 if share >= criterion["high"] else 5 if share >= criterion["middle"] else 0
    return weight * points


def zone_of(percent: float, pass_mark: float, green_from: float) -> str:
    return "green" if percent >= green_from else "yellow" if percent >= pass_mark else "red"


def cell_zone(score: float | None, maximum: float) -> str:
    """A criterion's cell on the heat map: full points green, some yellow, none red."""
    if score is None:
        return ""
    return "green" if score >= maximum else "yellow" if score > 0 else "red"


@dataclass
class Totals:
    score: float
    max_score: float
    percent: float
    zone: str


def card_totals(card: MonitoringCard, answers: dict[str, dict[str, Any]]) -> Totals:
    maximum = sum(criterion_max(c) for c in card.criteria)
    score = sum(float(answers.get(c["code"], {}).get("score") or 0) for c in card.criteria)
    percent = round(score * 100 / maximum, 1) if maximum else 0.0
    return Totals(score, maximum, percent, zone_of(percent, card.pass_mark, card.green_from))


def scored_answers(card: MonitoringCard, submitted: dict[str, dict[str, Any]], suggestions: dict[str, "Suggestion"]
                   ) -> dict[str, dict[str, Any]]:
    """The card's answers from what the expert submitted: each scored on its scale, with the comment and
    the automatic answer that was shown (kept so a later reader sees what the expert was told)."""
    answers = {}
    for criterion in card.criteria:
        code = criterion["code"]
        given = submitted.get(code) or {}
        value = str(given.get("value") or "").strip()
        comment = " ".join(str(given.get("comment") or "").split())[:2000]
        if not value:
            continue
        suggestion = suggestions.get(code)
        answers[code] = {"value": value, "score": criterion_score(criterion, value), "comment": comment,
                         "auto_value": suggestion.value if suggestion else None}
    return answers


def number_text(value: float | None) -> str:
    """«87,5», «100»: a figure as Russian documents write it."""
    if value is None:
        return "—"
    return f"{float(value):.1f}".replace(".", ",").removesuffix(",0")


def value_label(criterion: dict[str, Any], value: Any) -> str:
    if value in (None, ""):
        return "—"
    if criterion["scale"] == "thresholds":
        return f"{number_text(value)} %"
    return SCALE_VALUES[criterion["scale"]].get(str(value), str(value))


# --------------------------------------------------------------------------- automatic answers


@dataclass
class Suggestion:
    """What the system knows for one criterion: a value on its scale (None — «нет данных»), a sentence,
    and the artefacts it comes from."""

    value: Any
    text: str
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "text": self.text, "evidence": self.evidence}


def _evidence(artefact: Artefact, note: str = "") -> dict[str, Any]:
    return {"artefact_id": artefact.id, "title": artefact.title, "note": note}


def _school_year(today: dt.date) -> str:
    start = today.year if today.month >= 9 else today.year - 1
    return f"{start}/{start + 1}"


def _iso(raw: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw)[:10]) if raw else None
    except ValueError:
        return None


def _d(day: dt.date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


def suggestions(session: Session, school_id: int, today: dt.date, year: str | None = None) -> dict[str, Suggestion]:
    """Every automatic answer for a school, by the `auto` key of the criteria (a fixed number of queries):
    for the campaign's school year (`year`; default the one `today` is in), as the data stand today."""
    polozhenie = session.scalars(select(Artefact).where(
        Artefact.organisation_id == school_id, Artefact.kind == "polozhenie", Artefact.state == "in_force")
        .order_by(Artefact.id.desc())).first()
    year = year or _school_year(today)
    tally = tally_year(session, school_id, year, today)
    return {
        "polozhenie_in_force": _polozhenie_in_force(polozhenie),
        "opinions_before_approval": _opinions_before(polozhenie),
        "plan_approved": _plan_approved(session, school_id, year),
        "plan_rows_on_time": _on_time(tally, "plans", "пунктов плана"),
        "council_decisions_on_time": _council_on_time(tally),
        "audits_closed": _audits_closed(session, school_id, year),
        "act_published": Suggestion(None, f"{NO_DATA}: система не получает сведений о размещении на сайте — "
                                          "проверьте ссылку, которую дала школа"),
    }


def _polozhenie_in_force(polozhenie: Artefact | None) -> Suggestion:
    if polozhenie is None:
        return Suggestion("no", "Действующего Положения о ВСОКО в системе нет")
    fields = polozhenie.fields or {}
    order = f"приказом от {_d(_iso(fields.get('order_date')))} № {fields.get('order_number', '')}".strip()
    return Suggestion("yes", f"Действует, утверждено {order}", [_evidence(polozhenie, "приказ об утверждении")])


def _opinions_before(polozhenie: Artefact | None) -> Suggestion:
    if polozhenie is None:
        return Suggestion(None, f"{NO_DATA}: нет действующего Положения")
    fields = polozhenie.fields or {}
    protocol = _iso(fields.get("protocol_date"))
    opinions = {body: _iso(o.get("date")) for body, o in (fields.get("opinions") or {}).items()}
    if not opinions:
        return Suggestion("no", "Мнения советов не записаны", [_evidence(polozhenie)])
    late = [body for body, day in opinions.items() if day is None or protocol is None or day > protocol]
    if late:
        return Suggestion("no", f"Мнение получено после заседания педсовета ({_d(protocol)}): {', '.join(sorted(late))}",
                          [_evidence(polozhenie, "мнения советов")])
    return Suggestion("yes", f"Мнения советов ({len(opinions)}) получены до заседания педсовета {_d(protocol)}",
                      [_evidence(polozhenie, "мнения советов")])


def _plan_approved(session: Session, school_id: int, year: str) -> Suggestion:
    plan = session.scalars(select(Artefact).where(
        Artefact.organisation_id == school_id, Artefact.kind == "vsoko_plan", Artefact.school_year == year,
        Artefact.state.in_(("execution", "closed"))).order_by(Artefact.id.desc())).first()
    if plan is None:
        return Suggestion("no", f"Утверждённого плана функционирования ВСОКО на {year} учебный год нет")
    day = _iso((plan.fields or {}).get("order_date"))
    return Suggestion("yes", f"Утверждён приказом от {_d(day)}", [_evidence(plan)])


def _due_counts(tally, prefix: str) -> tuple[int, int, int]:
    on_time, late, missed = (tally.n(f"{prefix}/{k}") for k in ("on_time", "late", "not_executed"))
    return on_time, late, missed


def _on_time(tally, prefix: str, what: str) -> Suggestion:
    on_time, late, missed = _due_counts(tally, prefix)
    due = on_time + late + missed
    if not due:
        return Suggestion(None, f"{NO_DATA}: срок ни одного из {what} ещё не наступил")
    share = round(on_time * 100 / due, 1)
    return Suggestion(share, f"В срок {on_time} из {due} {what}, срок которых наступил ({number_text(share)} %); "
                             f"с опозданием {late}, не исполнено {missed}")


def _council_on_time(tally) -> Suggestion:
    on_time, late, missed = _due_counts(tally, "council")
    due = on_time + late + missed
    if not due:
        return Suggestion(None, f"{NO_DATA}: решений педсовета со сроком, который наступил, нет")
    value = "2" if on_time == due else "1" if on_time or late else "0"
    return Suggestion(value, f"Решений педсовета в срок {on_time} из {due}; с опозданием {late}, не исполнено {missed}")


def _audits_closed(session: Session, school_id: int, year: str) -> Suggestion:
    rows = session.execute(select(Artefact.id, Artefact.kind, Artefact.state, Artefact.title).where(
        Artefact.organisation_id == school_id, Artefact.school_year == year,
        Artefact.kind.in_(("audit", "finding")), Artefact.state != "withdrawn")).all()
    audits = [r for r in rows if r.kind == "audit"]
    findings = [r for r in rows if r.kind == "finding"]
    if not audits:
        return Suggestion("0", f"Внутренних аудитов в {year} учебном году нет")
    open_findings = [r for r in findings if r.state != "closed"]
    evidence = [{"artefact_id": r.id, "title": r.title, "note": "открыто"} for r in open_findings[:5]]
    if open_findings:
        return Suggestion("1", f"Аудитов {len(audits)}; несоответствий {len(findings)}, не закрыто {len(open_findings)}",
                          evidence)
    return Suggestion("2", f"Аудитов {len(audits)}; все несоответствия ({len(findings)}) закрыты с проверкой "
                           "результативности", [{"artefact_id": a.id, "title": a.title, "note": ""} for a in audits[:5]])


# --------------------------------------------------------------------------- the campaign's workflow


def district_schools(session: Session, district_id: int) -> list[Organisation]:
    return list(session.scalars(select(Organisation).where(
        Organisation.parent_id == district_id, Organisation.kind == "school").order_by(Organisation.short_name)))


def newest_card(session: Session, district_id: int, code: str, created_by: int | None = None) -> MonitoringCard:
    """The district's newest version of a card; the shipped one is copied in as version 1 when it has none."""
    card = session.scalars(select(MonitoringCard).where(
        MonitoringCard.organisation_id == district_id, MonitoringCard.code == code)
        .order_by(MonitoringCard.version.desc())).first()
    if card is not None:
        return card
    data = shipped_card(code)
    card = MonitoringCard(organisation_id=district_id, code=code, version=1, title=data["title"],
                          pass_mark=int(data.get("pass_mark", 60)), green_from=int(data.get("green_from", 85)),
                          criteria=data["criteria"], created_by=created_by)
    session.add(card)
    session.flush()
    return card


def card_for(session: Session, artefact: Artefact) -> MonitoringCard:
    """The card a campaign without settings yet would take: the district's newest of its `card_code`."""
    try:
        return newest_card(session, artefact.organisation_id, (artefact.fields or {}).get("card_code") or DEFAULT_CARD)
    except CardError as error:
        raise ActionError(str(error)) from None


def campaign_of(session: Session, artefact: Artefact) -> MonitoringCampaign:
    """The campaign's settings; a campaign created without them gets the default card and every school."""
    campaign = session.get(MonitoringCampaign, artefact.id)
    if campaign is None:
        card = card_for(session, artefact)
        campaign = MonitoringCampaign(artefact_id=artefact.id, district_id=artefact.organisation_id, card_id=card.id)
        session.add(campaign)
        session.flush()
    return campaign


def school_cards(session: Session, campaign_id: int) -> list[MonitoringSchoolCard]:
    return list(session.scalars(select(MonitoringSchoolCard).where(MonitoringSchoolCard.campaign_id == campaign_id)
                                .order_by(MonitoringSchoolCard.id)))


@rule("campaign_has_schools", "В кампании есть школы района (без выбора — все школы района)", before_form=True)
def campaign_has_schools(ctx: TransitionContext) -> list[str]:
    chosen = school_cards(ctx.session, ctx.artefact.id)
    if chosen or district_schools(ctx.session, ctx.artefact.organisation_id):
        return []
    return ["В районе нет ни одной школы: добавьте школы (Администрирование → организации, вышестоящая — район)"]


@rule("deadline_not_in_past", "Срок представления данных не раньше сегодняшнего дня")
def deadline_not_in_past(ctx: TransitionContext) -> list[str]:
    day = ctx.date_value("data_deadline")
    if day is not None and day < ctx.today:
        return [f"Срок представления данных ({_d(day)}) уже прошёл: укажите дату не раньше {_d(ctx.today)}"]
    return []


@rule("cards_returned", "Все экспертные карты заполнены и сданы", before_form=True)
def cards_returned(ctx: TransitionContext) -> list[str]:
    waiting = [c for c in school_cards(ctx.session, ctx.artefact.id) if c.state != "returned"]
    if not waiting:
        return []
    return [f"Не сдано экспертных карт: {len(waiting)} — эти школы будут показаны как «не оценено»"]


@action("fix_campaign_schools", "Закрепить школы и экспертную карту кампании (без выбора — все школы района)")
def fix_campaign_schools(ctx: TransitionContext) -> None:
    campaign_of(ctx.session, ctx.artefact)
    if school_cards(ctx.session, ctx.artefact.id):
        return
    for school in district_schools(ctx.session, ctx.artefact.organisation_id):
        ctx.session.add(MonitoringSchoolCard(campaign_id=ctx.artefact.id, school_id=school.id))
    ctx.session.flush()


@action("send_data_requests", "Направить школам запросы данных со сроком")
def send_data_requests(ctx: TransitionContext) -> None:
    deadline = ctx.date_value("data_deadline")
    if deadline is None:
        raise ActionError("Укажите срок представления данных")
    text = " ".join(str(ctx.value("request_text") or DEFAULT_REQUEST).split())
    campaign = campaign_of(ctx.session, ctx.artefact)
    campaign.data_deadline = deadline
    for card in school_cards(ctx.session, ctx.artefact.id):
        ctx.session.add(MonitoringRequest(campaign_id=ctx.artefact.id, school_id=card.school_id, text=text,
                                          due_date=deadline))


@action("open_expert_cards", "Открыть экспертные карты школ для заполнения")
def open_expert_cards(ctx: TransitionContext) -> None:
    for card in school_cards(ctx.session, ctx.artefact.id):
        if card.state == "pending":
            card.state = "draft"


@document_context("monitoring_order", "Приказ органа управления образованием об утверждении положения и графика "
                                      "мониторинга ВСОКО")
def monitoring_order(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    campaign = campaign_of(ctx.session, ctx.artefact)
    card = ctx.session.get(MonitoringCard, campaign.card_id)
    schools = ctx.session.scalars(select(Organisation.short_name).join(
        MonitoringSchoolCard, MonitoringSchoolCard.school_id == Organisation.id)
        .where(MonitoringSchoolCard.campaign_id == ctx.artefact.id).order_by(Organisation.short_name)).all()
    schools = list(schools) or [s.short_name for s in district_schools(ctx.session, ctx.artefact.organisation_id)]
    items = [
        f"Провести мониторинг функционирования внутренних систем оценки качества образования "
        f"общеобразовательных организаций ({len(schools)}: {', '.join(schools)}) по экспертной карте "
        f"«{card.title}» (версия {card.version}).",
        "Методисту ИМЦ сформировать экспертные группы и закрепить за ними общеобразовательные организации.",
        "Руководителям общеобразовательных организаций представить запрошенные сведения в установленный срок.",
        "Контроль за исполнением приказа оставляю за собой.",
    ]
    return [{**base, "signer": signer(ctx.membership), "order_date": digits(ctx.value("order_date")),
             "order_number": ctx.value("order_number") or "",
             "heading": f"О проведении мониторинга: {ctx.artefact.title}",
             "preamble": "В целях оценки функционирования внутренних систем оценки качества образования "
                         "общеобразовательных организаций района",
             "items": items, "attachments": []}]



# --------------------------------------------------------------------------- the school's answer: corrective actions

CORRECTIVE_KIND = "corrective_plan"


def unmet_criteria(card: MonitoringCard, answers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The criteria of a card scored below its pass mark (their points as a share of their maximum)."""
    unmet = []
    for criterion in card.criteria:
        score, maximum = (answers.get(criterion["code"]) or {}).get("score"), criterion_max(criterion)
        if score is not None and maximum and float(score) * 100 / maximum < card.pass_mark:
            unmet.append(criterion)
    return unmet


def _finding_values(definition: WorkflowDefinition, campaign: Artefact, card: MonitoringCard,
                    criterion: dict[str, Any], answer: dict[str, Any], today: dt.date) -> dict[str, Any]:
    score, maximum = float(answer.get("score") or 0), criterion_max(criterion)
    assessed = (f"оценка эксперта «{value_label(criterion, answer.get('value'))}», {number_text(score)} из "
                f"{number_text(maximum)} баллов")
    comment = " ".join(str(answer.get("comment") or "").split())
    raw = {"finding_type": "nonconformity" if score == 0 else "remark",
           "severity": "significant" if score == 0 else "minor", "area": "processes",
           "requirement": criterion["text"],
           "requirement_source": f"Экспертная карта «{card.title}» (версия {card.version}), критерий {criterion['code']}",
           "found": f"{comment} ({assessed})" if comment else f"Критерий не выполнен: {assessed}",
           "evidence": f"Экспертная карта школы, кампания мониторинга № {campaign.id} «{campaign.title}»"}
    values, errors = coerce_fields(definition.fields, raw, today)
    if errors:  # the card's own words always fit; a failure here is a bug, not the user's input
        raise ActionError("Не удалось записать несоответствие по критерию " + criterion["code"])
    return values


def answer_card_with_plan(session: Session, definitions: dict[str, WorkflowDefinition], campaign: Artefact,
                          card: MonitoringCard, row: MonitoringSchoolCard, actor: User, today: dt.date) -> Artefact:
    """The school's corrective-action plan for its card: each criterion below the pass mark becomes a finding
    of the school (the card its source and evidence; the same criterion failing in a later campaign counts as a
    recurrence), and the plan — of the quality cycle, approved and controlled like an audit's — has a section per
    finding. The card keeps the link."""
    finding_definition = definitions[FINDING_KIND]
    findings = []
    for criterion in unmet_criteria(card, row.answers or {}):
        values = _finding_values(finding_definition, campaign, card, criterion, row.answers[criterion["code"]], today)
        key = requirement_key(f"MON-{card.code}-{criterion['code']}", values["requirement"],
                              values["requirement_source"])
        earlier = list(session.scalars(select(Artefact.id).where(
            Artefact.organisation_id == row.school_id, Artefact.kind == FINDING_KIND,
            Artefact.fields["requirement_key"].as_string() == key).order_by(Artefact.id)))
        values.update(requirement_key=key, recurrence=len(earlier) + 1, repeat_of=earlier[-1] if earlier else None,
                      audit_line_id=None, plan_item_id=None, audit_id=None,
                      monitoring_campaign_id=campaign.id, monitoring_criterion=criterion["code"])
        findings.append(add_child(session, finding_definition, organisation_id=row.school_id, actor=actor,
                                  title=values["requirement"][:200], school_year=campaign.school_year, fields=values))
    plan_definition = definitions[CORRECTIVE_KIND]
    plan = add_child(session, plan_definition, organisation_id=row.school_id, actor=actor,
                     title=f"План корректирующих мероприятий по результатам мониторинга «{campaign.title}»",
                     school_year=campaign.school_year, fields={"monitoring_campaign_id": campaign.id})
    sections = [PlanSection(artefact_id=plan.id, position=i, number=str(i + 1),
                            title=f"Несоответствие № {finding.id}: {finding.fields['requirement']}"[:1000])
                for i, finding in enumerate(findings)]
    session.add_all(sections)
    session.flush()
    session.add_all([CorrectiveSection(section_id=s.id, finding_id=f.id) for s, f in zip(sections, findings)])
    row.corrective_plan_id = plan.id
    return plan


# --------------------------------------------------------------------------- the district's plans: rows for every school

DISTRICT_PLAN_KIND = "district_plan"
# «ОО», «все ОО», «ОУ», «образовательные организации», «школы района» name every school of the district.
ALL_SCHOOLS = re.compile(r"(?<![А-ЯЁа-яё])(?:ОО|ОУ|ОО района)(?![А-ЯЁа-яё])|образовательн\w* организаци|школ\w* район",
                         re.IGNORECASE)
SCHOOL_EXECUTOR_ROLES = ("director", "deputy")  # the first role a school has people in receives the row


def for_every_school(item: PlanItem) -> bool:
    """A row whose executors name all the schools of the district."""
    return any(ALL_SCHOOLS.search(name or "") for name in [item.responsible_text, *item.external_executors])


def school_executors(session: Session, school_ids: list[int]) -> dict[int, list[int]]:
    """School id → the people a district row is given to: its directors (its deputies if it has none)."""
    found: dict[int, dict[str, list[int]]] = {school_id: {} for school_id in school_ids}
    for organisation_id, user_id, roles in session.execute(select(
            Membership.organisation_id, Membership.user_id, Membership.roles).where(
            Membership.organisation_id.in_(school_ids)).order_by(Membership.user_id)):
        for role in SCHOOL_EXECUTOR_ROLES:
            if role in (roles or []):
                found[organisation_id].setdefault(role, []).append(user_id)
    return {school_id: next((by_role[r] for r in SCHOOL_EXECUTOR_ROLES if by_role.get(r)), [])
            for school_id, by_role in found.items()}


@action("fan_out_to_schools", "Строки с исполнителем «ОО»: поручение каждой школе района (её директору) на контроль")
def fan_out_to_schools(ctx: TransitionContext) -> None:
    definition = ctx.definitions[CONTROL_KIND]
    schools = [school.id for school in district_schools(ctx.session, ctx.artefact.organisation_id)]
    executors = school_executors(ctx.session, schools)
    items = ctx.session.scalars(select(PlanItem).where(PlanItem.artefact_id == ctx.artefact.id)
                                .order_by(PlanItem.position, PlanItem.id)).all()
    created = 0
    for item in (i for i in items if for_every_school(i)):
        for school_id in schools:
            for due, period in _occurrences(item):
                child = Artefact(kind=CONTROL_KIND, organisation_id=school_id, state=definition.initial,
                                 title=_item_title(item), school_year=ctx.artefact.school_year,
                                 parent_id=ctx.artefact.id, due_date=due, author_id=ctx.actor.id,
                                 fields={**_item_fields(item, period), "district_plan_id": ctx.artefact.id})
                ctx.session.add(child)
                ctx.session.flush()
                ctx.session.add_all([ArtefactAssignee(artefact_id=child.id, user_id=user_id)
                                     for user_id in executors[school_id]])
                append_entry(ctx.session, child, ctx.actor, "create", "",
                             fields={"plan_item_id": item.id, "due_date": due.isoformat() if due else None})
                created += 1
    ctx.set_field("control_items", created)


def row_progress(session: Session, plan_id: int, school_ids: list[int]) -> dict[int, dict[str, int]]:
    """Plan row id → {"done": schools whose items of the row are all accepted or cancelled, "total": schools}."""
    states: dict[int, dict[int, list[str]]] = {}
    for school_id, state, fields in session.execute(select(Artefact.organisation_id, Artefact.state, Artefact.fields)
                                                    .where(Artefact.parent_id == plan_id,
                                                           Artefact.kind == CONTROL_KIND,
                                                           Artefact.organisation_id.in_(school_ids))):
        row_id = (fields or {}).get("plan_item_id")
        states.setdefault(row_id, {}).setdefault(school_id, []).append(state)
    return {row_id: {"done": sum(1 for found in by_school.values() if all(s in FINAL_CONTROL_STATES for s in found)),
                     "total": len(by_school)} for row_id, by_school in states.items()}
