"""Administration pages: only an organisation's administrator, only that organisation's data."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import sqlite3

import pytest
from sqlalchemy import func, select

from vsoko_flow.config import PROJECT_ROOT, Settings
from vsoko_flow.db import transaction
from vsoko_flow.engine.journals import period_key
from vsoko_flow.models import Journal, JournalCounter, Membership, Organisation, User
from vsoko_flow.services import admin as admin_service
from vsoko_flow.services.demo import load_demo
from vsoko_flow.services.organisations import add_journal, create_organisation
from vsoko_flow.services.runtime import Runtime
from vsoko_flow.services.users import add_membership, create_user

from .conftest import POSTGRES_URL
from .web_helpers import csrf_token, login, post_form

TODAY = dt.date.today()


@pytest.fixture(scope="session")
def demo_database(migrated_database, tmp_path_factory):
    """The demo school loaded once into a SQLite file; each test works on its own copy of it.

    load_demo takes a Положение through its whole life (documents rendered): seconds per test.
    On PostgreSQL every test loads it again (see `demo`).
    """
    if POSTGRES_URL:
        return None
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.sqlite3"
    shutil.copy(migrated_database, path)
    runtime = Runtime.create(Settings(database_url=f"sqlite:///{path}", instance_dir=folder / "instance",
                                      workflows_dir=PROJECT_ROOT / "workflows",
                                      templates_dir=PROJECT_ROOT / "document_templates",
                                      base_url="https://vsoko.example"))
    users = load_demo(runtime)
    runtime.close()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, ready to copy
    connection.close()
    return path, users


@pytest.fixture
def database_url(database_url, demo_database, tmp_path):
    """conftest's database, but on SQLite a copy of the file with the demo school already loaded."""
    if demo_database is None:
        return database_url
    path = tmp_path / "demo-copy.sqlite3"
    shutil.copy(demo_database[0], path)
    return f"sqlite:///{path}"


@pytest.fixture
def demo(rt, demo_database) -> dict[str, int]:
    """User ids by login of the demo school (`load_demo`)."""
    return dict(demo_database[1]) if demo_database else load_demo(rt)


@pytest.fixture
def school_id(rt, demo) -> int:
    with rt.sessions() as session:
        return session.scalar(select(Organisation.id).where(Organisation.short_name == "МБОУ СОШ № 29"))


@pytest.fixture
def admin(client, demo):
    """The demo director, who also has the role «admin» in the school."""
    login(client, "director")
    return client


@pytest.fixture
def other_school(rt, demo) -> dict[str, int]:
    """A second school with its own administrator, user and journal."""
    with transaction(rt.sessions) as session:
        school = create_organisation(session, "school", "Муниципальное бюджетное общеобразовательное учреждение "
                                     "гимназия № 2", "МБОУ гимназия № 2", city="г. Сургут")
        boss = create_user(session, "gym2_admin", "Белова", "Нина", "Петровна", "f", password="gym2-password-long")
        add_membership(session, boss, school, ["director", "admin"], "Директор")
        stranger = create_user(session, "gym2_teacher", "Зайцев", "Олег", "Ильич", "m")
        add_membership(session, stranger, school, ["executor"], "Учитель химии")
        journal = add_journal(session, school, "orders", "Приказы гимназии", mask="Г2-{n}")
        return {"id": school.id, "admin": boss.id, "teacher": stranger.id, "journal": journal.id}


def journal_id(rt, school_id: int, code: str) -> int:
    with rt.sessions() as session:
        return session.scalar(select(Journal.id).where(Journal.organisation_id == school_id, Journal.code == code))


def membership(rt, user_id: int, organisation_id: int) -> Membership:
    with rt.sessions() as session:
        return session.scalars(select(Membership).where(Membership.user_id == user_id,
                                                        Membership.organisation_id == organisation_id)).one()


def text(response) -> str:
    return response.get_data(as_text=True)


def field_value(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or \
        re.search(rf'value="([^"]*)"[^>]*name="{name}"', page)
    assert found, f"no field {name}"
    return found.group(1)


# --------------------------------------------------------------------------- who may enter


def admin_urls(app, rt, school_id: int, demo: dict[str, int]) -> list[tuple[str, str]]:
    """Every route of the blueprint with real ids of the school: (method, url)."""
    values = {"journal_id": journal_id(rt, school_id, "orders"), "user_id": demo["teacher"], "name": "polozhenie",
              "version_id": 1}
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = rule.build({k: values[k] for k in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, url))
    return urls


def test_the_blueprint_has_every_section(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")}
    assert {"admin.index", "admin.organisation", "admin.journals", "admin.journal", "admin.users", "admin.add_user",
            "admin.user", "admin.deactivate_user", "admin.templates", "admin.template", "admin.accept_template",
            "admin.revert_template"} <= endpoints


def test_a_deputy_without_admin_gets_403_on_every_admin_route(app, rt, client, demo, school_id):
    login(client, "deputy")
    token = csrf_token(client, "/")
    urls = admin_urls(app, rt, school_id, demo)
    assert len(urls) >= 20
    for method, url in urls:
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 403, (method, url, response.status_code)
        assert "только администратору организации" in text(response)
    assert "Администрирование" not in text(client.get("/"))


def test_without_login_every_admin_page_sends_to_the_login_page(app, rt, client, demo, school_id):
    for method, url in admin_urls(app, rt, school_id, demo):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_the_administrator_sees_the_menu_and_the_overview(admin):
    assert "Администрирование" in text(admin.get("/"))
    page = text(admin.get("/admin/"))
    assert "МБОУ СОШ № 29" in page
    assert "Соколова Марина Борисовна, Директор" in page  # the director, from the memberships
    for link in ("/admin/organisation", "/admin/journals", "/admin/users", "/admin/templates"):
        assert f'href="{link}"' in page


# --------------------------------------------------------------------------- requisites


def test_requisites_are_edited(rt, admin, school_id):
    response = post_form(admin, "/admin/organisation", {
        "full_name": "Муниципальное автономное общеобразовательное учреждение «Школа № 29 «Рога & Копыта»»",
        "short_name": "МАОУ «Школа № 29»", "address": "628400, г. Сургут, ул. Новая, д. 2", "city": "г. Сургут"})
    assert response.status_code == 303
    with rt.sessions() as session:
        organisation = session.get(Organisation, school_id)
        assert organisation.short_name == "МАОУ «Школа № 29»"
        assert organisation.full_name.endswith("«Рога & Копыта»»")
        assert organisation.address == "628400, г. Сургут, ул. Новая, д. 2"
    page = text(admin.get("/admin/organisation"))
    assert "Реквизиты организации сохранены" in page
    assert "Рога &amp; Копыта" in page  # escaped in the page, stored as typed


def test_phone_and_email_of_the_requisites_are_saved_and_a_wrong_email_is_refused(rt, admin, school_id):
    fields = {"full_name": "МБОУ СОШ № 29 полное", "short_name": "МБОУ СОШ № 29", "address": "628400, г. Сургут",
              "city": "г. Сургут", "phone": "8 (3462) 52-00-29", "email": "school29@surgut.example"}
    assert post_form(admin, "/admin/organisation", fields).status_code == 303
    page = text(admin.get("/admin/organisation"))
    assert "8 (3462) 52-00-29" in page and "school29@surgut.example" in page
    refused = post_form(admin, "/admin/organisation", {**fields, "phone": "111", "email": "не почта"})
    assert refused.status_code == 422
    assert "Электронная почта указана неверно" in text(refused)
    with rt.sessions() as session:
        organisation = session.get(Organisation, school_id)
        assert (organisation.phone, organisation.email) == ("8 (3462) 52-00-29", "school29@surgut.example")


def test_requisites_need_a_name_and_nothing_is_saved_otherwise(rt, admin, school_id):
    response = post_form(admin, "/admin/organisation", {"full_name": "  ", "short_name": "Другое имя", "address": "",
                                                        "city": ""})
    assert response.status_code == 422
    assert "Укажите полное наименование организации" in text(response)
    with rt.sessions() as session:
        assert session.get(Organisation, school_id).short_name == "МБОУ СОШ № 29"


def test_a_post_without_csrf_token_is_400_and_changes_nothing(rt, admin, school_id, demo):
    response = admin.post("/admin/organisation", data={"full_name": "Взлом", "short_name": "Взлом"})
    assert response.status_code == 400
    assert admin.post(f"/admin/users/{demo['teacher']}/deactivate").status_code == 400
    with rt.sessions() as session:
        assert session.get(Organisation, school_id).short_name == "МБОУ СОШ № 29"
        assert session.get(User, demo["teacher"]).is_active


# --------------------------------------------------------------------------- journals


def set_counter(rt, journal: int, value: int) -> None:
    with transaction(rt.sessions) as session:
        found = session.get(Journal, journal)
        key = period_key(found, TODAY)
        counter = session.scalars(select(JournalCounter).where(JournalCounter.journal_id == journal,
                                                               JournalCounter.period_key == key)).first()
        if counter is None:
            session.add(JournalCounter(journal_id=journal, period_key=key, last_number=value))
        else:
            counter.last_number = value


def counter(rt, journal: int) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.sum(JournalCounter.last_number)).where(
            JournalCounter.journal_id == journal)) or 0


def test_mask_example():
    assert admin_service.mask_example("Ш29-13-{n}/5", 7) == "Ш29-13-7/5"
    assert admin_service.mask_example("{n}-ОД", 12) == "12-ОД"


def test_journal_list_shows_the_next_number(rt, admin, school_id):
    orders = journal_id(rt, school_id, "orders")
    set_counter(rt, orders, 6)
    page = text(admin.get("/admin/journals"))
    assert "Журнал регистрации приказов по основной деятельности" in page
    assert "Ш29-13-{n}/5" in page and "Ш29-13-7/5" in page


def test_journal_mask_and_period_are_edited_but_never_the_counter(rt, admin, school_id):
    orders = journal_id(rt, school_id, "orders")
    set_counter(rt, orders, 6)
    before = counter(rt, orders)
    url = f"/admin/journals/{orders}"
    assert "Ш29-13-7/5" in text(admin.get(url))
    response = post_form(admin, url, {"title": "Приказы по основной деятельности", "mask": "Ш29-14-{n}/5",
                                      "period": "calendar_year", "issued": "100", "last_number": "100",
                                      "code": "hacked"})
    assert response.status_code == 303
    page = text(admin.get(url))
    assert "Следующий номер будет таким: Ш29-14-7/5" in page
    with rt.sessions() as session:
        journal = session.get(Journal, orders)
        assert (journal.mask, journal.title, journal.code) == ("Ш29-14-{n}/5", "Приказы по основной деятельности",
                                                              "orders")
    assert counter(rt, orders) == before


@pytest.mark.parametrize("mask", ["Ш29-13-/5", "", "{n}-{n}"])
def test_a_mask_needs_exactly_one_n(rt, admin, school_id, mask):
    orders = journal_id(rt, school_id, "orders")
    response = post_form(admin, f"/admin/journals/{orders}", {"title": "Приказы", "mask": mask,
                                                              "period": "calendar_year"})
    assert response.status_code == 422
    assert "должна содержать {n}" in text(response)
    with rt.sessions() as session:
        assert session.get(Journal, orders).mask == "Ш29-13-{n}/5"


def test_a_change_that_would_repeat_issued_numbers_is_refused(rt, admin, school_id):
    # The council journal issued «1» in the school year 2024/2025 (the demo's meeting).
    pedsovet = journal_id(rt, school_id, "pedsovet")
    response = post_form(admin, f"/admin/journals/{pedsovet}", {"title": "Протоколы", "mask": "{n}",
                                                                "period": "continuous"})
    assert response.status_code == 422
    assert "номера повторятся" in text(response)
    with rt.sessions() as session:
        assert session.get(Journal, pedsovet).period == "school_year"


def test_a_journal_is_added(rt, admin, school_id):
    response = post_form(admin, "/admin/journals", {"code": "letters", "title": "Исходящие письма", "mask": "{n}-П",
                                                    "period": "calendar_year"})
    assert response.status_code == 303
    page = text(admin.get("/admin/journals"))
    assert "Исходящие письма" in page and "1-П" in page
    duplicate = post_form(admin, "/admin/journals", {"code": "letters", "title": "Ещё", "mask": "{n}",
                                                     "period": "calendar_year"})
    assert duplicate.status_code == 422 and "уже есть" in text(duplicate)


# --------------------------------------------------------------------------- people


def test_members_are_listed_with_roles_and_positions(admin, demo):
    page = text(admin.get("/admin/users"))
    for expected in ("Кузнецов Дмитрий Олегович", "teacher", "Учитель физики", "Исполнитель",
                     "Заместитель директора по УВР", "Администратор"):
        assert expected in page
    assert "Никитина" not in page  # the district's methodologist is not a member of the school


def test_a_new_user_gets_a_temporary_password_and_prefilled_position_forms(rt, app, admin, school_id):
    response = post_form(admin, "/admin/users/new", {
        "login": "physicist", "last_name": "Лебедев", "first_name": "Игорь", "middle_name": "Петрович",
        "gender": "m", "email": "lebedev@school29.example", "roles": ["executor", "mo_head"],
        "position": "Учитель физики"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = text(response)
    password = re.search(r'class="secret__value">([^<]+)<', page).group(1)
    assert len(password) >= 10
    assert "Проверьте падежные формы должности" in page
    # The declined forms are shown as editable fields, pre-filled.
    assert field_value(page, "position_gent") == "Учителя физики"
    assert field_value(page, "position_datv") == "Учителю физики"
    assert field_value(page, "position_accs") == "Учителя физики"
    assert field_value(page, "position_ablt") == "Учителем физики"
    assert "назначить ответственным (кого?) учителя физики" in page
    with rt.sessions() as session:
        user = session.scalars(select(User).where(User.login == "physicist")).one()
        assert (user.full_name, user.gender) == ("Лебедев Игорь Петрович", "m")
        assert password not in user.password_hash
    found = membership(rt, user.id, school_id)
    assert sorted(found.roles) == ["executor", "mo_head"]
    assert (found.position_gent, found.position_datv, found.position_accs, found.position_ablt) == (
        "Учителя физики", "Учителю физики", "Учителя физики", "Учителем физики")
    # The password is shown once: the member's page does not show it again, and it works.
    assert password not in text(admin.get(f"/admin/users/{user.id}"))
    newcomer = app.test_client()
    login(newcomer, "physicist", password)
    assert newcomer.get("/").status_code == 200


def test_an_existing_login_joins_the_organisation_without_a_new_password(rt, admin, school_id, demo):
    response = post_form(admin, "/admin/users/new", {"login": "methodologist", "last_name": "Другая",
                                                     "first_name": "Фамилия", "gender": "f",
                                                     "roles": ["observer"], "position": "Методист ИМЦ"})
    assert response.status_code == 200
    page = text(response)
    assert "secret__value" not in page
    assert "Никитина Ольга Петровна (methodologist) добавлен в организацию" in page
    with rt.sessions() as session:
        assert session.get(User, demo["methodologist"]).last_name == "Никитина"  # the account is not changed
    assert membership(rt, demo["methodologist"], school_id).roles == ["observer"]
    again = post_form(admin, "/admin/users/new", {"login": "methodologist", "roles": ["observer"]})
    assert again.status_code == 422 and "уже состоит в этой организации" in text(again)


def test_adding_a_user_needs_a_name_and_a_role(rt, admin):
    response = post_form(admin, "/admin/users/new", {"login": "nobody", "last_name": "", "first_name": "",
                                                     "gender": "f", "position": ""})
    assert response.status_code == 422
    assert "Отметьте хотя бы одну роль" in text(response)
    with rt.sessions() as session:
        assert session.scalars(select(User).where(User.login == "nobody")).first() is None


def member_form(page: str) -> dict:
    """The member form as the browser would submit it, unchanged."""
    data = {name: field_value(page, name) for name in (
        "last_name", "first_name", "middle_name", "email", "position", "position_gent", "position_datv",
        "position_accs", "position_ablt", "cert_serial", "cert_owner", "cert_valid_from", "cert_valid_to")}
    data["roles"] = re.findall(r'<input checked id="roles-\d+" name="roles" type="checkbox" value="(\w+)"', page)
    data["gender"] = re.search(r'<input checked id="gender-\d+" name="gender" type="radio" value="(\w)"', page).group(1)
    return data


def test_a_changed_position_refills_the_forms_an_edited_form_is_kept(rt, admin, school_id, demo):
    url = f"/admin/users/{demo['teacher']}"
    data = member_form(text(admin.get(url)))
    assert data["roles"] == ["executor"] and data["gender"] == "m"
    response = post_form(admin, url, {**data, "position": "Учитель информатики"})
    assert response.status_code == 303
    assert "заполнены автоматически" in text(admin.get(url))
    found = membership(rt, demo["teacher"], school_id)
    assert (found.position, found.position_gent, found.position_ablt) == (
        "Учитель информатики", "Учителя информатики", "Учителем информатики")
    # The administrator corrects one form: it is kept as typed.
    data = member_form(text(admin.get(url)))
    post_form(admin, url, {**data, "position_datv": "Учителю информатики и ИКТ"})
    assert membership(rt, demo["teacher"], school_id).position_datv == "Учителю информатики и ИКТ"
    # An emptied form is filled again.
    data = member_form(text(admin.get(url)))
    post_form(admin, url, {**data, "position_accs": ""})
    assert membership(rt, demo["teacher"], school_id).position_accs == "Учителя информатики"


def test_roles_are_edited_with_the_russian_names(rt, app, admin, school_id, demo):
    url = f"/admin/users/{demo['teacher']}"
    page = text(admin.get(url))
    for label in ("Директор", "Секретарь педагогического совета", "Администратор", "Наблюдатель"):
        assert label in page
    data = member_form(page)
    response = post_form(admin, url, {**data, "roles": ["executor", "admin"]})
    assert response.status_code == 303
    assert membership(rt, demo["teacher"], school_id).roles == ["admin", "executor"]
    teacher = app.test_client()
    login(teacher, "teacher")
    assert teacher.get("/admin/").status_code == 200


def test_the_last_administrator_keeps_the_role(rt, admin, school_id, demo):
    url = f"/admin/users/{demo['director']}"
    data = member_form(text(admin.get(url)))
    response = post_form(admin, url, {**data, "roles": ["director"]})
    assert response.status_code == 422
    assert "хотя бы один администратор" in text(response)
    assert "admin" in membership(rt, demo["director"], school_id).roles


@pytest.mark.parametrize(("certificate", "field", "message"), [
    ({"cert_serial": "01AB", "cert_valid_from": "2025-09-01", "cert_valid_to": "2025-08-31"},
     "cert_valid_to", "раньше даты начала"),
    ({"cert_serial": "01AB", "cert_valid_from": "31.02.2025", "cert_valid_to": "2026-01-01"},
     "cert_valid_from", "дата в виде ДД.ММ.ГГГГ"),
    ({"cert_serial": "01AB", "cert_valid_from": "2025-01-01", "cert_valid_to": ""},
     "cert_valid_to", "Укажите дату окончания"),
    ({"cert_serial": "", "cert_valid_from": "2025-01-01", "cert_valid_to": "2026-01-01"},
     "cert_serial", "Укажите серийный номер"),
    ({"cert_serial": "не номер", "cert_valid_from": "2025-01-01", "cert_valid_to": "2026-01-01"},
     "cert_serial", "шестнадцатеричные цифры"),
], ids=["from_after_to", "impossible_date", "no_end", "no_serial", "bad_serial"])
def test_certificate_data_is_validated(rt, admin, school_id, demo, certificate, field, message):
    url = f"/admin/users/{demo['teacher']}"
    data = member_form(text(admin.get(url)))
    response = post_form(admin, url, {**data, "position": "Учитель химии", **certificate})
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', page), field
    found = membership(rt, demo["teacher"], school_id)
    assert (found.cert_serial, found.position) == ("", "Учитель физики")  # nothing saved


def test_certificate_data_is_saved_and_cleared(rt, admin, school_id, demo):
    url = f"/admin/users/{demo['teacher']}"
    data = member_form(text(admin.get(url)))
    response = post_form(admin, url, {**data, "cert_serial": "01 da 3f 5c", "cert_owner": "",
                                      "cert_valid_from": "27.08.2024", "cert_valid_to": "2026-08-26"})
    assert response.status_code == 303
    found = membership(rt, demo["teacher"], school_id)
    assert (found.cert_serial, found.cert_valid_from, found.cert_valid_to) == (
        "01DA3F5C", dt.date(2024, 8, 27), dt.date(2026, 8, 26))
    data = member_form(text(admin.get(url)))
    assert data["cert_valid_from"] == "2024-08-27"
    post_form(admin, url, {**data, "cert_serial": "", "cert_owner": "", "cert_valid_from": "", "cert_valid_to": ""})
    found = membership(rt, demo["teacher"], school_id)
    assert (found.cert_serial, found.cert_valid_from, found.cert_valid_to) == ("", None, None)


def test_gender_is_edited_for_name_declension(rt, admin, demo):
    url = f"/admin/users/{demo['psychologist']}"
    data = member_form(text(admin.get(url)))
    assert data["gender"] == "f"
    post_form(admin, url, {**data, "gender": "m", "first_name": "Евгений", "last_name": "Орлов",
                           "middle_name": "Андреевич"})
    with rt.sessions() as session:
        user = session.get(User, demo["psychologist"])
        assert (user.gender, user.full_name) == ("m", "Орлов Евгений Андреевич")


def test_a_deactivated_user_is_kept_but_cannot_work(rt, app, admin, demo, school_id):
    teacher = app.test_client()
    login(teacher, "teacher")
    assert teacher.get("/").status_code == 200
    response = post_form(admin, f"/admin/users/{demo['teacher']}/deactivate", {}, form_page="/admin/users")
    assert response.status_code == 303
    with rt.sessions() as session:
        assert session.get(User, demo["teacher"]).is_active is False
    assert membership(rt, demo["teacher"], school_id).roles == ["executor"]  # kept, not deleted
    assert teacher.get("/").status_code == 302  # the session ended
    assert "отключён" in text(admin.get("/admin/users"))
    post_form(admin, f"/admin/users/{demo['teacher']}/activate", {}, form_page="/admin/users")
    with rt.sessions() as session:
        assert session.get(User, demo["teacher"]).is_active is True


def test_the_administrator_cannot_switch_off_themselves(rt, admin, demo):
    response = post_form(admin, f"/admin/users/{demo['director']}/deactivate", {}, form_page="/admin/users")
    assert response.status_code == 303
    assert "Нельзя отключить самого себя" in text(admin.get(response.headers["Location"]))
    with rt.sessions() as session:
        assert session.get(User, demo["director"]).is_active


def test_someone_from_two_organisations_only_leaves_this_one(rt, admin, demo, school_id, other_school):
    with transaction(rt.sessions) as session:
        add_membership(session, session.get(User, other_school["teacher"]), session.get(Organisation, school_id),
                       ["executor"], "Учитель химии")
    url = f"/admin/users/{other_school['teacher']}"
    page = text(admin.get(url))
    assert "МБОУ гимназия № 2" in page and 'name="last_name"' not in page  # not our account to rename
    # Roles and position here are ours to edit; the account's name and gender are not.
    response = post_form(admin, url, {"roles": ["executor", "working_group"], "position": "Учитель химии",
                                      "last_name": "Переименован", "gender": "f"})
    assert response.status_code == 303
    assert membership(rt, other_school["teacher"], school_id).roles == ["executor", "working_group"]
    with rt.sessions() as session:
        user = session.get(User, other_school["teacher"])
        assert (user.last_name, user.gender) == ("Зайцев", "m")
    post_form(admin, f"/admin/users/{other_school['teacher']}/deactivate", {}, form_page="/admin/users")
    with rt.sessions() as session:
        assert session.get(User, other_school["teacher"]).is_active
        orgs = session.scalars(select(Membership.organisation_id).where(
            Membership.user_id == other_school["teacher"])).all()
    assert orgs == [other_school["id"]]


def test_a_password_is_reset_and_shown_once(rt, app, admin, demo):
    response = post_form(admin, f"/admin/users/{demo['teacher']}/password", {}, form_page="/admin/users")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = re.search(r'class="secret__value">([^<]+)<', text(response)).group(1)
    teacher = app.test_client()
    login(teacher, "teacher", password)


# --------------------------------------------------------------------------- another organisation


def test_another_organisations_user_and_journal_are_404(rt, admin, other_school):
    user_url = f"/admin/users/{other_school['teacher']}"
    assert admin.get(user_url).status_code == 404
    token = csrf_token(admin, "/admin/users")
    for url in (user_url, f"{user_url}/deactivate", f"{user_url}/activate", f"{user_url}/password"):
        response = admin.post(url, data={"csrf_token": token, "roles": ["admin"], "position": "Взлом",
                                         "gender": "m"})
        assert response.status_code == 404, url
    assert admin.get(f"/admin/journals/{other_school['journal']}").status_code == 404
    response = admin.post(f"/admin/journals/{other_school['journal']}",
                          data={"csrf_token": token, "title": "Взлом", "mask": "X-{n}", "period": "continuous"})
    assert response.status_code == 404
    assert admin.get("/admin/journals/999999").status_code == 404
    with rt.sessions() as session:
        assert session.get(User, other_school["teacher"]).is_active
        assert session.get(Journal, other_school["journal"]).mask == "Г2-{n}"
    assert membership(rt, other_school["teacher"], other_school["id"]).position == "Учитель химии"
    page = text(admin.get("/admin/users"))
    assert "Зайцев" not in page


def test_an_administrator_of_another_school_sees_only_their_school(app, rt, demo, other_school, school_id):
    client = app.test_client()
    login(client, "gym2_admin", "gym2-password-long")
    assert "МБОУ гимназия № 2" in text(client.get("/admin/"))
    assert client.get(f"/admin/users/{demo['teacher']}").status_code == 404
    assert client.get(f"/admin/journals/{journal_id(rt, school_id, 'orders')}").status_code == 404
