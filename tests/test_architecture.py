"""Structural contracts: domain layers stay free of Flask; migrations match the models."""
from __future__ import annotations

import re
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from vsoko_flow.config import PROJECT_ROOT
from vsoko_flow.models import Base

DOMAIN_MODULES = [
    "vsoko_flow.models", "vsoko_flow.engine.definitions", "vsoko_flow.procedures", "vsoko_flow.procedures.acts",
    "vsoko_flow.procedures.common", "vsoko_flow.documents.render", "vsoko_flow.documents.russian",
    "vsoko_flow.deadlines.phrases", "vsoko_flow.deadlines.workdays", "vsoko_flow.services.transitions",
    "vsoko_flow.services.artefacts", "vsoko_flow.services.verify", "vsoko_flow.services.demo",
    "vsoko_flow.services.admin", "vsoko_flow.services.template_upload", "vsoko_flow.services.plans",
    "vsoko_flow.services.reminders", "vsoko_flow.services.pdf", "vsoko_flow.services.verification",
    "vsoko_flow.imports.plan_rows", "vsoko_flow.procedures.control", "vsoko_flow.procedures.plans",
    "vsoko_flow.procedures.meetings", "vsoko_flow.procedures.councils",
    "vsoko_flow.procedures.audits", "vsoko_flow.procedures.findings", "vsoko_flow.procedures.corrective",
    "vsoko_flow.procedures.review", "vsoko_flow.procedures.children", "vsoko_flow.documents.charts",
    "vsoko_flow.services.audits", "vsoko_flow.services.quality", "vsoko_flow.procedures.monitoring",
    "vsoko_flow.services.monitoring", "vsoko_flow.services.monitoring_jobs",
]


def test_domain_layers_do_not_import_flask():
    code = "import sys\n" + "".join(f"import {m}\n" for m in DOMAIN_MODULES) + \
        "print(sorted(m for m in sys.modules if m == 'flask' or m.startswith('flask.')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=PROJECT_ROOT)
    assert result.stdout.strip() == "[]"


def test_no_domain_source_mentions_flask():
    for layer in ("engine", "procedures", "services", "models", "documents", "deadlines", "imports"):
        for path in (PROJECT_ROOT / "vsoko_flow" / layer).rglob("*.py"):
            lines = path.read_text(encoding="utf-8").splitlines()
            assert not [line for line in lines if line.lstrip().startswith(("import flask", "from flask"))], path


def test_migrations_produce_exactly_the_models(rt):
    from vsoko_flow.migrations import include_object

    with rt.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


# Words that name one kind of document or one domain: the engine must know none of them.
KIND_SPECIFIC = re.compile(
    r"procedures\.|polozhenie|положени|opinion|мнени|council|совет|meeting|заседани|protocol|протокол|"
    r"plan_item|PlanItem|PlanSection|plan_table|control_item|audit|аудит|finding|monitoring|мониторинг|"
    r"Evidence|ArtefactAssignee|director|директор|deputy|secretary",
    re.IGNORECASE)


def test_engine_knows_no_kind_of_document():
    """The engine is the generic machine: no rule, action or document source of its own, and no
    kind-specific name (each domain lives in a module of vsoko_flow/procedures/)."""
    registering = re.compile(r"^@(rule|action|document_context)\(", re.MULTILINE)
    for path in sorted((PROJECT_ROOT / "vsoko_flow" / "engine").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert not registering.search(source), f"{path.name} registers a rule, action or document source"
        code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
        found = sorted({m.group(0).lower() for m in KIND_SPECIFIC.finditer(code)})
        assert found == [], f"{path.name} names kinds of documents: {found}"


def test_engine_imports_no_domain_module():
    """Importing the engine alone loads no procedure module (they are loaded by name when the
    workflows are read)."""
    code = ("import sys\nimport vsoko_flow.engine.definitions, vsoko_flow.engine.context, vsoko_flow.engine.history\n"
            "print(sorted(m for m in sys.modules if m.startswith('vsoko_flow.procedures')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=PROJECT_ROOT)
    assert result.stdout.strip() == "[]"
