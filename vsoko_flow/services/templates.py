"""Which template renders a document: the organisation's own active version, else the shipped one."""
from __future__ import annotations

import hashlib
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..documents.render import TemplateSource
from ..models import OrganisationTemplate
from .runtime import Runtime

_CACHE_LIMIT = 64


def template_for(session: Session, rt: Runtime, organisation_id: int, name: str) -> TemplateSource:
    shipped = rt.templates.get(name)
    found = session.execute(
        select(OrganisationTemplate.id, OrganisationTemplate.sha256).where(
            OrganisationTemplate.organisation_id == organisation_id, OrganisationTemplate.name == name,
            OrganisationTemplate.is_active.is_(True)).order_by(OrganisationTemplate.version.desc()).limit(1)
    ).first()
    if found is None:
        return shipped
    cache: dict[str, TemplateSource] = rt.__dict__.setdefault("_organisation_templates", {})
    if found.sha256 not in cache:
        data = session.get(OrganisationTemplate, found.id).content
        if len(cache) >= _CACHE_LIMIT:
            cache.pop(next(iter(cache)))
        # Title, file name and variables stay those of the shipped template: the upload was
        # checked to use only those variables.
        cache[found.sha256] = replace(shipped, data=data, sha256=hashlib.sha256(data).hexdigest())
    return cache[found.sha256]
