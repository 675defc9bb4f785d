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
