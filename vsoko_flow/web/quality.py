"""Pages of the quality cycle: the school's ВСОКО page (a year's figures with their sources and
charts, audits, reviews, settings, checklists), an audit's programme and checklist on its page,
findings from checklist lines, and what the pages of a finding, a check and a review add.
Thin over `services.audits` and `services.quality`; each form posts, then redirects back with
a message (a refusal's Russian message when it was refused — nothing is written then).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..engine.definitions import WorkflowDefinition
from ..procedures.audits import AUDIT_KIND
from ..procedures.corrective import CHECK_KIND
from ..procedures.findings import AREAS, FINDING_KIND, FINDING_TYPES, SEVERITIES
from ..procedures.review import CHARTS, OUTCOMES
from ..services import audits as audit_service
from ..services import quality as quality_service
from ..services import tasks as task_service
from ..services.artefacts import current_school_year
from ..services.control import MAX_EVIDENCE_BYTES
from ..services.errors import ServiceError
from ..services.clock import school_today
from .session import abort_for, current_organisation_id, runtime

bp = Blueprint("quality", __name__, url_prefix="/quality")

REVIEW_KIND = "annual_review"
CHART_TITLES = {"findings": "Несоответствия по направлениям и значимости", "actions": "Действия: в срок и с опозданием",
                "effectiveness": "Результативность действий", "recurrence": "Повторяемость несоответствий"}
# The figures the ВСОКО page and a review show, with their Russian names, in order.
FIGURE_ROWS = (
    [("plans/all", "Пунктов планов на контроле")] + [(f"plans/{k}", f"— {v}") for k, v in OUTCOMES.items()]
    + [("audits/all", "Внутренних аудитов"), ("audits/closed", "— закрыто"), ("findings/all", "Несоответствий, замечаний")]
    + [(f"findings/{a}/{s}", f"— {AREAS[a].lower()}, {SEVERITIES[s]}") for a in AREAS for s in SEVERITIES]
    + [("recurrence/repeat", "Выявлено повторно"), ("actions/all", "Корректирующих действий")]
    + [(f"actions/{k}", f"— {v}") for k, v in OUTCOMES.items()]
    + [("checks/done", "Проверок результативности"), ("checks/effective", "— эффективно"),
       ("checks/partial", "— частично"), ("checks/not_effective", "— не эффективно"), ("checks/pending", "Ожидают проверки"),
       ("council/meetings", "Заседаний с решениями на контроле"), ("council/all", "Решений на контроле")]
    + [(f"council/{k}", f"— {v}") for k, v in OUTCOMES.items()]
)


def _service(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except ServiceError as error:
        abort_for(error)


def _roles() -> set[str]:
    return set(current_user.roles.get(current_organisation_id(), []))


def _year() -> str:
    year = request.args.get("year", "").strip()
    return year if len(year) == 9 and year[4] == "/" and year.replace("/", "").isdigit() \
        else current_school_year(school_today(runtime().settings.timezone))


def figure_rows(figures: dict[str, int]) -> list[dict[str, Any]]:
    return [{"key": key, "label": label, "value": figures.get(key, 0)} for key, label in FIGURE_ROWS
            if figures.get(key) or not label.startswith("—")]


# --- the school's ВСОКО page ------------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    rt, organisation_id, year = runtime(), current_organisation_id(), _year()
    data = _service(quality_service.overview, rt, current_user.id, organisation_id, year)
    return render_template(
        "quality_index.html", data=data, year=year, rows=figure_rows(data["figures"]), charts=CHART_TITLES,
        years=_service(task_service.school_years, rt, current_user.id, organisation_id) or [year],
        settings=_service(quality_service.quality_settings, rt, current_user.id, organisation_id),
        checklists=_service(audit_service.checklist_list, rt, current_user.id, organisation_id),
        may_create=bool({"deputy", "director", "working_group"} & _roles()),
        may_edit_checklists=bool({"deputy", "director"} & _roles()))


@bp.get("/sources")
@login_required
def sources():
    """The rows one figure counts: of the year today, or of a review as of its date."""
    rt, key = runtime(), request.args.get("key", "")[:200]
    review_id = request.args.get("review", "")
    if review_id.isdigit():
        review = _service(quality_service.review_view, rt, int(review_id), current_user.id)
        found = _service(quality_service.figure_sources, rt, current_user.id, review["organisation_id"],
                         review["school_year"], key, review["report_date"])
        stored = review["figures"].get(key, 0)
    else:
        found = _service(quality_service.figure_sources, rt, current_user.id, current_organisation_id(), _year(), key)
        stored, review = None, None
    label = dict(FIGURE_ROWS).get(key, key).lstrip("— ")
    return render_template("quality_sources.html", found=found, label=label, review=review, stored=stored)


@bp.post("/settings")
@login_required
def settings():
    days = request.form.get("effectiveness_days", "").strip()
    try:
        quality_service.set_quality_settings(
            runtime(), current_user.id, current_organisation_id(),
            corrective_plan_council=request.form.get("corrective_plan_council") in ("on", "true", "1"),
            effectiveness_days=int(days) if days.isdigit() else -1)
    except ServiceError as error:
        flash(f"Настройки не сохранены: {error.message}", "error")
    else:
        flash("Настройки ВСОКО сохранены.", "success")
    return redirect(url_for("quality.index", _anchor="settings"))


@bp.get("/charts/<name>.png")
@login_required
def chart(name: str):
    if name not in CHARTS:
        abort(404, "Такой диаграммы нет")
    args = {key: int(request.args[key]) for key in ("audit", "review") if request.args.get(key, "").isdigit()}
    png = _service(quality_service.chart_png, runtime(), current_user.id, current_organisation_id(), name,
                   school_year=_year(), audit_id=args.get("audit"), review_id=args.get("review"))
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- checklists ---------------------------------------------------------------------------------------

@bp.route("/checklists/<code>", methods=["GET", "POST"])
@login_required
def checklist(code: str):
    rt, organisation_id = runtime(), current_organisation_id()
    if not {"deputy", "director"} & _roles():
        abort(403, "Чек-листы изменяет заместитель директора или директор")
    known = {c["code"]: c for c in _service(audit_service.checklist_list, rt, current_user.id, organisation_id)}
    current = known.get(code) or {"code": code, "title": "", "area": "processes", "version": 0, "lines": []}
    form = {"title": current["title"], "area": current["area"], "text": audit_service.checklist_as_text(current["lines"])}
    error, status = None, 200
    if request.method == "POST":
        form = {name: request.form.get(name, "") for name in ("title", "area", "text")}
        try:
            version = audit_service.save_checklist(rt, current_user.id, organisation_id, code, title=form["title"],
                                                   area=form["area"], text=form["text"])
        except ServiceError as failure:
            error, status = failure.message, failure.status
        else:
            flash(f"Чек-лист «{form['title']}» сохранён: версия {version}.", "success")
            return redirect(url_for("quality.index", _anchor="checklists"))
    return render_template("quality_checklist.html", checklist=current, form=form, areas=AREAS, error=error), status


# --- an audit's programme, answers and findings ---------------------------------------------------------

def _back(audit_id: int, anchor: str):
    return redirect(url_for("artefacts.show", artefact_id=audit_id, _anchor=anchor))


def _attempt(message: str, call, *args, **kwargs) -> Any:
    """Run a write; flash its success message or the refusal (nothing was written then)."""
    try:
        result = call(*args, **kwargs)
    except ServiceError as error:
        details = error.details if isinstance(error.details, dict) else {}
        rules = [r for r in details.get("rules") or [] if r != error.message]
        flash(" ".join([f"Не сохранено: {error.message}", *rules]), "error")
        return None
    flash(message, "success")
    return result if result is not None else True


def _int_or_none(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    return int(raw) if raw.isdigit() else None


@bp.post("/audits/<int:audit_id>/programme")
@login_required
def programme(audit_id: int):
    form = request.form
    version = form.get("version", "")
    _attempt("Программа аудита сохранена.", audit_service.set_programme, runtime(), audit_id, current_user.id,
             version=int(version) if version.isdigit() else None, checklist=form.get("checklist", ""),
             lead_auditor=form.get("lead_auditor", ""), auditors=form.getlist("auditors"),
             auditees=form.getlist("auditees"), start_date=form.get("start_date", ""),
             end_date=form.get("end_date", ""), plan_item_id=_int_or_none("plan_item_id"))
    return _back(audit_id, "programme")


@bp.post("/audits/<int:audit_id>/lines/<int:line_id>")
@login_required
def answer(audit_id: int, line_id: int):
    rt, form = runtime(), request.form
    saved = _attempt("Ответ записан.", audit_service.answer_line, rt, audit_id, line_id, current_user.id,
                     answer=form.get("answer", ""), comment=form.get("comment", ""),
                     plan_item_id=_int_or_none("plan_item_id"), linked_artefact_id=_int_or_none("linked_artefact_id"))
    upload = request.files.get("file")
    link = form.get("link_url", "").strip()
    if saved and ((upload is not None and upload.filename) or link):
        data = upload.read(MAX_EVIDENCE_BYTES + 1) if upload is not None and upload.filename else None
        _attempt("Доказательство приложено.", audit_service.add_line_evidence, rt, audit_id, line_id, current_user.id,
                 data=data, file_name=upload.filename if upload is not None else "", link_url=link)
    return _back(audit_id, f"line-{line_id}")


@bp.post("/audits/<int:audit_id>/lines/<int:line_id>/finding")
@login_required
def line_finding(audit_id: int, line_id: int):
    result = _attempt("Несоответствие зафиксировано.", audit_service.finding_from_line, runtime(), audit_id, line_id,
                      current_user.id)
    if isinstance(result, dict):
        for note in result["notes"]:
            flash(note, "warning")
    return _back(audit_id, f"line-{line_id}")


@bp.post("/audits/<int:audit_id>/findings")
@login_required
def manual_finding(audit_id: int):
    fields = {name: request.form.get(name, "") for name in
              ("finding_type", "severity", "area", "requirement", "requirement_source", "found", "evidence")}
    _attempt("Несоответствие зафиксировано.", audit_service.add_finding, runtime(), audit_id, current_user.id, fields)
    return _back(audit_id, "findings")


# --- what the artefact page adds for the kinds of the cycle ---------------------------------------------

# Fields the cycle's actions write: shown under these names, or not at all (the blocks show them better).
FIELD_LABELS = {"act_number": "Номер акта аудита", "recurrence": "Который раз выявлено", "repeat_of":
                "Повтор несоответствия №", "accepted_on": "Исполнение действия принято",
                "next_plan_id": "План на следующий учебный год, №"}
HIDDEN_FIELDS = {"checklist", "lead_auditor", "auditors", "auditees", "start_date", "end_date", "plan_item_id",
                 "checklist_version", "checklist_title", "corrective_plan_id", "audit_line_id", "requirement_key",
                 "audit_id", "action_id", "finding_id", "plan_id", "acceptor_id", "executor_ids", "checker",
                 "figure_titles", "report_author", "effectiveness_check_id", "last_action_item_id",
                 "drafted_from_review"}


CYCLE_KINDS = (AUDIT_KIND, FINDING_KIND, CHECK_KIND, REVIEW_KIND, "corrective_plan", "control_item")


def _cycle_fields(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "label": FIELD_LABELS.get(row["name"], row["label"])} for row in rows
            if row["name"] not in HIDDEN_FIELDS]


def quality_extras(page: dict[str, Any], definition: WorkflowDefinition) -> dict[str, Any]:
    """The audit's programme, checklist and findings; a finding's causes and actions; a check's facts;
    a review's figures — and for every artefact its links in the quality cycle."""
    rt, data = runtime(), page["artefact"]
    extras: dict[str, Any] = {"trace": data.get("trace") or [], "audit": None, "finding": None, "check": None,
                              "review": None,
                              "fields": _cycle_fields(page["fields"]) if data["kind"] in CYCLE_KINDS else page["fields"]}
    kind = data["kind"]
    if kind == AUDIT_KIND:
        audit = _service(audit_service.audit_view, rt, data["id"], current_user.id)
        members = _service(task_service.organisation_members, rt, current_user.id, data["organisation"]["id"])
        extras["audit"] = {
            **audit, "members": members, "areas": AREAS, "types": FINDING_TYPES, "severities": SEVERITIES,
            "checklists": _service(audit_service.checklist_list, rt, current_user.id, data["organisation"]["id"]),
            "plan_rows": _service(audit_service.plan_rows_for_audit, rt, current_user.id, data["organisation"]["id"],
                                  data["school_year"]),
            "charts": CHART_TITLES if audit["findings"] else {},
        }
    elif kind == FINDING_KIND:
        extras["finding"] = _service(quality_service.finding_view, rt, data["id"], current_user.id)
    elif kind == CHECK_KIND:
        extras["check"] = _service(quality_service.check_view, rt, data["id"], current_user.id)
    elif kind == REVIEW_KIND:
        review = _service(quality_service.review_view, rt, data["id"], current_user.id)
        extras["review"] = {**review, "rows": figure_rows(review["figures"]), "charts": CHART_TITLES}
    return extras
