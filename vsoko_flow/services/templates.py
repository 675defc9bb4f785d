"""Which template renders a document: the organisation's own active version, else the shipped one.

An organisation's version comes back marked `uploaded`: it is rendered in a separate process with
memory, CPU, time and output limits, at every transition (documents/render.py)."""
from __future__ import annotations

import hashlib
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..documents.render import TemplateSource
from ..models import OrganisationTemplate
from .runtime import Runtime

_CACHE_LIMIT = 64


def active_uploads(session: Session, organisation_id: int) -> dict[str, tuple[int, str]]:
    """name → (id, sha256) of the organisation's active uploaded templates: one query per transition."""
    rows = session.execute(
        select(OrganisationTemplate.name, OrganisationTemplate.id, OrganisationTemplate.sha256).where(
            OrganisationTemplate.organisation_id == organisation_id, OrganisationTemplate.is_active.is_(True))
        .order_by(OrganisationTemplate.version)).all()
    return {name: (row_id, sha) for name, row_id, sha in rows}  # the newest version wins


def template_for(session: Session, rt: Runtime, organisation_id: int, name: str,
                 uploads: dict[str, tuple[int, str]] | None = None) -> TemplateSource:
    shipped = rt.templates.get(name)
    if uploads is None:
        uploads = active_uploads(session, organisation_id)
    if name not in uploads:
        return shipped
    found_id, found_sha = uploads[name]
    cache: dict[str, TemplateSource] = rt.__dict__.setdefault("_organisation_templates", {})
    if found_sha not in cache:
        data = session.get(OrganisationTemplate, found_id).content
        if len(cache) >= _CACHE_LIMIT:
            cache.pop(next(iter(cache)))
        # Title, file name and variables stay those of the shipped template: the upload was
        # checked to use only those variables. It renders in a limited process (documents/render.py).
        cache[found_sha] = replace(shipped, data=data, sha256=hashlib.sha256(data).hexdigest(), uploaded=True)
    return cache[found_sha]
