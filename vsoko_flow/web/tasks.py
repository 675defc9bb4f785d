"""«Мои задачи»: the start page."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..services import artefacts as artefact_service
from .session import current_organisation_id, runtime

bp = Blueprint("tasks", __name__)


@bp.get("/")
@login_required
def index():
    listing = artefact_service.list_artefacts(runtime(), current_user.id, organisation_id=current_organisation_id(),
                                              limit=50)
    actionable = [item for item in listing["items"] if item.get("available_transitions")]
    return render_template("tasks.html", actionable=actionable)
