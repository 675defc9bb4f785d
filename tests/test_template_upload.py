"""An organisation's own template: checked, test-rendered, accepted, used, reverted — or refused, storing nothing."""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile

import pytest
import segno
from docx import Document
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from vsoko_flow.config import PROJECT_ROOT
from vsoko_flow.models import Artefact, OrganisationTemplate, StoredDocument
from vsoko_flow.services import template_upload
from vsoko_flow.services.errors import Unprocessable
from vsoko_flow.services.transitions import fire_transition

from .flows import docx_text
from .test_admin import admin, database_url, demo, demo_database, other_school, school_id  # noqa: F401 - fixtures
from .web_helpers import csrf_token

SHIPPED = PROJECT_ROOT / "document_templates" / "polozhenie.docx"
MARKER = "Особая отметка: редакция шаблона МБОУ СОШ № 29"
EXEC = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
SUBCLASSES = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
DAY = dt.date(2025, 9, 15)
INTERNALS = "Шаблон пытается обратиться к внутренним объектам Python и отклонён"


# --------------------------------------------------------------------------- files


def own_polozhenie(marker: str = MARKER) -> bytes:
    """The shipped Положение template with one more paragraph of the school's own text on top."""
    document = Document(str(SHIPPED))
    document.paragraphs[0].insert_paragraph_before(marker)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx(body: str = "{{ title }}", header: str = "", title_property: str = "") -> bytes:
    document = Document()
    document.add_paragraph("ПОЛОЖЕНИЕ")
    document.add_paragraph(body)
    if header:
        document.sections[0].header.paragraphs[0].text = header
    if title_property:
        document.core_properties.title = title_property
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, extra: dict[str, bytes] | None = None, replace: dict[str, bytes] | None = None,
          compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A copy of a .docx with members added or replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, (replace or {}).get(item.filename, source.read(item)))
        for name, content in (extra or {}).items():
            target.writestr(zipfile.ZipInfo(name), content, compress_type=compression)
    return out.getvalue()


def zip_bomb() -> bytes:
    # A valid-looking .docx whose one extra part inflates from ~60 KB to 60 MB.
    return rezip(SHIPPED.read_bytes(), extra={"customXml/item2.xml": b" " * (60 * 1024 * 1024)})


def xxe() -> bytes:
    with zipfile.ZipFile(SHIPPED) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    declaration_end = xml.index("?>") + 2
    hostile = (xml[:declaration_end] + '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
               + xml[declaration_end:].replace("ПОЛОЖЕНИЕ", "ПОЛОЖЕНИЕ &e;", 1))
    return rezip(SHIPPED.read_bytes(), replace={"word/document.xml": hostile.encode("utf-8")})


def png() -> bytes:
    buffer = io.BytesIO()
    segno.make("https://vsoko.example").save(buffer, kind="png", scale=10)
    return buffer.getvalue()


def oversized() -> bytes:
    return rezip(SHIPPED.read_bytes(), extra={"word/media/photo.png": os.urandom(2_500_000)},
                 compression=zipfile.ZIP_STORED)


def external_link() -> bytes:
    with zipfile.ZipFile(SHIPPED) as archive:
        rels = archive.read("word/_rels/document.xml.rels").decode("utf-8")
    rels = rels.replace("</Relationships>", '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
                        'officeDocument/2006/relationships/attachedTemplate" Target="http://evil.example/t.dotm" '
                        'TargetMode="External"/></Relationships>')
    return rezip(SHIPPED.read_bytes(), replace={"word/_rels/document.xml.rels": rels.encode("utf-8")})


# --------------------------------------------------------------------------- helpers


def upload(client, data: bytes, file_name: str = "Положение школы 29.docx", name: str = "polozhenie"):
    token = csrf_token(client, f"/admin/templates/{name}")
    # Encoded in memory: the test client spools large bodies to a temporary file it never closes.
    boundary, body = encode_multipart(MultiDict({"csrf_token": token, "file": FileStorage(io.BytesIO(data), file_name)}))
    return client.post(f"/admin/templates/{name}", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def post(client, url: str, form_page: str = "/admin/templates"):
    return client.post(url, data={"csrf_token": csrf_token(client, form_page)})


def stored_versions(rt) -> list[OrganisationTemplate]:
    with rt.sessions() as session:
        return list(session.scalars(select(OrganisationTemplate).order_by(OrganisationTemplate.id)))


def count_versions(rt) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(OrganisationTemplate))


def draft_id(rt, school_id: int) -> int:  # noqa: F811
    with rt.sessions() as session:
        return session.scalar(select(Artefact.id).where(Artefact.organisation_id == school_id,
                                                        Artefact.kind == "polozhenie", Artefact.state == "draft"))


def gather_opinions(rt, artefact_id: int, deputy: int) -> None:
    """The councils' positive opinions on a draft, so that it may go to the педсовет."""
    fire_transition(rt, artefact_id, "send_for_opinions", deputy, fields={"request_date": DAY.isoformat()},
                    today=DAY)
    for body in ("student_council", "parents_council"):
        fire_transition(rt, artefact_id, "record_opinion", deputy, today=DAY, fields={
            "opinion_body": body, "opinion_date": DAY.isoformat(), "opinion_protocol_number": "1",
            "opinion_result": "positive"})


def send_to_council_text(rt, artefact_id: int, deputy: int, back_first: bool = False) -> str:
    """Fire a transition that renders the Положение template; return the text of that document. The
    councils give their opinion first (the council takes no act without them); a draft returned from the
    council keeps them."""
    if back_first:
        fire_transition(rt, artefact_id, "return_to_draft", deputy, comment="Доработать оформление", today=DAY)
    else:
        gather_opinions(rt, artefact_id, deputy)
    result = fire_transition(rt, artefact_id, "send_to_council", deputy, today=DAY)
    [document] = [d for d in result.documents if d["title"].startswith("Положение")]
    with rt.sessions() as session:
        return docx_text(session.get(StoredDocument, document["id"]).content)


def text(response) -> str:
    return response.get_data(as_text=True)


# --------------------------------------------------------------------------- the happy path


def test_an_accepted_upload_is_used_by_the_next_transition_and_revert_brings_back_the_shipped(
        rt, admin, demo, school_id):  # noqa: F811
    artefact = draft_id(rt, school_id)
    response = upload(admin, own_polozhenie())
    assert response.status_code == 303
    version_url = response.headers["Location"]
    [stored] = stored_versions(rt)
    assert (stored.name, stored.version, stored.is_active, stored.original_file_name) == (
        "polozhenie", 1, False, "Положение школы 29.docx")
    assert re.fullmatch(rf"/admin/templates/polozhenie/versions/{stored.id}", version_url)

    # «Проверить»: the preview shows the test render, made with the school's own requisites.
    page = text(admin.get(version_url))
    assert MARKER in page and "Проверка пройдена" in page and "Принять" in page
    assert "средняя общеобразовательная школа № 29" in page
    assert "ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ" not in page  # the check never fakes a signature either
    download = admin.get(f"{version_url}/check.docx")
    assert download.status_code == 200
    assert download.mimetype == template_upload.DOCX_MIME
    assert download.headers["Content-Disposition"].startswith("attachment")
    checked = docx_text(download.data)
    assert MARKER in checked and "{{" not in checked

    # Not accepted yet: documents still come from the shipped template.
    assert MARKER not in send_to_council_text(rt, artefact, demo["deputy"])

    # «Принять»
    assert post(admin, f"{version_url}/accept", version_url).status_code == 303
    assert "версии организации № 1" in text(admin.get("/admin/templates/polozhenie"))
    assert [v.is_active for v in stored_versions(rt)] == [True]
    with_own = send_to_council_text(rt, artefact, demo["deputy"], back_first=True)
    assert MARKER in with_own
    assert "ПОЛОЖЕНИЕ" in with_own and "Общие положения" in with_own  # the rest of the template still works
    with rt.sessions() as session:
        latest = session.scalars(select(StoredDocument).where(StoredDocument.artefact_id == artefact,
                                                              StoredDocument.template_name == "polozhenie")
                                 .order_by(StoredDocument.id.desc())).first()
        assert latest.template_sha256 == stored.sha256

    # A version documents were made from is kept for the record.
    refused = post(admin, f"{version_url}/delete", version_url)
    assert refused.status_code == 303
    assert count_versions(rt) == 1

    # «Вернуться к поставляемому шаблону»
    assert post(admin, "/admin/templates/polozhenie/revert", "/admin/templates/polozhenie").status_code == 303
    assert [v.is_active for v in stored_versions(rt)] == [False]
    assert "поставляемому шаблону" in text(admin.get("/admin/templates/polozhenie"))
    assert MARKER not in send_to_council_text(rt, artefact, demo["deputy"], back_first=True)


def test_a_new_version_replaces_the_active_one_only_when_accepted(rt, admin, demo, school_id):  # noqa: F811
    first = upload(admin, own_polozhenie("Первая редакция школы")).headers["Location"]
    post(admin, f"{first}/accept", first)
    second = upload(admin, own_polozhenie("Вторая редакция школы")).headers["Location"]
    assert [(v.version, v.is_active) for v in stored_versions(rt)] == [(1, True), (2, False)]
    post(admin, f"{second}/accept", second)
    assert [(v.version, v.is_active) for v in stored_versions(rt)] == [(1, False), (2, True)]
    text_now = send_to_council_text(rt, draft_id(rt, school_id), demo["deputy"])
    assert "Вторая редакция школы" in text_now and "Первая редакция школы" not in text_now


def test_ordinary_parts_word_adds_are_accepted(rt, admin):  # noqa: F811
    # Word on Windows stores printer settings as a binary part; a hyperlink is an external target too.
    with zipfile.ZipFile(SHIPPED) as archive:
        rels = archive.read("word/_rels/document.xml.rels").decode("utf-8")
    rels = rels.replace("</Relationships>", '<Relationship Id="rId98" Type="http://schemas.openxmlformats.org/'
                        'officeDocument/2006/relationships/hyperlink" Target="https://school29.example/vsoko" '
                        'TargetMode="External"/></Relationships>')
    data = rezip(own_polozhenie(), extra={"word/printerSettings/printerSettings1.bin": os.urandom(2000)},
                 replace={"word/_rels/document.xml.rels": rels.encode("utf-8")})
    assert upload(admin, data).status_code == 303
    assert count_versions(rt) == 1


def test_an_unused_version_can_be_deleted_and_the_same_file_is_stored_once(rt, admin):  # noqa: F811
    data = own_polozhenie()
    url = upload(admin, data).headers["Location"]
    assert upload(admin, data).headers["Location"] == url
    assert count_versions(rt) == 1
    assert post(admin, f"{url}/delete", url).status_code == 303
    assert count_versions(rt) == 0
    assert admin.get(url).status_code == 404


def test_the_page_lists_shipped_templates_with_their_variables(admin):  # noqa: F811
    page = text(admin.get("/admin/templates"))
    for title in ("Положение (локальный нормативный акт)", "Приказ об утверждении", "Лист ознакомления",
                  "Выписка из протокола", "Письмо о направлении проекта для учёта мнения"):
        assert title in page
    detail = text(admin.get("/admin/templates/order_approval"))
    assert "order_number" in detail and "регистрационный номер приказа" in detail
    shipped = admin.get("/admin/templates/order_approval/shipped.docx")
    assert shipped.status_code == 200 and shipped.data[:2] == b"PK"


# --------------------------------------------------------------------------- refusals


HOSTILE = {
    "popen_via_cycler": (lambda: docx(EXEC), INTERNALS),
    "subclasses": (lambda: docx(SUBCLASSES), INTERNALS),
    "popen_in_header": (lambda: docx(header=EXEC), INTERNALS),
    "popen_in_document_properties": (lambda: docx(title_property=EXEC), INTERNALS),
    "attr_filter": (lambda: docx("{{ title|attr('__class__') }}"), INTERNALS),
    "zip_bomb": (zip_bomb, "zip-бомб"),
    "png_renamed": (png, "Это не документ Word (.docx)"),
    "random_bytes": (lambda: os.urandom(20_000), "Это не документ Word (.docx)"),
    "empty_file": (lambda: b"", "Файл пустой"),
    "xxe_doctype": (xxe, "DOCTYPE"),
    "unknown_variable": (lambda: docx("{{ secret_key }}"), "неизвестные переменные: secret_key"),
    "over_size_limit": (oversized, "Файл шаблона слишком большой"),
    "syntax_error": (lambda: docx("{% if %}сломано"), "Ошибка в шаблоне"),
    "unclosed_loop": (lambda: docx("{% for s in sections %}без конца"), "не закрыт"),
    "multiplication": (lambda: docx("{{ title * 100000000 }}"), "умножение"),
    "loop_over_letters": (lambda: docx("{% for c in title %}{{ c }}{% endfor %}"), "не по списку документа"),
    "text_plus_number": (lambda: docx("{{ title + 1 }}"), "Тестовая отрисовка шаблона не удалась"),
    "external_template_link": (external_link, "внешние ресурсы"),
    "macros": (lambda: rezip(SHIPPED.read_bytes(), extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0" * 100}),
               "макросы"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_or_broken_upload_is_refused_and_nothing_is_stored(rt, admin, case):  # noqa: F811
    build, message = HOSTILE[case]
    response = upload(admin, build())
    assert response.status_code == 422
    page = text(response)
    assert "Шаблон не принят." in page and "Ничего не сохранено." in page
    assert message in page, page[page.find("refusal"):][:600]
    assert "uid=" not in page and "&lt;class" not in page
    assert count_versions(rt) == 0


def test_a_command_in_a_template_never_runs(rt, admin, tmp_path):  # noqa: F811
    marker = tmp_path / "executed"
    for body in (f"{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}",
                 f"{{{{ lipsum.__globals__['os'].popen('touch {marker}').read() }}}}"):
        assert upload(admin, docx(body)).status_code == 422
    assert not marker.exists()
    assert count_versions(rt) == 0


def test_no_file_and_unknown_template(rt, admin):  # noqa: F811
    token = csrf_token(admin, "/admin/templates/polozhenie")
    response = admin.post("/admin/templates/polozhenie", data={"csrf_token": token},
                          content_type="multipart/form-data")
    assert response.status_code == 422 and "Выберите файл" in text(response)
    assert admin.get("/admin/templates/secret_template").status_code == 404
    assert upload(admin, own_polozhenie(), name="../polozhenie").status_code == 404
    assert count_versions(rt) == 0


def test_an_upload_without_csrf_token_is_400(rt, admin):  # noqa: F811
    response = admin.post("/admin/templates/polozhenie", data={"file": (io.BytesIO(own_polozhenie()), "a.docx")},
                          content_type="multipart/form-data")
    assert response.status_code == 400
    assert count_versions(rt) == 0


def test_another_organisations_version_is_404(rt, admin, other_school):  # noqa: F811
    theirs = template_upload.upload_template(rt, other_school["id"], other_school["admin"], "polozhenie",
                                             own_polozhenie("Гимназия № 2"), "gym.docx")
    base = f"/admin/templates/polozhenie/versions/{theirs.id}"
    for url in (base, f"{base}/check.docx", f"{base}/file.docx"):
        assert admin.get(url).status_code == 404, url
    for url in (f"{base}/accept", f"{base}/delete"):
        assert post(admin, url).status_code == 404, url
    [stored] = stored_versions(rt)
    assert (stored.organisation_id, stored.is_active) == (other_school["id"], False)
    # Reverting our template does not touch theirs, and their active version never renders our documents.
    template_upload.accept_version(rt, other_school["id"], "polozhenie", theirs.id)
    post(admin, "/admin/templates/polozhenie/revert", "/admin/templates/polozhenie")
    assert [v.is_active for v in stored_versions(rt)] == [True]


# --------------------------------------------------------------------------- the checks themselves


@pytest.mark.parametrize("name", ["polozhenie", "order_approval", "acquaintance_sheet", "opinion_request",
                                  "protocol_extract"])
def test_every_shipped_template_passes_the_upload_checks(rt, name):
    source = rt.templates.get(name)
    rendered = template_upload.check_template(source, source.data)
    assert "{{" not in docx_text(rendered)


def test_refusals_are_unprocessable_errors_with_russian_messages(rt):
    source = rt.templates.get("polozhenie")
    with pytest.raises(Unprocessable) as refused:
        template_upload.check_template(source, docx("{{ title }} {{ secret_key }} {{ api_token }}"))
    assert refused.value.details == {"unknown_variables": ["api_token", "secret_key"]}
    with pytest.raises(Unprocessable) as syntax:
        template_upload.check_template(source, docx("{{ title }"))
    assert "Ошибка в шаблоне (основной текст, в абзаце «{{ title }»)" in syntax.value.message


@pytest.mark.parametrize("mark", ["ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ", "Подписано простой электронной подписью",
                                  "документ подписан квалифицированной электронной подписью"])
def test_a_template_that_prints_an_esign_mark_itself_is_refused(rt, mark):
    """A mark printed by the template would stand on documents nobody signed."""
    source = rt.templates.get("polozhenie")
    with pytest.raises(Unprocessable) as refused:
        template_upload.check_template(source, docx(f"{{{{ title }}}} {mark}"))
    assert "Шаблон печатает отметку об электронной подписи" in refused.value.message
