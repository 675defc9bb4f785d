"""Signing through the pages, the JSON API and the command line: the task in «Мои задачи» for exactly
the signer, the form (password again or a .sig file) with CSRF, refusals in Russian, the status in
the document list, the copy to print and the verification page."""
from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import select

from tests.flows import docx_text, take_to_force
from tests.gost_keys import valid_now
from tests.test_api import Api
from tests.test_cli import run_vsoko
from tests.web_helpers import csrf_token, login, post_form
from vsoko_flow.documents.marks import QUALIFIED_HEADING, SIMPLE_HEADING
from vsoko_flow.models import Membership, Signature, StoredDocument
from vsoko_flow.services.demo import DEMO_PASSWORD
from vsoko_flow.services.users import issue_token

DIRECTOR = "Соколова Марина Борисовна"


@pytest.fixture
def order(rt, school):
    artefact_id, _ = take_to_force(rt, school)
    with rt.sessions() as session:
        signature = session.scalars(select(Signature).join(StoredDocument, StoredDocument.id == Signature.document_id)
                                    .where(Signature.artefact_id == artefact_id,
                                           StoredDocument.template_name == "order_approval")).one()
        document = session.get(StoredDocument, signature.document_id)
        return {"artefact_id": artefact_id, "signature_id": signature.id, "document_id": document.id,
                "content": document.content, "public_id": document.public_id, "hash": document.content_sha256}


def test_the_task_reaches_exactly_the_signer(client, order):
    login(client, "director")
    page = client.get("/").get_data(as_text=True)
    assert "Подписать: Приказ об утверждении" in page and f"/signatures/{order['signature_id']}" in page
    assert "срок: 04.04.2025" in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "deputy")
    page = client.get("/").get_data(as_text=True)
    assert f"/signatures/{order['signature_id']}" not in page
    # The deputy sees the status in the document list, but no form to sign.
    listing = client.get(f"/artefacts/{order['artefact_id']}").get_data(as_text=True)
    assert "Ожидает подписи: Соколова М.Б. (Директор)" in listing
    form = client.get(f"/signatures/{order['signature_id']}").get_data(as_text=True)
    assert "Этот документ подписывает Соколова Марина Борисовна" in form and 'name="password"' not in form
    refused = post_form(client, f"/signatures/{order['signature_id']}/simple", {"password": DEMO_PASSWORD},
                        form_page=f"/artefacts/{order['artefact_id']}")
    assert refused.status_code == 403


def test_simple_signature_through_the_form(rt, client, order):
    login(client, "director")
    url = f"/signatures/{order['signature_id']}"
    assert client.post(f"{url}/simple", data={"password": DEMO_PASSWORD}).status_code == 400  # no CSRF token
    wrong = post_form(client, f"{url}/simple", {"password": "неверный пароль"}, form_page=url)
    assert wrong.status_code == 422 and "Пароль неверный: документ не подписан" in wrong.get_data(as_text=True)
    done = post_form(client, f"{url}/simple", {"password": DEMO_PASSWORD}, form_page=url)
    assert done.status_code == 302
    page = client.get(f"/artefacts/{order['artefact_id']}").get_data(as_text=True)
    assert "Подписан документ" in page  # the history entry
    printed = client.get(f"/documents/{order['document_id']}/print")
    assert printed.status_code == 200 and "%D0%B4%D0%BB%D1%8F%20%D0%BF%D0%B5%D1%87%D0%B0%D1%82%D0%B8" in \
        printed.headers["Content-Disposition"]  # «для печати»
    assert SIMPLE_HEADING in docx_text(printed.data) and DIRECTOR in docx_text(printed.data)
    assert client.get(f"/documents/{order['document_id']}/download").data == order["content"]
    check = client.get(f"/verify/{order['public_id']}?h={order['hash']}").get_data(as_text=True)
    assert "Директор</strong> —" in check and "подписано: простая электронная подпись" in check
    # The printed copy's own SHA-256 is recognised too.
    printed_sha = hashlib.sha256(printed.data).hexdigest()
    check = client.get(f"/verify/{order['public_id']}?h={printed_sha}").get_data(as_text=True)
    assert "Документ подлинный" in check and "копии для печати" in check


def test_qualified_signature_through_the_form_refused_then_accepted(rt, client, school, order):
    with rt.sessions.begin() as session:
        session.scalars(select(Membership).where(Membership.user_id == school["director"])).one().cert_serial = ""
    login(client, "director")
    url = f"/signatures/{order['signature_id']}"
    changed = order["content"] + b"\0"
    refused = client.post(f"{url}/qualified", data={"csrf_token": csrf_token(client, url),
                                                    "file": (io.BytesIO(valid_now(DIRECTOR).sign(changed)), "x.sig")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "Подпись не относится к этому документу" in refused.get_data(as_text=True)
    empty = client.post(f"{url}/qualified", data={"csrf_token": csrf_token(client, url)},
                        content_type="multipart/form-data")
    assert empty.status_code == 422 and "Выберите файл подписи" in empty.get_data(as_text=True)
    accepted = client.post(f"{url}/qualified", data={
        "csrf_token": csrf_token(client, url),
        "file": (io.BytesIO(valid_now(DIRECTOR).sign(order["content"])), "Приказ.docx.sig")},
        content_type="multipart/form-data")
    assert accepted.status_code == 302
    text = docx_text(client.get(f"/documents/{order['document_id']}/print").data)
    assert QUALIFIED_HEADING in text and f"Владелец: {DIRECTOR}" in text
    check = client.get(f"/verify/{order['public_id']}?h={order['hash']}").get_data(as_text=True)
    assert "квалифицированная электронная подпись" in check and "сертификат № 01C0FFEE" in check


def test_signatures_through_the_api(rt, client, school, order):
    api = Api(client, {who: issue_token(rt, who) for who in ("director", "deputy")})
    listed = api.ok("GET", f"/documents/{order['document_id']}/signatures", "deputy")
    assert [(s["id"], s["state"], s["capacity"]) for s in listed["items"]] == [
        (order["signature_id"], "pending", "Директор")]
    path = f"/signatures/{order['signature_id']}"
    assert api.error("POST", f"{path}/simple", "deputy", 403, json={"password": DEMO_PASSWORD})["error"] == "forbidden"
    wrong = api.error("POST", f"{path}/simple", "director", 422, json={"password": "не тот"})
    assert wrong["details"]["fields"] == {"password": "неверный пароль"}
    bad_file = client.post(f"/api/v1{path}/qualified", data={"file": (io.BytesIO(b"not a signature"), "x.sig")},
                           headers={"Authorization": f"Bearer {api.tokens['director']}"},
                           content_type="multipart/form-data")
    assert bad_file.status_code == 422 and "Файл не похож на подпись" in bad_file.json["message"]
    signed = api.ok("POST", f"{path}/simple", "director", json={"password": DEMO_PASSWORD})
    assert (signed["state"], signed["kind"]) == ("signed", "simple")
    assert api.error("POST", f"{path}/simple", "director", 409, json={"password": DEMO_PASSWORD})
    printed = client.get(f"/api/v1/documents/{order['document_id']}/print",
                         headers={"Authorization": f"Bearer {api.tokens['deputy']}"})
    assert SIMPLE_HEADING in docx_text(printed.data)
    schema = client.get("/api/v1/openapi.json").json
    for operation in ("/documents/{document_id}/signatures", "/signatures/{signature_id}/simple",
                      "/signatures/{signature_id}/qualified", "/signatures/{signature_id}/decline"):
        assert operation in schema["paths"], operation
    assert "SignatureInfo" in schema["components"]["schemas"]


def test_the_command_line_shows_signatures(rt, school, order, settings, tmp_path):
    shown = run_vsoko(settings, "documents", "signatures", order["document_id"])
    assert shown.returncode == 0, shown.stderr
    assert f"[{order['signature_id']}] Директор Соколова М.Б.: ожидает подписи, срок 2025-04-04" in shown.stdout
    with rt.sessions.begin() as session:
        session.scalars(select(Membership).where(Membership.user_id == school["director"])).one().cert_serial = ""
    sig = tmp_path / "Приказ.docx.sig"
    sig.write_bytes(valid_now(DIRECTOR).sign(order["content"] + b"!"))
    refused = run_vsoko(settings, "documents", "sign", order["signature_id"], "--as", "director", "--sig", sig)
    assert refused.returncode == 1 and refused.stderr.startswith("Ошибка: Подпись не относится к этому документу")
    sig.write_bytes(valid_now(DIRECTOR).sign(order["content"]))
    signed = run_vsoko(settings, "documents", "sign", order["signature_id"], "--as", "director", "--sig", sig)
    assert signed.returncode == 0 and "квалифицированная электронная подпись" in signed.stdout, signed.stderr
    shown = run_vsoko(settings, "documents", "signatures", order["document_id"], "--json")
    assert '"kind": "qualified"' in shown.stdout
    printed = tmp_path / "print.docx"
    assert run_vsoko(settings, "documents", "print", order["document_id"], "--out", printed).returncode == 0
    assert QUALIFIED_HEADING in docx_text(printed.read_bytes())
    added = run_vsoko(settings, "acting", "add", school.id, "--login", "deputy", "--from", "01.06.2025",
                      "--to", "07.06.2025", "--order-date", "30.05.2025", "--order-number", "40-к")
    assert added.returncode == 0 and "И.о. директора Иванова И.И. с 01.06.2025 по 07.06.2025" in added.stdout
    clash = run_vsoko(settings, "acting", "add", school.id, "--login", "secretary", "--from", "05.06.2025",
                      "--to", "09.06.2025", "--order-date", "30.05.2025", "--order-number", "41-к")
    assert clash.returncode == 1 and clash.stderr.startswith("Ошибка: Период пересекается")
    listed = run_vsoko(settings, "acting", "list", school.id, "--json")
    assert '"order_number": "40-к"' in listed.stdout


def test_the_admin_records_an_acting_director(client, school):
    login(client, "director")  # the demo director is the school's administrator too
    page = client.get("/admin/acting/")
    assert page.status_code == 200 and "И.о. директора" in page.get_data(as_text=True)
    bad = post_form(client, "/admin/acting/", {"login": "deputy", "starts_on": "2025-06-07", "ends_on": "2025-06-01",
                                                "order_date": "2025-05-30", "order_number": "40-к"})
    assert bad.status_code == 422 and "раньше даты начала" in bad.get_data(as_text=True)
    done = post_form(client, "/admin/acting/", {"login": "deputy", "starts_on": "2025-06-01",
                                                 "ends_on": "2025-06-07", "order_date": "2025-05-30",
                                                 "order_number": "40-к"})
    assert done.status_code == 303
    assert "И.о. директора Иванова И.И. с 01.06.2025 по 07.06.2025 (приказ от 30.05.2025 № 40-к)" in \
        client.get("/admin/acting/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "teacher")
    assert client.get("/admin/acting/").status_code == 403
