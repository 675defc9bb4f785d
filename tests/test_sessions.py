"""Sessions that end: logout, a password change and the administrator's «Завершить все сеансы» end every
session and remember-me cookie of the person at once — a copied cookie replayed later is signed out."""
from __future__ import annotations

from vsoko_flow.services.demo import load_demo

from .web_helpers import csrf_token, login, post_form


def copied(app, browser, name: str):
    """Another device holding a copy of `browser`'s cookie `name` (and nothing else)."""
    cookie = browser.get_cookie(name)
    assert cookie is not None, name
    other = app.test_client()
    other.set_cookie(name, cookie.value)
    return other


def signed_in(client) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_copied_session_cookie_is_signed_out_after_logout(rt, app):
    load_demo(rt)
    browser = app.test_client()
    login(browser, "deputy")
    replay = copied(app, browser, "session")
    assert signed_in(replay)  # the copy works while the session lives

    response = browser.post("/logout", data={"csrf_token": csrf_token(browser, "/")})
    assert response.status_code == 302
    assert not signed_in(browser)
    assert not signed_in(replay)


def test_a_remember_me_cookie_is_signed_out_after_logout(rt, app):
    load_demo(rt)
    browser = app.test_client()
    login(browser, "deputy", remember=True)
    replay = copied(app, browser, "remember_token")
    assert signed_in(replay)

    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/")})
    assert not signed_in(replay)
    login(browser, "deputy")  # the person signs in again as usual
    assert signed_in(browser)


def test_the_administrator_ends_every_session_of_a_person(rt, app):
    users = load_demo(rt)
    teacher = app.test_client()
    login(teacher, "teacher", remember=True)
    remembered = copied(app, teacher, "remember_token")
    director = app.test_client()
    login(director, "director")

    page = director.get(f"/admin/users/{users['teacher']}").get_data(as_text=True)
    assert "Завершить все сеансы" in page
    response = post_form(director, f"/admin/users/{users['teacher']}/sessions", {},
                         form_page=f"/admin/users/{users['teacher']}")
    assert response.status_code == 303
    assert "Все сеансы" in director.get(response.headers["Location"]).get_data(as_text=True)
    assert not signed_in(teacher)
    assert not signed_in(remembered)
    assert signed_in(director)  # the administrator's own session is not touched


def test_ending_sessions_of_another_schools_person_is_404(rt, app):
    users = load_demo(rt)
    director = app.test_client()
    login(director, "director")
    response = post_form(director, "/admin/users/999999/sessions", {}, form_page=f"/admin/users/{users['teacher']}")
    assert response.status_code == 404
