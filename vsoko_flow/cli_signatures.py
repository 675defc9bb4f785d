"""`vsoko documents signatures|print|sign` and `vsoko acting …`: signatures of documents and who acts
for the director, from the command line (registered on the groups of `cli.py`)."""
from __future__ import annotations

from pathlib import Path

import click

from .cli import _echo_json, _runtime, _user_id, documents, handle_errors, main
from .services import acting as acting_service
from .services import signatures as signature_service


@documents.command("signatures")
@click.argument("document_id", type=int)
@click.option("--as", "login")
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def documents_signatures(document_id: int, login: str | None, as_json: bool) -> None:
    """Подписи документа: кто должен подписать, кто подписал и чем, кто отказался."""
    rt = _runtime()
    found = signature_service.document_signatures(rt, document_id, _user_id(rt, login))
    if as_json:
        _echo_json(found)
        return
    if not found:
        click.echo("Документ не подписывается в системе.")
    for s in found:
        line = f"[{s['id']}] {s['capacity']} {s['signer']['name']}: {s['state_label']}"
        if s["kind_label"]:
            line += f", {s['kind_label']}, {s['signed_at'][:16].replace('T', ' ')} UTC"
        if s["certificate"]:
            line += f", сертификат № {s['certificate']['serial']} ({s['certificate']['owner']})"
        if s["due_date"] and s["state"] == "pending":
            line += f", срок {s['due_date']}"
        click.echo(line)


@documents.command("print")
@click.argument("document_id", type=int)
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--as", "login")
@handle_errors
def documents_print(document_id: int, out_path: Path, login: str | None) -> None:
    """Копия документа для печати: .docx с отметками сделанных подписей."""
    rt = _runtime()
    _, data = signature_service.print_copy(rt, document_id, _user_id(rt, login))
    out_path.write_bytes(data)
    click.echo(out_path)


@documents.command("sign")
@click.argument("signature_id", type=int)
@click.option("--as", "login", required=True, help="кто подписывает (сам подписант)")
@click.option("--sig", "sig_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="файл отсоединённой подписи (КЭП); без него — простая подпись, пароль спрашивается")
@handle_errors
def documents_sign(signature_id: int, login: str, sig_path: Path | None) -> None:
    """Подписать: квалифицированной подписью (--sig FILE) или простой (пароль подписанта)."""
    rt = _runtime()
    user_id = _user_id(rt, login)
    if sig_path is not None:
        result = signature_service.sign_qualified(rt, signature_id, user_id, sig_path.read_bytes())
    else:
        password = click.prompt("Пароль", hide_input=True)
        result = signature_service.sign_simple(rt, signature_id, user_id, password)
    click.echo(f"Подписано: «{result['document']['title']}» — {result['kind_label']}.")


@main.group()
def acting() -> None:
    """Исполнение обязанностей директора (И.о. директора) на период."""


@acting.command("add")
@click.argument("organisation_id", type=int)
@click.option("--login", required=True, help="кто исполняет обязанности")
@click.option("--from", "starts_on", required=True, help="первый день, ДД.ММ.ГГГГ")
@click.option("--to", "ends_on", required=True, help="последний день, ДД.ММ.ГГГГ")
@click.option("--order-date", required=True, help="дата приказа о возложении обязанностей")
@click.option("--order-number", required=True, help="номер приказа")
@handle_errors
def acting_add(organisation_id: int, login: str, starts_on: str, ends_on: str, order_date: str,
               order_number: str) -> None:
    """Записать период исполнения обязанностей директора."""
    recorded = acting_service.record_acting(_runtime(), None, organisation_id, login=login, starts_on=starts_on,
                                            ends_on=ends_on, order_date=order_date, order_number=order_number)
    click.echo(f"[{recorded.id}] {recorded.text}")


@acting.command("list")
@click.argument("organisation_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def acting_list(organisation_id: int, as_json: bool) -> None:
    """Записанные периоды, последние первыми."""
    periods = acting_service.list_acting(_runtime(), None, organisation_id)
    if as_json:
        _echo_json([p.as_dict() for p in periods])
        return
    for p in periods:
        click.echo(f"[{p.id}] {p.text}{' — отменено' if p.cancelled else ''}")


@acting.command("cancel")
@click.argument("organisation_id", type=int)
@click.argument("acting_id", type=int)
@handle_errors
def acting_cancel(organisation_id: int, acting_id: int) -> None:
    """Отменить запись, сделанную по ошибке."""
    click.echo(f"Отменено: {acting_service.cancel_acting(_runtime(), None, organisation_id, acting_id).text}")
