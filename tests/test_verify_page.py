"""The public verification page behind the QR code: authentic or not, the act's state, and nothing more."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.flows import ORDER_DAY, adopt, approve, docx_text, new_draft, record_opinions, take_to_force
from tests.web_helpers import login
from vsoko_flow.models import Artefact, Organisation, Section, StoredDocument, User
from vsoko_flow.services.verification import verify_document

QR_LINK = re.compile(r"https://vsoko\.example/verify/[0-9a-f]{32}\?h=[0-9a-f]{64}")
ALLOWED_KEYS = {"organisation", "title", "kind", "registration_number", "registration_date", "created_date",
                "state", "state_label", "in_force", "superseded", "status_label", "signatures"}


@dataclass(frozen=True)
class Doc:
    id: int
    public_id: str
    sha256: str
    content_sha256: str
    template_name: str
    content: bytes

    @property
    def qr_path(self) -> str:
        """Path and query of the link printed in the document (next to its QR code)."""
        links = set(QR_LINK.findall(docx_text(self.content)))
        assert len(links) == 1, links
        link = urlsplit(links.pop())
        return f"{link.path}?{link.query}"


def stored_documents(rt, artefact_id: int) -> dict[str, Doc]:
    """Template name → the artefact's newest document made from it."""
    with rt.sessions() as session:
        rows = session.scalars(select(StoredDocument).where(StoredDocument.artefact_id == artefact_id)
                               .order_by(StoredDocument.id)).all()
        return {d.template_name: Doc(d.id, d.public_id, d.sha256, d.content_sha256, d.template_name, d.content)
                for d in rows}


@pytest.fixture
def act(rt, school):
    artefact_id, _ = take_to_force(rt, school)
    return artefact_id


@pytest.fixture
def order(rt, act) -> Doc:
    return stored_documents(rt, act)["order_approval"]


def result_section(html: str) -> str:
    match = re.search(r'<section class="card verify-result.*?</section>', html, re.S)
    assert match, html
    return match.group(0)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_qr_link_of_an_order_shows_an_authentic_document_with_its_requisites(client, order):
    assert order.qr_path == f"/verify/{order.public_id}?h={order.content_sha256}"

    response = client.get(order.qr_path)

    assert response.status_code == 200
    page = text_of(result_section(response.get_data(as_text=True)))
    assert "Документ подлинный" in page
    assert "проверено по коду из QR-кода" in page
    for expected in ("Организация МБОУ СОШ № 29", "Документ Приказ об утверждении",
                     "Вид акта Положение (локальный нормативный акт)", "Регистрационный номер № Ш29-13-1/5",
                     "Дата регистрации 3 апреля 2025 г.", "Состояние акта Действует", "Акт действует."):
        assert expected in page
    assert "verify-result--ok" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_files_own_sha256_verifies_too(client, order):
    file_hash = hashlib.sha256(order.content).hexdigest()
    assert file_hash == order.sha256 != order.content_sha256

    response = client.get(f"/verify/{order.public_id}?h={file_hash}")

    assert response.status_code == 200
    page = text_of(result_section(response.get_data(as_text=True)))
    assert "Документ подлинный" in page and "проверено по контрольной сумме SHA-256 файла" in page
    assert "№ Ш29-13-1/5" in page


@pytest.mark.parametrize("form", [
    lambda d: {"id": d.public_id, "h": d.sha256.upper()},                        # sha256sum, any case
    lambda d: {"id": d.public_id.upper(), "h": " ".join(re.findall("..", d.sha256))},  # old certutil: pairs
    lambda d: {"id": f"https://vsoko.example/verify/{d.public_id}?h={d.content_sha256}"},  # the whole link
], ids=["file_hash", "spaced_hash", "pasted_link"])
def test_the_form_checks_an_id_and_a_hash(client, order, form):
    response = client.get("/verify/", query_string=form(order))

    assert response.status_code == 200
    assert "Документ подлинный" in response.get_data(as_text=True)


def test_the_form_page_works_empty_and_asks_for_a_hash_when_only_an_id_is_given(client, order):
    empty = client.get("/verify/")
    assert empty.status_code == 200
    html = empty.get_data(as_text=True)
    assert 'method="get"' in html and 'name="id"' in html and 'name="h"' in html
    assert "csrf_token" not in html

    only_id = client.get(f"/verify/{order.public_id}")
    html = only_id.get_data(as_text=True)
    assert only_id.status_code == 200
    assert "укажите контрольную сумму" in html
    assert f'value="{order.public_id}"' in html
    assert "МБОУ СОШ № 29" not in html and "Ш29-13-1/5" not in html  # an id alone discloses nothing


def test_a_wrong_hash_says_not_found_or_changed_and_discloses_nothing(client, order):
    for presented in ("0" * 64, "not-a-hash", "<script>alert(1)</script>", order.content_sha256[:-1]):
        response = client.get(f"/verify/{order.public_id}", query_string={"h": presented})

        assert response.status_code == 404, presented
        html = response.get_data(as_text=True)
        assert "Документ не найден или изменён" in html and "verify-result--bad" in html
        assert "Документ подлинный" not in html
        assert "МБОУ СОШ № 29" not in html and "Ш29-13-1/5" not in html and "Приказ об утверждении" not in html
        assert "<script>alert(1)</script>" not in html


def test_another_documents_hash_does_not_verify_this_one(rt, client, act, order):
    protocol = stored_documents(rt, act)["protocol_extract"]

    response = client.get(f"/verify/{order.public_id}?h={protocol.content_sha256}")

    assert response.status_code == 404
    assert "Документ не найден или изменён" in response.get_data(as_text=True)


def test_a_changed_file_does_not_verify(client, order):
    tampered = order.content.replace(b"word/document.xml", b"word/document.xml", 1) + b"\0"

    response = client.get(f"/verify/{order.public_id}?h={hashlib.sha256(tampered).hexdigest()}")

    assert response.status_code == 404
    assert "изменён" in response.get_data(as_text=True)


def test_an_unknown_or_malformed_id_is_a_404_page_without_details(client, order):
    for public_id in (
        "0123456789abcdef0123456789abcdef",   # well-formed, unknown
        "12",                                 # a database id is not a public id
        "..%2F..%2Fetc%2Fpasswd",
        "a/b/c",
        "x" * 5000,
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        order.public_id[:-1] + "g",
    ):
        response = client.get(f"/verify/{public_id}?h={order.content_sha256}")

        assert response.status_code == 404, public_id
        html = response.get_data(as_text=True)
        assert "Документ не найден или изменён" in html
        assert "Traceback" not in html and "sqlalchemy" not in html.lower() and "<script>alert" not in html
        assert "МБОУ СОШ № 29" not in html and order.content_sha256 not in html


def test_the_page_shows_no_fields_people_history_or_text(rt, client, act, order):
    with rt.sessions() as session:
        people = session.scalars(select(User)).all()
        names = [n for u in people for n in (u.last_name, u.full_name, u.login) if n]
        organisation = session.scalars(select(Organisation).where(Organisation.short_name == "МБОУ СОШ № 29")).one()
        sections = session.scalars(select(Section).where(Section.artefact_id == act)).all()
        artefact = session.get(Artefact, act)
    for document in stored_documents(rt, act).values():
        answer = verify_document(rt, document.public_id, document.content_sha256)
        assert answer["authentic"] and set(answer["document"]) == ALLOWED_KEYS

        html = client.get(f"/verify/{document.public_id}?h={document.content_sha256}").get_data(as_text=True)
        main = html[html.index('<main'):]

        assert "Документ подлинный" in main
        for name in names:  # the responsible deputy, the director who approved, the secretary …
            assert name not in main, name
        assert organisation.full_name not in main and organisation.address not in main
        for word in ("Присутствовали", "«За»", "Против", "Воздержались", "История", "Ответственный",
                     "Совет обучающихся", "Согласовано", "Сургут", artefact.fields["opinion_deadline"], artefact.title):
            assert word not in main, word
        assert not [s.text for s in sections if s.text and s.text in main]


def test_after_a_new_edition_the_old_order_says_the_act_is_no_longer_in_force(rt, school, client, act, order):
    second = new_draft(rt, school, supersedes=act)
    record_opinions(rt, school, second)
    adopt(rt, school, second)
    approve(rt, school, second, day=ORDER_DAY.replace(month=9, day=1))
    new_order = stored_documents(rt, second)["order_approval"]

    old_page = client.get(order.qr_path)
    new_page = client.get(new_order.qr_path)

    assert old_page.status_code == 200
    old = text_of(result_section(old_page.get_data(as_text=True)))
    assert "Документ подлинный" in old  # it was issued by us; it is just no longer in force
    assert "Состояние акта Утратил силу" in old and "Акт утратил силу" in old
    assert "Акт действует." not in old and "№ Ш29-13-1/5" in old
    new = text_of(result_section(new_page.get_data(as_text=True)))
    assert "Состояние акта Действует" in new and "№ Ш29-13-2/5" in new and "1 сентября 2025 г." in new
    answer = verify_document(rt, order.public_id, order.content_sha256)
    assert answer["document"]["superseded"] and not answer["document"]["in_force"]
    assert answer["document"]["state_label"] == "Утратило силу"


def test_a_draft_document_shows_the_workflow_state_label(rt, school, client):
    artefact_id = new_draft(rt, school)
    record_opinions(rt, school, artefact_id)
    letter = stored_documents(rt, artefact_id)["opinion_request"]

    page = text_of(result_section(client.get(letter.qr_path).get_data(as_text=True)))

    assert "Состояние акта На учёте мнения советов" in page
    assert "Акт действует" not in page and "утратил" not in page


def test_it_works_without_login_and_a_signed_in_user_sees_the_same(client, order):
    anonymous = client.get(order.qr_path)
    assert anonymous.status_code == 200  # no redirect to the login page
    html = anonymous.get_data(as_text=True)
    assert "Мои задачи" not in html and "Выйти" not in html

    login(client, "director")
    signed_in = client.get(order.qr_path)

    assert signed_in.status_code == 200
    assert "Выйти" in signed_in.get_data(as_text=True)
    assert result_section(signed_in.get_data(as_text=True)) == result_section(html)


def test_the_page_is_rate_limited_per_address(client):
    for _ in range(60):
        assert client.get("/verify/0123456789abcdef0123456789abcdef?h=" + "0" * 64).status_code == 404
    limited = client.get("/verify/")
    assert limited.status_code == 429
    assert "Слишком много проверок" in limited.get_data(as_text=True)
    other_address = client.get("/verify/", environ_overrides={"REMOTE_ADDR": "10.0.0.7"})
    assert other_address.status_code == 200
