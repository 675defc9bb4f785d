"""Security of the web layer: sign-in, sessions, CSRF, headers, and no page without login."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from vsoko_flow.db import transaction
from vsoko_flow.models import User
from vsoko_flow.services.demo import DEMO_PASSWORD, load_demo
from vsoko_flow.services.users import PASSWORDS

from .web_helpers import csrf_token, login, post_form

PUBLIC_ENDPOINTS = {"static", "auth.login", "healthz", "api.openapi_document", "calendar.feed", "favicon"}  # and verify.*


def _url_for_rule(rule) -> str:
    url = rule.rule
    for argument in rule.arguments:
        url = re.sub(rf"<(?:[^:<>]+:)?{argument}>", "1", url)
    return url


def test_every_route_needs_login_except_the_public_ones(app, rt):
    load_demo(rt)
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.startswith("verify."):
            continue
        url = _url_for_rule(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            if url.startswith("/api/"):
                assert response.status_code == 401, (method, url, response.status_code)
                assert response.get_json()["error"] == "unauthorized"
            elif method == "GET":
                assert response.status_code == 302 and "/login" in response.headers["Location"], (method, url)
            else:  # a POST without a session is refused before anything happens
                assert response.status_code in (302, 400), (method, url, response.status_code)
            checked += 1
    assert checked >= 5


def test_login_rehashes_an_outdated_password_hash(rt, client):
    load_demo(rt)
    weak = type(PASSWORDS)(time_cost=1, memory_cost=8, parallelism=1)
    with transaction(rt.sessions) as session:
        session.scalars(select(User).where(User.login == "teacher")).one().password_hash = weak.hash(DEMO_PASSWORD)
    login(client, "teacher")
    with rt.sessions() as session:
        stored = session.scalars(select(User).where(User.login == "teacher")).one().password_hash
    assert not PASSWORDS.check_needs_rehash(stored)


def test_wrong_password_is_refused_with_a_russian_message(rt, client):
    load_demo(rt)
    response = client.post("/login", data={"login": "deputy", "password": "не тот пароль",
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 200
    assert "Неверный логин или пароль" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_post_without_csrf_token_is_refused(rt, client):
    load_demo(rt)
    response = client.post("/login", data={"login": "deputy", "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert "Форма устарела" in response.get_data(as_text=True)


def test_login_is_rate_limited_per_account(rt, app):
    load_demo(rt)
    client = app.test_client()
    statuses = []
    for _ in range(7):
        response = client.post("/login", data={"login": "director", "password": "wrong-password",
                                               "csrf_token": csrf_token(client, "/login")})
        statuses.append(response.status_code)
    assert statuses[:5] == [200] * 5
    assert statuses[-1] == 429
    # the right password is refused too while the account is limited
    response = client.post("/login", data={"login": "director", "password": DEMO_PASSWORD,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 429


def test_remember_me_cookie_dies_after_password_change(rt, app):
    load_demo(rt)
    browser = app.test_client()
    login(browser, "deputy", remember=True)
    remember = browser.get_cookie("remember_token")
    assert remember is not None and remember.http_only and remember.same_site == "Lax"

    other_device = app.test_client()
    other_device.set_cookie("remember_token", remember.value)
    assert other_device.get("/").status_code == 200  # the cookie alone signs in

    response = post_form(browser, "/password", {"current": DEMO_PASSWORD, "new": "новый-пароль-2026",
                                                "repeat": "новый-пароль-2026"})
    assert response.status_code == 302
    assert browser.get("/").status_code == 200  # the session that changed it stays signed in

    stale = app.test_client()
    stale.set_cookie("remember_token", remember.value)
    assert stale.get("/").status_code == 302  # the old remember-me cookie no longer works
    assert other_device.get("/").status_code == 302  # and the other device's session is over


def test_security_headers_on_pages(rt, client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: no HSTS
    secure = client.get("/login", base_url="https://vsoko.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_upload_size_is_limited(rt, client):
    load_demo(rt)
    login(client, "deputy")
    response = client.post("/login", data={"csrf_token": "x", "blob": "0" * (11 * 1024 * 1024)})
    assert response.status_code == 413
    assert "не более 10 МБ" in response.get_data(as_text=True)


def test_next_parameter_cannot_redirect_elsewhere(rt, client):
    load_demo(rt)
    data = {"login": "deputy", "password": DEMO_PASSWORD, "csrf_token": csrf_token(client, "/login")}
    response = client.post("/login?next=https://evil.example/", data=data)
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("cookie", ["1", "1:", "abc:def", "999:token"])
def test_forged_session_ids_are_not_accepted(rt, app, cookie):
    load_demo(rt)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = cookie
    assert client.get("/").status_code == 302
