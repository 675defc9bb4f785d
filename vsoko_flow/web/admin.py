"""Administration of an organisation: requisites, journals, people, templates.

Every page needs the role «admin» in the organisation the user works in now, and everything
is scoped to that organisation: another organisation's user, journal or template version is
a 404. The pages are a thin shell over `services.admin` and `services.template_upload`.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from ..documents.russian import lower_first
from ..models import COUNCIL_GRIFS, JOURNAL_PERIODS, ROLES
from ..services import act_types as act_type_service
from ..services import admin as admin_service
from ..services import template_upload as templates_service
from ..services.errors import NotFound, ServiceError
from .session import abort_for, current_organisation_id, current_roles, runtime, send_download

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _only_administrators():
    """One gate for every route of the blueprint: no page can forget it."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if "admin" not in current_roles():
        abort(403, "Раздел «Администрирование» доступен только администратору организации")
    return None


# --------------------------------------------------------------------------- forms


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):  # the service names unknown roles itself
        pass


class RequisitesForm(FlaskForm):
    full_name = TextAreaField("Полное наименование")
    short_name = StringField("Сокращённое наименование")
    address = TextAreaField("Адрес")
    city = StringField("Место составления документов")
    phone = StringField("Телефон")
    email = StringField("Электронная почта")
    uses_start_step = BooleanField("Исполнители отмечают «Взять в работу» перед отчётом")


class JournalForm(FlaskForm):
    code = StringField("Код журнала")
    title = StringField("Название")
    mask = StringField("Маска номера")
    period = SelectField("Нумерация начинается заново",
                         choices=[SelectChoice(p, admin_service.PERIOD_LABELS[p]) for p in JOURNAL_PERIODS],
                         validate_choice=False)


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in ROLES.items()]


def _gender_choices() -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in admin_service.GENDERS.items()]


class AddMemberForm(FlaskForm):
    login = StringField("Логин")
    last_name = StringField("Фамилия")
    first_name = StringField("Имя")
    middle_name = StringField("Отчество")
    gender = RadioField("Пол", choices=_gender_choices(), default="f", validate_choice=False)
    email = StringField("Электронная почта")
    roles = MultiCheckboxField("Роли в организации", choices=_role_choices())
    position = StringField("Должность")


class MemberForm(FlaskForm):
    last_name = StringField("Фамилия")
    first_name = StringField("Имя")
    middle_name = StringField("Отчество")
    gender = RadioField("Пол", choices=_gender_choices(), validate_choice=False)
    email = StringField("Электронная почта")
    roles = MultiCheckboxField("Роли в организации", choices=_role_choices())
    position = StringField("Должность (именительный падеж)")
    position_gent = StringField(admin_service.POSITION_CASES["gent"][0])
    position_datv = StringField(admin_service.POSITION_CASES["datv"][0])
    position_accs = StringField(admin_service.POSITION_CASES["accs"][0])
    position_ablt = StringField(admin_service.POSITION_CASES["ablt"][0])
    cert_serial = StringField("Серийный номер сертификата")
    cert_owner = StringField("Владелец сертификата")
    cert_valid_from = StringField("Действителен с")
    cert_valid_to = StringField("Действителен по")


class ActTypeForm(FlaskForm):
    name = StringField("Вид акта")
    council_grif = SelectField("Педагогический совет", choices=[SelectChoice(k, v) for k, v in COUNCIL_GRIFS.items()],
                               validate_choice=False)


class UploadForm(FlaskForm):
    file = FileField("Файл шаблона (.docx, не более 2 МБ)")


# --------------------------------------------------------------------------- helpers


def _org() -> int:
    return current_organisation_id()


def _show_errors(form: FlaskForm, error: ServiceError) -> None:
    """Put a service's field messages next to the fields; anything else goes to the top of the page."""
    fields = error.details.get("fields") if isinstance(error.details, dict) else None
    placed = set()
    for name, message in (fields or {}).items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]
            placed.add(message)
    if error.message not in placed:
        flash(error.message, "error")


def _service(call, *args, **kwargs):
    """Run a read use case; a missing or foreign object becomes a 404 with its Russian message."""
    try:
        return call(*args, **kwargs)
    except ServiceError as error:
        abort_for(error)


def _docx_response(data: bytes, file_name: str):
    return send_download(data, file_name, templates_service.DOCX_MIME, "template")


def _no_store(response):
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- overview and requisites


@bp.get("/")
def index():
    rt = runtime()
    return render_template("admin_index.html", organisation=admin_service.organisation_view(rt, _org()),
                           missing=admin_service.missing_journals(rt, _org()))


@bp.route("/organisation", methods=["GET", "POST"])
def organisation():
    rt = runtime()
    view = admin_service.organisation_view(rt, _org())
    form = RequisitesForm(obj=view)
    status = 200
    if form.validate_on_submit():
        try:
            admin_service.update_requisites(rt, _org(), full_name=form.full_name.data, short_name=form.short_name.data,
                                            address=form.address.data, city=form.city.data,
                                            uses_start_step=form.uses_start_step.data,
                                            phone=form.phone.data or "", email=form.email.data or "")
        except ServiceError as error:
            _show_errors(form, error)
            status = 422
        else:
            flash("Реквизиты организации сохранены. Они будут напечатаны в новых документах.", "success")
            return redirect(url_for("admin.organisation"), 303)
    return render_template("admin_organisation.html", form=form, organisation=view), status


# --------------------------------------------------------------------------- journals


@bp.route("/journals", methods=["GET", "POST"])
def journals():
    rt = runtime()
    form = JournalForm()
    status = 200
    if request.method == "GET":
        form.mask.data = form.mask.data or "{n}"
    if form.validate_on_submit():
        try:
            created = admin_service.create_journal(rt, _org(), code=form.code.data, title=form.title.data,
                                                   mask=form.mask.data, period=form.period.data)
        except ServiceError as error:
            _show_errors(form, error)
            status = 422
        else:
            flash(f"Журнал «{created.title}» добавлен. Следующий номер: {created.next_number}", "success")
            return redirect(url_for("admin.journals"), 303)
    return render_template("admin_journals.html", journals=admin_service.list_journals(rt, _org()), form=form,
                           missing=admin_service.missing_journals(rt, _org())), status


@bp.route("/journals/<int:journal_id>", methods=["GET", "POST"])
def journal(journal_id: int):
    rt = runtime()
    view = _service(admin_service.get_journal, rt, _org(), journal_id)
    form = JournalForm(obj=view)
    status = 200
    if form.validate_on_submit():
        try:
            saved = admin_service.update_journal(rt, _org(), journal_id, title=form.title.data, mask=form.mask.data,
                                                 period=form.period.data)
        except ServiceError as error:
            _show_errors(form, error)
            status = 422
        else:
            flash(f"Журнал сохранён. Следующий номер будет таким: {saved.next_number}", "success")
            return redirect(url_for("admin.journal", journal_id=journal_id), 303)
    return render_template("admin_journal.html", journal=view, form=form), status


# --------------------------------------------------------------------------- nomenclature of local acts


@bp.route("/act-types", methods=["GET", "POST"])
def act_types():
    """The school's номенклатура ЛНА: one edition in force per type; the council's part prints the grif."""
    rt = runtime()
    form = ActTypeForm()
    status = 200
    if form.validate_on_submit():
        editing = request.form.get("act_type_id", "")
        try:
            if editing:
                saved = act_type_service.update_act_type(rt, _org(), editing, name=form.name.data,
                                                         council_grif=form.council_grif.data)
            else:
                saved = act_type_service.add_act_type(rt, _org(), name=form.name.data,
                                                      council_grif=form.council_grif.data)
        except ServiceError as error:
            if error.status == 404:
                abort_for(error)
            _show_errors(form, error)
            status = 422
        else:
            flash(f"Вид акта «{saved.name}» {'сохранён' if editing else 'добавлен в номенклатуру'}.", "success")
            return redirect(url_for("admin.act_types"), 303)
    return render_template("admin_act_types.html", act_types=act_type_service.list_act_types(rt, _org()), form=form,
                           grifs=COUNCIL_GRIFS), status


# --------------------------------------------------------------------------- people


@bp.get("/users")
def users():
    return render_template("admin_users.html", members=admin_service.list_members(runtime(), _org()))


@bp.route("/users/new", methods=["GET", "POST"])
def add_user():
    rt = runtime()
    form = AddMemberForm()
    status = 200
    if form.validate_on_submit():
        try:
            added = admin_service.add_member(
                rt, _org(), login=form.login.data, last_name=form.last_name.data, first_name=form.first_name.data,
                middle_name=form.middle_name.data, gender=form.gender.data, email=form.email.data,
                roles=form.roles.data, position=form.position.data)
        except ServiceError as error:
            _show_errors(form, error)
            status = 422
        else:
            # Rendered, not redirected: the temporary password is shown exactly once and never kept.
            member = added.member
            message = (f"Пользователь {member.full_name} создан и добавлен в организацию." if added.created else
                       f"Пользователь {member.full_name} ({member.login}) добавлен в организацию.")
            if member.position:
                message += " Проверьте падежные формы должности ниже — они заполнены автоматически."
            flash(message, "success")
            return _no_store(render_template("admin_user.html", member=member, form=_member_form(member),
                                             password=added.temporary_password, **_member_page_extras(member)))
    return render_template("admin_user_new.html", form=form), status


def _member_form(member: admin_service.MemberView, formdata=None) -> MemberForm:
    form = MemberForm(formdata=formdata, obj=member)
    if formdata is None:
        form.cert_valid_from.data = member.cert_valid_from.isoformat() if member.cert_valid_from else ""
        form.cert_valid_to.data = member.cert_valid_to.isoformat() if member.cert_valid_to else ""
    return form


def _member_page_extras(member: admin_service.MemberView) -> dict:
    examples = {case: f"{phrase} {lower_first(member.position_form(case))}".strip() if member.position_form(case)
                else phrase for case, (_name, _question, phrase) in admin_service.POSITION_CASES.items()}
    return {"cases": admin_service.POSITION_CASES, "examples": examples, "role_names": ROLES}


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int):
    rt = runtime()
    member = _service(admin_service.get_member, rt, _org(), user_id)
    if request.method == "GET":
        return render_template("admin_user.html", member=member, form=_member_form(member), password=None,
                               **_member_page_extras(member))
    form = _member_form(member, formdata=request.form)
    status = 200
    if form.validate_on_submit():
        refill = "refill" in request.form
        forms = {} if refill else {case: getattr(form, f"position_{case}").data
                                   for case in admin_service.POSITION_CASES}
        person = {"gender": form.gender.data, "last_name": form.last_name.data, "first_name": form.first_name.data,
                  "middle_name": form.middle_name.data, "email": form.email.data} if member.owns_account else {}
        try:
            updated = admin_service.update_member(
                rt, _org(), user_id, actor_id=current_user.id, roles=form.roles.data, position=form.position.data,
                forms=forms, cert_serial=form.cert_serial.data, cert_owner=form.cert_owner.data,
                cert_valid_from=form.cert_valid_from.data, cert_valid_to=form.cert_valid_to.data, **person)
        except ServiceError as error:
            _show_errors(form, error)
            status = 422
        else:
            if updated.prefilled:
                names = ", ".join(admin_service.POSITION_CASES[c][0].lower() for c in updated.prefilled)
                flash(f"Сохранено. Падежные формы должности заполнены автоматически ({names}) — проверьте их "
                      "и при необходимости исправьте.", "warning")
            else:
                flash("Сохранено.", "success")
            return redirect(url_for("admin.user", user_id=user_id), 303)
    else:
        status = 422
    return render_template("admin_user.html", member=member, form=form, password=None,
                           **_member_page_extras(member)), status


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int):
    member = _service(admin_service.get_member, runtime(), _org(), user_id)
    try:
        outcome = admin_service.deactivate_member(runtime(), _org(), user_id, actor_id=current_user.id)
    except ServiceError as error:
        if error.status == 404:
            abort_for(error)
        flash(error.message, "error")
        return redirect(url_for("admin.user", user_id=user_id), 303)
    if outcome == "removed":
        flash(f"{member.full_name} исключён(а) из организации; учётная запись и другие организации сохранены.",
              "success")
        return redirect(url_for("admin.users"), 303)
    flash(f"Учётная запись {member.full_name} отключена: войти в систему больше нельзя. Документы и история "
          "сохранены.", "success")
    return redirect(url_for("admin.user", user_id=user_id), 303)


@bp.post("/users/<int:user_id>/activate")
def activate_user(user_id: int):
    try:
        member = admin_service.activate_member(runtime(), _org(), user_id)
    except ServiceError as error:
        if error.status == 404:
            abort_for(error)
        flash(error.message, "error")
    else:
        flash(f"Учётная запись {member.full_name} снова включена.", "success")
    return redirect(url_for("admin.user", user_id=user_id), 303)


@bp.post("/users/<int:user_id>/sessions")
def end_sessions(user_id: int):
    member = _service(admin_service.end_member_sessions, runtime(), _org(), user_id)
    flash(f"Все сеансы {member.full_name} завершены: чтобы продолжить работу, нужно войти заново.", "success")
    return redirect(url_for("admin.user", user_id=user_id), 303)


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    rt = runtime()
    member = _service(admin_service.get_member, rt, _org(), user_id)
    try:
        password = admin_service.reset_password(rt, _org(), user_id, actor_id=current_user.id)
    except ServiceError as error:
        if error.status == 404:
            abort_for(error)
        flash(error.message, "error")
        return redirect(url_for("admin.user", user_id=user_id), 303)
    flash("Пароль сброшен: прежние сеансы пользователя завершены.", "success")
    return _no_store(render_template("admin_user.html", member=member, form=_member_form(member), password=password,
                                     **_member_page_extras(member)))


# --------------------------------------------------------------------------- templates


@bp.get("/templates")
def templates():
    return render_template("admin_templates.html", templates=templates_service.list_templates(runtime(), _org()))


def _template_page(name: str, form: UploadForm, refusal: str | None = None, status: int = 200):
    rt = runtime()
    info = _service(templates_service.template_info, rt, _org(), name)
    return render_template("admin_template.html", info=info, form=form, refusal=refusal,
                           notes=templates_service.variable_notes(rt, name),
                           max_mb=templates_service.MAX_TEMPLATE_BYTES // (1024 * 1024)), status


@bp.route("/templates/<name>", methods=["GET", "POST"])
def template(name: str):
    form = UploadForm()
    if not form.validate_on_submit():
        return _template_page(name, form)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        return _template_page(name, form, "Выберите файл шаблона (.docx)", 422)
    # Read one byte past the limit: enough to know the file is too big, never the whole of it.
    try:
        data = upload.stream.read(templates_service.MAX_TEMPLATE_BYTES + 1)
    finally:
        upload.close()  # a large upload is spooled to a temporary file: release it now
    try:
        version = templates_service.upload_template(runtime(), _org(), current_user.id, name, data,
                                                    upload.filename or "")
    except ServiceError as error:
        if isinstance(error, NotFound):
            abort_for(error)
        current_app.logger.info("template upload refused", extra={"template": name, "reason": error.message})
        return _template_page(name, form, error.message, 422)
    flash("Шаблон прошёл проверку. Посмотрите результат тестовой отрисовки и примите шаблон, чтобы он "
          "применялся к новым документам.", "success")
    return redirect(url_for("admin.template_version", name=name, version_id=version.id), 303)


@bp.get("/templates/<name>/shipped.docx")
def shipped_template(name: str):
    data, file_name = _service(templates_service.shipped_content, runtime(), name)
    return _docx_response(data, file_name)


@bp.get("/templates/<name>/versions/<int:version_id>")
def template_version(name: str, version_id: int):
    rt = runtime()
    version = _service(templates_service.get_version, rt, _org(), name, version_id)
    info = _service(templates_service.template_info, rt, _org(), name)
    refusal, lines = None, []
    try:
        lines = templates_service.preview_version(rt, _org(), name, version_id)
    except ServiceError as error:
        if isinstance(error, NotFound):
            abort_for(error)
        refusal = error.message
    return render_template("admin_template_version.html", info=info, version=version, lines=lines, refusal=refusal)


@bp.get("/templates/<name>/versions/<int:version_id>/check.docx")
def template_test_render(name: str, version_id: int):
    data, file_name = _service(templates_service.render_version, runtime(), _org(), name, version_id)
    return _docx_response(data, file_name)


@bp.get("/templates/<name>/versions/<int:version_id>/file.docx")
def template_file(name: str, version_id: int):
    data, file_name = _service(templates_service.version_content, runtime(), _org(), name, version_id)
    return _docx_response(data, file_name)


@bp.post("/templates/<name>/versions/<int:version_id>/accept")
def accept_template(name: str, version_id: int):
    try:
        version = templates_service.accept_version(runtime(), _org(), name, version_id)
    except ServiceError as error:
        if isinstance(error, NotFound):
            abort_for(error)
        flash(error.message, "error")
        return redirect(url_for("admin.template_version", name=name, version_id=version_id), 303)
    flash(f"Версия {version.version} принята: новые документы будут формироваться по ней.", "success")
    return redirect(url_for("admin.template", name=name), 303)


@bp.post("/templates/<name>/versions/<int:version_id>/delete")
def delete_template(name: str, version_id: int):
    try:
        templates_service.delete_version(runtime(), _org(), name, version_id)
    except ServiceError as error:
        if isinstance(error, NotFound):
            abort_for(error)
        flash(error.message, "error")
        return redirect(url_for("admin.template_version", name=name, version_id=version_id), 303)
    flash("Версия удалена.", "success")
    return redirect(url_for("admin.template", name=name), 303)


@bp.post("/templates/<name>/revert")
def revert_template(name: str):
    count = _service(templates_service.revert_to_shipped, runtime(), _org(), name)
    flash("Новые документы снова формируются по поставляемому шаблону." if count else
          "Собственная версия не действовала: используется поставляемый шаблон.", "success")
    return redirect(url_for("admin.template", name=name), 303)
