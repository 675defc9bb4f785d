"""Administration: who acts for the director, and when («И.о. директора с … по …, приказ от … № …»).

Gated like every administration page (the role «admin» in the organisation worked in now); a thin
shell over `services.acting`."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField

from ..services import acting as acting_service
from ..services import tasks as task_service
from ..services.errors import ServiceError
from .admin import _only_administrators, _show_errors
from .session import abort_for, current_organisation_id, runtime

bp = Blueprint("acting", __name__, url_prefix="/admin/acting")


# The same gate as the rest of «Администрирование».
bp.before_request(_only_administrators)


class ActingForm(FlaskForm):
    login = SelectField("Кто исполняет обязанности директора", validate_choice=False)
    starts_on = StringField("С (первый день)")
    ends_on = StringField("По (последний день)")
    order_date = StringField("Дата приказа о возложении обязанностей")
    order_number = StringField("Номер приказа")


def _form() -> ActingForm:
    form = ActingForm()
    members = task_service.organisation_members(runtime(), current_user.id, current_organisation_id())
    form.login.choices = [SelectChoice("", "— выберите сотрудника —")] + [
        SelectChoice(m["login"], m["label"]) for m in members if "director" not in m["roles"]]
    return form


@bp.route("/", methods=["GET", "POST"])
def index():
    rt, organisation_id = runtime(), current_organisation_id()
    form = _form()
    status = 200
    if form.validate_on_submit():
        try:
            recorded = acting_service.record_acting(
                rt, current_user.id, organisation_id, login=form.login.data, starts_on=form.starts_on.data,
                ends_on=form.ends_on.data, order_date=form.order_date.data, order_number=form.order_number.data)
        except ServiceError as error:
            _show_errors(form, error)
            status = 422
        else:
            flash(f"Записано: {recorded.text}. В эти дни задачи директора — у исполняющего обязанности.", "success")
            return redirect(url_for("acting.index"), 303)
    try:
        periods = acting_service.list_acting(rt, current_user.id, organisation_id)
    except ServiceError as error:
        abort_for(error)
    return render_template("admin_acting.html", form=form, periods=periods), status


@bp.post("/<int:acting_id>/cancel")
def cancel(acting_id: int):
    try:
        cancelled = acting_service.cancel_acting(runtime(), current_user.id, current_organisation_id(), acting_id)
    except ServiceError as error:
        if error.status == 409:
            flash(error.message, "warning")
            return redirect(url_for("acting.index"), 303)
        abort_for(error)
    flash(f"Запись отменена: {cancelled.text}.", "success")
    return redirect(url_for("acting.index"), 303)
