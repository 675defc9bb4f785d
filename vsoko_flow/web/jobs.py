"""A background job's page: its progress while it runs, its result when it is done."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..services.errors import ServiceError
from ..services.jobs import job_for
from .session import abort_for, runtime

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

# While a job runs its page reloads itself (no JavaScript needed) this often, in seconds.
REFRESH_SECONDS = 2


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int):
    try:
        job = job_for(runtime(), current_user.id, job_id)
    except ServiceError as error:
        abort_for(error)
    running = job.state in ("queued", "running")
    return render_template("job.html", job=job, refresh=REFRESH_SECONDS if running else None)
