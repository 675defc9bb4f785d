"""Signing in and out, changing the password, switching organisation."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..db import transaction
from ..models import Membership, Organisation, User
from ..services.users import (
    MIN_PASSWORD_LENGTH, check_password, set_password, sign_out_everywhere, spend_password_check_time,
)
from .extensions import limiter
from .login_limits import ADDRESS_LIMIT, LOGIN_LIMIT, login_bucket, remember_device
from .session import load_web_user, runtime

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    login = StringField("Логин", validators=[DataRequired("Введите логин"), Length(max=100)])
    password = PasswordField("Пароль", validators=[DataRequired("Введите пароль"), Length(max=500)])
    remember = BooleanField("Запомнить меня на 14 дней")


class PasswordForm(FlaskForm):
    current = PasswordField("Текущий пароль", validators=[DataRequired("Введите текущий пароль")])
    new = PasswordField("Новый пароль", validators=[
        DataRequired("Введите новый пароль"),
        Length(min=MIN_PASSWORD_LENGTH, max=500, message=f"Не короче {MIN_PASSWORD_LENGTH} символов")])
    repeat = PasswordField("Новый пароль ещё раз", validators=[EqualTo("new", "Пароли не совпадают")])


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("tasks.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(ADDRESS_LIMIT, methods=["POST"], error_message="Слишком много попыток входа с этого адреса")
@limiter.limit(LOGIN_LIMIT, key_func=login_bucket, methods=["POST"],
               error_message="Слишком много попыток входа для этого логина: подождите минуту")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("tasks.index"))
    form = LoginForm()
    if form.validate_on_submit():
        web_user = _authenticate(form.login.data.strip(), form.password.data)
        if web_user is not None:
            session.clear()
            login_user(web_user, remember=form.remember.data)
            return remember_device(redirect(_safe_next(request.args.get("next"))), web_user.login)
        form.password.errors.append("Неверный логин или пароль")
    return render_template("login.html", form=form)


def _authenticate(login_name: str, password: str):
    with transaction(runtime().sessions) as db:
        user = db.scalars(select(User).where(User.login == login_name)).first()
        if user is None or not user.is_active:
            spend_password_check_time(password)  # an unknown login takes as long as a wrong password
            return None
        if not check_password(user, password):
            return None
        memberships = db.scalars(select(Membership).join(Organisation).where(Membership.user_id == user.id)
                                 .order_by(Organisation.short_name)).all()
        return load_web_user(user, list(memberships))


@bp.post("/logout")
@login_required
def logout():
    # Not only this browser's cookies: a copied session or remember-me cookie dies too.
    sign_out_everywhere(runtime(), current_user.id)
    logout_user()
    session.clear()
    flash("Вы вышли из системы на всех устройствах.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        with transaction(runtime().sessions) as db:
            user = db.get(User, current_user.id)
            if not check_password(user, form.current.data):
                form.current.errors.append("Текущий пароль указан неверно")
                return render_template("password.html", form=form)
            set_password(user, form.new.data)
            memberships = db.scalars(select(Membership).where(Membership.user_id == user.id)).all()
            refreshed = load_web_user(user, list(memberships))
        # Every other session and remember-me cookie of this user is now invalid.
        logout_user()
        session.clear()
        login_user(refreshed)
        flash("Пароль изменён. Другие сеансы завершены.", "success")
        return redirect(url_for("tasks.index"))
    return render_template("password.html", form=form)


@bp.post("/organisation")
@login_required
def switch_organisation():
    chosen = request.form.get("organisation_id", type=int)
    if chosen in current_user.organisations:
        session["organisation_id"] = chosen
    return redirect(_safe_next(request.form.get("next")))
