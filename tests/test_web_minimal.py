"""The web shell: sign-in, the start page and the health check on the same database."""
from __future__ import annotations

from vsoko_flow.services.demo import load_demo

from .web_helpers import login


def test_start_page_requires_login_and_shows_pending_actions(rt, client):
    load_demo(rt)
    assert client.get("/").status_code == 302
    login(client, "deputy")
    page = client.get("/")
    assert page.status_code == 200
    assert "Внести на педагогический совет" in page.get_data(as_text=True)


def test_healthz_needs_no_login(rt, client):
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}


def test_search_in_titles_ignores_case_of_russian_letters(rt, school):
    from vsoko_flow.services.artefacts import create_artefact, list_artefacts

    create_artefact(rt, school["deputy"], school.id, "polozhenie", title="Положение о рабочей группе 100%")
    found = list_artefacts(rt, school["deputy"], text="положение о РАБОЧЕЙ")
    assert [item["title"] for item in found["items"]] == ["Положение о рабочей группе 100%"]
    assert list_artefacts(rt, school["deputy"], text="_")["total"] == 0  # «_» is a letter, not a wildcard
    assert list_artefacts(rt, school["deputy"], text="100%")["total"] == 1
