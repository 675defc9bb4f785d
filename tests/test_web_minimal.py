"""The web shell serves a start page and a health check on the same database."""
from __future__ import annotations

from vsoko_flow.services.demo import load_demo
from vsoko_flow.web import create_app


def test_start_page_and_healthz(rt):
    load_demo(rt)
    client = create_app(rt).test_client()
    page = client.get("/")
    assert page.status_code == 200
    assert "Организаций: 2, документов: 2" in page.get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
