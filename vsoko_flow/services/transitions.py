"""Firing a transition: one database transaction, all or nothing (see DESIGN.md).

lock + version check → trigger, role, fields, rules → actions → documents rendered →
registration numbers issued and filled into the documents → state and fields → hash-chained
history → commit. Any exception rolls everything back.

The numbers come last on purpose: issuing one locks its journal's counter until commit, and
rendering is most of a transition. Documents are rendered with placeholders for the numbers and
the verification link (which carries the documents' hash), then finished under the lock.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from sqlalchemy import event, select
from sqlalchemy.orm import Session
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..db import transaction
from ..documents.render import (
    PLACEHOLDER_MARK, Draft, PlaceholderLost, RenderError, TemplateSource, fill_placeholders, finish_draft,
    placeholder, release_documents, render_docx, render_draft, render_file_name,
)
from ..engine.context import TransitionContext
from ..procedures.acting import roles_on
from ..procedures.common import base_context
from ..engine.definitions import TransitionDef, WorkflowDefinition
from ..engine.fields import coerce_fields, quoted
from ..engine.history import append_entry, canonical_json, next_sequence
from ..engine.registry import ACTIONS, CONTEXTS, RULES, ActionError
from ..models import Artefact, Evidence, Membership, Organisation, StoredDocument, User
from .access import artefact_for, get_user
from .errors import Conflict, Forbidden, Unprocessable
from .runtime import Runtime
from .signatures import IssuedDocument, request_signatures
from .templates import active_uploads, template_for


@dataclass(frozen=True)
class FiredTransition:
    artefact_id: int
    trigger: str
    from_state: str
    to_state: str
    version: int
    documents: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)


def fire_transition(rt: Runtime, artefact_id: int, trigger: str, actor_id: int, *, version: int | None = None,
                    fields: dict[str, Any] | None = None, comment: str = "", today: dt.date | None = None,
                    files: dict[str, tuple[str, bytes]] | None = None) -> FiredTransition:
    """`files`: for a field «…_evidence_id», (file name, bytes) kept as the artefact's evidence in the same
    transaction — the field gets its id, the history its SHA-256; a refusal keeps nothing."""
    today = today or rt.today()
    try:
        with transaction(rt.sessions) as session:
            event.listen(session, "before_flush", _refuse_placeholders)
            fired = _fire(rt, session, artefact_id, trigger, actor_id, version, fields or {}, comment.strip(), today,
                          files or {})
    except StaleDataError:
        raise Conflict("Документ одновременно изменил другой пользователь: обновите страницу и повторите") from None
    except IntegrityError as exc:
        if ONE_IN_FORCE_INDEX in str(exc.orig):  # the database's own guard, should the lock ever be bypassed
            raise Conflict("Одновременно может действовать только одна редакция акта этого вида: другая редакция "
                           "только что вступила в силу — обновите страницу и создайте новую редакцию "
                           "действующего акта") from None
        raise
    finally:
        release_documents()
    return fired


ONE_IN_FORCE_INDEX = "uq_artefacts_one_in_force_per_act_type"


def _fire(rt: Runtime, session: Session, artefact_id: int, trigger: str, actor_id: int, version: int | None,
          raw_fields: dict[str, Any], comment: str, today: dt.date,
          files: dict[str, tuple[str, bytes]]) -> FiredTransition:
    actor = get_user(session, actor_id)
    artefact, membership = artefact_for(session, actor_id, artefact_id, lock=True)
    if version is not None and version != artefact.version:
        raise Conflict(f"Документ уже изменён (версия {artefact.version}, у вас {version}): "
                       "обновите страницу и повторите действие")
    definition = rt.definition(artefact.kind)
    transition = _available_transition(definition, artefact, trigger)
    _check_role(transition, roles_on(session, membership, today))
    attached = _attach_files(session, artefact, actor, transition, files)
    submitted = _coerce(session, artefact.organisation_id, transition,
                        {**raw_fields, **{name: evidence.id for name, evidence in attached.items()}}, comment, today)
    submitted.update({f"{name.removesuffix('_id')}_sha256": evidence.sha256 for name, evidence in attached.items()})
    ctx = _context(rt, session, artefact, transition, actor, membership, submitted, comment, today)
    warnings = _check_rules(ctx)
    _run_actions(ctx)
    drafts = _render_drafts(rt, ctx)
    try:
        numbers = ctx.issue_numbers()
    except ActionError as exc:  # a journal refuses the number (kept in date order)
        raise Unprocessable(str(exc), details={"rules": [str(exc)]}) from None
    # The artefact's row is changed only now, with the numbers in: one UPDATE, one new version.
    from_state = artefact.state
    _move(definition, artefact, trigger)
    stored = dict(submitted) if transition.store_fields else {}
    artefact.fields = {**artefact.fields, **stored, **ctx.updates}
    documents = _named_apart(ctx.session, artefact.id, [_finish(rt, ctx, draft, numbers) for draft in drafts])
    session.add_all(documents)
    session.flush()
    # Each document that needs a signature waits for its signers: their «Подписать» tasks.
    request_signatures(ctx, [IssuedDocument(draft.rendered.source, draft.context, document)
                             for draft, document in zip(drafts, documents)])
    entry = append_entry(session, artefact, actor, trigger, from_state, comment=comment,
                         fields={**submitted, **ctx.updates}, document_hashes=[d.sha256 for d in documents])
    session.flush()
    return FiredTransition(
        artefact_id=artefact.id, trigger=trigger, from_state=from_state, to_state=artefact.state,
        version=artefact.version, warnings=warnings,
        documents=[{"id": d.id, "public_id": d.public_id, "title": d.title, "file_name": d.file_name,
                    "sha256": d.sha256, "history_sequence": entry.sequence} for d in documents],
    )


def _named_apart(session: Session, artefact_id: int, documents: list[StoredDocument]) -> list[StoredDocument]:
    """No two documents of one artefact share a file name: a repeated one gets « (2)», « (3)» before «.docx»
    (a draft sent to the council again after an amendment, two extracts a template names alike)."""
    taken = {name.lower() for name in session.scalars(
        select(StoredDocument.file_name).where(StoredDocument.artefact_id == artefact_id))}
    for document in documents:
        stem, dot, suffix = document.file_name.rpartition(".")
        name, copy = document.file_name, 1
        while name.lower() in taken:
            copy += 1
            name = f"{stem} ({copy}).{suffix}" if dot else f"{document.file_name} ({copy})"
        document.file_name = name
        taken.add(name.lower())
    return documents


def _context(rt: Runtime, session: Session, artefact: Artefact, transition: TransitionDef, actor: User,
             membership: Membership, submitted: dict[str, Any], comment: str, today: dt.date) -> TransitionContext:
    return TransitionContext(session=session, artefact=artefact, definition=rt.definition(artefact.kind),
                             transition=transition, actor=actor, membership=membership, submitted=submitted,
                             comment=comment, today=today, base_url=rt.settings.base_url, definitions=rt.definitions)


# Steps a school may skip: offered only where it says it uses them (Organisation.uses_start_step).
OPTIONAL_STEPS = {"control_item": "start"}


def skipped_steps(session: Session, artefact: Artefact) -> set[str]:
    """The optional steps of the artefact's kind its school does not use (nothing to offer for them)."""
    step = OPTIONAL_STEPS.get(artefact.kind)
    if step is None:
        return set()
    uses_start = session.scalar(select(Organisation.uses_start_step).where(Organisation.id == artefact.organisation_id))
    return set() if uses_start else {step}


def offered_transitions(rt: Runtime, session: Session, artefact: Artefact, actor: User, membership: Membership,
                        today: dt.date | None = None) -> list[dict[str, Any]]:
    """The actions the person may take now, each with what its rules already say before any form is
    filled: `blocked` — why it cannot be done yet and what to do instead (the action is not offered);
    `warnings` — what the person should know before firing it. Reads only; nothing is written."""
    definition = rt.definition(artefact.kind)
    today = today or rt.today()
    roles = roles_on(session, membership, today)
    offered = []
    skipped = skipped_steps(session, artefact)
    for trigger in definition.available_triggers(artefact.state):
        transition = definition.transitions[trigger]
        if not transition.roles & roles or trigger in skipped:
            continue
        ctx = _context(rt, session, artefact, transition, actor, membership, {}, "", today)
        blocked, warnings = [], []
        for step in transition.rules:
            if RULES[step.name].before_form:
                (warnings if step.level == "warning" else blocked).extend(RULES[step.name].func(ctx, **step.params))
        offered.append({"trigger": trigger, "label": transition.label, "blocked": blocked, "warnings": warnings})
    return offered


def _available_transition(definition: WorkflowDefinition, artefact: Artefact, trigger: str) -> TransitionDef:
    transition = definition.transitions.get(trigger)
    if transition is None or transition.system:
        raise Conflict(f"Действие «{trigger}» не предусмотрено для документа вида «{definition.title}»")
    if trigger not in definition.available_triggers(artefact.state):
        raise Conflict(f"Действие «{transition.label}» недоступно: документ в состоянии "
                       f"«{definition.state_label(artefact.state)}»")
    return transition


FILE_FIELD_SUFFIX = "_evidence_id"
MAX_TRANSITION_FILE_BYTES = 10 * 1024 * 1024


def _attach_files(session: Session, artefact: Artefact, actor: User, transition: TransitionDef,
                  files: dict[str, tuple[str, bytes]]) -> dict[str, Evidence]:
    from .control import safe_file_name  # control's services import this module

    declared = {spec.name for spec in transition.fields if spec.name.endswith(FILE_FIELD_SUFFIX)}
    attached = {}
    for name, (file_name, data) in files.items():
        if name not in declared:
            raise Unprocessable(f"Действие «{transition.label}» не принимает файлов")
        if not data:
            raise Unprocessable("Файл пуст: выберите файл", details={"fields": {name: "Файл пуст: выберите файл"}})
        if len(data) > MAX_TRANSITION_FILE_BYTES:
            limit = f"Файл больше {MAX_TRANSITION_FILE_BYTES // (1024 * 1024)} МБ: уменьшите его (например, скан в PDF)"
            raise Unprocessable(limit, details={"fields": {name: limit}})
        evidence = Evidence(artefact_id=artefact.id, uploaded_by=actor.id, file_name=safe_file_name(file_name),
                            content=data, size=len(data), sha256=hashlib.sha256(data).hexdigest())
        session.add(evidence)
        attached[name] = evidence
    session.flush()
    return attached


def _check_role(transition: TransitionDef, roles: set[str]) -> None:
    """The member's roles that day, the duties they act in for another included (И.о. директора)."""
    if not transition.roles.intersection(roles):
        raise Forbidden(f"У вас нет права выполнять действие «{transition.label}» в этой организации")


def _coerce(session: Session, organisation_id: int, transition: TransitionDef, raw: dict[str, Any], comment: str,
            today: dt.date) -> dict[str, Any]:
    values, errors = coerce_fields(transition.fields, raw, today)
    errors.update(_unknown_members(session, organisation_id, transition, values))
    if transition.comment_required and not comment:
        errors["comment"] = "Укажите комментарий: для этого действия он обязателен"
    if errors:
        raise Unprocessable("Проверьте заполнение полей", details={"fields": errors})
    return values


def _unknown_members(session: Session, organisation_id: int, transition: TransitionDef,
                     values: dict[str, Any]) -> dict[str, str]:
    """A «member» field must name a person of this organisation, not just any login."""
    wanted = {spec.name: values[spec.name] for spec in transition.fields if spec.type == "member" and spec.name in values}
    if not wanted:
        return {}
    members = set(session.scalars(select(User.login).join(Membership).where(
        Membership.organisation_id == organisation_id, User.login.in_(wanted.values()), User.is_active.is_(True))))
    labels = {spec.name: spec.label for spec in transition.fields}
    return {name: f"{quoted(labels[name])}: сотрудник «{login}» не найден в этой организации"
            for name, login in wanted.items() if login not in members}


def _check_rules(ctx: TransitionContext) -> list[str]:
    blocking, warnings = [], []
    for step in ctx.transition.rules:
        messages = RULES[step.name].func(ctx, **step.params)
        (warnings if step.level == "warning" else blocking).extend(messages)
    if blocking:
        raise Unprocessable(blocking[0] if len(blocking) == 1 else "Нарушены правила оформления",
                            details={"rules": blocking, "warnings": warnings})
    return warnings


def _run_actions(ctx: TransitionContext) -> None:
    for step in ctx.transition.actions:
        try:
            ACTIONS[step.name].func(ctx, **step.params)
        except ActionError as exc:
            raise Unprocessable(str(exc), details={"action": step.name}) from None


def _move(definition: WorkflowDefinition, artefact: Artefact, trigger: str) -> None:
    """Let the definition's machine move a stand-in carrying the state, then store the result."""

    class _StateCarrier:
        state = artefact.state

    carrier = _StateCarrier()
    if not definition.machine.events[trigger].trigger(carrier):
        raise Conflict("Переход не выполнен")
    artefact.state = carrier.state


# Stands for the document's verification link until its hash is known.
_VERIFY_URL = placeholder(999_999)


@dataclass
class _DocumentDraft:
    context: dict[str, Any]
    sequence: int
    rendered: Draft


def _render_drafts(rt: Runtime, ctx: TransitionContext) -> list[_DocumentDraft]:
    if not ctx.transition.documents:
        return []
    base = base_context(ctx)
    sequence = next_sequence(ctx.session, ctx.artefact.id)
    drafts = []
    uploads = active_uploads(ctx.session, ctx.artefact.organisation_id)
    for ref in ctx.transition.documents:
        source = template_for(ctx.session, rt, ctx.artefact.organisation_id, ref.template, uploads)
        for context in CONTEXTS[ref.context].func(ctx, base):
            with _refused_as_unprocessable(source):
                rendered = render_draft(source, {**context, "verify_url": _VERIFY_URL}, with_qr=True)
            drafts.append(_DocumentDraft(context, sequence, rendered))
    return drafts


def _finish(rt: Runtime, ctx: TransitionContext, draft: _DocumentDraft, numbers: dict[str, str]) -> StoredDocument:
    source, context = draft.rendered.source, fill_placeholders(draft.context, numbers)
    public_id = uuid.uuid4().hex
    # The QR code cannot carry the file's own SHA-256; it carries the hash of what the
    # document says (template version + data), which the verification page compares.
    content_sha256 = hashlib.sha256(canonical_json({"template": source.sha256, "context": context}).encode()).hexdigest()
    verify_url = f"{rt.settings.base_url}/verify/{public_id}?h={content_sha256}"
    full_context = {**context, "verify_url": verify_url}
    try:
        data = finish_draft(draft.rendered, {**numbers, _VERIFY_URL: verify_url}, qr_payload=verify_url)
    except PlaceholderLost:
        # The template transforms a number or the link (a filter): render it again, whole.
        with _refused_as_unprocessable(source):
            data = render_docx(source, full_context, qr_payload=verify_url)
    number, date = _registration(context)
    return StoredDocument(
        public_id=public_id, artefact_id=ctx.artefact.id, organisation_id=ctx.artefact.organisation_id,
        history_sequence=draft.sequence, template_name=source.name, template_sha256=source.sha256,
        title=source.title, file_name=render_file_name(source, full_context),
        registration_number=number, registration_date=date, sha256=hashlib.sha256(data).hexdigest(),
        content_sha256=content_sha256, size=len(data), content=data,
    )


@contextmanager
def _refused_as_unprocessable(source: TemplateSource) -> Iterator[None]:
    """A template that cannot be rendered refuses the transition with its Russian message."""
    try:
        yield
    except RenderError as exc:
        raise Unprocessable(str(exc), details={"template": source.name}) from None


def _refuse_placeholders(session: Session, _flush_context, _instances) -> None:  # noqa: ANN001 - event signature
    """Before every flush of a transition: a number's placeholder is never stored. An action that
    copies a number before it is issued (instead of in `ctx.when_numbered`) is a programming
    error, and the transaction is rolled back."""
    for row in (*session.new, *session.dirty):
        values = getattr(row, "fields", None)
        if values and PLACEHOLDER_MARK in canonical_json(values):
            raise RuntimeError(f"{type(row).__name__}.fields holds a registration number that was not issued yet; "
                               "write it in ctx.when_numbered(...)")


def _registration(context: dict[str, Any]) -> tuple[str, dt.date | None]:
    for number_key, date_key in (("order_number", "order_date"), ("protocol_number", "protocol_date")):
        if context.get(number_key):
            raw = context.get(date_key) or ""
            try:
                day = dt.datetime.strptime(raw, "%d.%m.%Y").date()
            except ValueError:
                day = None
            return str(context[number_key]), day
    return "", None
