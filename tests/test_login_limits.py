"""Sign-in attempts: one count shared by every worker (Redis), the owner of a locked login still gets in
from a known device, unknown logins cost the same time as wrong passwords, and a loud start-up warning
when several gunicorn workers would each count on their own."""
from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
import redis

from vsoko_flow.config import PROJECT_ROOT
from vsoko_flow.services.demo import DEMO_PASSWORD, load_demo

from .web_helpers import csrf_token, login

REDIS_URL = os.environ.get("VSOKO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def attempt(client, login_name: str, password: str) -> int:
    return client.post("/login", data={"login": login_name, "password": password,
                                       "csrf_token": csrf_token(client, "/login")}).status_code


# --------------------------------------------------------------------------- one count for every worker


WORKER = textwrap.dedent("""
    import json, sys
    from vsoko_flow.config import Settings
    from vsoko_flow.services.runtime import Runtime
    from vsoko_flow.web import create_app
    from tests.web_helpers import csrf_token
    database_url, instance, storage, prefix, attempts = sys.argv[1:6]
    settings = Settings(database_url=database_url, instance_dir=__import__("pathlib").Path(instance),
                        workflows_dir=__import__("vsoko_flow.config").config.PROJECT_ROOT / "workflows",
                        templates_dir=__import__("vsoko_flow.config").config.PROJECT_ROOT / "document_templates",
                        base_url="https://vsoko.example")
    app = create_app(Runtime.create(settings), {"TESTING": True, "RATELIMIT_STORAGE_URI": storage,
                                                "RATELIMIT_KEY_PREFIX": prefix})
    client = app.test_client()
    statuses = []
    for _ in range(int(attempts)):
        token = csrf_token(client, "/login")
        statuses.append(client.post("/login", data={"login": "director", "password": "не тот пароль",
                                                    "csrf_token": token}).status_code)
    print(json.dumps(statuses))
""")


def run_worker(settings, storage: str, prefix: str, attempts: int) -> list[int]:
    """Sign-in attempts made by another process: a gunicorn worker of its own."""
    done = subprocess.run([sys.executable, "-c", WORKER, settings.database_url, str(settings.instance_dir), storage,
                           prefix, str(attempts)], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def redis_store():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis не отвечает на {REDIS_URL} ({exc}): .ci/run запускает redis-server; "
                    "задайте VSOKO_TEST_REDIS_URL")
    return REDIS_URL


def test_two_workers_share_the_login_limit_through_redis(rt, settings, redis_store):
    load_demo(rt)
    prefix = f"vsoko-test-{uuid.uuid4().hex}"
    first = run_worker(settings, redis_store, prefix, 3)
    second = run_worker(settings, redis_store, prefix, 3)
    assert first == [200, 200, 200]
    assert second == [200, 200, 429]  # «5 a minute» for the login, whichever worker counts


def test_with_memory_storage_each_worker_counts_alone(rt, settings):
    # What the start-up warning is about: the same six attempts, none refused.
    load_demo(rt)
    assert run_worker(settings, "memory://", "x", 3) + run_worker(settings, "memory://", "x", 3) == [200] * 6


# --------------------------------------------------------------------------- the owner is not locked out


def test_a_locked_login_lets_its_owner_in_from_a_known_device(rt, app):
    load_demo(rt)
    own_browser = app.test_client()
    login(own_browser, "director")  # signed in here before: a known device
    own_browser.post("/logout", data={"csrf_token": csrf_token(own_browser, "/")})

    attacker = app.test_client()
    assert [attempt(attacker, "director", "угадываю-пароль") for _ in range(6)][-1] == 429
    assert attempt(attacker, "director", DEMO_PASSWORD) == 429          # locked for unknown devices
    assert attempt(app.test_client(), "director", DEMO_PASSWORD) == 429  # another unknown one too
    assert attempt(own_browser, "director", DEMO_PASSWORD) == 302       # the owner's browser gets in


def test_a_device_cookie_of_another_login_or_forged_does_not_help(rt, app):
    load_demo(rt)
    browser = app.test_client()
    login(browser, "deputy")
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/")})
    attacker = app.test_client()
    for _ in range(6):
        attempt(attacker, "director", "угадываю-пароль")
    assert attempt(browser, "director", DEMO_PASSWORD) == 429  # known for «deputy», not for «director»
    forged = app.test_client()
    forged.set_cookie("vsoko_device", "eyJsb2dpbiI6ImRpcmVjdG9yIn0.forged.signature")
    assert attempt(forged, "director", DEMO_PASSWORD) == 429


# --------------------------------------------------------------------------- timing


def test_an_unknown_login_costs_as_much_time_as_a_wrong_password(rt, app):
    load_demo(rt)
    app.config["RATELIMIT_ENABLED"] = False

    def median_ms(login_name: str) -> float:
        client = app.test_client()
        times = []
        for _ in range(5):
            token = csrf_token(client, "/login")
            started = time.perf_counter()
            client.post("/login", data={"login": login_name, "password": "не тот пароль", "csrf_token": token})
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    median_ms("nobody")  # warm-up: the dummy hash is made once
    wrong, unknown = median_ms("director"), median_ms("nobody-at-all")
    assert unknown > 0.5 * wrong, (unknown, wrong)  # before: 15–20 ms against 307–403 ms


# --------------------------------------------------------------------------- the start-up warning


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("storage, warned", [("memory://", True), (REDIS_URL, False)])
def test_gunicorn_warns_loudly_about_per_worker_counts(settings, tmp_path, storage, warned):
    env = {**os.environ, "VSOKO_DATABASE_URL": settings.database_url, "VSOKO_INSTANCE_DIR": str(tmp_path),
           "VSOKO_SECRET_KEY": "test-key", "VSOKO_RATELIMIT_STORAGE_URI": storage}
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as stderr:
        server = subprocess.Popen([str(PROJECT_ROOT / ".venv" / "bin" / "gunicorn") if (PROJECT_ROOT / ".venv").exists()
                                   else "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{_free_port()}", "wsgi:app"],
                                  cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "Booting worker" not in log.read_text(errors="replace"):
            time.sleep(0.2)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    output = log.read_text(errors="replace")
    assert "Booting worker" in output, output[-2000:]
    assert ("ВНИМАНИЕ: 2 рабочих процесса(ов) gunicorn" in output) is warned, output[-2000:]
