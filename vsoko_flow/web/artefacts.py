"""Artefact lists and pages: the list with filters, a new draft, the artefact page with its
actions, editing the text, and comparing two editions. Thin over `services`."""
from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..engine.definitions import WorkflowDefinition
from ..engine.fields import FieldError, FieldSpec, parse_date
from ..procedures.acts import uses_act_types
from ..services import act_types as act_type_service
from ..services import artefacts as artefact_service
from ..services import signatures as signature_service
from ..services import tasks as task_service
from ..services.compare import compare_editions
from ..services.errors import Conflict, ServiceError, Unprocessable
from ..services.control import safe_file_name
from ..services.sections import TEXT_FILE_TYPES, sections_as_text
from ..services.transitions import FILE_FIELD_SUFFIX, fire_transition
from ..services.clock import school_today
from .carried_files import CHANGED, MAX_FILE_BYTES, accept_large_form, carried, returned_file
from .documents import pdf_functions
from .extensions import csrf
from .plans import artefact_extras
from .quality import quality_extras
from .session import abort_for, current_organisation_id, runtime

bp = Blueprint("artefacts", __name__, url_prefix="/artefacts")

PAGE_SIZE = 25
_SCHOOL_YEAR = re.compile(r"^(\d{4})/(\d{4})$")

# Fields that actions write into an artefact (no label in the workflow file).
DERIVED_FIELDS: dict[str, tuple[str, str]] = {
    "order_number": ("Номер приказа", "str"),
    "protocol_number": ("Номер протокола педагогического совета", "str"),
    "opinion_deadline": ("Срок ответа советов", "date"),
    "acquaintance_deadline": ("Срок ознакомления работников под роспись", "date"),
    "publication_deadline": ("Срок размещения на сайте", "date"),
    "acquaintance_progress": ("Ознакомлены работники", "str"),
    "acquaintance_done": ("Все работники ознакомлены", "date"),
    "publication_url": ("Акт размещён на сайте", "str"),
    "publication_done": ("Дата размещения на сайте", "date"),
    "opinions": ("Мнения советов", "opinions"),
}
# History entries that are not transitions of the workflow.
OWN_TRIGGERS = {"create": "Создан", "edit_sections": "Изменён текст",
                # Plans and control items (services/plans.py, services/control.py)
                "import_items": "Импортированы пункты плана", "edit_item": "Изменён пункт плана",
                "move_item": "Изменён порядок пунктов", "rollover": "Создан переносом из прошлого учебного года",
                "add_item": "Добавлен пункт плана", "delete_item": "Удалён пункт плана",
                "add_section": "Добавлен раздел плана", "add_evidence": "Приложен материал исполнения",
                # Signatures (services/signatures.py)
                "sign": "Подписан документ", "decline_signature": "Отказ подписать документ",
                "move_section": "Изменён порядок разделов", "delete_section": "Удалён раздел плана",
                "accept_numbers": "Приняты номера пунктов",
                # Meetings (services/meetings.py)
                "edit_agenda": "Записаны повестка и ход заседания",
                # The quality cycle (services/audits.py, procedures/corrective.py)
                "edit_programme": "Изменена программа аудита", "answer_line": "Записан ответ по чек-листу",
                "record_finding": "Зафиксировано несоответствие",
                "add_corrective_action": "Добавлено действие по несоответствию"}
OPINION_COLUMNS = ("Совет", "Дата", "Протокол", "Мнение", "Замечания")


# --- Formatting, shared by every page ---------------------------------------------------------

def local_zone() -> dt.tzinfo:
    """Times are stored in UTC and shown in the school's zone (Settings.timezone, VSOKO_TIMEZONE)."""
    return _zone(runtime().settings.timezone)


@lru_cache(maxsize=8)
def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


@bp.app_template_filter("ru_date")
def ru_date(value: Any) -> str:
    """ДД.ММ.ГГГГ from a date, a datetime or an ISO string; anything else is shown as it is."""
    if value in (None, ""):
        return ""
    if isinstance(value, str) and "T" in value:
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        # A moment is dated where the school is: 22:30 UTC on the 4th is the 5th in Moscow.
        value = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(local_zone()).date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value.strftime("%d.%m.%Y") if isinstance(value, dt.date) else str(value)


@bp.app_template_filter("ru_datetime")
def ru_datetime(value: Any) -> str:
    """ДД.ММ.ГГГГ ЧЧ:ММ in local time from a naive UTC datetime or its ISO string."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(local_zone()).strftime("%d.%m.%Y %H:%M")


@bp.app_template_filter("file_size")
def file_size(size: int | None) -> str:
    if not size:
        return "0 Б"
    if size < 1024:
        return f"{size} Б"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} КБ".replace(".", ",")
    return f"{size / 1024 / 1024:.1f} МБ".replace(".", ",")


@bp.app_template_filter("days_phrase")
def days_phrase(days: int) -> str:
    """«сегодня», «через 3 дня», «просрочено на 5 дней»."""
    if days == 0:
        return "сегодня"
    n = abs(days)
    word = "день" if n % 10 == 1 and n % 100 != 11 else (
        "дня" if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else "дней")
    return f"через {n} {word}" if days > 0 else f"просрочено на {n} {word}"


def _roles_in(organisation_id: int) -> set[str]:
    return set(current_user.roles.get(organisation_id, []))


def _service(call, *args, **kwargs):
    """Run a read use case; its NotFound/Forbidden become the matching HTTP error page."""
    try:
        return call(*args, **kwargs)
    except ServiceError as error:
        abort_for(error)


# --- Field values as people read them -----------------------------------------------------------

def _field_specs(definition: WorkflowDefinition) -> dict[str, FieldSpec]:
    specs: dict[str, FieldSpec] = {}
    for transition in definition.transitions.values():
        for spec in transition.fields:
            specs.setdefault(spec.name, spec)
    for spec in definition.fields:
        specs[spec.name] = spec
    return specs


def _display(spec_type: str, value: Any, options: dict[str, str], members: dict[str, str]) -> str:
    if spec_type == "bool":
        return "Да" if value else "Нет"
    if spec_type == "date":
        return ru_date(value)
    if spec_type == "choice":
        return options.get(str(value), str(value))
    if spec_type == "member":
        return members.get(str(value), str(value))
    return str(value)


def field_rows(definition: WorkflowDefinition, fields: dict[str, Any], members: dict[str, str],
               only_known: bool = False) -> list[dict[str, Any]]:
    """Labelled, formatted field values: the kind's own fields first, then as they were recorded."""
    specs = _field_specs(definition)
    rows = []
    for name, value in fields.items():
        if value in (None, "", [], {}):
            continue
        if name in specs:
            spec = specs[name]
            label, kind, options = spec.label, spec.type, spec.options
        elif name in DERIVED_FIELDS:
            (label, kind), options = DERIVED_FIELDS[name], {}
        elif only_known:
            continue
        else:
            label, kind, options = name, "str", {}
        if kind == "opinions":
            rows.append({"name": name, "label": label,
                         "table": _opinion_table(definition, fields.get("opinion_history") or value)})
        elif not isinstance(value, (dict, list)):
            rows.append({"name": name, "label": label, "value": _display(kind, value, options, members)})
    order = {spec.name: i for i, spec in enumerate(definition.fields)}
    return sorted(rows, key=lambda row: order.get(row["name"], len(order)))


def _opinion_table(definition: WorkflowDefinition, opinions: Any) -> list[list[str]]:
    """Every opinion given, in order (a council asked again after its disagreement has two rows), or the
    latest opinion of each council for acts recorded before the history of opinions was kept."""
    from ..procedures.acts import OPINION_BODIES

    specs = _field_specs(definition)
    results = specs["opinion_result"].options if "opinion_result" in specs else {}
    given = opinions.items() if isinstance(opinions, dict) else [
        (entry.get("body"), entry) for entry in opinions or [] if isinstance(entry, dict)]
    rows = []
    for body, opinion in given:
        opinion = opinion if isinstance(opinion, dict) else {}
        rows.append([OPINION_BODIES.get(body, {}).get("nomn", body), ru_date(opinion.get("date")),
                     str(opinion.get("protocol_number") or ""), results.get(opinion.get("result"), opinion.get("result") or ""),
                     str(opinion.get("remarks") or "")])
    return rows


# --- Where the artefact stands in its workflow ---------------------------------------------------

def main_path(definition: WorkflowDefinition) -> list[str]:
    """The longest way forward from the initial state: no returns, no withdrawals, no system steps."""
    forward: dict[str, list[str]] = {}
    for t in definition.transitions.values():
        if t.system or t.comment_required:
            continue
        for source in t.sources:
            if source != t.dest:
                forward.setdefault(source, []).append(t.dest)
    best: list[str] = []

    def walk(path: list[str]) -> None:
        nonlocal best
        if len(path) > len(best):
            best = list(path)
        for nxt in forward.get(path[-1], []):
            if nxt not in path:
                walk(path + [nxt])

    walk([definition.initial])
    return best


def workflow_steps(definition: WorkflowDefinition, state: str, history: list[dict[str, Any]],
                   visited_states: list[str] | None = None) -> list[dict[str, Any]]:
    """The main path as steps marked done / current / skipped / todo; a final state off the path is appended.
    `visited_states` (every state of the whole chain) stands for the history when only its latest part is read."""
    visited = set(visited_states) if visited_states is not None else (
        {entry["to"] for entry in history} | {entry["from"] for entry in history if entry["from"]})
    path = main_path(definition)
    current_index = path.index(state) if state in path else None
    if current_index is None:
        reached = [i for i, name in enumerate(path) if name in visited]
        current_index = (max(reached) + 1) if reached else 0
        path = path[:current_index] + [state] + path[current_index:]
    steps = []
    for i, name in enumerate(path):
        if i < current_index:
            status = "done" if name in visited else "skipped"
        elif i == current_index:
            status = "current"
        else:
            status = "todo" if state in definition.states and not definition.states[state].final else "off"
        steps.append({"state": name, "label": definition.state_label(name), "status": status})
    return steps


# --- Forms of actions ------------------------------------------------------------------------------

def _initial_value(spec: FieldSpec, today: dt.date) -> Any:
    if spec.default == "today":
        return today.isoformat()
    if spec.type == "bool":
        return bool(spec.default)
    if spec.type == "date" and spec.default:
        try:
            return parse_date(spec.default).isoformat()
        except FieldError:
            return ""
    return "" if spec.default is None else str(spec.default)


def form_fields(specs: tuple[FieldSpec, ...], prefix: str, members: list[dict[str, Any]],
                values: dict[str, Any] | None = None, errors: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """What a template needs to draw each input: id, name, type, value, options, error."""
    today = school_today(runtime().settings.timezone)
    values, errors = values or {}, errors or {}
    result = []
    for spec in specs:
        options: list[tuple[str, str]] = []
        if spec.type == "choice":
            options = list(spec.options.items())
        elif spec.type == "member":
            options = [(m["login"], m["label"]) for m in members]
        value = values[spec.name] if spec.name in values else _initial_value(spec, today)
        if spec.type == "bool":
            value = value in (True, "true", "on", "1", "y")
        # A file the action keeps as the artefact's evidence (services/transitions.py: «…_evidence_id»).
        shown_type = "file" if spec.name.endswith(FILE_FIELD_SUFFIX) else spec.type
        result.append({"name": spec.name, "id": f"{prefix}-{spec.name}", "label": spec.label, "type": shown_type,
                       "required": spec.required, "value": value, "options": options, "min": spec.min,
                       "max_length": spec.max_length, "help": spec.help, "error": errors.get(spec.name)})
    return result


def submitted_fields(specs: tuple[FieldSpec, ...], form) -> dict[str, Any]:  # noqa: ANN001 - werkzeug MultiDict
    """Exactly the declared fields from a posted form; an unticked checkbox is an explicit «нет»."""
    values: dict[str, Any] = {}
    for spec in specs:
        if spec.type == "bool":
            values[spec.name] = "true" if form.get(spec.name) in ("true", "on", "1", "y") else "false"
        elif spec.name in form:
            values[spec.name] = form.get(spec.name, "")
    return values


def action_forms(definition: WorkflowDefinition, data: dict[str, Any], members: list[dict[str, Any]],
                 open_trigger: str | None = None, failed: dict[str, Any] | None = None,
                 conflict: str | None = None) -> list[dict[str, Any]]:
    """One form per transition the user may fire now; the failed one keeps its values and messages."""
    forms = []
    for available in data.get("available_transitions", []):
        transition = definition.transitions[available["trigger"]]
        mine = failed if failed and failed["trigger"] == transition.trigger else {}
        errors = dict(mine.get("field_errors") or {})
        fields = form_fields(transition.fields, f"t-{transition.trigger}", members, mine.get("values"), errors)
        shown = {f["name"] for f in fields} | {"comment"}
        reopened = transition.trigger == open_trigger
        forms.append({
            "trigger": transition.trigger, "label": transition.label, "fields": fields,
            "has_file": any(f["type"] == "file" for f in fields),
            "comment_required": transition.comment_required, "comment": mine.get("comment", ""),
            "comment_error": errors.get("comment"), "secondary": transition.comment_required,
            "dest_label": definition.state_label(transition.dest), "documents": len(transition.documents),
            # Rule messages as a list at the top; field messages stay at their fields.
            "problems": list(mine.get("rules") or []) + [msg for name, msg in errors.items() if name not in shown],
            "message": _form_message(mine) or (conflict if reopened else None),
            "conflict": bool(conflict) and reopened, "open": reopened or bool(mine),
            # Known before the form is filled: why it cannot be done now (and what to do instead), or
            # what to know before doing it.
            "blocked": list(available.get("blocked") or []), "warnings": list(available.get("warnings") or []),
        })
    return forms


def _form_message(failed: dict[str, Any]) -> str | None:
    """The general message of a failed form, unless the rule messages listed under it say it all."""
    return None if failed.get("rules") else failed.get("message")


# --- The artefact page -----------------------------------------------------------------------------

def _members_by_login(members: list[dict[str, Any]]) -> dict[str, str]:
    return {m["login"]: m["label"] for m in members}


def _timeline(definition: WorkflowDefinition, data: dict[str, Any], members: dict[str, str]) -> list[dict[str, Any]]:
    documents_by_step: dict[int, list[dict[str, Any]]] = {}
    for document in data["documents"]:
        documents_by_step.setdefault(document["history_sequence"], []).append(document)
    entries = []
    for entry in reversed(data["history"]):
        trigger = entry["trigger"]
        transition = definition.transitions.get(trigger)
        label = OWN_TRIGGERS.get(trigger) or (transition.label if transition else trigger)
        moved = entry["from"] and entry["from"] != entry["to"]
        shown_fields = [] if trigger in OWN_TRIGGERS else field_rows(
            definition, {k: v for k, v in (entry["fields"] or {}).items() if k != "opinions"}, members, only_known=True)
        what = _what(trigger, entry["fields"] or {})
        if trigger in OWN_TRIGGERS and what:
            label = f"{label}: {what}"
        entries.append({
            "sequence": entry["sequence"], "at": entry["at"], "actor": entry["actor"] or "система", "label": label,
            "trigger": trigger, "what": what,
            "from_label": definition.state_label(entry["from"]) if moved else "",
            "to_label": definition.state_label(entry["to"]), "comment": entry["comment"],
            "fields": [row for row in shown_fields if "value" in row],
            "documents": documents_by_step.get(entry["sequence"], []),
        })
    return entries


HISTORY_SHOWN = 30       # latest history entries on an artefact's page
HISTORY_STEP = 100       # «Показать ещё» adds this many
HISTORY_MAX = 20_000
DOCUMENTS_SHOWN = 20     # latest documents in the «Документы» card («Показать все» lists every one)
# Row-level edits that come in runs (a plan's rows fixed one after another): shown as one entry
# «Изменено 35 пунктов плана: 1.2, 1.4, …» that opens to the single changes.
GROUPED = {"edit_item": ("Изменён {n} пункт плана", "Изменено {n} пункта плана", "Изменено {n} пунктов плана"),
           "add_item": ("Добавлен {n} пункт плана", "Добавлено {n} пункта плана", "Добавлено {n} пунктов плана"),
           "delete_item": ("Удалён {n} пункт плана", "Удалено {n} пункта плана", "Удалено {n} пунктов плана"),
           "move_item": ("Перемещён {n} пункт плана", "Перемещено {n} пункта плана", "Перемещено {n} пунктов плана"),
           "add_evidence": ("Приложен {n} материал", "Приложено {n} материала", "Приложено {n} материалов"),
           "answer_line": ("Записан {n} ответ по чек-листу", "Записано {n} ответа по чек-листу",
                           "Записано {n} ответов по чек-листу")}
NUMBERS_LISTED = 12


def _history_shown() -> int:
    raw = request.args.get("history", "")
    return min(int(raw), HISTORY_MAX) if raw.isdigit() and int(raw) > 0 else HISTORY_SHOWN


def _listed_documents(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The «Документы» card: the latest ones (or all on request); the rest are linked from their history entries."""
    latest = data.get("documents_latest")
    if latest is None:
        return data["documents"]
    wanted = set(latest)
    return [d for d in data["documents"] if d["id"] in wanted]


def _what(trigger: str, fields: dict[str, Any]) -> str:
    """Which row an entry changed: «1.2», «1.3 → 1.2», the evidence's file name."""
    if trigger == "move_item" and fields.get("number") and fields.get("new_number"):
        return f"{fields['number']} → {fields['new_number']}"
    if trigger == "add_evidence":
        return str(fields.get("file_name") or fields.get("link_url") or "")
    if trigger in ("add_section", "delete_section", "move_section"):
        return " ".join(str(part) for part in (fields.get("number"), f"«{fields['title']}»" if fields.get("title")
                                                                          else "") if part)
    return str(fields.get("number") or "")


def _counted(forms: tuple[str, str, str], n: int) -> str:
    one, few, many = forms
    form = one if n % 10 == 1 and n % 100 != 11 else few if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else many
    return form.format(n=n)


def grouped_timeline(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs of the same row-level edit by the same person, next to each other, become one entry."""
    result: list[dict[str, Any]] = []
    for entry in entries:
        last = result[-1] if result else None
        if (last is not None and entry["trigger"] in GROUPED and last["trigger"] == entry["trigger"]
                and last["actor"] == entry["actor"] and not entry["comment"] and not entry["documents"]):
            last.setdefault("entries", [dict(last)]).append(entry)
            continue
        result.append(dict(entry))
    for entry in result:
        if len(entry.get("entries", [])) > 1:
            parts = [part["what"] for part in reversed(entry["entries"]) if part["what"]]
            listed = ", ".join(parts[:NUMBERS_LISTED]) + (f" и ещё {len(parts) - NUMBERS_LISTED}"
                                                          if len(parts) > NUMBERS_LISTED else "")
            entry["label"] = _counted(GROUPED[entry["trigger"]], len(entry["entries"])) + (f": {listed}" if listed else "")
            entry["first_at"] = entry["entries"][-1]["at"]
    return result


def _sections(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"number": s["number"], "level": s["number"].strip(".").count(".") + 1,
             "paragraphs": [line for line in s["text"].split("\n") if line.strip()]} for s in data["sections"]]


def with_signatures(rt, artefact_id: int, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:  # noqa: ANN001
    """Each document with its signatures: «подписан» / «ожидает подписи <кого>», and the user's own to sign."""
    found = _service(signature_service.artefact_signatures, rt, artefact_id, current_user.id)
    result = []
    for document in documents:
        signatures = found.get(document["id"], [])
        mine = [s for s in signatures if s["state"] == "pending" and s["signer"]["id"] == current_user.id]
        result.append({**document, "signatures": signatures,
                       "signature_status": signature_service.signature_status(signatures), "to_sign": mine})
    return result


def render_artefact(artefact_id: int, status: int = 200, open_trigger: str | None = None,
                    failed: dict[str, Any] | None = None, conflict: str | None = None):
    rt = runtime()
    history_shown = _history_shown()
    all_documents = request.args.get("documents") == "all"
    data = _service(artefact_service.show_artefact, rt, artefact_id, current_user.id,
                    history_limit=history_shown, documents_limit=None if all_documents else DOCUMENTS_SHOWN)
    definition = rt.definition(data["kind"])
    organisation_id = data["organisation"]["id"]
    members = _service(task_service.organisation_members, rt, current_user.id, organisation_id)
    by_login = _members_by_login(members)
    roles = _roles_in(organisation_id)
    may_create = bool(definition.create_roles & roles)
    can_edit = data["state"] in definition.editable_states and may_create
    page = {
        "artefact": data, "definition": definition,
        "steps": workflow_steps(definition, data["state"], data["history"], data.get("visited_states")),
        "fields": field_rows(definition, data["fields"], by_login),
        "sections": _sections(data), "can_edit": can_edit,
        "can_supersede": may_create and data["state"] == "in_force" and organisation_id == current_organisation_id(),
        "actions": action_forms(definition, data, members, open_trigger, failed, conflict),
        "timeline": grouped_timeline(_timeline(definition, data, by_login)),
        "history_total": data["history_total"], "history_shown": history_shown,
        "history_more": min(HISTORY_STEP, data["history_total"] - len(data["history"])),
        "documents": with_signatures(rt, artefact_id, _listed_documents(data)), "pdf": pdf_functions() is not None,
        "documents_total": data["documents_total"], "all_documents": all_documents,
        "conflict": conflict,
        "failed_trigger": failed["trigger"] if failed else None,
    }
    # Plans: the table of items and the control items; a control item: due date, plan, evidence (web/plans.py).
    page.update(artefact_extras(page, definition, roles))
    # The quality cycle: an audit's programme and checklist, a finding, a check, a review; links of every kind.
    page.update(quality_extras(page, definition))
    return render_template("artefact.html", **page), status


@bp.get("/<int:artefact_id>")
@login_required
def show(artefact_id: int):
    return render_artefact(artefact_id, open_trigger=request.args.get("action"))


def _version_from(form) -> int:  # noqa: ANN001
    raw = form.get("version", "")
    if not raw.isdigit():
        abort(400, "Не указана версия документа: обновите страницу и повторите")
    return int(raw)


@bp.post("/<int:artefact_id>/fire/<trigger>")
@login_required
def fire(artefact_id: int, trigger: str):
    rt = runtime()
    data = _service(artefact_service.show_artefact, rt, artefact_id, current_user.id)
    definition = rt.definition(data["kind"])
    transition = definition.transitions.get(trigger)
    if transition is None or transition.system:
        abort(404, "Такого действия у документа нет")
    values = submitted_fields(transition.fields, request.form)
    files = _posted_files(transition)
    comment = request.form.get("comment", "")
    try:
        result = fire_transition(rt, artefact_id, trigger, current_user.id, version=_version_from(request.form),
                                 fields=values, comment=comment, files=files)
    except Unprocessable as error:
        details = error.details if isinstance(error.details, dict) else {}
        failed = {"trigger": trigger, "values": values, "comment": comment, "message": error.message,
                  "field_errors": details.get("fields") or {}, "rules": details.get("rules") or []}
        return render_artefact(artefact_id, 422, failed=failed)
    except Conflict as error:
        return render_artefact(artefact_id, 409, open_trigger=trigger, conflict=error.message)
    except ServiceError as error:
        abort_for(error)
    _flash_fired(definition, transition.label, result)
    # The form was posted to «…#t-trigger» (so errors land on it); the result is read from the top.
    return redirect(url_for("artefacts.show", artefact_id=artefact_id, _anchor="main"))


def _posted_files(transition) -> dict[str, tuple[str, bytes]]:  # noqa: ANN001 - a TransitionDef
    """The files of the action's «…_evidence_id» fields (the request size is capped by MAX_CONTENT_LENGTH)."""
    files = {}
    for spec in transition.fields:
        posted = request.files.get(spec.name) if spec.name.endswith(FILE_FIELD_SUFFIX) else None
        if posted is not None and posted.filename:
            files[spec.name] = (posted.filename, posted.read())
    return files


def _flash_fired(definition: WorkflowDefinition, label: str, result) -> None:  # noqa: ANN001 - FiredTransition
    message = f"Выполнено: «{label}». Состояние: {definition.state_label(result.to_state)}."
    if result.documents:
        message += " Сформированы документы: " + "; ".join(
            f"«{d['title']}» ({d['file_name']})" for d in result.documents) + "."
    flash(message, "success")
    for warning in result.warnings:
        flash(f"Предупреждение: {warning}", "warning")


# --- Editing the text ---------------------------------------------------------------------------

@bp.route("/<int:artefact_id>/sections", methods=["GET", "POST"])
@login_required
def sections_edit(artefact_id: int):
    rt = runtime()
    data = _service(artefact_service.show_artefact, rt, artefact_id, current_user.id)
    definition = rt.definition(data["kind"])
    if not definition.create_roles & _roles_in(data["organisation"]["id"]):
        abort(403, "У вас нет права редактировать этот документ")
    if request.method == "GET":
        if data["state"] not in definition.editable_states:
            flash(f"Текст можно менять только в состоянии «{definition.state_label(definition.initial)}»; "
                  f"сейчас документ в состоянии «{data['state_label']}».", "warning")
            return redirect(url_for("artefacts.show", artefact_id=artefact_id))
        text = sections_as_text(SimpleNamespace(**s) for s in data["sections"])
        return _sections_page(data, text, data["version"])[0]
    text, version = request.form.get("text", ""), _version_from(request.form)
    try:
        artefact_service.set_sections(rt, artefact_id, current_user.id, text, version=version)
    except (Unprocessable, Conflict) as failure:
        # The person's text stays in the form; a stale version stays stale, so nothing is overwritten.
        return _sections_page(data, text, version, failure.status, error=failure.message,
                              conflict=failure.status == 409)
    except ServiceError as failure:
        abort_for(failure)
    flash("Текст сохранён.", "success")
    return redirect(url_for("artefacts.show", artefact_id=artefact_id) + "#text")


# --- The text from Word -----------------------------------------------------------------------------

ACT_TEXT = "act-text"


def _text_editing(artefact_id: int) -> dict[str, Any] | None:
    """The act if the person may change its text now; None (with a flash) past the draft; 403 otherwise."""
    data = _service(artefact_service.show_artefact, runtime(), artefact_id, current_user.id)
    definition = runtime().definition(data["kind"])
    if not definition.create_roles & _roles_in(data["organisation"]["id"]):
        abort(403, "У вас нет права редактировать этот документ")
    if data["state"] not in definition.editable_states:
        flash(f"Текст можно менять только в состоянии «{definition.state_label(definition.initial)}»; "
              f"сейчас документ в состоянии «{data['state_label']}».", "warning")
        return None
    return data


def _sections_page(data: dict[str, Any], text: str, version: int, status: int = 200, **problems):  # noqa: ANN003
    return render_template("sections_edit.html", artefact=data, text=text, version=version,
                           accept=", ".join(TEXT_FILE_TYPES), **{"error": None, "upload_error": None, **problems}), status


@bp.post("/<int:artefact_id>/sections/upload")
@login_required
def sections_upload(artefact_id: int):
    """«Загрузить из Word»: the sections read from the file, shown before anything is stored."""
    data = _text_editing(artefact_id)
    if data is None:
        return redirect(url_for("artefacts.show", artefact_id=artefact_id))
    upload = request.files.get("file")
    current = sections_as_text(SimpleNamespace(**s) for s in data["sections"])
    if upload is None or not upload.filename:
        return _sections_page(data, current, data["version"], 422, upload_error="Выберите файл Word (.docx) или .txt")
    content = upload.read(MAX_FILE_BYTES + 1)
    file_name = safe_file_name(upload.filename)
    try:
        preview = artefact_service.preview_sections_file(runtime(), artefact_id, current_user.id, content, file_name)
    except Unprocessable as error:
        return _sections_page(data, current, data["version"], 422, upload_error=error.message)
    except ServiceError as error:
        abort_for(error)
    return render_template("sections_import_preview.html", artefact=data, preview=preview,
                           **carried(ACT_TEXT, artefact_id, content, file_name))


@bp.post("/<int:artefact_id>/sections/upload/save")
@login_required
def sections_upload_save(artefact_id: int):
    """«Сохранить текст»: the file of the preview, read again and stored as the act's text."""
    accept_large_form()
    data = _text_editing(artefact_id)
    if data is None:
        return redirect(url_for("artefacts.show", artefact_id=artefact_id))
    current = sections_as_text(SimpleNamespace(**s) for s in data["sections"])
    returned = returned_file(ACT_TEXT, artefact_id)
    if returned is None:
        return _sections_page(data, current, data["version"], 422, upload_error=CHANGED)
    content, file_name = returned
    try:
        artefact_service.set_sections_from_file(runtime(), artefact_id, current_user.id, content, file_name,
                                                version=_version_from(request.form))
    except (Unprocessable, Conflict) as failure:
        return _sections_page(data, current, data["version"], failure.status, upload_error=failure.message)
    except ServiceError as failure:
        abort_for(failure)
    flash(f"Текст загружен из «{file_name}».", "success")
    return redirect(url_for("artefacts.show", artefact_id=artefact_id) + "#text")


csrf.exempt("vsoko_flow.web.artefacts.sections_upload_save")


# --- The list ---------------------------------------------------------------------------------------

def _filters() -> dict[str, str]:
    names = ("kind", "state", "school_year", "q")
    return {name: request.args.get(name, "").strip()[:200] for name in names if request.args.get(name, "").strip()}


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


def _creatable_kinds(organisation_id: int) -> list[WorkflowDefinition]:
    roles = _roles_in(organisation_id)
    return [d for d in runtime().definitions.values() if d.create_roles & roles and not d.created_with_parent]


@bp.get("/")
@login_required
def index():
    rt = runtime()
    organisation_id = current_organisation_id()
    filters = _filters()
    page = _page_number()
    listing = _service(artefact_service.list_artefacts, rt, current_user.id, organisation_id=organisation_id,
                       kind=filters.get("kind"), state=filters.get("state"), school_year=filters.get("school_year"),
                       text=filters.get("q"), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    total = listing["total"]
    pages = max(1, math.ceil(total / PAGE_SIZE))
    definitions = rt.definitions
    return render_template(
        "artefacts_list.html", items=listing["items"], total=total, page=page, pages=pages, filters=filters,
        first=(page - 1) * PAGE_SIZE + 1 if listing["items"] else 0, last=(page - 1) * PAGE_SIZE + len(listing["items"]),
        definitions=definitions, kind_states=_kind_states(definitions, filters.get("kind")),
        school_years=_service(task_service.school_years, rt, current_user.id, organisation_id),
        creatable=_creatable_kinds(organisation_id))


def _kind_states(definitions: dict[str, WorkflowDefinition], kind: str | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """States for the filter, grouped by kind (only the chosen kind's when one is chosen)."""
    chosen = [definitions[kind]] if kind in definitions else list(definitions.values())
    return [(d.title, [(name, state.label) for name, state in d.states.items()]) for d in chosen]


# --- A new draft --------------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    rt = runtime()
    organisation_id = current_organisation_id()
    kinds = _creatable_kinds(organisation_id)
    if not kinds:
        abort(403, "У вас нет права создавать документы в этой организации")
    chosen = request.values.get("kind") or (kinds[0].kind if len(kinds) == 1 else "")
    definition = next((d for d in kinds if d.kind == chosen), None)
    if definition is None:
        return render_template("artefact_new.html", kinds=kinds, definition=None)
    shape = kind_shape(definition)
    this_year = artefact_service.current_school_year(school_today(runtime().settings.timezone))
    form = {"title": "", "school_year": this_year,
            "supersedes_id": request.args.get("supersedes", "") if shape["editions"] else "", "sections_text": ""}
    act_types = _service(act_type_service.list_act_types, rt, organisation_id) if shape["act_types"] else []
    # The nomenclature's first type (the Положение о ВСОКО) unless another is chosen: an act is what it is,
    # not what it is titled.
    form["act_type"] = str(act_types[0].id) if act_types else ""
    values, errors, message, status = None, {}, None, 200
    if request.method == "POST":
        form = {name: request.form.get(name, "").strip() for name in form}
        form["sections_text"] = request.form.get("sections_text", "") if shape["text"] else ""
        if not shape["editions"]:
            form["supersedes_id"] = ""  # a plan or a meeting has no editions to replace
        if not shape["act_types"] or form["supersedes_id"]:
            form["act_type"] = ""  # a new edition is of the type of the one it replaces
        values = submitted_fields(definition.fields, request.form)
        try:
            artefact_id = _create(rt, organisation_id, definition, form, values)
        except Unprocessable as error:
            details = error.details if isinstance(error.details, dict) else {}
            errors, message, status = dict(details.get("fields") or {}), error.message, 422
        except ServiceError as error:
            abort_for(error)
        else:
            flash(_created_message(shape, bool(form["sections_text"].strip() or form["supersedes_id"])), "success")
            return redirect(url_for("artefacts.show", artefact_id=artefact_id))
    editions = (_service(task_service.in_force_editions, rt, current_user.id, organisation_id, definition.kind)
                if shape["editions"] else [])
    return render_template(
        "artefact_new.html", kinds=kinds, definition=definition, form=form, editions=editions, errors=errors,
        message=message, shape=shape, act_types=act_types,
        fields=form_fields(definition.fields, "f", [], values=values, errors=errors)), status


def _created_message(shape: dict[str, bool], has_text: bool) -> str:
    if shape["table"]:
        return "Проект создан. Импортируйте таблицу из файла Word, Excel или CSV или добавьте пункты вручную."
    if shape["text"] and not has_text:
        return "Проект создан. Добавьте текст: «Изменить текст» — вписать или загрузить из Word (.docx)."
    return "Проект создан. Проверьте текст и направьте его дальше."


def kind_shape(definition: WorkflowDefinition) -> dict[str, bool]:
    """What the «Новый документ» form of a kind shows, read from its workflow file: a text in numbered
    sections (a rule asks for it), a table of rows (it has columns), editions that replace each other
    (an action supersedes the previous one)."""
    rules = {step.name for t in definition.transitions.values() for step in t.rules}
    actions = {step.name for t in definition.transitions.values() for step in t.actions}
    return {"text": "has_sections" in rules and not definition.columns, "table": bool(definition.columns),
            "editions": "supersede_previous" in actions, "act_types": uses_act_types(definition)}


def _create(rt, organisation_id: int, definition: WorkflowDefinition, form: dict[str, str],  # noqa: ANN001
            values: dict[str, Any]) -> int:
    problems = {}
    match = _SCHOOL_YEAR.match(form["school_year"])
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        problems["school_year"] = "Учебный год указывается как 2025/2026"
    if form["supersedes_id"] and not form["supersedes_id"].isdigit():
        problems["supersedes_id"] = "Выберите действующую редакцию из списка"
    if form.get("act_type") and not form["act_type"].isdigit():
        problems["act_type"] = "Выберите вид акта из номенклатуры"
    if len(form["title"]) > 1000:
        problems["title"] = "Название не длиннее 1000 символов"
    if problems:
        raise Unprocessable("Проверьте заполнение полей", details={"fields": problems})
    return artefact_service.create_artefact(
        rt, current_user.id, organisation_id, definition.kind, title=form["title"] or None,
        school_year=form["school_year"],
        fields={**values, **({"act_type": int(form["act_type"])} if form.get("act_type") else {})},
        supersedes_id=int(form["supersedes_id"]) if form["supersedes_id"] else None,
        sections_text=form["sections_text"] if form["sections_text"].strip() else None)


# --- Comparing editions ---------------------------------------------------------------------------------

@bp.get("/<int:artefact_id>/compare/<int:other_id>")
@login_required
def compare(artefact_id: int, other_id: int):
    result = _service(compare_editions, runtime(), artefact_id, other_id, current_user.id)
    return render_template("compare.html", new=result["new"], old=result["old"], diff=result["diff"])
