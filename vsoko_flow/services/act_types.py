"""The school's nomenclature of local acts (номенклатура ЛНА): list, add, rename, and the type of a new act.

Every school starts with the usual list; the deputy or director extends it. An act is created with
a type from it (a new edition takes the type of the edition it replaces); «one edition in force»
is checked per type, whatever the acts are titled.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import transaction
from ..models import COUNCIL_GRIFS, ActType, Artefact, act_type_key
from ..safe_text import without_invisible
from .errors import NotFound, Unprocessable
from .runtime import Runtime

NAME_LIMIT = 300

# The acts most schools keep (the Положение о ВСОКО first: it is what vsoko-flow is for);
# the council adopts them, except where it only agrees.
DEFAULT_NOMENCLATURE: tuple[tuple[str, str], ...] = (
    ("Положение о внутренней системе оценки качества образования", "adopted"),
    ("Положение о педагогическом совете", "adopted"),
    ("Положение о формах, периодичности и порядке текущего контроля успеваемости и промежуточной аттестации "
     "обучающихся", "adopted"),
    ("Положение о рабочей программе учебного предмета", "adopted"),
    ("Положение о внутришкольном контроле", "adopted"),
    ("Правила внутреннего распорядка обучающихся", "adopted"),
    ("Положение о системе оплаты труда работников", "agreed"),
)


@dataclass(frozen=True)
class ActTypeView:
    id: int
    name: str
    council_grif: str
    acts: int
    in_force: str  # the title of the edition in force, or ""

    @property
    def council_grif_label(self) -> str:
        return COUNCIL_GRIFS.get(self.council_grif, self.council_grif)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "council_grif": self.council_grif, "acts": self.acts,
                "in_force": self.in_force}


def ensure_nomenclature(session: Session, organisation_id: int) -> None:
    """A school without a nomenclature gets the usual one (once)."""
    if session.scalar(select(ActType.id).where(ActType.organisation_id == organisation_id).limit(1)) is None:
        session.add_all(ActType(organisation_id=organisation_id, name=name, name_key=act_type_key(name),
                                council_grif=grif) for name, grif in DEFAULT_NOMENCLATURE)
        session.flush()


def _clean_name(name: Any) -> str:
    cleaned = " ".join(without_invisible(str(name or "")).split())
    if not cleaned:
        raise Unprocessable("Укажите название вида акта", details={"fields": {"name": "Укажите название вида акта"}})
    if len(cleaned) > NAME_LIMIT:
        raise Unprocessable(f"Название вида акта длиннее {NAME_LIMIT} знаков",
                            details={"fields": {"name": f"Не длиннее {NAME_LIMIT} знаков"}})
    return cleaned


def _check_grif(council_grif: str) -> str:
    if council_grif not in COUNCIL_GRIFS:
        raise Unprocessable("Укажите, принимает ли педагогический совет акт этого вида или только согласовывает его",
                            details={"fields": {"council_grif": "Выберите «принимается» или «согласовывается»"}})
    return council_grif


def _by_name(session: Session, organisation_id: int, name: str) -> ActType | None:
    return session.scalar(select(ActType).where(ActType.organisation_id == organisation_id,
                                                ActType.name_key == act_type_key(name)))


def list_act_types(rt: Runtime, organisation_id: int) -> list[ActTypeView]:
    with transaction(rt.sessions) as session:
        ensure_nomenclature(session, organisation_id)
        counts = dict(session.execute(
            select(Artefact.act_type_id, func.count()).where(Artefact.organisation_id == organisation_id,
                                                             Artefact.act_type_id.is_not(None))
            .group_by(Artefact.act_type_id)).all())
        in_force = dict(session.execute(
            select(Artefact.act_type_id, Artefact.title).where(Artefact.organisation_id == organisation_id,
                                                               Artefact.state == "in_force",
                                                               Artefact.act_type_id.is_not(None))).all())
        types = session.scalars(select(ActType).where(ActType.organisation_id == organisation_id)
                                .order_by(ActType.id)).all()
        return [ActTypeView(t.id, t.name, t.council_grif, counts.get(t.id, 0), in_force.get(t.id, ""))
                for t in types]


def add_act_type(rt: Runtime, organisation_id: int, *, name: Any, council_grif: str = "adopted") -> ActTypeView:
    cleaned, grif = _clean_name(name), _check_grif(council_grif)
    with transaction(rt.sessions) as session:
        ensure_nomenclature(session, organisation_id)
        if _by_name(session, organisation_id, cleaned) is not None:
            raise Unprocessable(f"Вид акта «{cleaned}» уже есть в номенклатуре",
                                details={"fields": {"name": "Такой вид акта уже есть"}})
        act_type = ActType(organisation_id=organisation_id, name=cleaned, name_key=act_type_key(cleaned),
                           council_grif=grif)
        session.add(act_type)
        session.flush()
        return ActTypeView(act_type.id, act_type.name, act_type.council_grif, 0, "")


def update_act_type(rt: Runtime, organisation_id: int, act_type_id: int, *, name: Any,
                    council_grif: str) -> ActTypeView:
    """Rename a type or change how the council takes part; its acts keep the type (their identity)."""
    cleaned, grif = _clean_name(name), _check_grif(council_grif)
    with transaction(rt.sessions) as session:
        act_type = _own_type(session, organisation_id, act_type_id)
        same_name = _by_name(session, organisation_id, cleaned)
        if same_name is not None and same_name.id != act_type.id:
            raise Unprocessable(f"Вид акта «{cleaned}» уже есть в номенклатуре",
                                details={"fields": {"name": "Такой вид акта уже есть"}})
        act_type.name, act_type.name_key, act_type.council_grif = cleaned, act_type_key(cleaned), grif
        saved_id = act_type.id
    return next(view for view in list_act_types(rt, organisation_id) if view.id == saved_id)


def _own_type(session: Session, organisation_id: int, act_type_id: Any) -> ActType:
    try:
        act_type = session.get(ActType, int(act_type_id))
    except (TypeError, ValueError):
        act_type = None
    if act_type is None or act_type.organisation_id != organisation_id:
        raise NotFound("Такого вида акта нет в номенклатуре этой школы")
    return act_type


def act_type_for_new_act(session: Session, organisation_id: int, chosen: Any, title: str,
                         previous: Artefact | None) -> ActType:
    """The type of a new act: the replaced edition's; else the one chosen from the nomenclature; else the
    type named like the act (added to the nomenclature when there is none — the deputy may rename it)."""
    ensure_nomenclature(session, organisation_id)
    if previous is not None and previous.act_type_id is not None:
        if chosen not in (None, "") and str(chosen) != str(previous.act_type_id):
            raise Unprocessable("Новая редакция относится к тому же виду акта, что и заменяемая: вид менять нельзя",
                                details={"fields": {"act_type": "Вид акта новой редакции — вид заменяемой"}})
        return session.get(ActType, previous.act_type_id)
    if chosen not in (None, ""):
        try:
            return _own_type(session, organisation_id, chosen)
        except NotFound:
            raise Unprocessable("Выберите вид акта из номенклатуры ЛНА этой школы",
                                details={"fields": {"act_type": "Такого вида акта нет в номенклатуре"}}) from None
    return _by_name(session, organisation_id, title) or _added_type(session, organisation_id, title[:NAME_LIMIT])


def _added_type(session: Session, organisation_id: int, name: str) -> ActType:
    """A new type; when another request adds the same name at that moment, theirs is used."""
    try:
        with session.begin_nested():
            act_type = ActType(organisation_id=organisation_id, name=name, name_key=act_type_key(name),
                               council_grif="adopted")
            session.add(act_type)
        return act_type
    except IntegrityError:
        return _by_name(session, organisation_id, name)
