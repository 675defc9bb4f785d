"""Creating and revoking one's own API tokens (the JSON API authenticates with them)."""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from ..services.api_tokens import MAX_TOKEN_NAME, create_token, list_tokens, revoke_own_token
from ..services.errors import ServiceError
from .session import abort_for, runtime

bp = Blueprint("tokens", __name__, url_prefix="/tokens")


class CreateTokenForm(FlaskForm):
    name = StringField("Название (для чего токен)", validators=[
        Length(max=MAX_TOKEN_NAME, message=f"Не длиннее {MAX_TOKEN_NAME} символов")])


def _page(form: CreateTokenForm, new_token: str | None = None, status: int = 200):
    response = make_response(render_template(
        "tokens.html", form=form, new_token=new_token,
        tokens=list_tokens(runtime(), current_user.id)), status)
    # The page may show a token value once: never keep it in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@login_required
def index():
    return _page(CreateTokenForm())


@bp.post("/")
@login_required
def create():
    form = CreateTokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        token = create_token(runtime(), current_user.id, form.name.data or "")
    except ServiceError as error:
        form.name.errors.append(error.message)
        return _page(form, status=error.status)
    return _page(CreateTokenForm(formdata=None), new_token=token)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    # CSRFProtect has already checked the form's token (a POST without it → 400).
    try:
        revoke_own_token(runtime(), current_user.id, token_id)
    except ServiceError as error:
        abort_for(error)
    flash("Токен отозван: запросы с ним больше не принимаются.", "success")
    return redirect(url_for("tokens.index"))
