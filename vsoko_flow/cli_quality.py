"""`vsoko quality …`: the quality cycle at the command line — an audit's programme, checklist
answers and findings, the school's ВСОКО figures of a year and the sources of a figure. A thin
shell over services.audits and services.quality (the transitions are `vsoko artefacts fire`)."""
from __future__ import annotations

import datetime as dt

import click

from .cli import _echo_json, _runtime, _user_id, handle_errors, main
from .services import audits as audit_service
from .services import quality as quality_service
from .services.artefacts import current_school_year


@main.group()
def quality() -> None:
    """Внутренние аудиты и анализ ВСОКО: программа, чек-лист, несоответствия, показатели года."""


@quality.command("checklists")
@click.option("--as", "login", required=True)
@click.option("--org", "organisation_id", type=int, required=True)
@handle_errors
def checklists(login, organisation_id) -> None:
    """Чек-листы школы (последние версии)."""
    rt = _runtime()
    for item in audit_service.checklist_list(rt, _user_id(rt, login), organisation_id):
        click.echo(f"{item['code']:<26} v{item['version']:<3} {item['area_label']}: {item['title']} "
                   f"({len(item['lines'])} требований)")


@quality.command("programme")
@click.argument("audit_id", type=int)
@click.option("--as", "login", required=True)
@click.option("--checklist", required=True)
@click.option("--lead", "lead_auditor", required=True, help="руководитель группы аудиторов (логин)")
@click.option("--auditor", "auditors", multiple=True)
@click.option("--auditee", "auditees", multiple=True, help="чья работа проверяется (логин)")
@click.option("--start", "start_date", required=True)
@click.option("--end", "end_date", required=True)
@click.option("--plan-row", "plan_item_id", type=int)
@handle_errors
def programme(audit_id, login, checklist, lead_auditor, auditors, auditees, start_date, end_date, plan_item_id) -> None:
    """Записать программу аудита."""
    rt = _runtime()
    version = audit_service.set_programme(rt, audit_id, _user_id(rt, login), version=None, checklist=checklist,
                                          lead_auditor=lead_auditor, auditors=list(auditors), auditees=list(auditees),
                                          start_date=start_date, end_date=end_date, plan_item_id=plan_item_id)
    click.echo(f"Программа сохранена, версия {version}.")


@quality.command("answer")
@click.argument("audit_id", type=int)
@click.argument("line_id", type=int)
@click.option("--as", "login", required=True)
@click.option("--answer", type=click.Choice(["conforms", "partial", "nonconforming", "not_applicable"]), required=True)
@click.option("--comment", default="")
@click.option("--link", "link_url", default="", help="ссылка на доказательство")
@click.option("--finding", "record", is_flag=True, help="сразу зафиксировать несоответствие по строке")
@handle_errors
def answer(audit_id, line_id, login, answer, comment, link_url, record) -> None:
    """Ответить на строку чек-листа (и зафиксировать несоответствие)."""
    rt = _runtime()
    user_id = _user_id(rt, login)
    audit_service.answer_line(rt, audit_id, line_id, user_id, answer=answer, comment=comment)
    if link_url:
        audit_service.add_line_evidence(rt, audit_id, line_id, user_id, link_url=link_url)
    click.echo("Ответ записан.")
    if record:
        found = audit_service.finding_from_line(rt, audit_id, line_id, user_id)
        click.echo(f"Несоответствие № {found['finding_id']} (выявлено {found['recurrence']}-й раз).")
        for note in found["notes"]:
            click.echo(note)


@quality.command("overview")
@click.option("--as", "login", required=True)
@click.option("--org", "organisation_id", type=int, required=True)
@click.option("--year", "school_year", help="учебный год, например 2024/2025 (по умолчанию текущий)")
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def overview(login, organisation_id, school_year, as_json) -> None:
    """Показатели ВСОКО школы за учебный год (ключ показателя → значение)."""
    rt = _runtime()
    data = quality_service.overview(rt, _user_id(rt, login), organisation_id,
                                    school_year or current_school_year(dt.date.today()))
    if as_json:
        _echo_json(data)
        return
    for key, value in data["figures"].items():
        click.echo(f"{key}={value}")


@quality.command("sources")
@click.argument("key")
@click.option("--as", "login", required=True)
@click.option("--org", "organisation_id", type=int, required=True)
@click.option("--year", "school_year")
@handle_errors
def sources(key, login, organisation_id, school_year) -> None:
    """Из чего сложился показатель: документы, которые он считает."""
    rt = _runtime()
    found = quality_service.figure_sources(rt, _user_id(rt, login), organisation_id,
                                           school_year or current_school_year(dt.date.today()), key)
    click.echo(f"{key}: {found['count']}")
    for row in found["rows"]:
        click.echo(f"  № {row['id']} {row['kind_title']}: {row['title']} ({row['state_label']})")
