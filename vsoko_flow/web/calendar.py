"""The .ics feed of a person's deadlines: a public address with a secret token, for calendar apps
(they cannot sign in). The token changes with the password, so an old address stops working."""
from __future__ import annotations


from flask import Blueprint, Response, url_for
from flask_login import current_user

from ..services.errors import ServiceError
from ..services.reminders import calendar_feed, calendar_token
from ..services.clock import school_today
from .extensions import limiter
from .session import abort_for, runtime

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


@bp.get("/<int:user_id>/<token>.ics")
@limiter.limit("60 per minute")
def feed(user_id: int, token: str):
    try:
        body = calendar_feed(runtime(), user_id, token, school_today(runtime().settings.timezone))
    except ServiceError as error:
        abort_for(error)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="vsoko.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.app_context_processor
def _calendar_link() -> dict:
    def calendar_feed_url() -> str:
        """The signed-in person's feed address (absolute: calendar apps fetch it themselves)."""
        if not current_user.is_authenticated:
            return ""
        return url_for("calendar.feed", user_id=current_user.id, token=calendar_token(runtime(), current_user),
                       _external=True)

    return {"calendar_feed_url": calendar_feed_url}
