"""Importing a plan from Word, and the cost of its page and its execution report, at 50 and 500 rows.

For each size: a .docx with a plan table of N rows (sections of 10 rows, the phrases of real
plans in the «Ответственный» and «Срок» columns) is imported into a new ВСОКО activity plan
(`services.plans.commit_import`: parse, understand deadlines and people, store), then the plan is
taken through the council and the order (its rows go on control), and two reads are measured:
the plan's page as the deputy director sees it, and closing the plan, which renders the
execution report and the analytical справка. The SQL statements of each are counted; they must
not grow with the number of rows. Target: import of 500 rows < 2 s.

    .venv/bin/python benchmarks/import_plan.py

The last three lines are `import_500_s=…`, `queries_50=…`, `queries_500=…` (page + closing).
"""
from __future__ import annotations

import datetime as dt
import io
import logging
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from docx import Document
from sqlalchemy import event

from vsoko_flow.config import PROJECT_ROOT, Settings
from vsoko_flow.migrations import upgrade
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.demo import DEMO_PASSWORD, create_demo_school
from vsoko_flow.services.plans import commit_import
from vsoko_flow.services.runtime import Runtime
from vsoko_flow.services.transitions import fire_transition
from vsoko_flow.web import create_app

RESPONSIBLE = ["Заместитель директора по УВР", "Педагог-психолог", "Учитель физики", "Директор"]
DEADLINES = ["Декабрь, июнь", "Сентябрь", "Ежегодно до 30 ноября", "В течение учебного года", "Май",
             "Октябрь-декабрь 2024г", "1 раз в четверть", "до 20 апреля"]
IMPORT_TARGET_S = 2.0
SCHOOL_YEAR = "2024/2025"


def plan_docx(rows: int) -> bytes:
    document = Document()
    table = document.add_table(rows=1, cols=5)
    for cell, heading in zip(table.rows[0].cells, ["№", "Мероприятия", "Ответственный", "Индикатор/ Результат",
                                                    "Срок исполнения"]):
        cell.text = heading
    for n in range(rows):
        if n % 10 == 0:
            section = table.add_row().cells
            merged = section[0].merge(section[-1])
            merged.text = f"{n // 10 + 1}. Раздел плана № {n // 10 + 1}"
        cells = table.add_row().cells
        cells[0].text = str(n % 10 + 1)
        cells[1].text = f"Мониторинг качества образования, мероприятие {n + 1}: анализ результатов и рекомендации"
        cells[2].text = RESPONSIBLE[n % len(RESPONSIBLE)]
        cells[3].text = "Аналитическая справка"
        cells[4].text = DEADLINES[n % len(DEADLINES)]
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@contextmanager
def counted(rt: Runtime):
    counter = {"n": 0}

    def count(*_args):
        counter["n"] += 1

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)


def measure(rows: int, workdir: Path) -> dict[str, float]:
    url = f"sqlite:///{workdir / f'plan_{rows}.sqlite3'}"
    upgrade(url)
    rt = Runtime.create(Settings(url, workdir / "instance", PROJECT_ROOT / "workflows",
                                 PROJECT_ROOT / "document_templates", "https://vsoko.example"))
    school_id, users = create_demo_school(rt)
    plan_id = create_artefact(rt, users["deputy"], school_id, "activity_plan", school_year=SCHOOL_YEAR,
                              today=dt.date(2024, 8, 20))
    data = plan_docx(rows)
    started = time.perf_counter()
    result = commit_import(rt, plan_id, users["deputy"], data, "План.docx")
    import_s = time.perf_counter() - started
    day = dt.date(2024, 8, 30)
    fire_transition(rt, plan_id, "send_to_council", users["deputy"], today=day)
    fire_transition(rt, plan_id, "adopt", users["secretary"], today=day, fields={
        "protocol_date": day.isoformat(), "present": 40, "votes_for": 40, "votes_against": 0, "votes_abstained": 0})
    fire_transition(rt, plan_id, "approve", users["director"], today=day,
                    fields={"order_date": day.isoformat(), "responsible": "deputy"})

    app = create_app(rt)
    logging.getLogger("vsoko.requests").disabled = True
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"login": "deputy", "password": DEMO_PASSWORD, "csrf_token": token})
    client.get(f"/artefacts/{plan_id}")  # warm the templates
    with counted(rt) as page_queries:
        started = time.perf_counter()
        response = client.get(f"/artefacts/{plan_id}")
        page_s = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    with counted(rt) as close_queries:
        started = time.perf_counter()
        closed = fire_transition(rt, plan_id, "close", users["deputy"], today=dt.date(2025, 6, 30),
                                 fields={"report_date": "2025-06-30"})
        close_s = time.perf_counter() - started
    rt.close()
    print(f"{rows} строк: импорт {import_s:.2f} с ({result.items_added} пунктов, {result.sections_added} разделов); "
          f"страница плана {page_s * 1000:.0f} мс, {page_queries['n']} запросов; закрытие с отчётом и справкой "
          f"{close_s:.2f} с, {close_queries['n']} запросов, документов {len(closed.documents)}")
    return {"import_s": import_s, "queries": page_queries["n"] + close_queries["n"]}


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="vsoko-import-"))
    small, large = measure(50, workdir), measure(500, workdir)
    grows = large["queries"] > small["queries"]
    print("цель достигнута" if large["import_s"] < IMPORT_TARGET_S and not grows else "ЦЕЛЬ НЕ ДОСТИГНУТА")
    print(f"import_500_s={large['import_s']:.3f}")
    print(f"queries_50={small['queries']}")
    print(f"queries_500={large['queries']}")


if __name__ == "__main__":
    sys.exit(main())
