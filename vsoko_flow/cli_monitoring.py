"""`vsoko monitoring …`: the district monitoring at the command line — the campaigns a person sees,
the results screen as lines or JSON, and the exports as jobs. A thin shell over services.monitoring
(the campaign's steps are `vsoko artefacts fire`)."""
from __future__ import annotations

import click

from .cli import _echo_json, _runtime, _user_id, handle_errors, main
from .services import monitoring as service


@main.group()
def monitoring() -> None:
    """Мониторинг ВСОКО района: кампании, экран результатов, выгрузки."""


@monitoring.command("list")
@click.option("--as", "login", required=True)
@handle_errors
def campaigns(login) -> None:
    """Кампании мониторинга, доступные человеку."""
    rt = _runtime()
    for item in service.campaigns_for(rt, _user_id(rt, login)):
        click.echo(f"{item['id']:<6} {item['state_label']:<26} школ: {item['schools']:<4} {item['title']}")


@monitoring.command("results")
@click.argument("campaign_id", type=int)
@click.option("--as", "login", required=True)
@click.option("--zone", type=click.Choice(["green", "yellow", "red"]))
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def results(campaign_id, login, zone, as_json) -> None:
    """Экран результатов: место, школа, баллы, %, зона, просроченные запросы."""
    rt = _runtime()
    data = service.results(rt, _user_id(rt, login), campaign_id, service.Filters(zone=zone))
    if as_json:
        _echo_json({k: data[k] for k in ("campaign_id", "title", "state", "total", "assessed", "mean_percent",
                                          "zones", "rows", "criteria")})
        return
    click.echo(f"schools={data['total']} assessed={data['assessed']} mean_percent={data['mean_percent']} "
               + " ".join(f"{z}={n}" for z, n in data["zones"].items()))
    for row in data["rows"]:
        percent = service.domain.number_text(row["percent"]) if row["returned"] else "не оценено"
        click.echo(f"{row['place'] or '—':>3} {row['school']:<40} {percent:>11} {row['zone'] or '—':<6} "
                   f"просрочено запросов: {row['late_requests']}")


@monitoring.command("export")
@click.argument("campaign_id", type=int)
@click.argument("what", type=click.Choice(sorted(service.EXPORT_KINDS)))
@click.option("--as", "login", required=True)
@handle_errors
def export(campaign_id, what, login) -> None:
    """Выгрузка (xlsx, report — справка, letters — письма школам) фоновыми задачами; печатает их номера."""
    rt = _runtime()
    job_ids = service.request_export(rt, _user_id(rt, login), campaign_id, what)
    click.echo(f"Фоновые задачи: {', '.join(map(str, job_ids))} (vsoko jobs show ID)")


@monitoring.command("plan-progress")
@click.argument("plan_id", type=int)
@click.option("--as", "login", required=True)
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def plan_progress(plan_id, login, as_json) -> None:
    """Исполнение плана района: по каждому пункту для всех школ («ОО») — сколько школ его закрыли."""
    rt = _runtime()
    data = service.district_plan_progress(rt, _user_id(rt, login), plan_id)
    if as_json:
        _echo_json(data)
        return
    click.echo(f"{data['title']} — {data['state_label']}; школ в районе: {data['schools']}")
    for row in data["rows"]:
        done = f"{row['done']} из {row['total']} школ" if row["every_school"] else "исполняет район"
        click.echo(f"{row['number'] or '—':<8} {done:<18} {row['activity']}")
