"""The school's nomenclature of local normative acts (номенклатура ЛНА): what an act *is*.

«One edition in force» holds per act type, not per title: two Положения о ВСОКО titled
differently are still one act, and the second must supersede the first.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

# How the pedagogical council takes part in an act of this type, printed in its grif:
# acts it adopts (273-ФЗ ст. 30 via the school's charter) carry «ПРИНЯТО на заседании …»,
# acts it only agrees carry «СОГЛАСОВАНО».
COUNCIL_GRIFS = {"adopted": "Принимается педагогическим советом", "agreed": "Согласовывается педагогическим советом"}


class ActType(Base):
    __tablename__ = "act_types"
    __table_args__ = (UniqueConstraint("organisation_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    # The name in lower case with single spaces: «положение о вСОКО» and «Положение  о ВСОКО» are one type.
    name_key: Mapped[str] = mapped_column(String(300))
    council_grif: Mapped[str] = mapped_column(String(20), default="adopted")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def act_type_key(name: str) -> str:
    return " ".join(name.split()).lower()


class Acquaintance(Base):
    """One employee on an act's лист ознакомления (ТК РФ ст. 22): acknowledged in the system (date and
    time recorded) or on the signed paper sheet the deputy uploaded."""

    __tablename__ = "acquaintances"
    __table_args__ = (UniqueConstraint("artefact_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    artefact_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    position: Mapped[str] = mapped_column(String(300), default="")
    acknowledged_at: Mapped[Optional[dt.datetime]] = mapped_column()
    # "system" (the employee's own action) or "paper" (the signed sheet, `evidence_id`).
    method: Mapped[str] = mapped_column(String(20), default="")
    evidence_id: Mapped[Optional[int]] = mapped_column(ForeignKey("evidence.id"))
