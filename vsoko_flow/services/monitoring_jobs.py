"""The district monitoring's jobs (services/jobs.py runs them; each unit exactly once):

- `monitoring_letters` — letters of recommendations, one per school (a unit), for a batch of schools: the
  letters of a district are several jobs, which job workers on several machines share;
- `monitoring_report` — the analytical справка of the district, with tables and charts (one unit);
- `monitoring_xlsx` — the results screen as an .xlsx workbook (one unit).

A unit's file is stored with the job and the unit's key (unique together), in the same transaction
as the unit's `JobUnit` row: a worker killed in the middle leaves no letter made twice.
"""
from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..documents.charts import Series, bar_chart
from ..documents.render import Picture, render_docx
from ..documents.russian import initials_surname
from ..models import Job, Membership, MonitoringCard, MonitoringFile, MonitoringSchoolCard, Organisation, User
from ..procedures import monitoring as domain
from .jobs import JobHandler, job_handler
from .monitoring import Filters, Viewer, campaign_artefact, results_in, store_file, viewer_of
from .runtime import Runtime

ZONE_FILLS = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE"}
CHART_WIDTH_MM = 160


def _today(job: Job) -> dt.date:
    return dt.date.fromisoformat(job.params["today"]) if job.params.get("today") else dt.date.today()


def _viewer(session: Session, job: Job) -> Viewer:
    """The requester's view, checked again when the job runs (a role may have been taken away meanwhile)."""
    return viewer_of(session, int(job.params["user_id"]), int(job.params["campaign_id"]))


_fmt = domain.number_text


def _signer(session: Session, user_id: int, district_id: int) -> dict[str, str]:
    user = session.get(User, user_id)
    membership = session.scalars(select(Membership).where(Membership.user_id == user_id,
                                                          Membership.organisation_id == district_id)).first()
    return {"position": (membership.position if membership else "") or "Методист",
            "initials_surname": initials_surname(user.last_name, user.first_name, user.middle_name)}


def _verify_url(rt: Runtime, campaign_id: int) -> str:
    return f"{rt.settings.base_url}/monitoring/{campaign_id}"


# --------------------------------------------------------------------------- letters to schools


def _letter_units(rt: Runtime, job: Job) -> list[str]:
    with rt.sessions() as session:
        viewer = _viewer(session, job)
        ids = session.scalars(select(MonitoringSchoolCard.school_id).where(
            MonitoringSchoolCard.campaign_id == viewer.campaign_id, MonitoringSchoolCard.state == "returned",
            MonitoringSchoolCard.school_id.in_(job.params.get("school_ids") or []))
            .order_by(MonitoringSchoolCard.school_id))
        return [str(school_id) for school_id in ids]


def letter_context(session: Session, rt: Runtime, job: Job, school_id: int) -> dict[str, Any]:
    campaign_id = int(job.params["campaign_id"])
    artefact = campaign_artefact(session, campaign_id)
    card_row = session.scalars(select(MonitoringSchoolCard).where(
        MonitoringSchoolCard.campaign_id == campaign_id, MonitoringSchoolCard.school_id == school_id)).one()
    card = session.get(MonitoringCard, session.get(domain.MonitoringCampaign, campaign_id).card_id)
    school = session.get(Organisation, school_id)
    district = session.get(Organisation, artefact.organisation_id)
    missed = [c for c in card.criteria
              if (card_row.answers or {}).get(c["code"], {}).get("score", 0) < domain.criterion_max(c)]
    recommendations = [f"{c['text']}: {c.get('hint') or 'привести в соответствие'}"
                       f"{' (' + card_row.answers[c['code']]['comment'] + ')' if card_row.answers.get(c['code'], {}).get('comment') else ''}."
                       for c in missed]
    if card_row.recommendations:
        recommendations.append(card_row.recommendations)
    body = [f"По итогам мониторинга «{artefact.title}» по экспертной карте «{card.title}» "
            f"{school.short_name} набрала {_fmt(card_row.score)} из {_fmt(card_row.max_score)} баллов "
            f"({_fmt(card_row.percent)} %); зона — {domain.ZONES[card_row.zone]}, проходной балл — {card.pass_mark} %.",
            "Просим рассмотреть рекомендации, разработать корректирующие мероприятия и внести их в план "
            "функционирования ВСОКО." if missed else "Все критерии выполнены в полном объёме."]
    today = _today(job)
    return {"org_full_name": district.full_name, "signer": _signer(session, int(job.params["user_id"]), district.id),
            "letter_date": today.strftime("%d.%m.%Y"), "letter_number": f"М-{campaign_id}/{school_id}",
            "school_name": school.full_name, "heading": "О результатах мониторинга ВСОКО",
            "greeting": "Уважаемый руководитель!", "body": body, "recommendations": recommendations}


def _render_letter(rt: Runtime, job: Job, key: str) -> tuple[str, bytes]:
    with rt.sessions() as session:
        context = letter_context(session, rt, job, int(key))
    source = rt.templates.get("monitoring_letter")
    data = render_docx(source, {**context, "verify_url": _verify_url(rt, job.params["campaign_id"])},
                       qr_payload=_verify_url(rt, job.params["campaign_id"]))
    return f"Письмо {context['school_name'][:120]}.docx", data


def _store_unit(kind: str):  # noqa: ANN202 - a JobHandler.save
    def save(rt: Runtime, session: Session, job: Job, key: str, made: tuple[str, bytes]) -> dict[str, Any]:
        file_name, data = made
        school_id = int(key) if key.isdigit() else None
        row = store_file(session, int(job.params["campaign_id"]), kind, file_name, data, school_id=school_id,
                         job_id=job.id, unit_key=key)
        session.flush()
        return {"file_id": row.id}
    return save


def _summary(rt: Runtime, session: Session, job: Job) -> dict[str, Any]:
    files = list(session.execute(select(MonitoringFile.id, MonitoringFile.file_name).where(
        MonitoringFile.job_id == job.id).order_by(MonitoringFile.id)))
    return {"files": len(files), "campaign_id": job.params["campaign_id"],
            "first_file_id": files[0].id if files else None, "first_file_name": files[0].file_name if files else ""}


LETTERS = job_handler(JobHandler("monitoring_letters", "Письма школам по итогам мониторинга", _letter_units,
                                 _store_unit("letter"), work=_render_letter, finish=_summary))


# --------------------------------------------------------------------------- the analytical справка


def report_context(session: Session, rt: Runtime, job: Job) -> dict[str, Any]:
    viewer = _viewer(session, job)
    data = results_in(session, rt, viewer, Filters(), _today(job))
    district = session.get(Organisation, viewer.district_id)
    ranked = [r for r in data["rows"] if r["returned"]]
    zones = data["zones"]
    summary = [f"В мониторинге участвовали {data['total']} общеобразовательных организаций; экспертные карты сданы "
               f"по {data['assessed']}.",
               f"Средний результат — {_fmt(data['mean_percent'])} % от максимума; в зелёной зоне {zones['green']}, "
               f"в жёлтой {zones['yellow']}, в красной {zones['red']} организаций."]
    if data["late_schools"]:
        summary.append(f"Не представили сведения в срок: {data['late_schools']} организаций.")
    weakest = sorted((c for c in data["criteria"] if c["mean"] is not None), key=lambda c: c["mean"])[:3]
    conclusions = [f"Наименее выполнен критерий {c['code']} «{c['text']}»: в среднем {_fmt(c['mean'])} % от максимума, "
                   f"нулевой балл у {c['zero']} организаций." for c in weakest]
    conclusions.append("Организациям красной зоны направить адресные рекомендации и включить в план методического "
                       "сопровождения; результативность мер проверить в следующей кампании.")
    charts = [Picture(png, CHART_WIDTH_MM) for png in results_charts(data).values()]
    return {"org_full_name": district.full_name, "org_city": district.city,
            "signer": _signer(session, viewer.user_id, district.id),
            "heading": f"по итогам мониторинга «{data['title']}»", "report_date": _today(job).strftime("%d.%m.%Y"),
            "summary": summary,
            "ranking": [{"place": r["place"], "school": r["school"], "points": _fmt(r["score"]),
                         "percent": _fmt(r["percent"]), "index": _fmt(r["index"]), "zone": domain.ZONES[r["zone"]]}
                        for r in ranked],
            "criteria": [{"code": c["code"], "text": c["text"], "mean": _fmt(c["mean"]), "zero": c["zero"]}
                         for c in data["criteria"]],
            "charts": [{"image": chart} for chart in charts], "conclusions": conclusions}


CHART_TITLES = {"zones": "Организации по зонам", "criteria": "Выполнение критериев, % от максимума"}


def results_charts(data: dict[str, Any]) -> dict[str, bytes]:
    """The results screen's charts (PNG): schools by zone, and each criterion's mean share of its maximum."""
    zones = data["zones"]
    return {
        "zones": bar_chart(CHART_TITLES["zones"], ("зелёная", "жёлтая", "красная"),
                           (Series("организаций", (zones["green"], zones["yellow"], zones["red"]),
                                   ("#2e7d32", "#f9a825", "#c62828")),)),
        "criteria": bar_chart(CHART_TITLES["criteria"], tuple(c["code"] for c in data["criteria"]),
                              (Series("%", tuple(c["mean"] or 0 for c in data["criteria"]), ("#1f5fa8",)),)),
    }


def _render_report(rt: Runtime, job: Job, key: str) -> tuple[str, bytes]:
    with rt.sessions() as session:
        context = report_context(session, rt, job)
    url = _verify_url(rt, job.params["campaign_id"])
    data = render_docx(rt.templates.get("monitoring_report"), {**context, "verify_url": url}, qr_payload=url)
    return f"Аналитическая справка по итогам мониторинга от {context['report_date']}.docx", data


REPORT = job_handler(JobHandler("monitoring_report", "Аналитическая справка по итогам мониторинга",
                                lambda rt, job: ["report"], _store_unit("report"), work=_render_report,
                                finish=_summary))


# --------------------------------------------------------------------------- the .xlsx of the results screen


def results_workbook(data: dict[str, Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Результаты"
    codes = [c["code"] for c in data["card"]["criteria"]]
    sheet.append([data["title"]])
    sheet.append(["Место", "Организация", "Группа", *codes, "Баллы", "%", "Индекс (лучшая = 100)", "Зона",
                  "Изменение, п.п.", "Просрочено запросов"])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in data["rows"]:
        sheet.append([row["place"], row["school"], row["group"], *[c["score"] for c in row["cells"]],
                      row["score"] if row["returned"] else None, row["percent"], row["index"],
                      domain.ZONES.get(row["zone"], "не оценено"), row["change"], row["late_requests"]])
        excel_row = sheet.max_row
        for offset, cell in enumerate(row["cells"]):
            if cell["zone"]:
                sheet.cell(excel_row, 4 + offset).fill = PatternFill("solid", fgColor=ZONE_FILLS[cell["zone"]])
        if row["zone"]:
            sheet.cell(excel_row, 4 + len(codes) + 3).fill = PatternFill("solid", fgColor=ZONE_FILLS[row["zone"]])
    sheet.column_dimensions["B"].width = 40
    criteria = book.create_sheet("Критерии")
    criteria.append(["Код", "Критерий", "Шкала", "Вес", "Средний % от максимума", "Школ с нулём"])
    stats = {c["code"]: c for c in data["criteria"]}
    for c in data["card"]["criteria"]:
        criteria.append([c["code"], c["text"], domain.SCALES[c["scale"]], c.get("weight", 1), stats[c["code"]]["mean"],
                         stats[c["code"]]["zero"]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _render_xlsx(rt: Runtime, job: Job, key: str) -> tuple[str, bytes]:
    with rt.sessions() as session:
        data = results_in(session, rt, _viewer(session, job), Filters(), _today(job))
    return f"Результаты мониторинга {job.params['campaign_id']}.xlsx", results_workbook(data)


XLSX = job_handler(JobHandler("monitoring_xlsx", "Результаты мониторинга в Excel", lambda rt, job: ["xlsx"],
                              _store_unit("xlsx"), work=_render_xlsx, finish=_summary))
