"""Structural contracts: domain layers stay free of Flask; migrations match the models."""
from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from vsoko_flow.config import PROJECT_ROOT
from vsoko_flow.models import Base

DOMAIN_MODULES = [
    "vsoko_flow.models", "vsoko_flow.engine.definitions", "vsoko_flow.engine.rules", "vsoko_flow.engine.actions",
    "vsoko_flow.engine.contexts", "vsoko_flow.documents.render", "vsoko_flow.documents.russian",
    "vsoko_flow.deadlines.phrases", "vsoko_flow.deadlines.workdays", "vsoko_flow.services.transitions",
    "vsoko_flow.services.artefacts", "vsoko_flow.services.verify", "vsoko_flow.services.demo",
    "vsoko_flow.services.admin", "vsoko_flow.services.template_upload", "vsoko_flow.services.plans",
    "vsoko_flow.services.reminders", "vsoko_flow.services.pdf", "vsoko_flow.services.verification",
    "vsoko_flow.imports.plan_rows", "vsoko_flow.engine.control", "vsoko_flow.engine.plan_contexts",
]


def test_domain_layers_do_not_import_flask():
    code = "import sys\n" + "".join(f"import {m}\n" for m in DOMAIN_MODULES) + \
        "print(sorted(m for m in sys.modules if m == 'flask' or m.startswith('flask.')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=PROJECT_ROOT)
    assert result.stdout.strip() == "[]"


def test_no_domain_source_mentions_flask():
    for layer in ("engine", "services", "models", "documents", "deadlines"):
        for path in (PROJECT_ROOT / "vsoko_flow" / layer).rglob("*.py"):
            lines = path.read_text(encoding="utf-8").splitlines()
            assert not [line for line in lines if line.lstrip().startswith(("import flask", "from flask"))], path


def test_migrations_produce_exactly_the_models(rt):
    with rt.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
