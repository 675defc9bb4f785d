"""Everything a process needs once: settings, database, workflow definitions and templates."""
from __future__ import annotations

import datetime as dt
import gc
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings, load_settings
from ..db import make_engine, make_session_factory
from ..documents.render import TemplateCatalog
from ..engine.definitions import WorkflowDefinition, load_definitions
from .clock import school_today
from .errors import NotFound


@dataclass
class Runtime:
    settings: Settings
    engine: Engine

    @classmethod
    def create(cls, settings: Settings | None = None, **engine_kwargs) -> "Runtime":
        settings = settings or load_settings()
        return cls(settings=settings, engine=make_engine(settings.database_url, **engine_kwargs))

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def definitions(self) -> dict[str, WorkflowDefinition]:
        return load_definitions(self.settings.workflows_dir, self.settings.templates_dir)

    @cached_property
    def templates(self) -> TemplateCatalog:
        return TemplateCatalog(self.settings.templates_dir)

    @cached_property
    def queue(self):  # noqa: ANN201 - services.queue.JobQueue (imported here: huey only when jobs are used)
        from .queue import JobQueue

        return JobQueue(self)

    def today(self) -> dt.date:
        """The date at the school (Settings.timezone): what «today» means to every rule and page."""
        return school_today(self.settings.timezone)

    def definition(self, kind: str) -> WorkflowDefinition:
        try:
            return self.definitions[kind]
        except KeyError:
            raise NotFound(f"Неизвестный вид документа «{kind}»") from None

    def close(self) -> None:
        self.engine.dispose()


def settle_process() -> None:
    """For a long-running process (a web or job worker) once it has loaded what it keeps: collect
    what start-up left behind, then keep the survivors out of later full collections (`gc.freeze`),
    so that a collection in the middle of a request walks only that request's objects."""
    gc.collect()
    gc.freeze()
