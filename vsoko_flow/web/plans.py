"""Plan pages: importing a table with a preview, adding, fixing, reordering and deleting rows, adding
sections, a meeting's agenda («Повестка и ход заседания»), rolling a plan into the next school
year; evidence of execution on control items. Thin over `services.plans`, `services.control` and
`services.meetings`.

The import is stateless across workers: the preview page carries the uploaded file itself
(base64 in a hidden field, with its SHA-256 and a server signature), and «Сохранить» posts it
back to be parsed again and stored. Nothing is written before «Сохранить».
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from ..procedures.control import CONTROL_KIND
from ..engine.definitions import WorkflowDefinition
from ..procedures.meetings import VOTE_KEYS, body_of
from ..services import control as control_service
from ..services import meetings as meeting_service
from ..services import plans as plan_service
from ..services import tasks as task_service
from ..services.errors import Conflict, ServiceError, Unprocessable
from .carried_files import CHANGED, MAX_FILE_BYTES, accept_large_form, carried, returned_file
from .extensions import csrf
from .session import abort_for, runtime, send_download

bp = Blueprint("plans", __name__, url_prefix="/plans")

MAX_IMPORT_BYTES = MAX_FILE_BYTES
PLAN_IMPORT = "plan-import"
IMPORT_ACCEPT = ".docx,.xlsx,.csv,.tsv"
# Plan states in which the page lists the control items.
CONTROL_STATES = ("execution", "closed")
ROLLOVER_STATES = ("execution", "closed")
MAX_PAGE_NUMBER = 100_000


def _service(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except ServiceError as error:
        abort_for(error)


def _plan_for_editing(plan_id: int) -> dict[str, Any] | None:
    """The plan if the user may change its rows now; 404/403 otherwise; None (with a flash) when the
    plan is past its draft."""
    plan = _service(control_service.plan_access, runtime(), plan_id, current_user.id)
    if not plan["may_manage"]:
        abort(403, "У вас нет права редактировать этот план")
    if not plan["editable"]:
        flash(f"Пункты можно менять только в состоянии «{plan['initial_label']}»; "
              f"сейчас план в состоянии «{plan['state_label']}».", "warning")
        return None
    return plan


def _version(form) -> int | None:  # noqa: ANN001
    raw = form.get("version", "")
    if not raw.isdigit():
        abort(400, "Не указана версия плана: обновите страницу и повторите")
    return int(raw)


def _plan_url(plan_id: int, anchor: str | None = None) -> str:
    """The plan's page, on the page of its rows where the anchor («item-…», «section-…») is shown."""
    page = 1
    kind, _, number = (anchor or "").partition("-")
    if kind in ("item", "section") and number.isdigit():
        try:
            page = control_service.plan_row_page(runtime(), plan_id, current_user.id,
                                                 item_id=int(number) if kind == "item" else None,
                                                 section_id=int(number) if kind == "section" else None)
        except ServiceError:
            page = 1
    return url_for("artefacts.show", artefact_id=plan_id, rows=page if page > 1 else None, _anchor=anchor)


def _page_number(name: str) -> int:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= MAX_PAGE_NUMBER else 1


@bp.app_template_filter("ru_plural")
def ru_plural(count: int, one: str, few: str, many: str) -> str:
    """«1 пункт», «3 пункта», «7 пунктов»."""
    n = abs(int(count))
    if n % 10 == 1 and n % 100 != 11:
        return one
    return few if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else many


# --- Import -----------------------------------------------------------------------------------------

def _import_form(plan: dict[str, Any], error: str | None = None, status: int = 200):
    return render_template("plan_import.html", plan=plan, error=error, accept=IMPORT_ACCEPT,
                           limit_mb=MAX_IMPORT_BYTES // (1024 * 1024)), status


@bp.get("/<int:plan_id>/import")
@login_required
def import_form(plan_id: int):
    plan = _plan_for_editing(plan_id)
    if plan is None:
        return redirect(_plan_url(plan_id))
    return _import_form(plan)[0]


@bp.post("/<int:plan_id>/import")
@login_required
def import_preview(plan_id: int):
    plan = _plan_for_editing(plan_id)
    if plan is None:
        return redirect(_plan_url(plan_id))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_form(plan, "Выберите файл с таблицей плана (.docx, .xlsx, .csv или .tsv)", 422)
    data = upload.read(MAX_IMPORT_BYTES + 1)
    file_name = control_service.safe_file_name(upload.filename)
    try:
        preview = control_service.import_preview(runtime(), plan_id, current_user.id, data, file_name)
    except Unprocessable as error:
        return _import_form(plan, error.message, 422)
    except ServiceError as error:
        abort_for(error)
    return render_template("plan_import_preview.html", plan=plan, preview=preview,
                           **carried(PLAN_IMPORT, plan_id, data, file_name))


@bp.post("/<int:plan_id>/import/save")
@login_required
def import_save(plan_id: int):
    accept_large_form()
    plan = _plan_for_editing(plan_id)
    if plan is None:
        return redirect(_plan_url(plan_id))
    returned = returned_file(PLAN_IMPORT, plan_id)
    if returned is None:
        return _import_form(plan, CHANGED, 422)
    data, file_name = returned
    try:
        result = plan_service.commit_import(runtime(), plan_id, current_user.id, data, file_name,
                                            version=_version(request.form))
    except Unprocessable as error:
        return _import_form(plan, error.message, 422)
    except Conflict as error:
        return _import_form(plan, error.message, 409)
    except ServiceError as error:
        abort_for(error)
    if result.items_added:
        message = f"Импортировано из «{file_name}»: пунктов {result.items_added}, разделов {result.sections_added}."
        if result.duplicates:
            message += f" Уже были в плане и не добавлены: {result.duplicates}."
        flash(message, "success")
    else:
        rows = ru_plural(result.duplicates, "строка", "строки", "строк")
        flash(f"Новых пунктов нет: {result.duplicates} {rows} из «{file_name}» уже есть в плане.", "info")
    return redirect(_plan_url(plan_id, "plan-items"))


csrf.exempt("vsoko_flow.web.plans.import_save")


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge):
    """A file over the limit on the import page: the form again with the message, nothing stored."""
    message = f"Файл слишком большой: не более {MAX_IMPORT_BYTES // (1024 * 1024)} МБ."
    plan_id = (request.view_args or {}).get("plan_id")
    if request.endpoint in ("plans.import_preview", "plans.import_save") and plan_id and current_user.is_authenticated:
        try:
            plan = control_service.plan_access(runtime(), plan_id, current_user.id)
        except ServiceError:
            plan = None
        if plan is not None and plan["may_edit"]:
            return _import_form(plan, message, 413)
    return render_template("error.html", status=413, message=message), 413


# --- A row of the plan ---------------------------------------------------------------------------------

TEXT_EXCLUDED = plan_service.OWN_COLUMNS


def _edit_page(plan: dict[str, Any], item: dict[str, Any], members: list[dict[str, Any]], values: dict[str, Any],
               *, error: str | None = None, conflict: bool = False, understood: dict[str, Any] | None = None,
               status: int = 200, section: dict[str, Any] | None = None):
    return render_template(
        "plan_item_edit.html", plan=plan, item=item, members=members, values=values, error=error,
        conflict=conflict, understood=understood, section=section,
        text_columns=[(k, h) for k, h in plan["columns"].items() if k not in TEXT_EXCLUDED]), status


def _submitted(plan: dict[str, Any]) -> dict[str, Any]:
    form = request.form
    return {
        "fields": {key: form.get(f"field_{key}", "") for key in plan["columns"] if key not in TEXT_EXCLUDED},
        "deadline_text": form.get("deadline_text", ""),
        "responsible": [login for login in form.getlist("responsible") if login],
        "external": form.get("external", ""),
        "version": form.get("version", ""),
    }


def _row_changes(values: dict[str, Any]) -> dict[str, Any]:
    """The submitted form as the arguments of `plans.add_item` / `plans.update_item`."""
    return {"fields": values["fields"], "responsible_logins": values["responsible"],
            "external_executors": [line for line in values["external"].splitlines() if line.strip()],
            "deadline_text": values["deadline_text"]}


def _row_form(plan: dict[str, Any], item: dict[str, Any], initial: dict[str, Any], save, done: str,  # noqa: ANN001
              section: dict[str, Any] | None = None):
    """A row's form: GET shows it, «Проверить срок» reads the deadline and saves nothing, «Сохранить»
    calls `save(values)` (which returns the row's id); a refusal keeps what was typed."""
    rt = runtime()
    members = _service(task_service.organisation_members, rt, current_user.id, plan["organisation_id"])

    def page(values: dict[str, Any], **options: Any):
        return _edit_page(plan, item, members, values, section=section, **options)

    if request.method == "GET":
        return page(initial)[0]
    values = _submitted(plan)
    if request.form.get("action") == "check":
        return page(values, understood=control_service.deadline_understood(values["deadline_text"],
                                                                            plan["school_year"]))[0]
    try:
        item_id = save(values)
    except Conflict as error:
        return page(values, error=error.message, conflict=True, status=409)
    except Unprocessable as error:
        return page(values, error=error.message, status=422)
    except ServiceError as error:
        abort_for(error)
    saved = _service(control_service.item_for_edit, rt, plan["id"], item_id, current_user.id)
    who = ", ".join(saved["responsible_names"] + saved["external_executors"]) or "не назначен"
    one = plan["words"]["one"]
    flash(f"{one} {saved['number']} {plan['words'][done]}. Срок: {saved['deadline_description'] or 'не указан'}. "
          f"Ответственные: {who}.", "success")
    for warning in saved["warnings"]:
        flash(f"{one} {saved['number']}: {warning}", "warning")
    return redirect(_plan_url(plan["id"], f"item-{item_id}"))


def _editable_row(plan_id: int, item_id: int) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The plan and its row when its rows may change now; (None, None), with a flash, past the draft."""
    plan = _plan_for_editing(plan_id)
    if plan is None:
        return None, None
    return plan, _service(control_service.item_for_edit, runtime(), plan_id, item_id, current_user.id)


@bp.route("/<int:plan_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def item_edit(plan_id: int, item_id: int):
    plan, item = _editable_row(plan_id, item_id)
    if plan is None:
        return redirect(_plan_url(plan_id, f"item-{item_id}"))
    initial = {"fields": {c["key"]: c["text"] for c in item["cells"]}, "deadline_text": item["deadline_text"],
               "responsible": item["responsible_logins"], "external": "\n".join(item["external_executors"]),
               "version": str(plan["version"])}

    def save(values: dict[str, Any]) -> int:
        plan_service.update_item(runtime(), plan_id, item_id, current_user.id, version=_version(request.form),
                                 **_row_changes(values))
        return item_id

    return _row_form(plan, item, initial, save, "saved")


@bp.route("/<int:plan_id>/items/new", methods=["GET", "POST"])
@login_required
def item_new(plan_id: int):
    """«Добавить пункт»: a row written by hand at the end of a section (`?section=`)."""
    plan = _plan_for_editing(plan_id)
    if plan is None:
        return redirect(_plan_url(plan_id, "plan-items"))
    section = _section_of(plan_id, request.args.get("section", ""))
    blank = {"id": None, "number": "", "warnings": [], "responsible_text": "", "deadline_resolved": True,
             "deadline_description": ""}
    initial = {"fields": {}, "deadline_text": "", "responsible": [], "external": "", "version": str(plan["version"])}

    def save(values: dict[str, Any]) -> int:
        change = plan_service.add_item(runtime(), plan_id, current_user.id, version=_version(request.form),
                                       section_id=section["id"] if section else None, **_row_changes(values))
        if change.renumbered:
            flash(change.message, "info")
        return change.id

    return _row_form(plan, blank, initial, save, "added", section=section)


def _section_of(plan_id: int, raw: str) -> dict[str, Any] | None:
    """The section a new row goes to (`?section=ID`); none given — the plan's last section."""
    if not raw:
        return None
    table = _service(control_service.plan_table, runtime(), plan_id, current_user.id)
    section = next((s for s in table["sections"] if raw.isdigit() and s["id"] == int(raw)), None)
    if section is None:
        abort(404, "Такого раздела в плане нет")
    return section


@bp.route("/<int:plan_id>/items/<int:item_id>/delete", methods=["GET", "POST"])
@login_required
def item_delete(plan_id: int, item_id: int):
    """«Удалить»: a page that shows the row and asks to confirm (no JavaScript needed), then deletes it."""
    plan, item = _editable_row(plan_id, item_id)
    if plan is None:
        return redirect(_plan_url(plan_id, f"item-{item_id}"))
    if request.method == "GET":
        return render_template("plan_item_delete.html", plan=plan, item=item, version=plan["version"], error=None)
    try:
        change = plan_service.delete_item(runtime(), plan_id, item_id, current_user.id,
                                          version=_version(request.form))
    except Conflict as error:
        return render_template("plan_item_delete.html", plan=plan, item=item, version=plan["version"],
                               error=error.message), 409
    except ServiceError as error:
        abort_for(error)
    text = next((cell["text"] for cell in item["cells"] if cell["text"]), "")
    words = plan["words"]
    flash(f"{words['one']} {item['number']} {words['deleted']}{f': «{text[:120]}»' if text else ''}. "
          f"{change.message}".strip(), "success")
    return redirect(_plan_url(plan_id, "plan-items"))


@bp.post("/<int:plan_id>/accept-numbers")
@login_required
def accept_numbers(plan_id: int):
    """«Принять все восстановленные номера»: the number warnings of every row cleared at once."""
    def save(plan: dict[str, Any]) -> str:
        change = plan_service.accept_restored_numbers(runtime(), plan_id, current_user.id,
                                                      version=_version(request.form))
        flash(f"Номера приняты у пунктов: {change.id}. Остальные предупреждения этих пунктов остались.", "success")
        return "plan-flagged"

    def keep(error: ServiceError) -> None:
        flash(error.message, "warning")

    return _plan_page_form(plan_id, "plan-flagged", save, keep)


# --- Sections and a meeting's agenda -----------------------------------------------------------------

def _plan_page_form(plan_id: int, anchor: str, save, keep):  # noqa: ANN001 - callables
    """A form on the plan page: `save(plan)` runs the use case, flashes what was done and returns the
    anchor to go back to; a refusal (422, 409) shows the page again, `keep(error)` leaving in `g` what
    its form shows (the message, what was typed)."""
    plan = _plan_for_editing(plan_id)
    if plan is None:
        return redirect(_plan_url(plan_id, anchor))
    try:
        done = save(plan)
    except (Unprocessable, Conflict) as error:
        keep(error)
        return _artefact_page(plan_id, error.status)
    except ServiceError as error:
        abort_for(error)
    return redirect(_plan_url(plan_id, done))


@bp.post("/<int:plan_id>/sections")
@login_required
def section_add(plan_id: int):
    """«Добавить раздел» («Добавить вопрос повестки»): at the end of the plan."""
    title = request.form.get("title", "")

    def save(plan: dict[str, Any]) -> str:
        change = plan_service.add_section(runtime(), plan_id, current_user.id, title, version=_version(request.form))
        what = "вопрос повестки" if plan["kind"] == meeting_service.MEETING_KIND else "раздел"
        flash(f"Добавлен {what} «{' '.join(title.split())}». Добавьте в него пункты.", "success")
        return f"section-{change.id}"

    def keep(error: ServiceError) -> None:
        g.section_failed = {"message": error.message, "title": title}

    return _plan_page_form(plan_id, "plan-items", save, keep)


def _agenda_submitted(form) -> list[dict[str, Any]]:  # noqa: ANN001 - werkzeug MultiDict
    """Per agenda item of the form: its title, СЛУШАЛИ (text), ВЫСТУПИЛИ (one per line) and votes."""
    raw = form.get("agenda_count", "")
    if not raw.isdigit() or int(raw) > meeting_service.MAX_AGENDA_ITEMS:
        abort(400, "Форма повестки пришла неполной: обновите страницу и повторите")
    count = int(raw)
    entries = []
    for index in range(count):
        prefix = f"agenda-{index}-"
        entry: dict[str, Any] = {"title": form.get(prefix + "title", ""), "heard": form.get(prefix + "heard", ""),
                                 "spoke": [line for line in form.get(prefix + "spoke", "").splitlines() if line.strip()]}
        entry.update({key: form.get(prefix + key, "").strip() for key in VOTE_KEYS})
        entries.append(entry)
    return entries


@bp.post("/<int:plan_id>/agenda")
@login_required
def agenda_save(plan_id: int):
    """«Повестка и ход заседания»: what was heard, who spoke and the votes per agenda item."""
    texts = _agenda_submitted(request.form)

    def save(plan: dict[str, Any]) -> str:
        meeting_service.edit_agenda_texts(runtime(), plan_id, current_user.id, texts, version=_version(request.form))
        flash("Повестка и ход заседания сохранены.", "success")
        return "agenda"

    def keep(error: ServiceError) -> None:
        details = error.details if isinstance(error.details, dict) else {}
        g.agenda_failed = {"texts": texts, "message": error.message, "problems": details.get("agenda") or [],
                           "conflict": error.status == 409}

    return _plan_page_form(plan_id, "agenda", save, keep)


def _artefact_page(artefact_id: int, status: int):
    """The artefact page again, with the message at the form that was posted (kept in `g`)."""
    from .artefacts import render_artefact

    return render_artefact(artefact_id, status)


def _direction() -> int:
    """↑ is -1, ↓ is +1; anything else is a broken form."""
    direction = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if direction is None:
        abort(400, "Не указано направление: «up» или «down»")
    return direction


@bp.post("/<int:plan_id>/items/<int:item_id>/move")
@login_required
def item_move(plan_id: int, item_id: int):
    direction = _direction()
    plan = _plan_for_editing(plan_id)
    if plan is None:
        return redirect(_plan_url(plan_id))
    try:
        change = plan_service.move_item(runtime(), plan_id, item_id, current_user.id, direction,
                                        _version(request.form))
    except Conflict as error:
        abort(409, f"{error.message}")
    except ServiceError as error:
        abort_for(error)
    if change.renumbered:
        flash(f"Порядок изменён. {change.message}", "success")
    return redirect(_plan_url(plan_id, f"item-{item_id}"))


@bp.post("/<int:plan_id>/sections/<int:section_id>/move")
@login_required
def section_move(plan_id: int, section_id: int):
    """↑/↓ of a section (a meeting's agenda question) with its rows; the numbers follow the new order."""
    direction = _direction()
    return _section_change(plan_id, f"section-{section_id}", lambda version: plan_service.move_section(
        runtime(), plan_id, section_id, current_user.id, direction, version), "Порядок разделов изменён.")


@bp.post("/<int:plan_id>/sections/<int:section_id>/delete")
@login_required
def section_delete(plan_id: int, section_id: int):
    """«Удалить» of a section without rows."""
    return _section_change(plan_id, "plan-items", lambda version: plan_service.delete_section(
        runtime(), plan_id, section_id, current_user.id, version=version), "Раздел удалён.")


def _section_change(plan_id: int, anchor: str, change, done: str):  # noqa: ANN001 - callable
    def save(plan: dict[str, Any]) -> str:
        result = change(_version(request.form))
        flash(f"{done} {result.message}".strip(), "success")
        return anchor

    def keep(error: ServiceError) -> None:
        g.section_failed = {"message": error.message, "title": ""}

    return _plan_page_form(plan_id, anchor, save, keep)


# --- The next school year ---------------------------------------------------------------------------

@bp.post("/<int:plan_id>/rollover")
@login_required
def rollover(plan_id: int):
    rt = runtime()
    plan = _service(control_service.plan_access, rt, plan_id, current_user.id)
    if not plan["may_manage"]:
        abort(403, "Перенести план может заместитель директора, директор или рабочая группа")
    new_id = _service(plan_service.rollover_plan, rt, plan_id, current_user.id)
    new = _service(control_service.plan_access, rt, new_id, current_user.id)
    flash(f"Создан проект плана на {new['school_year']} учебный год: пункты скопированы, сроки прочитаны заново "
          "для нового года, неисполненные пункты отмечены «перенесено». Проверьте пункты, требующие внимания.",
          "success")
    return redirect(_plan_url(new_id))


# --- Evidence of execution --------------------------------------------------------------------------

def _send(data: bytes, file_name: str, evidence_id: int):
    return send_download(data, file_name, "application/octet-stream", f"evidence-{evidence_id}")


@bp.get("/evidence/<int:evidence_id>")
@login_required
def evidence_download(evidence_id: int):
    evidence = _service(control_service.evidence_file, runtime(), evidence_id, current_user.id)
    return _send(evidence.content, evidence.file_name, evidence.id)


@bp.post("/control/<int:item_id>/evidence")
@login_required
def evidence_upload(item_id: int):
    upload = request.files.get("file")
    data = upload.read(control_service.MAX_EVIDENCE_BYTES + 1) if upload is not None and upload.filename else None
    try:
        control_service.add_evidence(runtime(), item_id, current_user.id, data=data,
                                     file_name=upload.filename if upload is not None else "",
                                     link_url=request.form.get("link_url", ""))
    except (Unprocessable, Conflict) as error:
        # The item's page again, with the message at the upload form.
        g.evidence_error = error.message
        return _artefact_page(item_id, error.status)
    except ServiceError as error:
        abort_for(error)
    flash("Материал добавлен к пункту." if data else "Ссылка добавлена к пункту.", "success")
    return redirect(url_for("artefacts.show", artefact_id=item_id, _anchor="evidence"))


# --- What the artefact page shows for plans and control items ----------------------------------------

# Fields that the plan's control action writes into items and plans (no label in the workflow files).
CONTROL_FIELD_LABELS = {
    "item_number": "Номер пункта плана", "deadline_text": "Срок по плану", "responsible_text": "Ответственный по плану",
    "note": "Уточнение срока", "control_items": "Пунктов поставлено на контроль",
}
HIDDEN_FIELDS = {"plan_item_id", "period_start", "period_end"}


def artefact_extras(page: dict[str, Any], definition: WorkflowDefinition, roles: set[str],
                    today: dt.date | None = None) -> dict[str, Any]:
    """Additions to the artefact page: the plan's table and control items, or a control item's
    due date, plan, assignees and evidence. Empty for other kinds."""
    rt = runtime()
    data = page["artefact"]
    extras: dict[str, Any] = {"plan": None, "control": None, "evidence_error": g.get("evidence_error")}
    if definition.columns or data["kind"] == CONTROL_KIND:
        extras["fields"] = _relabelled(page["fields"], data["fields"])
    if definition.columns:
        # Paged: a year's plan (2 000 rows, as many control items) costs a page of each, not the whole.
        table = _service(control_service.plan_table_page, rt, data["id"], current_user.id, _page_number("rows"))
        may_manage = bool(definition.create_roles & roles)
        editable = data["state"] in definition.editable_states
        control = (_service(control_service.control_page, rt, data["id"], current_user.id, today,
                            request.args.get("control", "all"), _page_number("cpage"))
                   if data["state"] in CONTROL_STATES else None)
        is_meeting = data["kind"] == meeting_service.MEETING_KIND
        may_edit = may_manage and editable
        _link_contents(data["id"], table["contents"])
        extras["plan"] = {
            **table, "may_edit": may_edit, "editable": editable, "is_meeting": is_meeting,
            # A meeting is not carried into the next year; plans are.
            "may_rollover": may_manage and data["state"] in ROLLOVER_STATES and not is_meeting,
            "children": control["items"] if control else None, "control": control,
            "summary": control["summary"] if control and control["summary"]["total"] else None,
            "section_failed": g.get("section_failed"),
            "agenda": _agenda_form(data) if is_meeting and may_edit else None,
        }
    elif data["kind"] == CONTROL_KIND:
        extras["control"] = _service(control_service.control_item_view, rt, data["id"], current_user.id, today)
    return extras


def _link_contents(plan_id: int, contents: list[dict[str, Any]]) -> None:
    """Each section of the contents gets its link: the page of rows it starts on, at its heading.
    One URL built per page, not per section (a year's plan lists 200 sections on every view)."""
    kept = {name: request.args.get(name) for name in ("control", "cpage")}
    pages = {entry["page"] for entry in contents}
    page_urls = {page: url_for("artefacts.show", artefact_id=plan_id, rows=page if page > 1 else None, **kept)
                 for page in pages}
    for entry in contents:
        entry["href"] = f"{page_urls[entry['page']]}#section-{entry['id']}"


def _agenda_form(data: dict[str, Any]) -> dict[str, Any]:
    """The agenda as stored, or as posted when it was refused (with the messages)."""
    entries = _service(meeting_service.agenda_for_editing, runtime(), data["id"], current_user.id)
    failed = g.get("agenda_failed")
    if failed:
        entries = [{**entry, **{key: "\n".join(value) if isinstance(value, list) else value
                                for key, value in typed.items()}}
                   for entry, typed in zip(entries, failed["texts"])]
    body = body_of(data["fields"].get("body"))
    return {"entries": entries, "votes": body is None or body.votes, "failed": failed}


def _relabelled(rows: list[dict[str, Any]], fields: dict[str, Any]) -> list[dict[str, Any]]:
    result = []
    for row in rows:
        if row["name"] in HIDDEN_FIELDS:
            continue
        if row["name"] in CONTROL_FIELD_LABELS:
            row = {**row, "label": CONTROL_FIELD_LABELS[row["name"]]}
        result.append(row)
    return result
