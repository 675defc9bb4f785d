"""What the approval transaction costs over the documents it renders, and whether it leaks.

From one run it prints:
- the median time to fire `approve` of a Положение (row lock, version check, rules,
  registration number, supersede check, deadlines, three renders, hashes, hash-chained
  history, commit) against the median time of bare docxtpl renders of the same three
  templates with the same contexts, on SQLite and on PostgreSQL — target ratio ≤ 1.25;
- the growth of the process's resident memory over `--loop` transitions — target < 20 MB.

The last three lines are exactly `ratio_sqlite=…`, `ratio_postgresql=…` (or `skipped`) and
`memory_growth_mb=…`; scripts read them. Exit code 0 even when a target is missed.

PostgreSQL: `VSOKO_BENCH_DATABASE_URL`, else the local `vsoko_bench` database, created when
missing. Its schema `public` is DROPPED and re-created: never point it at real data.
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import gc
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from docxtpl import DocxTemplate, InlineImage
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from vsoko_flow.config import PROJECT_ROOT, Settings
from vsoko_flow.db import transaction
from vsoko_flow.documents.render import DOCUMENT_ENV, QR_WIDTH, TemplateSource, fill_placeholders, qr_png
from vsoko_flow.migrations import upgrade
from vsoko_flow.models import Organisation
from vsoko_flow.services import transitions as transitions_module
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.demo import DEMO_PEOPLE, POLOZHENIE_TEXT, create_demo_school
from vsoko_flow.services.runtime import Runtime
from vsoko_flow.services.transitions import fire_transition
from vsoko_flow.services.users import add_membership, create_user

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/vsoko_bench"
# The Положение written for the tests (eight sections, the size of a school's act); the short demo
# text where the tests are not beside the package.
TESTS_POLOZHENIE = PROJECT_ROOT / "tests" / "data" / "polozhenie.txt"
TITLE = "Положение о внутренней системе оценки качества образования"
SCHOOL_YEAR = "2024/2025"
REQUEST_DAY = dt.date(2025, 3, 10)
STUDENTS_DAY = dt.date(2025, 3, 14)
PARENTS_DAY = dt.date(2025, 3, 17)
COUNCIL_DAY = dt.date(2025, 3, 31)
ORDER_DAY = dt.date(2025, 4, 3)
TEACHER_NAMES = [
    ("Кузнецова", "Анна", "Петровна", "f"), ("Смирнов", "Игорь", "Васильевич", "m"),
    ("Попова", "Елена", "Сергеевна", "f"), ("Васильев", "Олег", "Николаевич", "m"),
]
TEACHER_POSITIONS = ["Учитель математики", "Учитель начальных классов", "Учитель истории и обществознания"]
WARMUP_APPROVALS = 2            # the first one also records what the transition renders
RATIO_TARGET = 1.25
MEMORY_TARGET_MB = 20.0
PROGRESS_EVERY = 1000
MB = 1024 * 1024


# ---------------------------------------------------------------- the school and its acts

class Scenario:
    """A demo school in a fresh database and the calls that take a Положение to approval."""

    def __init__(self, rt: Runtime, sections_text: str, extra_staff: int = 0):
        self.rt = rt
        self.sections_text = sections_text
        self.school_id, self.users = create_demo_school(rt)
        if extra_staff:
            self.hire_teachers(extra_staff)

    def hire_teachers(self, count: int) -> None:
        """A school of realistic size: every worker is a line of the acquaintance sheet."""
        with transaction(self.rt.sessions) as session:
            school = session.get(Organisation, self.school_id)
            for index in range(count):
                last, first, middle, gender = TEACHER_NAMES[index % len(TEACHER_NAMES)]
                user = create_user(session, f"teacher{index:04d}", last, first, middle, gender)
                add_membership(session, user, school, ["executor"], TEACHER_POSITIONS[index % len(TEACHER_POSITIONS)])

    def fire(self, artefact_id: int, trigger: str, login: str, day: dt.date, comment: str = "", **fields: Any):
        return fire_transition(self.rt, artefact_id, trigger, self.users[login], fields=fields, comment=comment,
                               today=day)

    def draft(self, title: str) -> int:
        return create_artefact(self.rt, self.users["deputy"], self.school_id, "polozhenie", title=title,
                               school_year=SCHOOL_YEAR, sections_text=self.sections_text, today=REQUEST_DAY)

    def adopted(self, title: str) -> int:
        """A new act with both councils' opinions and the pedagogical council's decision: ready for the order."""
        artefact_id = self.draft(title)
        self.fire(artefact_id, "send_for_opinions", "deputy", REQUEST_DAY, request_date=REQUEST_DAY.isoformat())
        for body, day, number in (("student_council", STUDENTS_DAY, "3"), ("parents_council", PARENTS_DAY, "4")):
            self.fire(artefact_id, "record_opinion", "secretary", day, opinion_body=body,
                      opinion_date=day.isoformat(), opinion_protocol_number=number, opinion_result="positive")
        self.fire(artefact_id, "send_to_council", "deputy", COUNCIL_DAY)
        self.fire(artefact_id, "adopt", "secretary", COUNCIL_DAY, protocol_date=COUNCIL_DAY.isoformat(),
                  present=42, votes_for=40, votes_against=0, votes_abstained=2)
        return artefact_id

    def approve(self, artefact_id: int):
        return self.fire(artefact_id, "approve", "director", ORDER_DAY, order_date=ORDER_DAY.isoformat(),
                         responsible="deputy")


def sections_text() -> tuple[str, str]:
    """(text, where it came from): the tests' Положение, as the tests use it, or the demo one."""
    path, origin = (TESTS_POLOZHENIE, "тесты") if TESTS_POLOZHENIE.is_file() else (POLOZHENIE_TEXT, "демо")
    body = path.read_text(encoding="utf-8")
    return body, f"{path.name} ({origin}, {len(body)} символов)"


# ---------------------------------------------------------------- the bare render

@dataclass(frozen=True)
class RenderCall:
    """One document of the transition: its template, its final context and QR payload."""
    source: TemplateSource
    context: dict[str, Any]
    qr_payload: str | None


@contextmanager
def renders_wrapped(wrap: Callable[[str, Callable[..., Any]], Callable[..., Any]]) -> Iterator[None]:
    """Swap the two render steps the transition calls (`render_draft`, `finish_draft`) for
    wrappers around them, and put them back."""
    names = ("render_draft", "finish_draft")
    originals = {name: getattr(transitions_module, name) for name in names}
    for name in names:
        setattr(transitions_module, name, wrap(name, originals[name]))
    try:
        yield
    finally:
        for name in names:
            setattr(transitions_module, name, originals[name])


def record_render_calls(scenario: Scenario, artefact_id: int) -> list[RenderCall]:
    """Approve once, keeping each document's template, its context with the placeholders filled
    in (what the document finally says) and its QR payload."""
    drafts: list[tuple[Any, TemplateSource, dict[str, Any]]] = []
    calls: list[RenderCall] = []

    def recording(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def render_draft(source: TemplateSource, context: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            draft = original(source, context, *args, **kwargs)
            drafts.append((draft, source, copy.deepcopy(context)))
            return draft

        def finish_draft(draft: Any, replacements: dict[str, str], qr_payload: str | None = None) -> bytes:
            source, context = next((s, c) for d, s, c in drafts if d is draft)
            calls.append(RenderCall(source, fill_placeholders(context, replacements), qr_payload))
            return original(draft, replacements, qr_payload=qr_payload)
        return render_draft if name == "render_draft" else finish_draft

    with renders_wrapped(recording):
        scenario.approve(artefact_id)
    return calls


def stopwatch(spent: list[float]) -> Callable[[str, Callable[..., Any]], Callable[..., Any]]:
    """A wrapper adding the time of each render step inside the transition to `spent[-1]` (costs ~1 µs)."""
    def wrapper(_name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def timed_step(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[-1] += time.perf_counter() - start
        return timed_step
    return wrapper


def bare_render(call: RenderCall) -> bytes:
    """docxtpl and nothing else: fresh template, the same QR image, the same sandboxed env, save.

    One render of what the document finally says (no placeholders): what `render_docx` does
    minus its error translation, written out here so that the baseline stays bare whatever is
    later added to the product's functions. The QR PNG and the sandboxed
    autoescaping environment are the product's own: they are part of the document, not overhead.
    """
    template = DocxTemplate(io.BytesIO(call.source.data))
    context = dict(call.context)
    if call.qr_payload:
        context["qr"] = InlineImage(template, io.BytesIO(qr_png(call.qr_payload)), width=QR_WIDTH)
    template.render(context, DOCUMENT_ENV)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def timed(func: Callable[[], Any]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


# ---------------------------------------------------------------- one database

@dataclass
class RatioResult:
    label: str
    transition: list[float]
    bare_total: list[float]
    bare_by_template: dict[str, list[float]]
    qr: list[float]
    inner_renders: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.transition) / statistics.median(self.bare_total)


def snapshot_definitions(workdir: Path) -> None:
    """Copy the Положение workflow and the templates once, so both databases run the very same files
    (and a half-edited sibling workflow or a template rebuilt mid-run cannot change the figures)."""
    (workdir / "workflows").mkdir()
    shutil.copy2(PROJECT_ROOT / "workflows" / "polozhenie.yaml", workdir / "workflows")
    shutil.copytree(PROJECT_ROOT / "document_templates", workdir / "document_templates")


def make_runtime(url: str, workdir: Path) -> Runtime:
    return Runtime.create(Settings(
        database_url=url, instance_dir=workdir / "instance", workflows_dir=workdir / "workflows",
        templates_dir=workdir / "document_templates", base_url="https://vsoko.example"))


def measure_ratio(label: str, scenario: Scenario, samples: int) -> RatioResult:
    """Approve `samples` adopted acts, each next to the bare renders of the same three documents (A/B alternating)."""
    started = time.perf_counter()
    ids = [scenario.adopted(f"{TITLE} (выпуск {i})") for i in range(samples + WARMUP_APPROVALS)]
    print(f"  подготовлено {len(ids)} актов в состоянии «Принято» за {time.perf_counter() - started:.1f} с",
          flush=True)
    calls = record_render_calls(scenario, ids[0])
    if not calls:
        raise SystemExit("approve не вызвал render_draft/finish_draft из vsoko_flow.services.transitions: "
                         "замер устарел, поправьте benchmarks/transition_vs_render.py под новый путь рендера")
    print("  документы перехода approve: " + ", ".join(c.source.name for c in calls), flush=True)
    for artefact_id in ids[1:WARMUP_APPROVALS]:
        scenario.approve(artefact_id)
    for call in calls:
        bare_render(call)

    result = RatioResult(label, [], [], {c.source.name: [] for c in calls}, [], [])

    def transition_sample(artefact_id: int) -> None:
        result.inner_renders.append(0.0)
        with renders_wrapped(stopwatch(result.inner_renders)):
            result.transition.append(timed(lambda: scenario.approve(artefact_id)))

    def bare_sample() -> None:
        times = [timed(lambda: bare_render(call)) for call in calls]
        for call, seconds in zip(calls, times):
            result.bare_by_template[call.source.name].append(seconds)
        result.bare_total.append(sum(times))
        result.qr.append(sum(timed(lambda: qr_png(call.qr_payload)) for call in calls if call.qr_payload))

    for index, artefact_id in enumerate(ids[WARMUP_APPROVALS:]):
        if index % 2 == 0:
            transition_sample(artefact_id)
            bare_sample()
        else:
            bare_sample()
            transition_sample(artefact_id)
    return result


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} мс"


def print_ratio(result: RatioResult) -> None:
    rest = [total - inner for total, inner in zip(result.transition, result.inner_renders)]
    print(f"  переход approve (блокировка, правила, номер, контексты, 3 документа, история, commit): "
          f"медиана {ms(result.transition)}  [мин {min(result.transition) * 1000:.1f}, "
          f"макс {max(result.transition) * 1000:.1f}]")
    print(f"    из него render_draft + finish_draft ×3 внутри перехода: медиана {ms(result.inner_renders)}; остальное "
          f"(всё, кроме рендеров): медиана {ms(rest)}")
    print(f"  база = сумма трёх голых рендеров (DocxTemplate + QR + render + save) тех же шаблонов "
          f"с теми же контекстами: медиана {ms(result.bare_total)}")
    for name, values in result.bare_by_template.items():
        print(f"    голый рендер {name}: медиана {ms(values)}")
    print(f"    QR-коды в них (qr_png ×3, замерены отдельно): медиана {ms(result.qr)}")
    overhead = statistics.median(result.transition) - statistics.median(result.bare_total)
    print(f"  разница медиан (переход − база): {overhead * 1000:.1f} мс; "
          f"отношение {result.label}: {result.ratio:.3f}")
    # The product's renders are cheaper than bare docxtpl (it prepares each template once), which
    # lowers the ratio; this line keeps the cost of everything else in view.
    own = statistics.median([t / inner for t, inner in zip(result.transition, result.inner_renders)])
    print(f"  для сведения: переход / рендеры внутри него (цена всего, кроме документов): медиана {own:.3f}",
          flush=True)


def run_sqlite(args: argparse.Namespace, workdir: Path, text_body: str) -> tuple[RatioResult, float]:
    path = workdir / "bench.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    rt = make_runtime(url, workdir)
    try:
        scenario = Scenario(rt, text_body, args.extra_staff)
        print(f"\nSQLite ({path}), выборок: {args.samples}", flush=True)
        result = measure_ratio("sqlite", scenario, args.samples)
        print_ratio(result)
        growth = measure_memory(scenario, args.loop, args.memory_warmup)
        return result, growth
    finally:
        rt.close()


# ---------------------------------------------------------------- PostgreSQL

def prepare_postgresql(url: str) -> str | None:
    """Create the database if missing, wipe schema public and migrate; the reason when no server answers."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database})
            if not exists:
                quoted = parsed.database.replace('"', '""')
                conn.exec_driver_sql(f'CREATE DATABASE "{quoted}"')
    except OperationalError as exc:
        return str(exc.orig or exc).strip().splitlines()[0]
    finally:
        admin.dispose()
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    upgrade(url)
    return None


def run_postgresql(args: argparse.Namespace, workdir: Path, text_body: str) -> tuple[RatioResult | None, str]:
    url = args.postgres_url
    shown = make_url(url).render_as_string(hide_password=True)
    if args.no_postgresql:
        return None, "отключено ключом --no-postgresql"
    reason = prepare_postgresql(url)
    if reason:
        return None, f"сервер не отвечает ({shown}): {reason}"
    rt = make_runtime(url, workdir)
    try:
        print(f"\nPostgreSQL ({shown}), выборок: {args.samples}", flush=True)
        result = measure_ratio("postgresql", Scenario(rt, text_body, args.extra_staff), args.samples)
        print_ratio(result)
        return result, ""
    finally:
        rt.close()


# ---------------------------------------------------------------- memory

def rss_bytes() -> int:
    """Resident set size now (not the peak)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the peak is the best the standard library offers
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def measure_memory(scenario: Scenario, loop: int, warmup: int) -> float:
    """Cycle send_to_council (renders the draft act) / return_to_draft (comment required) on one act."""
    artefact_id = scenario.draft(f"{TITLE} (проверка памяти)")
    steps = [
        lambda: scenario.fire(artefact_id, "send_to_council", "deputy", COUNCIL_DAY),
        lambda: scenario.fire(artefact_id, "return_to_draft", "deputy", COUNCIL_DAY,
                              comment="Доработать раздел 3 по замечаниям совета"),
    ]
    print(f"\nПамять (SQLite): {loop} переходов send_to_council / return_to_draft на одном акте "
          f"после разогрева из {warmup}", flush=True)
    for index in range(warmup):
        steps[index % 2]()
    gc.collect()
    before = rss_bytes()
    print(f"  RSS после разогрева: {before / MB:.1f} МБ", flush=True)
    started = block_started = time.perf_counter()
    for index in range(loop):
        steps[(warmup + index) % 2]()
        done = index + 1
        if done % PROGRESS_EVERY == 0 or done == loop:
            now = time.perf_counter()
            block = done % PROGRESS_EVERY or PROGRESS_EVERY
            print(f"  {done:>6} переходов за {now - started:7.1f} с; последние {block}: "
                  f"{block / (now - block_started):.1f} переходов/с; RSS {rss_bytes() / MB:.1f} МБ", flush=True)
            block_started = now
    elapsed = time.perf_counter() - started
    gc.collect()
    after = rss_bytes()
    growth = (after - before) / MB
    print(f"  всего {loop} переходов за {elapsed:.1f} с ({loop / elapsed:.1f} переходов/с, "
          f"половина из них рендерит проект Положения)")
    print(f"  RSS: {before / MB:.1f} → {after / MB:.1f} МБ, рост {growth:.1f} МБ (1 МБ = 2^20 байт)", flush=True)
    return growth


# ---------------------------------------------------------------- verdicts and the machine lines

def load_average() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average неизвестен"


def verdict(ok: bool, what: str) -> str:
    return f"цель достигнута: {what}" if ok else f"ЦЕЛЬ НЕ ДОСТИГНУТА: {what}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=30, help="approvals timed per database (default 30)")
    parser.add_argument("--loop", type=int, default=10_000, help="transitions in the memory loop (default 10000)")
    parser.add_argument("--memory-warmup", type=int, default=200, help="transitions before the first RSS reading")
    parser.add_argument("--postgres-url", default=os.environ.get("VSOKO_BENCH_DATABASE_URL", DEFAULT_POSTGRES_URL),
                        help="PostgreSQL to use; its schema public is wiped (default: $VSOKO_BENCH_DATABASE_URL "
                             f"or {DEFAULT_POSTGRES_URL})")
    parser.add_argument("--extra-staff", type=int, default=0,
                        help="teachers added to the demo school's 7 staff (default 0; try 100 for a large school)")
    parser.add_argument("--no-postgresql", action="store_true", help="skip PostgreSQL")
    args = parser.parse_args(argv)
    if args.samples < 1 or args.loop < 1 or args.memory_warmup < 0 or args.extra_staff < 0:
        parser.error("--samples and --loop must be positive, --memory-warmup and --extra-staff not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    text_body, text_origin = sections_text()
    print(f"vsoko-flow: переход «approve» против голого рендера docxtpl, {dt.datetime.now():%Y-%m-%d %H:%M}, "
          f"Python {sys.version.split()[0]}, CPU: {os.cpu_count()}, {load_average()}")
    print(f"Текст актов: {text_origin}; работников школы: {len(DEMO_PEOPLE) + args.extra_staff} "
          f"(демо {len(DEMO_PEOPLE)} + --extra-staff {args.extra_staff})")
    print("Файлы: снимок workflows/polozhenie.yaml и document_templates/, сделанный в начале запуска.")
    print("База сравнения — сумма трёх голых рендеров docxtpl (order_approval, polozhenie, acquaintance_sheet) "
          "с контекстами и QR, записанными из настоящего перехода: approve рендерит все три.")
    with tempfile.TemporaryDirectory(prefix="vsoko-bench-") as tmp:
        workdir = Path(tmp)
        snapshot_definitions(workdir)
        sqlite_result, growth = run_sqlite(args, workdir, text_body)
        pg_result, pg_reason = run_postgresql(args, workdir, text_body)

    print(f"\nИтог ({load_average()}; когда load average выше числа CPU, все медианы растут и шумят, "
          f"а PostgreSQL, делящий CPU с замером, страдает сильнее SQLite):")
    print(verdict(sqlite_result.ratio <= RATIO_TARGET, f"SQLite: отношение {sqlite_result.ratio:.3f} "
                  f"(переход {ms(sqlite_result.transition)} / рендеры {ms(sqlite_result.bare_total)}), "
                  f"цель ≤ {RATIO_TARGET}"))
    if pg_result is None:
        print(f"PostgreSQL: не проверено — {pg_reason}")
    else:
        print(verdict(pg_result.ratio <= RATIO_TARGET, f"PostgreSQL: отношение {pg_result.ratio:.3f} "
                      f"(переход {ms(pg_result.transition)} / рендеры {ms(pg_result.bare_total)}), "
                      f"цель ≤ {RATIO_TARGET}"))
    print(verdict(growth < MEMORY_TARGET_MB, f"рост памяти {growth:.1f} МБ (переходов в цикле: {args.loop}), "
                  f"цель < {MEMORY_TARGET_MB:.0f} МБ"))
    print(f"ratio_sqlite={sqlite_result.ratio:.3f}")
    print(f"ratio_postgresql={'skipped' if pg_result is None else f'{pg_result.ratio:.3f}'}")
    print(f"memory_growth_mb={growth:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
