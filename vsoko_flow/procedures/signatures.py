"""Who signs a document, by the name its template's side file gives in ``signers``.

Each name is a place of signature in the document (its bookmark ``vsoko_sign_<name>``, where the
mark of the signature goes on the printed copy) and the person who must sign there. The people
are found exactly as the document sources name them, so the name printed under a signature is
always the name of the person asked to sign it.
"""
from __future__ import annotations

from ..engine.context import TransitionContext
from ..engine.registry import signatory
from .acting import Signer, director_signer
from .meetings import protocol_people


@signatory("director", "Директор — или исполняющий обязанности директора в этот день (приказы, утверждённые "
                       "акты, исходящие письма)")
def director(ctx: TransitionContext) -> Signer | None:
    return director_signer(ctx)


@signatory("chair", "Председатель заседания (протокол)")
def chair(ctx: TransitionContext) -> Signer | None:
    member = protocol_people(ctx)["chair_member"]
    return Signer(member, "Председатель") if member is not None else None


@signatory("secretary", "Секретарь заседания (протокол)")
def secretary(ctx: TransitionContext) -> Signer | None:
    member = protocol_people(ctx)["secretary_member"]
    return Signer(member, "Секретарь") if member is not None else None


@signatory("certifier", "Кто заверяет выписку «Верно»: секретарь заседания, по умолчанию — кто её оформляет")
def certifier(ctx: TransitionContext) -> Signer | None:
    member = protocol_people(ctx)["secretary_member"] or ctx.membership
    return Signer(member, "Заверяет «Верно»")


@signatory("actor", "Составитель: кто выполняет действие (отчёт, справка)")
def actor(ctx: TransitionContext) -> Signer | None:
    return Signer(ctx.membership, ctx.membership.position or "Составитель")
