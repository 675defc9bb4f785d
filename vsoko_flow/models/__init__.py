"""The typed ORM model: every table the product has."""
from .act_type import COUNCIL_GRIFS, Acquaintance, ActType, act_type_key
from .artefact import (
    Artefact, ArtefactAssignee, DocumentPdf, Evidence, HistoryEntry, HistoryHead, OrganisationTemplate, PlanItem, PlanSection, Section,
    StoredDocument,
)
from .base import Base, utcnow
from .job import JOB_STATES, Job, JobUnit
from .monitoring import (
    MonitoringCampaign, MonitoringCard, MonitoringFile, MonitoringGroup, MonitoringRequest, MonitoringSchoolCard,
)
from .journal import JOURNAL_PERIODS, Journal, JournalCounter, JournalEntry
from .organisation import ROLES, ApiToken, Membership, Organisation, User
from .quality import AuditLine, ChecklistVersion, CorrectiveSection, QualitySettings
from .signature import SIGNATURE_KINDS, SIGNATURE_STATES, ActingAssignment, Signature

__all__ = [
    "COUNCIL_GRIFS",
    "Acquaintance",
    "ActType",
    "act_type_key",
    "ActingAssignment",
    "ApiToken",
    "Artefact",
    "ArtefactAssignee",
    "AuditLine",
    "Base",
    "ChecklistVersion",
    "CorrectiveSection",
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
    "MonitoringCampaign",
    "MonitoringCard",
    "MonitoringFile",
    "MonitoringGroup",
    "MonitoringRequest",
    "MonitoringSchoolCard",
    "Organisation",
    "OrganisationTemplate",
    "PlanItem",
    "PlanSection",
    "QualitySettings",
    "ROLES",
    "SIGNATURE_KINDS",
    "SIGNATURE_STATES",
    "Section",
    "Signature",
    "StoredDocument",
    "User",
    "utcnow",
]
