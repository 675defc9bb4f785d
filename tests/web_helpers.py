"""Signing in and posting forms with their CSRF token, as a browser would."""
from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event

from vsoko_flow.services.demo import DEMO_PASSWORD

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    page = client.get(url)
    match = _TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} (status {page.status_code})"
    return match.group(1)


def login(client, login_name: str, password: str = DEMO_PASSWORD, remember: bool = False):
    data = {"login": login_name, "password": password, "csrf_token": csrf_token(client, "/login")}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def post_form(client, url: str, data: dict, form_page: str | None = None):
    """POST to `url` with the CSRF token taken from `form_page` (default: the same url)."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, form_page or url)})


@contextmanager
def counted_queries(rt):
    """Count the SQL statements sent to the database inside the block."""
    counter = {"n": 0}

    def count(*_args):
        counter["n"] += 1

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)
