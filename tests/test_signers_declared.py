"""Who signs a document is declared in its template's side file and checked when workflows load."""
from __future__ import annotations

import shutil

import pytest

from vsoko_flow.config import PROJECT_ROOT
from vsoko_flow.engine.definitions import DefinitionError, load_definitions


@pytest.fixture
def templates(tmp_path):
    target = tmp_path / "document_templates"
    shutil.copytree(PROJECT_ROOT / "document_templates", target)
    return target


def test_the_shipped_side_files_are_valid(templates):
    assert "polozhenie" in load_definitions(PROJECT_ROOT / "workflows", templates)


def test_an_unknown_signer_or_deadline_is_named_with_file_and_line(templates):
    side = templates / "order_approval.yaml"
    text = side.read_text(encoding="utf-8").replace("signers:\n- director", "signers:\n- director\n- nobody")
    side.write_text(text.replace("sign_within_working_days: 1", "sign_within_working_days: дня"), encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if row.startswith("signers:"))
    with pytest.raises(DefinitionError) as failure:
        load_definitions(PROJECT_ROOT / "workflows", templates)
    problems = failure.value.problems
    assert f"order_approval.yaml:{line}: неизвестный подписант «nobody»; известны: actor, certifier, chair, " \
           "director, secretary" in problems
    assert any(p.startswith("order_approval.yaml:") and "sign_within_working_days — целое число" in p
               for p in problems)
