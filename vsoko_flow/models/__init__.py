"""The typed ORM model: every table the product has."""
from .artefact import (
    Artefact, ArtefactAssignee, DocumentPdf, Evidence, HistoryEntry, HistoryHead, OrganisationTemplate, PlanItem, PlanSection, Section,
    StoredDocument,
)
from .base import Base, utcnow
from .job import JOB_STATES, Job, JobUnit
from .journal import JOURNAL_PERIODS, Journal, JournalCounter, JournalEntry
from .organisation import ROLES, ApiToken, Membership, Organisation, User

__all__ = [
    "ApiToken",
    "Artefact",
    "ArtefactAssignee",
    "Base",
    "DocumentPdf",
    "Evidence",
    "HistoryEntry",
    "HistoryHead",
    "JOB_STATES",
    "JOURNAL_PERIODS",
    "Job",
    "JobUnit",
    "Journal",
    "JournalCounter",
    "JournalEntry",
    "Membership",
    "Organisation",
    "OrganisationTemplate",
    "PlanItem",
    "PlanSection",
    "ROLES",
    "Section",
    "StoredDocument",
    "User",
    "utcnow",
]
