"""Pages of the district monitoring: the campaigns, the results screen («экран с результатами
мониторинга»: schools × criteria as a heat map), a school's expert card with the automatic answers
and their evidence, the school's answer to a request, the exports (jobs) and their files.
Every read and write goes through services/monitoring.py, which decides who sees what."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..services import monitoring as service
from ..services.errors import ServiceError
from .session import abort_for, runtime, send_download

bp = Blueprint("monitoring", __name__, url_prefix="/monitoring")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.get("/")
@login_required
def index():
    try:
        campaigns = service.campaigns_for(runtime(), current_user.id)
        plans = service.district_plans(runtime(), current_user.id)
        districts = service.managed_districts(runtime(), current_user.id)
    except ServiceError as error:
        abort_for(error)
    return render_template("monitoring_index.html", campaigns=campaigns, plans=plans, districts=districts)


@bp.get("/districts/<int:district_id>/cards")
@login_required
def cards(district_id: int):
    try:
        found = service.district_cards(runtime(), current_user.id, district_id)
    except ServiceError as error:
        abort_for(error)
    return render_template("monitoring_cards.html", cards=found, district_id=district_id,
                           as_text=service.criteria_as_text, scales=service.domain.SCALES)


@bp.post("/districts/<int:district_id>/cards")
@login_required
def save_card_version(district_id: int):
    form = request.form
    try:
        pass_mark, green_from = int(form.get("pass_mark", "")), int(form.get("green_from", ""))
    except ValueError:
        flash("Проходной балл и начало зелёной зоны — целые проценты", "error")
        return redirect(url_for("monitoring.cards", district_id=district_id))
    try:
        criteria = service.criteria_from_text(form.get("criteria", ""))
        service.new_card_version(runtime(), current_user.id, district_id, form.get("code", "").strip(),
                                 title=form.get("title", ""), criteria=criteria, pass_mark=pass_mark,
                                 green_from=green_from)
    except ServiceError as error:
        if error.status == 422:
            flash(error.message, "error")
            return redirect(url_for("monitoring.cards", district_id=district_id))
        abort_for(error)
    flash("Сохранена новая версия карты; идущие кампании оценивают по своей версии.", "success")
    return redirect(url_for("monitoring.cards", district_id=district_id))


@bp.get("/plans/<int:plan_id>")
@login_required
def plan_progress(plan_id: int):
    try:
        plan = service.district_plan_progress(runtime(), current_user.id, plan_id)
    except ServiceError as error:
        abort_for(error)
    return render_template("monitoring_plan.html", plan=plan)


@bp.get("/<int:campaign_id>")
@login_required
def screen(campaign_id: int):
    rt = runtime()
    filters = service.Filters(group_id=_int_arg("group"), zone=request.args.get("zone") or None,
                              criterion=request.args.get("criterion") or None)
    try:
        with rt.sessions() as session:
            viewer = service.viewer_of(session, current_user.id, campaign_id)
        if viewer.role == "school":
            return redirect(url_for("monitoring.card", campaign_id=campaign_id, school_id=min(viewer.school_ids)))
        data = service.results(rt, current_user.id, campaign_id, filters)
        files = service.files_of(rt, current_user.id, campaign_id)
        experts = service.district_experts(rt, current_user.id, campaign_id) if data["may_form_groups"] else []
    except ServiceError as error:
        abort_for(error)
    return render_template("monitoring_screen.html", data=data, files=files, experts=experts,
                           zones=service.domain.ZONES)


@bp.post("/<int:campaign_id>/groups")
@login_required
def add_group(campaign_id: int):
    school_ids = [int(v) for v in request.form.getlist("school_ids") if v.isdigit() and len(v) < 10]
    try:
        service.add_group(runtime(), current_user.id, campaign_id, request.form.get("name", ""),
                          request.form.getlist("experts"), school_ids)
    except ServiceError as error:
        if error.status in (409, 422):
            flash(error.message, "error")
            return redirect(url_for("monitoring.screen", campaign_id=campaign_id))
        abort_for(error)
    flash("Экспертная группа создана, школы закреплены за ней.", "success")
    return redirect(url_for("monitoring.screen", campaign_id=campaign_id))


@bp.get("/<int:campaign_id>/charts/<name>.png")
@login_required
def chart(campaign_id: int, name: str):
    from ..services.monitoring_jobs import CHART_TITLES, results_charts

    if name not in CHART_TITLES:
        abort(404, "Такой диаграммы нет")
    try:
        data = service.results(runtime(), current_user.id, campaign_id)
    except ServiceError as error:
        abort_for(error)
    response = Response(results_charts(data)[name], mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:campaign_id>/schools/<int:school_id>")
@login_required
def card(campaign_id: int, school_id: int):
    try:
        view = service.card_view(runtime(), current_user.id, campaign_id, school_id)
        files = [f for f in service.files_of(runtime(), current_user.id, campaign_id) if f["school_id"] == school_id]
    except ServiceError as error:
        abort_for(error)
    return render_template("monitoring_card.html", card=view, files=files, zones=service.domain.ZONES)


@bp.post("/<int:campaign_id>/schools/<int:school_id>")
@login_required
def save_card(campaign_id: int, school_id: int):
    answers = {}
    for key, value in request.form.items():
        if key.startswith("value_"):
            code = key.removeprefix("value_")
            answers[code] = {"value": value, "comment": request.form.get(f"comment_{code}", "")}
    submit = request.form.get("submit") == "1"
    try:
        service.save_card(runtime(), current_user.id, campaign_id, school_id, answers,
                          request.form.get("recommendations", ""), submit=submit)
    except ServiceError as error:
        if error.status in (409, 422):
            flash(error.message, "error")
            return redirect(url_for("monitoring.card", campaign_id=campaign_id, school_id=school_id))
        abort_for(error)
    flash("Карта сдана." if submit else "Черновик карты сохранён.", "success")
    return redirect(url_for("monitoring.card", campaign_id=campaign_id, school_id=school_id))


@bp.post("/<int:campaign_id>/schools/<int:school_id>/corrective-plan")
@login_required
def corrective_plan(campaign_id: int, school_id: int):
    try:
        plan_id = service.start_corrective_plan(runtime(), current_user.id, campaign_id, school_id)
    except ServiceError as error:
        if error.status in (403, 409, 422):
            flash(error.message, "error")
            return redirect(url_for("monitoring.card", campaign_id=campaign_id, school_id=school_id))
        abort_for(error)
    flash("План корректирующих мероприятий создан: запишите причины несоответствий и действия.", "success")
    return redirect(url_for("artefacts.show", artefact_id=plan_id))


@bp.get("/<int:campaign_id>/schools/<int:school_id>/card.docx")
@login_required
def card_docx(campaign_id: int, school_id: int):
    try:
        name, data = service.card_document(runtime(), current_user.id, campaign_id, school_id)
    except ServiceError as error:
        abort_for(error)
    return send_download(data, name, DOCX, f"card-{school_id}")


@bp.get("/<int:campaign_id>/schools/<int:school_id>/evidence/<int:artefact_id>")
@login_required
def evidence(campaign_id: int, school_id: int, artefact_id: int):
    try:
        view = service.evidence_view(runtime(), current_user.id, campaign_id, school_id, artefact_id)
    except ServiceError as error:
        abort_for(error)
    return render_template("monitoring_evidence.html", doc=view)


@bp.get("/<int:campaign_id>/schools/<int:school_id>/documents/<int:document_id>")
@login_required
def evidence_document(campaign_id: int, school_id: int, document_id: int):
    try:
        name, data = service.evidence_document(runtime(), current_user.id, campaign_id, school_id, document_id)
    except ServiceError as error:
        abort_for(error)
    return send_download(data, name, DOCX, f"document-{document_id}")


@bp.post("/requests/<int:request_id>")
@login_required
def answer_request(request_id: int):
    campaign_id, school_id = _int_arg("campaign"), _int_arg("school")
    try:
        service.answer_request(runtime(), current_user.id, request_id, request.form.get("answer", ""),
                               request.form.get("link", ""))
    except ServiceError as error:
        if error.status == 422 and campaign_id and school_id:
            flash(error.message, "error")
            return redirect(url_for("monitoring.card", campaign_id=campaign_id, school_id=school_id))
        abort_for(error)
    flash("Ответ на запрос отправлен в район.", "success")
    if campaign_id and school_id:
        return redirect(url_for("monitoring.card", campaign_id=campaign_id, school_id=school_id))
    return redirect(url_for("tasks.index"))


@bp.post("/<int:campaign_id>/exports/<what>")
@login_required
def export(campaign_id: int, what: str):
    try:
        job_ids = service.request_export(runtime(), current_user.id, campaign_id, what)
    except ServiceError as error:
        abort_for(error)
    if len(job_ids) > 1:
        flash(f"Письма готовятся частями: {len(job_ids)} фоновых задач, № {job_ids[0]}–{job_ids[-1]}. "
              "Готовые файлы появятся на экране результатов.", "success")
    return redirect(url_for("jobs.show", job_id=job_ids[0]))


@bp.get("/<int:campaign_id>/files/<int:file_id>")
@login_required
def download(campaign_id: int, file_id: int):
    try:
        name, data = service.file_for(runtime(), current_user.id, campaign_id, file_id)
    except ServiceError as error:
        abort_for(error)
    return send_download(data, name, XLSX if name.endswith(".xlsx") else DOCX, f"monitoring-{file_id}")


@bp.app_template_filter("ru_number")
def ru_number(value) -> str:  # noqa: ANN001 - a number or None
    return service.domain.number_text(value) if isinstance(value, (int, float)) else "—"

