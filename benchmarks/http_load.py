"""HTTP load on gunicorn (2 workers) + PostgreSQL, from a bounded load generator on loopback.

gunicorn runs as README «Deployment» runs it: sync workers, one request per connection, so each
request goes to whichever worker is free (as behind nginx, which opens one upstream connection
per request). With keep-alive connections from the clients, all of them can end up on one worker
while the other idles.

Phase A — 8 clients fire «approve» through the JSON API (each renders three documents and takes
the next order number of the one school's journal). Transitions/s are compared with the limit
measured in the same run: two processes doing nothing but bare docxtpl renders of the same three
documents with the same contexts (render sets/s). Target ratio ≥ 0.6, no errors, no duplicate
numbers.

Phase B — 16 signed-in clients read pages («Мои задачи», lists, artefact pages), each pausing
about `--think` s (1 s; 0.5–1.5 s at random) between pages, like the users of a load tool such
as locust. Before the timer starts every client opens every kind of page once. Target p95 < 150 ms,
no errors. Then, for information only, `--saturation` s of the same clients with no pauses at all.

Every request loop is bounded in time (and the process stops by itself); traffic goes only to
127.0.0.1; a timeout or a dropped connection counts as an error. The last five lines are
`name=value` for scripts.

    .venv/bin/python benchmarks/http_load.py [--seconds 30] [--think 1] [--saturation 15] [--postgres-url URL]
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import transition_vs_render as base  # noqa: E402 - the same school, acts and bare render
from serving import (  # noqa: E402 - shared with chaos.py
    SHORT_ACT, adopted_act, duplicate_numbers, free_port, fresh_database, run_in_temporary_folder, sign_in,
    start_gunicorn, stop,
)

from vsoko_flow.services.users import issue_token  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/vsoko_bench_http"
TRANSITION_CLIENTS = 8
PAGE_CLIENTS = 16
RENDER_PROCESSES = 2
RATIO_TARGET = 0.6
P95_TARGET_MS = 150.0
PAGE_USERS = ["deputy", "director", "secretary", "teacher", "mo_head", "psychologist", "observer"]

# ---------------------------------------------------------------- the render limit

def _render_worker(calls, seconds: float, results) -> None:
    count, stop_at = 0, time.monotonic() + seconds
    while time.monotonic() < stop_at:
        for call in calls:
            base.bare_render(call)
        count += 1
    results.put(count)


def render_limit(calls, seconds: float) -> float:
    """Sets of the transition's documents rendered per second by two bare processes."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_render_worker, args=(calls, seconds, results)) for _ in range(RENDER_PROCESSES)]
    for worker in workers:
        worker.start()
    total = sum(results.get(timeout=seconds + 120) for _ in workers)
    for worker in workers:
        worker.join()
    return total / seconds


# ---------------------------------------------------------------- phase A: transitions

def fire_approvals(port: int, token: str, queue: list[tuple[int, int]], seconds: float
                   ) -> tuple[int, int, float, list[str]]:
    lock = threading.Lock()
    done, errors, samples = [0], [0], []

    def body_of(version: int) -> str:
        return json.dumps({"trigger": "approve", "version": version, "comment": "",
                           "fields": {"order_date": base.ORDER_DAY.isoformat(), "responsible": "deputy"}})
    stop_at = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while time.monotonic() < stop_at:
            with lock:
                if not queue:
                    return
                artefact_id, version = queue.pop()
            try:
                connection.request("POST", f"/api/v1/artefacts/{artefact_id}/transitions", body=body_of(version),
                                   headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                response = connection.getresponse()
                status, payload = response.status, response.read()
            except OSError as exc:  # a timeout or a refused connection is an error, counted
                connection.close()
                status, payload = type(exc).__name__, str(exc).encode()
            with lock:
                if status == 200:
                    done[0] += 1
                else:
                    errors[0] += 1
                    samples.append(f"{status} {payload[:200]!r}")

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(TRANSITION_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 180)
    return done[0], errors[0], time.monotonic() - started, samples[:5]


# ---------------------------------------------------------------- phase B: pages

PAGE_PATHS = ["/", "/artefacts/", "/artefacts/?page=2", "/artefacts/?state=in_force"]


def warm_up(sessions: list[tuple[http.client.HTTPConnection, dict[str, str]]], artefact_ids: list[int]) -> None:
    """Every client opens every kind of page once, untimed: each worker compiles its page templates
    on first use, and a person opening the system for the day meets a warm server."""
    for connection, jar in sessions:
        cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        for path in PAGE_PATHS + [f"/artefacts/{artefact_ids[0]}"]:
            connection.request("GET", path, headers={"Cookie": cookie})
            connection.getresponse().read()


def read_pages(port: int, artefact_ids: list[int], seconds: float, think: float) -> tuple[list[float], int, list[str]]:
    """Signed-in clients reading pages; each pauses `think` s on average (0.5×–1.5×) between pages."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors, samples = [0], []
    sessions = [sign_in(port, PAGE_USERS[i % len(PAGE_USERS)]) for i in range(PAGE_CLIENTS)]
    warm_up(sessions, artefact_ids)
    paths = PAGE_PATHS
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        connection, jar = sessions[index]
        cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        rng = random.Random(index)
        while time.monotonic() < stop_at:
            path = rng.choice(paths + [f"/artefacts/{rng.choice(artefact_ids)}"] * 2)
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Cookie": cookie})
                response = connection.getresponse()
                response.read()
                status = response.status
            except OSError as exc:  # a timeout or a refused connection is an error of the page, counted
                connection.close()
                status = f"{type(exc).__name__}: {exc}"
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors[0] += 1
                    samples.append(f"{status} {path}")
            if think:
                time.sleep(think * rng.uniform(0.5, 1.5))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(PAGE_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return latencies, errors[0], samples[:5]


# ---------------------------------------------------------------- the run

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--postgres-url", default=os.environ.get("VSOKO_BENCH_HTTP_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--think", type=float, default=1.0,
                        help="average pause of a page reader between pages, s (0: back-to-back requests)")
    parser.add_argument("--saturation", type=float, default=15.0,
                        help="length of an extra page phase with no pauses at all, for information (0: skip)")
    run_in_temporary_folder(run, parser.parse_args(), "vsoko-http-")


def run(args: argparse.Namespace, workdir: Path) -> None:
    print(f"load average в начале: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; CPU: {os.cpu_count()}")
    base.snapshot_definitions(workdir)
    print(f"PostgreSQL: {args.postgres_url} (схема public пересоздаётся)")
    fresh_database(args.postgres_url)
    rt = base.make_runtime(args.postgres_url, workdir)
    scenario = base.Scenario(rt, SHORT_ACT)

    warmup = adopted_act(scenario, "Положение о пробном акте")
    calls = base.record_render_calls(scenario, warmup[0])
    print(f"Документы утверждения: {', '.join(call.source.name for call in calls)}")
    limit_before = render_limit(calls, seconds=10)
    print(f"Предел до фазы A: {RENDER_PROCESSES} процесса голого docxtpl — {limit_before:.2f} комплектов документов/с")

    needed = int(limit_before * args.seconds * 2) + 40
    started = time.perf_counter()
    queue = [adopted_act(scenario, f"Положение № {n}") for n in range(needed)]
    print(f"Подготовлено {needed} актов «Принято» за {time.perf_counter() - started:.0f} с")
    token = issue_token(rt, "director", "http_load")

    port = free_port()
    server = start_gunicorn(args.postgres_url, workdir, port)
    try:
        done, transition_errors, elapsed, error_samples = fire_approvals(port, token, queue, args.seconds)
        rate = done / elapsed
        registered, duplicates, gaps = duplicate_numbers(rt)
        print(f"Фаза A: {TRANSITION_CLIENTS} клиентов, {done} утверждений за {elapsed:.1f} с — {rate:.2f}/с; "
              f"ошибок {transition_errors}; номеров приказов {registered}, повторов {duplicates}, пропусков {gaps}")
        for sample in error_samples:
            print(f"  ошибка: {sample}")
        readable = [warmup[0]] + [i for i, _ in queue[:50]]
        latencies, page_errors, page_samples = read_pages(port, readable, args.seconds, args.think)
        if args.saturation:
            saturated, saturated_errors, _ = read_pages(port, readable, args.saturation, 0)
            print(f"Для сведения, без пауз (насыщение: {PAGE_CLIENTS} клиентов подряд, без цели): "
                  f"{len(saturated)} страниц за {args.saturation:.0f} с — {len(saturated) / args.saturation:.0f}/с, "
                  f"медиана {statistics.median(saturated):.1f} мс, "
                  f"p95 {statistics.quantiles(saturated, n=100)[94]:.1f} мс, ошибок {saturated_errors}")
    finally:
        stop(server)
    # Measured again after the server is gone; the higher of the two is the limit (the lower ratio):
    # another process taking the CPUs during one measurement must not flatter the result.
    limit_after = render_limit(calls, seconds=10)
    limit = max(limit_before, limit_after)
    print(f"Предел после фаз: {limit_after:.2f} комплектов/с; в расчёт берётся больший: {limit:.2f}/с; "
          f"load average в конце: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    p95 = statistics.quantiles(latencies, n=100)[94] if len(latencies) >= 2 else float("nan")
    print(f"Фаза B: {PAGE_CLIENTS} клиентов (пауза чтения ~{args.think:g} с), {len(latencies)} страниц "
          f"за {args.seconds:.0f} с, "
          f"медиана {statistics.median(latencies):.1f} мс, p95 {p95:.1f} мс, ошибок {page_errors}")
    for sample in page_samples:
        print(f"  ошибка: {sample}")
    ratio = rate / limit
    verdict = ratio >= RATIO_TARGET and transition_errors == 0 and duplicates == 0 and gaps == 0 \
        and p95 < P95_TARGET_MS and page_errors == 0
    print("цель достигнута" if verdict else "ЦЕЛЬ НЕ ДОСТИГНУТА")
    rt.close()
    print(f"transition_ratio={ratio:.3f}")
    print(f"transition_errors={transition_errors}")
    print(f"duplicate_numbers={duplicates + gaps}")
    print(f"page_p95_ms={p95:.1f}")
    print(f"page_errors={page_errors}")


if __name__ == "__main__":
    main()
