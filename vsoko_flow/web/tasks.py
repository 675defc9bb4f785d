"""«Мои задачи»: the start page — what waits for the user's action, grouped by deadline, and their deadlines."""
from __future__ import annotations

import re

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from ..services import tasks as task_service
from ..services.artefacts import current_school_year
from ..services.clock import school_today
from ..services.errors import ServiceError
from .session import abort_for, current_organisation_id, runtime

bp = Blueprint("tasks", __name__)

_YEAR = re.compile(r"^\d{4}/\d{4}$")
_TRIGGER = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
_GROUPS = {key for key, _ in task_service.GROUPS}
MAX_PAGE = 10_000


def _filters() -> task_service.TaskFilter:
    """The filter from the query string; a value the form could not have sent is ignored, not an error."""
    args = request.args
    year = args.get("year", "").strip()
    document = args.get("document", "").strip()
    action = args.get("action", "").strip()
    group = args.get("group", "").strip()
    page = args.get("page", "").strip()
    return task_service.TaskFilter(
        school_year=year if _YEAR.match(year) else "",
        document_id=int(document) if document.isdigit() and 0 < int(document) < 2**31 else None,
        action=action if _TRIGGER.match(action) else "",
        group=group if group in _GROUPS else "",
        page=int(page) if page.isdigit() and 0 < int(page) <= MAX_PAGE else 1)


def _year_options(today) -> list[str]:  # noqa: ANN001 - a date
    """This school year, the previous two and the next one (a plan drafted in spring)."""
    first = int(current_school_year(today)[:4])
    return [f"{year}/{year + 1}" for year in range(first + 1, first - 3, -1)]


@bp.get("/")
@login_required
def index():
    rt = runtime()
    today = school_today(rt.settings.timezone)
    filters = _filters()
    try:
        tasks = task_service.my_tasks(rt, current_user.id, current_organisation_id(), today=today, filters=filters)
    except ServiceError as error:
        abort_for(error)
    query = {key: value for key, value in (("year", filters.school_year), ("document", filters.document_id),
                                           ("action", filters.action)) if value}
    return render_template("tasks.html", **tasks, years=_year_options(today), query=query,
                           filtered=bool(query))
