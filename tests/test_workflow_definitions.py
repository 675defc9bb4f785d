"""Workflow files are data: validated at load, with problems named by file and line."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vsoko_flow.config import PROJECT_ROOT
from vsoko_flow.engine.definitions import DefinitionError, load_definitions, mermaid_diagram

TEMPLATES = PROJECT_ROOT / "document_templates"
ORIGINAL = (PROJECT_ROOT / "workflows" / "polozhenie.yaml").read_text(encoding="utf-8")


def load_variant(tmp_path: Path, text: str):
    folder = tmp_path / "workflows"
    folder.mkdir(exist_ok=True)
    (folder / "polozhenie.yaml").write_text(text, encoding="utf-8")
    return load_definitions(folder, TEMPLATES)


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(DefinitionError) as failure:
        load_variant(tmp_path, text)
    return failure.value.problems


def test_the_shipped_workflows_load(tmp_path):
    definitions = load_definitions(PROJECT_ROOT / "workflows", TEMPLATES)
    polozhenie = definitions["polozhenie"]
    assert polozhenie.initial == "draft"
    assert polozhenie.available_triggers("draft") == ["send_for_opinions", "send_to_council", "withdraw"]
    # What the order asks after it; «supersede» is fired only by the engine.
    assert polozhenie.available_triggers("in_force") == ["acknowledge", "record_acquaintance_sheet",
                                                         "record_publication"]


def test_machine_has_no_auto_transitions():
    polozhenie = load_definitions(PROJECT_ROOT / "workflows", TEMPLATES)["polozhenie"]
    assert not any(trigger.startswith("to_") for trigger in polozhenie.machine.events)


@pytest.mark.parametrize(("broken", "fragment", "message"), [
    (ORIGINAL.replace("dest: in_force\n", "dest: in_forse\n"), "approve:", "неизвестное состояние «in_forse»"),
    (ORIGINAL.replace("- council_vote\n", "- council_votes\n"), "- council_votes", "неизвестное правило «council_votes»"),
    (ORIGINAL.replace("- supersede_previous\n", "- supersede_everything\n"), "- supersede_everything",
     "неизвестное действие «supersede_everything»"),
    (ORIGINAL.replace("template: protocol_extract,", "template: protocol_extractt,"), "protocol_extractt",
     "нет шаблона документа «protocol_extractt»"),
    (ORIGINAL.replace("roles: [director]\n", "roles: [tsar]\n"), "approve:", "неизвестная роль «tsar»"),
    (ORIGINAL.replace("in_force: {label: Действует}", "in_force: {}"), "in_force: {}", "нет подписи (label)"),
    (ORIGINAL.replace("- dates_not_in_future: {fields: [protocol_date]}", "- dates_not_in_future: {}"),
     "- dates_not_in_future: {}", "не хватает параметра «fields»"),
    (ORIGINAL.replace("present: {type: int,", "present: {type: integer,"), "present: {type: integer",
     "неизвестный тип «integer»"),
])
def test_problems_name_file_and_line(tmp_path, broken, fragment, message):
    problems = problems_of(tmp_path, broken)
    expected_line = line_of(broken, fragment)
    assert any(p.startswith(f"polozhenie.yaml:{expected_line}:") and message in p for p in problems), problems


def test_unreachable_state_is_reported(tmp_path):
    broken = ORIGINAL.replace("  withdrawn: {label: Отозвано, final: true}\n",
                              "  withdrawn: {label: Отозвано, final: true}\n  archived: {label: В архиве}\n")
    problems = problems_of(tmp_path, broken)
    assert any("состояние «archived» недостижимо" in p and f":{line_of(broken, 'archived:')}:" in p for p in problems)


def test_yaml_syntax_error_names_the_line(tmp_path):
    broken = ORIGINAL.replace("  draft: {label: Проект}", "  draft: {label: Проект")
    problems = problems_of(tmp_path, broken)
    assert problems[0].startswith("polozhenie.yaml:") and "ошибка синтаксиса YAML" in problems[0]


def test_a_dotted_import_path_is_not_accepted_as_an_action(tmp_path):
    broken = ORIGINAL.replace("- supersede_previous\n", "- os.system\n")
    assert any("неизвестное действие «os.system»" in p for p in problems_of(tmp_path, broken))


def test_a_new_kind_needs_only_yaml(tmp_path):
    folder = tmp_path / "workflows"
    shutil.copytree(PROJECT_ROOT / "workflows", folder)
    text = ORIGINAL.replace("kind: polozhenie", "kind: programme").replace("grammatical_gender: neuter",
                                                                           "grammatical_gender: feminine")
    (folder / "programme.yaml").write_text(text, encoding="utf-8")
    definitions = load_definitions(folder, TEMPLATES)
    assert definitions["programme"].approval_grif_word == "УТВЕРЖДЕНА"


def test_mermaid_diagram_has_russian_labels():
    polozhenie = load_definitions(PROJECT_ROOT / "workflows", TEMPLATES)["polozhenie"]
    diagram = mermaid_diagram(polozhenie)
    assert "stateDiagram-v2" in diagram
    assert 'state "Действует" as in_force' in diagram
    assert "draft --> opinions: Направить на учёт мнения советов" in diagram


def test_a_plan_kind_extends_another_and_keeps_its_own_columns():
    definitions = load_definitions(PROJECT_ROOT / "workflows", TEMPLATES)
    roadmap, plan = definitions["roadmap"], definitions["vsoko_plan"]
    assert roadmap.transitions.keys() == plan.transitions.keys()
    assert list(roadmap.columns) == ["activity", "result", "responsible", "deadline"]
    assert roadmap.source_file == "roadmap.yaml"


def test_a_field_cannot_take_a_name_the_forms_use(tmp_path):
    broken = ORIGINAL.replace("      request_date: {type: date,", "      comment: {type: date,")
    assert any("поле «comment»: это имя занято формой" in p for p in problems_of(tmp_path, broken))


def test_two_files_cannot_declare_the_same_kind(tmp_path):
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "a.yaml").write_text(ORIGINAL, encoding="utf-8")
    (folder / "b.yaml").write_text(ORIGINAL, encoding="utf-8")
    with pytest.raises(DefinitionError) as failure:
        load_definitions(folder, TEMPLATES)
    assert failure.value.problems == ["b.yaml:3: вид «polozhenie» уже объявлен в a.yaml"]
