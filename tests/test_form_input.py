"""What people type: a NUL or another control character is a Russian 400 page in every form (the login
form included), never a 500; bidi overrides and zero-width characters are removed from titles, names
and file names — also from the names files are downloaded under."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from vsoko_flow.db import transaction
from vsoko_flow.models import Artefact, OrganisationTemplate, StoredDocument, User
from vsoko_flow.services.demo import DEMO_PASSWORD
from vsoko_flow.services.users import check_password

from .flows import take_to_force
from .test_api import api  # noqa: F401 - fixture
from .test_template_upload import own_polozhenie
from .web_helpers import csrf_token, login, post_form

RLO = "\u202e"
HIDDEN = f"{RLO}\u200b\u2066\ufeff"
CONTROL_PAGE = "недопустимые управляющие символы"


@pytest.mark.parametrize("value", ["dep\x00uty", "deputy\x07", "deputy\x1b[31m"])
def test_a_control_character_in_the_login_form_is_a_russian_400_page(rt, school, app, value):
    client = app.test_client()
    response = client.post("/login", data={"login": value, "password": DEMO_PASSWORD,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 400
    assert CONTROL_PAGE in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in


def test_a_nul_in_any_signed_in_form_and_query_is_a_400_that_changes_nothing(rt, school, app):
    deputy = app.test_client()
    login(deputy, "deputy")
    with rt.sessions() as session:
        before = session.scalar(select(Artefact.id).order_by(Artefact.id.desc()))
    created = post_form(deputy, "/artefacts/new?kind=polozhenie", {
        "kind": "polozhenie", "title": "Положение\x00", "school_year": "2024/2025", "edition_note": "",
        "affects_students": "true", "supersedes_id": "", "sections_text": "1. Общие положения"})
    assert created.status_code == 400 and CONTROL_PAGE in created.get_data(as_text=True)
    with rt.sessions() as session:
        assert session.scalar(select(Artefact.id).order_by(Artefact.id.desc())) == before
    searched = deputy.get("/artefacts/?q=%00")
    assert searched.status_code == 400 and CONTROL_PAGE in searched.get_data(as_text=True)
    password = post_form(deputy, "/password", {"current": DEMO_PASSWORD, "new": "новый\x00пароль-2026",
                                               "repeat": "новый\x00пароль-2026"})
    assert password.status_code == 400
    with rt.sessions() as session:
        assert check_password(session.scalars(select(User).where(User.login == "deputy")).one(), DEMO_PASSWORD)


def test_a_control_character_in_the_api_is_a_400(api, rt, school):  # noqa: F811
    response = api("POST", "/artefacts", "deputy", json={"kind": "polozhenie", "organisation_id": school.id,
                                                          "title": "Положение\x01"})
    assert response.status_code == 400
    assert "управляющие символы" in str(response.get_json())
    assert api("GET", "/artefacts?q=%00", "deputy").status_code == 400


def test_bidi_and_zero_width_characters_are_removed_from_titles(rt, school, app, api):  # noqa: F811
    deputy = app.test_client()
    login(deputy, "deputy")
    created = post_form(deputy, "/artefacts/new?kind=polozhenie", {
        "kind": "polozhenie", "title": f"Положение{HIDDEN} о ВСОКО{RLO}xcod.exe", "school_year": "2024/2025",
        "edition_note": "", "affects_students": "true", "supersedes_id": "", "sections_text": "1. Общие положения"})
    assert created.status_code == 302
    through_api = api.ok("POST", "/artefacts", "deputy", status=201,
                         json={"kind": "polozhenie", "organisation_id": school.id,
                               "title": f"Положение{HIDDEN} о мониторинге"})
    with rt.sessions() as session:
        titles = set(session.scalars(select(Artefact.title)))
    assert "Положение о ВСОКОxcod.exe" in titles and "Положение о мониторинге" in titles
    assert not any(ch in "".join(titles) for ch in HIDDEN)
    assert through_api["title"] == "Положение о мониторинге"


def test_download_names_carry_no_bidi_override(rt, school, app):
    artefact_id, _ = take_to_force(rt, school)
    with transaction(rt.sessions) as session:  # a name stored before the fix
        document = session.scalars(select(StoredDocument).where(StoredDocument.artefact_id == artefact_id)).first()
        document.file_name = f"Приказ{RLO}xcod.exe.docx"
        document_id = document.id
    director = app.test_client()
    login(director, "director")
    disposition = director.get(f"/documents/{document_id}/download").headers["Content-Disposition"]
    assert "%E2%80%AE" not in disposition and RLO not in disposition
    assert "filename*=UTF-8''%D0%9F%D1%80%D0%B8%D0%BA%D0%B0%D0%B7xcod.exe.docx" in disposition
    assert f'filename="document-{document_id}.docx"' in disposition


def test_an_uploaded_file_name_loses_its_bidi_override(rt, school, app):
    director = app.test_client()
    login(director, "director")
    token = csrf_token(director, "/admin/templates/polozhenie")
    boundary, body = encode_multipart(MultiDict({"csrf_token": token, "file": FileStorage(
        io.BytesIO(own_polozhenie()), f"Положение{RLO}xcod.docx")}))
    response = director.post("/admin/templates/polozhenie", data=body,
                             content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 303
    with rt.sessions() as session:
        assert session.scalar(select(OrganisationTemplate.original_file_name)) == "Положениеxcod.docx"
