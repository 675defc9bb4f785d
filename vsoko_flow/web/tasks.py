"""«Мои задачи»: the start page — what waits for the user's action, and their deadlines."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..services import tasks as task_service
from ..services.errors import ServiceError
from .session import abort_for, current_organisation_id, runtime

bp = Blueprint("tasks", __name__)


@bp.get("/")
@login_required
def index():
    try:
        tasks = task_service.my_tasks(runtime(), current_user.id, current_organisation_id())
    except ServiceError as error:
        abort_for(error)
    return render_template("tasks.html", **tasks)
