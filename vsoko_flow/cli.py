"""The `vsoko` command line: a thin shell over services. Errors are one Russian line, exit 1."""
from __future__ import annotations

import contextlib
import functools
import json
import sys
from pathlib import Path
from typing import Any, Callable

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from . import migrations
from .db import transaction
from .documents.russian import count_noun
from .documents.uploads import UploadError
from .engine.definitions import DefinitionError, load_definitions, mermaid_diagram
from .services import artefacts as artefact_service
from .services.errors import ServiceError
from .services.sections import read_text_file, sections_as_text
from .services.runtime import Runtime


def _fail(message: str, details: Any = None) -> None:
    click.echo(f"Ошибка: {message}", err=True)
    for line in _detail_lines(message, details):
        click.echo(f"  - {line}", err=True)
    sys.exit(1)


def _detail_lines(message: str, details: Any) -> list[str]:
    """The details under the one error line: field messages, refused rules (not the one already
    printed as the error), and warnings marked as such."""
    if not details:
        return []
    if isinstance(details, (list, tuple)):
        return [str(item) for item in details]
    if not isinstance(details, dict):
        return [str(details)]
    lines = [str(text) for text in (details.get("fields") or {}).values()]
    lines += [str(text) for text in details.get("rules") or [] if text != message]
    lines += [f"предупреждение: {text}" for text in details.get("warnings") or []]
    return lines


def handle_errors(func: Callable) -> Callable:
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ServiceError as exc:
            _fail(exc.message, exc.details)
        except DefinitionError as exc:
            _fail("в описаниях процессов есть ошибки:", exc.problems)
        except UploadError as exc:
            _fail(str(exc))
        except (OperationalError, ProgrammingError) as exc:
            _fail(f"база данных недоступна или не создана (выполните «vsoko init-db»): {exc.orig}")
    return wrapper


def _runtime() -> Runtime:
    return Runtime.create()


def _user_id(rt: Runtime, login: str | None) -> int | None:
    if login is None:
        return None
    from .services.users import find_user

    with rt.sessions() as session:
        return find_user(session, login).id


def _parse_fields(pairs: tuple[str, ...]) -> dict[str, str]:
    fields = {}
    for pair in pairs:
        if "=" not in pair:
            _fail(f"поле задаётся как имя=значение, а не «{pair}»")
        name, value = pair.split("=", 1)
        fields[name.strip()] = value
    return fields


def _read_text(path: Path) -> str:
    """An act's text from a .docx or .txt, read as the browser reads it (title and grifs left out)."""
    return sections_as_text(read_text_file(path.read_bytes(), path.name).sections)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group()
def main() -> None:
    """vsoko-flow: ВСОКО школы — от проекта до приказа."""


@main.command("init-db")
@handle_errors
def init_db() -> None:
    """Создать или обновить схему базы данных (миграции Alembic)."""
    rt = _runtime()
    migrations.upgrade(rt.settings.database_url)
    click.echo("База данных готова.")


@main.command()
@handle_errors
def demo() -> None:
    """Создать базу и загрузить демонстрационную школу, если база пуста."""
    from .services.demo import DEMO_PASSWORD, DEMO_PEOPLE, database_is_empty, load_demo

    rt = _runtime()
    migrations.upgrade(rt.settings.database_url)
    if database_is_empty(rt):
        load_demo(rt)
        click.echo("Загружена демонстрационная школа.")
    else:
        click.echo("В базе уже есть данные: демонстрационная школа не загружается заново.")
    click.echo(f"Вход: http://127.0.0.1:5000 — пароль демонстрационных пользователей: {DEMO_PASSWORD}")
    for login, last, first, middle, _g, roles, position in DEMO_PEOPLE:
        click.echo(f"  {login:<14} {last} {first[0]}.{middle[0]}. — {position} ({', '.join(roles)})")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Запустить веб-сервер для разработки и одной школы (для района — gunicorn, см. README).

    Фоновые задачи (PDF, напоминания) выполняет поток этого же процесса, если не задано
    VSOKO_JOBS_EMBEDDED=0 (тогда нужен `vsoko jobs worker`)."""
    import os

    from .web import create_app, prepare_worker

    app = create_app()
    if os.environ.get("VSOKO_JOBS_EMBEDDED", "1") != "0":
        app.extensions["vsoko_runtime"].queue.start_embedded()
    prepare_worker(app)
    app.run(host=host, port=port)


@main.group()
def users() -> None:
    """Пользователи и токены API."""


@users.command("create")
@click.argument("login")
@click.option("--last-name", required=True)
@click.option("--first-name", required=True)
@click.option("--middle-name", default="")
@click.option("--gender", type=click.Choice(["f", "m"]), required=True, help="для склонения имени в документах")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--email", default="")
@click.option("--org", "organisation_id", type=int, help="организация, в которую включить")
@click.option("--roles", default="", help="роли через запятую: director,deputy,secretary,…")
@click.option("--position", default="", help="должность, например «Заместитель директора по УВР»")
@handle_errors
def users_create(login, last_name, first_name, middle_name, gender, password, email, organisation_id, roles,
                 position) -> None:
    """Создать пользователя (и включить его в организацию)."""
    from .models import Organisation
    from .services.users import add_membership, create_user

    rt = _runtime()
    with transaction(rt.sessions) as session:
        user = create_user(session, login, last_name, first_name, middle_name, gender, password, email)
        if organisation_id is not None:
            organisation = session.get(Organisation, organisation_id)
            if organisation is None:
                raise click.UsageError(f"организация {organisation_id} не найдена")
            add_membership(session, user, organisation, [r for r in roles.split(",") if r], position)
    click.echo(f"Пользователь {login} создан.")


@users.command("token")
@click.argument("login")
@click.option("--name", default="", help="для чего токен (видно в списке токенов)")
@handle_errors
def users_token(login: str, name: str) -> None:
    """Выпустить токен API (показывается один раз)."""
    from .services.users import issue_token

    click.echo(issue_token(_runtime(), login, name))


@main.group()
def orgs() -> None:
    """Организации и журналы регистрации."""


@orgs.command("create")
@click.option("--kind", type=click.Choice(["school", "district"]), default="school", show_default=True)
@click.option("--full-name", required=True)
@click.option("--short-name", required=True)
@click.option("--city", default="")
@click.option("--address", default="")
@click.option("--parent", "parent_id", type=int, help="id района, которому подчинена школа")
@handle_errors
def orgs_create(kind, full_name, short_name, city, address, parent_id) -> None:
    """Создать организацию."""
    from .services.organisations import create_organisation

    with transaction(_runtime().sessions) as session:
        organisation = create_organisation(session, kind, full_name, short_name, city, address, parent_id)
        click.echo(f"Организация создана, id {organisation.id}.")


@orgs.command("journal")
@click.argument("organisation_id", type=int)
@click.option("--code", required=True, help="orders — приказы, pedsovet — протоколы педсовета")
@click.option("--title", required=True)
@click.option("--mask", default="{n}", show_default=True, help="например «Ш29-13-{n}/5», «{n}-ОД»")
@click.option("--period", type=click.Choice(["calendar_year", "school_year", "continuous"]), default="calendar_year")
@handle_errors
def orgs_journal(organisation_id, code, title, mask, period) -> None:
    """Завести журнал регистрации с маской номера."""
    from .models import Organisation
    from .services.organisations import add_journal

    with transaction(_runtime().sessions) as session:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            _fail(f"организация {organisation_id} не найдена")
        add_journal(session, organisation, code, title, mask, period)
    click.echo(f"Журнал «{code}» заведён.")


@main.group()
def artefacts() -> None:
    """Документы ВСОКО: создание, просмотр, действия."""


@artefacts.command("create")
@click.option("--as", "login", required=True, help="логин того, кто создаёт")
@click.option("--org", "organisation_id", type=int, required=True)
@click.option("--kind", default="polozhenie", show_default=True)
@click.option("--title")
@click.option("--school-year")
@click.option("--supersedes", type=int, help="id действующей редакции, которую заменит новая")
@click.option("--field", "field_pairs", multiple=True, help="имя=значение")
@click.option("--sections-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="текст с разделами 1., 1.1., … (.txt или .docx)")
@handle_errors
def artefacts_create(login, organisation_id, kind, title, school_year, supersedes, field_pairs, sections_file) -> None:
    """Создать проект документа."""
    rt = _runtime()
    text = _read_text(sections_file) if sections_file else None
    artefact_id = artefact_service.create_artefact(
        rt, _user_id(rt, login), organisation_id, kind, title=title, school_year=school_year,
        fields=_parse_fields(field_pairs), supersedes_id=supersedes, sections_text=text)
    click.echo(artefact_id)


@artefacts.command("sections")
@click.argument("artefact_id", type=int)
@click.option("--as", "login", required=True)
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--version", type=int, help="версия, которую вы правите (защита от одновременной правки)")
@handle_errors
def artefacts_sections(artefact_id, login, path, version) -> None:
    """Заменить текст (разделы) проекта из файла .txt или .docx."""
    rt = _runtime()
    new_version = artefact_service.set_sections_from_file(rt, artefact_id, _user_id(rt, login), path.read_bytes(),
                                                          path.name, version)
    click.echo(f"Текст сохранён, версия {new_version}.")


@artefacts.command("list")
@click.option("--as", "login", help="показать только организации этого пользователя")
@click.option("--kind")
@click.option("--state")
@click.option("--school-year")
@click.option("--text")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def artefacts_list(login, kind, state, school_year, text, limit, as_json) -> None:
    """Список документов."""
    rt = _runtime()
    result = artefact_service.list_artefacts(rt, _user_id(rt, login), kind=kind, state=state,
                                             school_year=school_year, text=text, limit=limit)
    if as_json:
        _echo_json(result["items"])
        return
    for item in result["items"]:
        click.echo(f"{item['id']:>6}  {item['organisation']['short_name']:<18} {item['state_label']:<28} "
                   f"v{item['version']:<3} {item['title']}")
    click.echo(f"Всего: {result['total']}")


@artefacts.command("show")
@click.argument("artefact_id", type=int)
@click.option("--as", "login")
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def artefacts_show(artefact_id, login, as_json) -> None:
    """Карточка документа: состояние, поля, доступные действия, документы."""
    rt = _runtime()
    data = artefact_service.show_artefact(rt, artefact_id, _user_id(rt, login))
    if as_json:
        data.pop("history", None)
        _echo_json(data)
        return
    click.echo(f"№ {data['id']} {data['title']}")
    click.echo(f"Состояние: {data['state_label']} (версия {data['version']}), {data['organisation']['short_name']}, "
               f"{data['school_year']} уч. год")
    for name, value in data["fields"].items():
        click.echo(f"  {name}: {value}")
    for transition in data.get("available_transitions", []):
        click.echo(f"  → {transition['trigger']}: {transition['label']}")
    for doc in data["documents"]:
        click.echo(f"  [{doc['id']}] {doc['file_name']} ({doc['size']} байт)")
    for link in data.get("trace", []):
        click.echo(f"  ↔ {link['relation_label']}: № {link['id']} {link['title']}"
                   + (f" ({link['state_label']})" if link["state_label"] else ""))


@artefacts.command("fire")
@click.argument("artefact_id", type=int)
@click.argument("trigger")
@click.option("--as", "login", required=True)
@click.option("--field", "field_pairs", multiple=True, help="имя=значение")
@click.option("--comment", default="")
@click.option("--version", type=int)
@handle_errors
def artefacts_fire(artefact_id, trigger, login, field_pairs, comment, version) -> None:
    """Выполнить действие (переход) над документом."""
    from .services.transitions import fire_transition

    rt = _runtime()
    result = fire_transition(rt, artefact_id, trigger, _user_id(rt, login), version=version,
                             fields=_parse_fields(field_pairs), comment=comment)
    definition = rt.definition(_kind_of(rt, artefact_id))
    click.echo(f"Готово: «{definition.state_label(result.from_state)}» → «{definition.state_label(result.to_state)}», "
               f"версия {result.version}.")
    for warning in result.warnings:
        click.echo(f"Предупреждение: {warning}")
    for doc in result.documents:
        click.echo(f"  документ [{doc['id']}] {doc['file_name']}")


def _kind_of(rt: Runtime, artefact_id: int) -> str:
    from .models import Artefact

    with rt.sessions() as session:
        return session.get(Artefact, artefact_id).kind


@artefacts.command("history")
@click.argument("artefact_id", type=int)
@click.option("--as", "login")
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def artefacts_history(artefact_id, login, as_json) -> None:
    """История документа (цепочка записей с хешами)."""
    rt = _runtime()
    history = artefact_service.show_artefact(rt, artefact_id, _user_id(rt, login))["history"]
    if as_json:
        _echo_json(history)
        return
    for entry in history:
        click.echo(f"{entry['sequence']:>3}. {entry['at'][:19]} {entry['actor']}: {entry['trigger']} "
                   f"{entry['from'] or '—'} → {entry['to']} {entry['comment']}  #{entry['hash'][:12]}")


@main.group()
def documents() -> None:
    """Сформированные документы."""


@documents.command("export")
@click.argument("artefact_id", type=int)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--as", "login")
@handle_errors
def documents_export(artefact_id, out_dir, login) -> None:
    """Сохранить все документы артефакта в папку как .docx."""
    rt = _runtime()
    out_dir.mkdir(parents=True, exist_ok=True)
    files = artefact_service.artefact_documents(rt, artefact_id, _user_id(rt, login))
    for name, content in files:
        (out_dir / name).write_bytes(content)
        click.echo(out_dir / name)
    if not files:
        click.echo("У документа пока нет сформированных файлов.")


@documents.command("pdf-warm")
@click.option("--limit", default=50, show_default=True, help="сколько документов преобразовать за запуск")
@click.option("--queue-only", is_flag=True, help="только поставить задачу в очередь (выполнит vsoko jobs worker)")
@handle_errors
def documents_pdf_warm(limit: int, queue_only: bool) -> None:
    """Заранее преобразовать в PDF документы, у которых его ещё нет (для cron; нужен LibreOffice).

    Работа идёт фоновой задачей: её ход виден на странице задачи, а прерванная задача
    продолжается с того документа, на котором остановилась."""
    from .services.pdf import pdf_available

    if not pdf_available():
        _fail("LibreOffice не установлен на сервере")
    job = _run_as_job("pdf_copies", {"limit": limit}, queue_only)
    if job is not None:
        click.echo(f"pdf_converted={job.result.get('converted', 0)}")


@main.command()
@click.option("--anchor", "anchor_file", type=click.Path(dir_okay=False, path_type=Path),
              help="дописать в этот файл (вне базы) головы всех цепочек, если всё цело")
@click.option("--against", "against_file", type=click.Path(dir_okay=False, path_type=Path),
              help="проверить, что записи, закреплённые последним якорем этого файла, не переписаны")
@handle_errors
def verify(anchor_file: Path | None, against_file: Path | None) -> None:
    """Проверить цепочку истории, хеши документов, поля, строки планов, материалы, номера журналов
    и шаблоны; код выхода 1 при расхождении."""
    from .services.anchor import read_anchor, verify_and_anchor
    from .services.verify import entries_to_check, verify_store

    rt = _runtime()
    against = read_anchor(against_file) if against_file else None
    with _progress(rt, entries_to_check) as progress:
        if anchor_file is not None:
            written = verify_and_anchor(rt, anchor_file, against, progress)
            report = written.report
        else:
            report = verify_store(rt, progress=progress, anchored=against.heads() if against else None,
                                  anchored_templates=against.templates() if against else None)
    if not report.ok:
        click.echo(f"Нарушена целостность: {report.problems[0]}", err=True)
        for problem in report.problems[1:]:
            click.echo(f"  также: {problem}", err=True)
        sys.exit(1)
    click.echo(f"Целостность подтверждена: {count_noun(report.artefacts, 'документ')}, "
               f"{count_noun(report.entries, 'запись')} истории, {count_noun(report.documents, 'файл')}.")
    if against is not None:
        click.echo(f"Записи, закреплённые якорем от {against.written_at}, не изменены.")
    if anchor_file is not None:
        click.echo(f"Якорь дописан в {anchor_file}: {count_noun(written.heads, 'цепочка')}; "
                   f"контрольная сумма {written.digest} — сохраните её вне сервера.")


@contextlib.contextmanager
def _progress(rt, total):  # noqa: ANN001, ANN202 - a Runtime and a counting function
    """A progress bar on the terminal (entries checked of all, time left); nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=total(rt), label="Проверка истории", file=sys.stderr, show_pos=True) as bar:
        yield bar.update


@main.command()
@click.option("--out", "target", type=click.Path(dir_okay=False, path_type=Path),
              help="файл копии (по умолчанию instance/backups/vsoko-ДАТА.sqlite3)")
@handle_errors
def backup(target: Path | None) -> None:
    """Резервная копия базы SQLite во время работы сервера (для PostgreSQL — pg_dump, см. README)."""
    from .services.backup import backup_sqlite, default_backup_path

    rt = _runtime()
    click.echo(f"Копия сохранена: {backup_sqlite(rt, target or default_backup_path(rt))}")


@main.command()
@click.option("--days", default=7, show_default=True, help="напоминать о сроках в ближайшие N дней")
@click.option("--date", "on_date", type=click.DateTime(formats=["%Y-%m-%d", "%d.%m.%Y"]), help="дата сводки")
@handle_errors
@click.option("--queue-only", is_flag=True, help="только поставить задачу в очередь (выполнит vsoko jobs worker)")
def remind(days: int, on_date, queue_only: bool) -> None:
    """Разослать каждому исполнителю одно письмо: что просрочено и что скоро (для cron).

    Рассылка — фоновая задача: прерванная, она продолжается с того, кому письмо ещё не ушло."""
    from .config import load_settings
    from .services.clock import school_today
    from .services.reminders import SmtpSettings

    SmtpSettings.from_env()  # a missing mail setting is said now, not in a worker's log
    # «Today» is the school's date (VSOKO_TIMEZONE): cron at 00:30 in Moscow is still yesterday in UTC.
    today = on_date.date() if on_date else school_today(load_settings().timezone)
    job = _run_as_job("reminders", {"today": today.isoformat(), "days": days}, queue_only)
    if job is None:
        return
    click.echo(f"Отправлено писем: {job.result.get('sent', 0)}.")
    for name in job.result.get("without_email", []):
        click.echo(f"Нет адреса почты: {name}")
    for failure in job.result.get("failed", []):
        click.echo(f"Не отправлено: {failure}", err=True)
    if job.result.get("failed"):
        sys.exit(1)


def _run_as_job(kind: str, params: dict, queue_only: bool):  # noqa: ANN202 - JobView | None
    """Submit a job; unless `queue_only`, run it in this process now and return how it ended."""
    from .services.jobs import run_job, submit

    rt = _runtime()
    job_id = submit(rt, kind, params)
    click.echo(f"job_id={job_id}")
    if queue_only:
        return None
    state = run_job(rt, job_id)
    job = _job_view(rt, job_id)
    if state == "failed":
        _fail(f"Задача № {job_id} не выполнена: {job.error}")
    return job


def _job_view(rt: Runtime, job_id: int):  # noqa: ANN202 - JobView
    from .services.jobs import job_view

    return job_view(rt, job_id)


@main.group()
def jobs() -> None:
    """Фоновые задачи: обработчик очереди и состояние задач."""


@jobs.command("worker")
@click.option("--workers", default=2, show_default=True, help="потоков выполнения в этом процессе")
def jobs_worker(workers: int) -> None:
    """Обработчик очереди фоновых задач (для района — на одной или нескольких машинах)."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from .services.jobs import load_handlers
    from .services.runtime import settle_process

    load_handlers()
    rt = _runtime()
    rt.definitions  # noqa: B018 - loaded before the process settles
    consumer = rt.queue.consumer(workers=workers)
    settle_process()
    consumer.run()


@jobs.command("show")
@click.argument("job_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def jobs_show(job_id: int, as_json: bool) -> None:
    """Состояние задачи: сколько сделано, результат или ошибка."""
    job = _job_view(_runtime(), job_id)
    if as_json:
        _echo_json({"id": job.id, "kind": job.kind, "title": job.title, "state": job.state, "total": job.total,
                    "done": job.done, "result": job.result, "error": job.error})
        return
    click.echo(f"№ {job.id} «{job.title}»: {job.state_label}, выполнено {job.done} из {job.total}")
    if job.error:
        click.echo(f"Ошибка: {job.error}")


@jobs.command("recover")
@handle_errors
def jobs_recover() -> None:
    """Вернуть в очередь задачи, чей обработчик перестал отвечать (это делает и сам обработчик раз в минуту)."""
    from .services.jobs import recover_stalled

    click.echo(f"recovered={len(recover_stalled(_runtime()))}")


@main.group()
def workflows() -> None:
    """Описания процессов (workflows/*.yaml)."""


@workflows.command("check")
@handle_errors
def workflows_check() -> None:
    """Проверить все описания процессов и сообщить об ошибках с файлом и строкой."""
    rt = _runtime()
    definitions = load_definitions(rt.settings.workflows_dir, rt.settings.templates_dir)
    for definition in definitions.values():
        click.echo(f"{definition.source_file}: «{definition.title}» — {count_noun(len(definition.states), 'состояние')}, "
                   f"{count_noun(len(definition.transitions), 'переход')}: в порядке")


@workflows.command("diagram")
@click.argument("kind")
@handle_errors
def workflows_diagram(kind: str) -> None:
    """Напечатать диаграмму состояний в формате Mermaid."""
    click.echo(mermaid_diagram(_runtime().definition(kind)))


# The quality cycle's commands (`vsoko quality …`) live in their own module.
from . import cli_quality  # noqa: E402,F401
from . import cli_signatures  # noqa: E402,F401 - registers `documents signatures|print|sign` and `acting`
from . import cli_monitoring  # noqa: E402,F401 - `vsoko monitoring …`

if __name__ == "__main__":
    main()
