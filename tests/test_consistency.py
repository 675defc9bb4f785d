"""One time zone (the school's) on pages and in the API, readable UTF-8 JSON with ISO 8601 times
with their offset, API messages for programs (no «обновите страницу»), a favicon, and `make run`
without the test tools."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

from vsoko_flow.db import transaction
from vsoko_flow.models import ApiToken, Artefact
from vsoko_flow.services.clock import local_iso, school_today
from vsoko_flow.services.users import issue_token

from .flows import new_draft
from .web_helpers import login

ROOT = Path(__file__).resolve().parent.parent
OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def bearer(rt, login_name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(rt, login_name, 'тест')}"}


def test_api_errors_are_readable_utf8(rt, school, client):
    response = client.get("/api/v1/artefacts/987654", headers=bearer(rt, "deputy"))
    assert response.status_code == 404
    raw = response.get_data()
    assert "Документ № 987654 не найден".encode() in raw and b"\\u04" not in raw


def test_api_times_carry_the_schools_offset(rt, school, client):
    artefact_id = new_draft(rt, school)
    body = client.get(f"/api/v1/artefacts/{artefact_id}", headers=bearer(rt, "deputy")).get_json()
    for moment in (body["created_at"], body["updated_at"], body["history"][0]["at"]):
        assert OFFSET.match(moment), moment
        assert moment.endswith("+03:00")                               # Europe/Moscow, the default zone
    with rt.sessions() as session:
        stored = session.get(Artefact, artefact_id).created_at         # naive UTC in the database
    assert dt.datetime.fromisoformat(body["created_at"]) == stored.replace(tzinfo=dt.UTC, microsecond=0)


def test_api_conflict_speaks_to_a_program_not_a_page(rt, school, client):
    artefact_id = new_draft(rt, school)
    response = client.post(f"/api/v1/artefacts/{artefact_id}/transitions", headers=bearer(rt, "deputy"),
                           json={"trigger": "send_for_opinions", "version": 99, "fields": {}})
    assert response.status_code == 409
    message = response.get_json()["message"]
    assert "обновите" not in message.lower() and "получите документ заново (GET)" in message
    # The page keeps its own words.
    deputy = client.application.test_client()
    login(deputy, "deputy")
    page = deputy.post(f"/artefacts/{artefact_id}/fire/send_for_opinions", data={"version": "99"})
    assert page.status_code in (400, 409)


def test_the_tokens_page_shows_the_schools_time(rt, school, client):
    issue_token(rt, "deputy", "Проверка")
    moment = dt.datetime(2026, 12, 4, 22, 30)                          # UTC: 05.12 01:30 in Moscow
    with transaction(rt.sessions) as session:
        for token in session.query(ApiToken).all():
            token.created_at = moment
    login(client, "deputy")
    page = client.get("/tokens/").get_data(as_text=True)
    assert "05.12.2026 01:30" in page and "04.12.2026 22:30" not in page


def test_school_today_and_local_iso():
    assert local_iso(dt.datetime(2026, 12, 4, 22, 30), "Europe/Moscow") == "2026-12-05T01:30:00+03:00"
    assert local_iso(dt.datetime(2026, 12, 4, 22, 30), "Asia/Yekaterinburg") == "2026-12-05T03:30:00+05:00"
    assert local_iso(None, "Europe/Moscow") is None
    assert isinstance(school_today("Europe/Moscow"), dt.date)


def test_a_favicon_on_every_page(client):
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/login").get_data(as_text=True)
    redirected = client.get("/favicon.ico")
    assert redirected.status_code == 301 and redirected.headers["Location"].endswith("/static/favicon.svg")
    with client.get("/static/favicon.svg") as icon:   # a file response: closed after reading
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.get_data()


def test_make_run_installs_only_what_running_needs():
    def planned(target: str) -> str:
        return subprocess.run(["make", "-n", "-B", "-C", str(ROOT), target], capture_output=True, text=True,
                              check=True).stdout
    run = planned("run")
    assert "pip install --quiet -e ." in run and "[dev]" not in run and "vsoko serve" in run
    assert "pip install --quiet -e '.[dev]'" in planned("test")
