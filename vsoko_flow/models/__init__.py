"""The typed ORM model: every table the product has."""
from .artefact import Artefact, DocumentPdf, HistoryEntry, OrganisationTemplate, Section, StoredDocument
from .base import Base, utcnow
from .journal import JOURNAL_PERIODS, Journal, JournalCounter, JournalEntry
from .organisation import ROLES, ApiToken, Membership, Organisation, User

__all__ = [
    "ApiToken",
    "Artefact",
    "Base",
    "DocumentPdf",
    "HistoryEntry",
    "JOURNAL_PERIODS",
    "Journal",
    "JournalCounter",
    "JournalEntry",
    "Membership",
    "Organisation",
    "OrganisationTemplate",
    "ROLES",
    "Section",
    "StoredDocument",
    "User",
    "utcnow",
]
