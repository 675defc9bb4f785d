"""The typed ORM model: every table the product has."""
from .artefact import (
    Artefact, ArtefactAssignee, DocumentPdf, Evidence, HistoryEntry, HistoryHead, OrganisationTemplate, PlanItem, PlanSection, Section,
    StoredDocument,
)
from .base import Base, utcnow
from .journal import JOURNAL_PERIODS, Journal, JournalCounter, JournalEntry
from .organisation import ROLES, ApiToken, Membership, Organisation, User
from .signature import SIGNATURE_KINDS, SIGNATURE_STATES, ActingAssignment, Signature

__all__ = [
    "ActingAssignment",
    "ApiToken",
    "Artefact",
    "ArtefactAssignee",
    "Base",
    "DocumentPdf",
    "Evidence",
    "HistoryEntry",
    "HistoryHead",
    "JOURNAL_PERIODS",
    "Journal",
    "JournalCounter",
    "JournalEntry",
    "Membership",
    "Organisation",
    "OrganisationTemplate",
    "PlanItem",
    "PlanSection",
    "ROLES",
    "SIGNATURE_KINDS",
    "SIGNATURE_STATES",
    "Section",
    "Signature",
    "StoredDocument",
    "User",
    "utcnow",
]
