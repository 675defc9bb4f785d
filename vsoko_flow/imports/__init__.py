"""Importing plans from uploaded tables: files → raw grids → plan rows → responsible positions.

Pure functions, no database: the caller shows `ImportedPlan.to_dict()` as a preview and stores
it only when the user confirms (item fingerprints tell a repeated import of the same file).
"""
from vsoko_flow.imports.plan_rows import (
    Column,
    ImportedItem,
    ImportedPlan,
    ImportedSection,
    PlanShape,
    RowAccounting,
    RowKind,
    RowOutcome,
    SourceRef,
    heading_key,
    item_fingerprint,
    parse_plan,
    parse_plans,
)
from vsoko_flow.imports.responsible import (
    TYPICAL_SCHOOL_POSITIONS,
    PartKind,
    Person,
    Position,
    ResponsibleMatch,
    ResponsiblePart,
    normalize_position,
    resolve_responsible,
)
from vsoko_flow.imports.tables import (
    MAX_IMPORT_BYTES,
    RawRow,
    RawTable,
    TableImportError,
    clean_cell,
    read_table_file,
)

__all__ = [
    "MAX_IMPORT_BYTES", "TYPICAL_SCHOOL_POSITIONS", "Column", "ImportedItem", "ImportedPlan", "ImportedSection",
    "PartKind", "Person", "PlanShape", "Position", "RawRow", "RawTable", "ResponsibleMatch", "ResponsiblePart",
    "RowAccounting", "RowKind", "RowOutcome", "SourceRef", "TableImportError", "clean_cell", "heading_key",
    "item_fingerprint", "normalize_position", "parse_plan", "parse_plans", "read_table_file",
    "resolve_responsible",
]
