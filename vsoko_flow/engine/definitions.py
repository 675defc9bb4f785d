"""Workflow definitions: YAML files in `workflows/` loaded, validated and turned into machines.

A definition is plain data. `load_definitions` reports every problem with the file and
line it comes from, so an administrator editing YAML sees exactly what to fix.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from transitions import Machine

from ..models.organisation import ROLES
from .fields import FIELD_TYPES, FieldSpec
from .registry import ACTIONS, CONTEXTS, RULES, SIGNATORIES, load_builtins
from .yaml_lines import LineList, LineMap, line_of, load_with_lines

RULE_LEVELS = ("block", "warning")
_HELP_IN_LABEL = re.compile(r"по\s+умолчанию|\(\s*если\s+не", re.IGNORECASE)
MAX_DESCRIPTION = 300
# Names the forms and the API use for themselves; a field may not take them.
RESERVED_FIELD_NAMES = frozenset({"comment", "version", "csrf_token", "trigger", "fields"})
GRAMMATICAL_GENDERS = {"masculine": "УТВЕРЖДЁН", "feminine": "УТВЕРЖДЕНА", "neuter": "УТВЕРЖДЕНО"}


class DefinitionError(Exception):
    """One or more problems in workflow files; `problems` are «file:line: message» strings."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class StepRef:
    """A rule or an action named in YAML, with its parameters."""

    name: str
    params: dict[str, Any]
    level: str = "block"


@dataclass(frozen=True)
class DocumentRef:
    template: str
    context: str


@dataclass(frozen=True)
class StateDef:
    name: str
    label: str
    final: bool = False
    # What a document in this state waits for when it is another document's step that moves it on
    # (a finding's actions start when the plan of corrections is approved), shown on its page.
    waits_for: str = ""


@dataclass(frozen=True)
class TransitionDef:
    trigger: str
    label: str
    sources: tuple[str, ...]
    dest: str
    roles: frozenset[str]
    fields: tuple[FieldSpec, ...] = ()
    rules: tuple[StepRef, ...] = ()
    actions: tuple[StepRef, ...] = ()
    documents: tuple[DocumentRef, ...] = ()
    comment_required: bool = False
    system: bool = False
    store_fields: bool = True
    # Shown on «Мои задачи» as something waiting for the person (false for «Отозвать», «Отменить»).
    task: bool = True


@dataclass
class WorkflowDefinition:
    kind: str
    title: str
    default_title: str
    # One line for «Новый документ»: what this kind of document is for (how it differs from its neighbours).
    description: str
    grammatical_gender: str
    initial: str
    editable_states: frozenset[str]
    create_roles: frozenset[str]
    fields: tuple[FieldSpec, ...]
    # Plans: the table's columns (canonical key → Russian heading), in order.
    columns: dict[str, str]
    states: dict[str, StateDef]
    transitions: dict[str, TransitionDef]
    source_file: str
    # Created only by an action of another artefact (its parent), never by «Новый документ».
    created_with_parent: bool = False
    machine: Machine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # One machine per definition, shared by every artefact of this kind.
        self.machine = Machine(
            model=None,
            states=list(self.states),
            transitions=[
                {"trigger": t.trigger, "source": list(t.sources), "dest": t.dest}
                for t in self.transitions.values()
            ],
            initial=self.initial,
            auto_transitions=False,
        )

    def available_triggers(self, state: str) -> list[str]:
        return [t for t in self.machine.get_triggers(state) if not self.transitions[t].system]

    def state_label(self, state: str) -> str:
        return self.states[state].label if state in self.states else state

    @property
    def approval_grif_word(self) -> str:
        return GRAMMATICAL_GENDERS[self.grammatical_gender]


class _Problems:
    def __init__(self, file_name: str):
        self.file_name = file_name
        self.items: list[str] = []

    def add(self, line: int, message: str) -> None:
        self.items.append(f"{self.file_name}:{line}: {message}")


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _items_with_lines(raw: Any, line: int) -> list[tuple[Any, int]]:
    """Items of a YAML list (or a single value) with the line each was written on."""
    if isinstance(raw, LineList):
        return [(item, raw.line_of_item(i)) for i, item in enumerate(raw)]
    return [(item, line_of(item, line)) for item in _as_list(raw)]


def _parse_field(name: str, raw: Any, line: int, problems: _Problems) -> FieldSpec | None:
    if not isinstance(raw, dict):
        problems.add(line, f"поле «{name}» должно быть описано словарём (type, label, …)")
        return None
    if name in RESERVED_FIELD_NAMES:
        problems.add(line, f"поле «{name}»: это имя занято формой, выберите другое")
    known = {"type", "label", "required", "options", "default", "min", "max_length", "help"}
    for key in raw.keys() - known:
        problems.add(line_of(raw, line), f"поле «{name}»: неизвестный ключ «{key}»")
    field_type = raw.get("type", "str")
    if field_type not in FIELD_TYPES:
        problems.add(line_of(raw, line), f"поле «{name}»: неизвестный тип «{field_type}»; допустимы: {', '.join(FIELD_TYPES)}")
        return None
    if not raw.get("label"):
        problems.add(line_of(raw, line), f"поле «{name}»: нет подписи (label)")
    elif _HELP_IN_LABEL.search(str(raw["label"])):
        # A label is what the document's card shows beside the value: a hint there reads as data.
        problems.add(line_of(raw, line), f"поле «{name}»: подсказку («по умолчанию …», «если не …») перенесите "
                                         "из подписи (label) в help")
    options = raw.get("options") or {}
    if field_type == "choice" and not isinstance(options, dict):
        problems.add(line_of(raw, line), f"поле «{name}»: options должны быть словарём код: подпись")
        options = {}
    if field_type == "choice" and not options:
        problems.add(line_of(raw, line), f"поле «{name}»: для выбора нужны варианты (options)")
    return FieldSpec(
        name=name, type=field_type, label=str(raw.get("label", name)), required=bool(raw.get("required", False)),
        options={str(k): str(v) for k, v in options.items()}, default=raw.get("default"),
        min=raw.get("min"), max_length=int(raw.get("max_length", 2000)), help=str(raw.get("help", "")),
    )


def _parse_fields(raw: Any, line: int, problems: _Problems) -> tuple[FieldSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        problems.add(line, "fields должны быть словарём имя: описание")
        return ()
    specs = (_parse_field(name, spec, raw.line_of(name) if isinstance(raw, LineMap) else line, problems)
             for name, spec in raw.items())
    return tuple(spec for spec in specs if spec is not None)


def _parse_steps(raw: Any, line: int, table: dict, what: str, problems: _Problems) -> tuple[StepRef, ...]:
    """Steps are written as `name` or `name: {params}` or `{name: …, level: warning, …}`."""
    steps = []
    for item, item_line in _items_with_lines(raw, line):
        if isinstance(item, str):
            name, params = item, {}
        elif isinstance(item, dict) and "name" in item:
            params = {k: v for k, v in item.items() if k != "name"}
            name = item["name"]
        elif isinstance(item, dict) and len(item) == 1:
            name, params = next(iter(item.items()))
            params = dict(params or {})
        else:
            problems.add(item_line, f"{what}: не понимаю запись {item!r}")
            continue
        level = params.pop("level", "block")
        if level not in RULE_LEVELS:
            problems.add(item_line, f"{what} «{name}»: level должен быть block или warning")
        registered = table.get(name)
        if registered is None:
            problems.add(item_line, f"неизвестное {what} «{name}»; известны: {', '.join(sorted(table))}")
            continue
        for problem in registered.check_params(params):
            problems.add(item_line, f"{what} «{name}»: {problem}")
        steps.append(StepRef(name=name, params=params, level=level))
    return tuple(steps)


def _parse_documents(raw: Any, line: int, templates: set[str], problems: _Problems) -> tuple[DocumentRef, ...]:
    refs = []
    for item, item_line in _items_with_lines(raw, line):
        if isinstance(item, str):
            item = {"template": item}
        if not isinstance(item, dict) or "template" not in item:
            problems.add(item_line, "документ описывается как {template: имя, context: имя}")
            continue
        template = item["template"]
        context = item.get("context", template)
        if template not in templates:
            problems.add(item_line, f"нет шаблона документа «{template}» в document_templates/")
        if context not in CONTEXTS:
            problems.add(item_line, f"неизвестный источник данных документа «{context}»; известны: {', '.join(sorted(CONTEXTS))}")
        refs.append(DocumentRef(template=template, context=context))
    return tuple(refs)


def _parse_transition(trigger: str, raw: Any, line: int, templates: set[str], problems: _Problems) -> TransitionDef | None:
    if not isinstance(raw, dict):
        problems.add(line, f"переход «{trigger}» должен быть словарём")
        return None
    known = {"label", "source", "dest", "roles", "fields", "rules", "actions", "documents", "comment", "system",
             "store_fields", "task"}
    for key in raw.keys() - known:
        problems.add(raw.line_of(key) if isinstance(raw, LineMap) else line, f"переход «{trigger}»: неизвестный ключ «{key}»")
    system = bool(raw.get("system", False))
    if not raw.get("label"):
        problems.add(line, f"переход «{trigger}»: нет подписи (label)")
    roles = frozenset(_as_list(raw.get("roles")))
    for role in sorted(roles - ROLES.keys()):
        problems.add(line, f"переход «{trigger}»: неизвестная роль «{role}»; известны: {', '.join(ROLES)}")
    if not roles and not system:
        problems.add(line, f"переход «{trigger}»: не указано, кто может его выполнить (roles)")
    sub = raw.line_of if isinstance(raw, LineMap) else (lambda _key: line)
    return TransitionDef(
        trigger=trigger, label=str(raw.get("label", trigger)),
        sources=tuple(_as_list(raw.get("source"))), dest=str(raw.get("dest", "")), roles=roles,
        fields=_parse_fields(raw.get("fields"), sub("fields"), problems),
        rules=_parse_steps(raw.get("rules"), sub("rules"), RULES, "правило", problems),
        actions=_parse_steps(raw.get("actions"), sub("actions"), ACTIONS, "действие", problems),
        documents=_parse_documents(raw.get("documents"), sub("documents"), templates, problems),
        comment_required=raw.get("comment") == "required", system=system,
        store_fields=bool(raw.get("store_fields", True)), task=bool(raw.get("task", True)),
    )


def _check_graph(data: LineMap, states: dict[str, StateDef], transitions: dict[str, TransitionDef],
                 problems: _Problems) -> None:
    tlines = data.get("transitions") or {}
    for t in transitions.values():
        tline = tlines.line_of(t.trigger) if isinstance(tlines, LineMap) else data.line
        if not t.sources:
            problems.add(tline, f"переход «{t.trigger}»: не указано исходное состояние (source)")
        for state in (*t.sources, t.dest):
            if state not in states:
                problems.add(tline, f"переход «{t.trigger}»: неизвестное состояние «{state}»")
    initial = data.get("initial")
    if initial not in states:
        problems.add(data.line_of("initial"), f"начальное состояние «{initial}» не объявлено в states")
        return
    reachable = {initial}
    changed = True
    while changed:
        changed = False
        for t in transitions.values():
            if t.dest not in reachable and reachable.intersection(t.sources):
                reachable.add(t.dest)
                changed = True
    slines = data.get("states") or {}
    for name in states.keys() - reachable:
        problems.add(slines.line_of(name) if isinstance(slines, LineMap) else data.line,
                     f"состояние «{name}» недостижимо из начального «{initial}»")


def _parse_states(raw: Any, line: int, problems: _Problems) -> dict[str, StateDef]:
    states: dict[str, StateDef] = {}
    if not isinstance(raw, dict) or not raw:
        problems.add(line, "не объявлены состояния (states)")
        return states
    for name, spec in raw.items():
        spec_line = raw.line_of(name) if isinstance(raw, LineMap) else line
        spec = spec or {}
        for key in (spec.keys() - {"label", "final", "waits_for"}) if isinstance(spec, dict) else ():
            problems.add(spec_line, f"состояние «{name}»: неизвестный ключ «{key}»")
        if not isinstance(spec, dict) or not spec.get("label"):
            problems.add(spec_line, f"состояние «{name}»: нет подписи (label)")
            spec = spec if isinstance(spec, dict) else {}
        states[str(name)] = StateDef(name=str(name), label=str(spec.get("label", name)), final=bool(spec.get("final")),
                                     waits_for=str(spec.get("waits_for") or ""))
    return states


def _load_file(text: str, file_name: str) -> LineMap:
    try:
        data = load_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DefinitionError([f"{file_name}:{mark.line + 1 if mark else 1}: ошибка синтаксиса YAML: {exc}"]) from None
    if not isinstance(data, LineMap):
        raise DefinitionError([f"{file_name}:1: ожидается словарь с ключами kind, states, transitions"])
    return data


def _extended(data: LineMap, file_name: str, siblings: dict[str, LineMap]) -> LineMap:
    """`extends: other_kind` takes the other file's keys (not its description); this file's own keys replace
    them whole."""
    base_name = data.get("extends")
    if not base_name:
        return data
    base = siblings.get(base_name)
    if base is None or base.get("extends"):
        raise DefinitionError([f"{file_name}:{data.line_of('extends')}: extends: нет описания «{base_name}» "
                               "(или оно само расширяет другое)"])
    # A kind says itself what it is for: the description is never inherited.
    merged = LineMap({**{k: v for k, v in base.items() if k != "description"},
                      **{k: v for k, v in data.items() if k != "extends"}})
    merged.line = data.line
    merged.key_lines = {**base.key_lines, **data.key_lines}
    return merged


def parse_definition(text: str, file_name: str, templates: set[str],
                     siblings: dict[str, LineMap] | None = None) -> WorkflowDefinition:
    """Parse and validate one workflow file; raise DefinitionError listing every problem."""
    data = _extended(_load_file(text, file_name), file_name, siblings or {})
    return _build_definition(data, file_name, templates)


def _build_definition(data: LineMap, file_name: str, templates: set[str]) -> WorkflowDefinition:
    load_builtins()
    problems = _Problems(file_name)
    known = {"kind", "title", "description", "default_title", "grammatical_gender", "initial", "editable_states",
             "create_roles", "fields", "columns", "states", "transitions", "created_with_parent"}
    for key in data.keys() - known:
        problems.add(data.line_of(key), f"неизвестный ключ «{key}»")
    for key in ("kind", "title", "initial"):
        if not data.get(key):
            problems.add(data.line, f"нет обязательного ключа «{key}»")
    description = " ".join(str(data.get("description") or "").split())
    if not description:
        problems.add(data.line, "нет описания (description): одна строка о том, для чего этот вид документа — её "
                                "видят в форме «Новый документ»")
    elif "\n" in str(data["description"]).strip() or len(description) > MAX_DESCRIPTION:
        problems.add(data.line_of("description"), f"description: одна строка, не длиннее {MAX_DESCRIPTION} символов")
    gender = data.get("grammatical_gender", "neuter")
    if gender not in GRAMMATICAL_GENDERS:
        problems.add(data.line_of("grammatical_gender"), f"grammatical_gender: одно из {', '.join(GRAMMATICAL_GENDERS)}")
        gender = "neuter"
    states = _parse_states(data.get("states"), data.line_of("states"), problems)
    raw_transitions = data.get("transitions") or {}
    if not isinstance(raw_transitions, dict):
        problems.add(data.line_of("transitions"), "transitions должны быть словарём trigger: описание")
        raw_transitions = {}
    transitions = {}
    for trigger, spec in raw_transitions.items():
        parsed = _parse_transition(str(trigger), spec, raw_transitions.line_of(trigger), templates, problems)
        if parsed is not None:
            transitions[parsed.trigger] = parsed
    _check_graph(data, states, transitions, problems)
    editable = frozenset(_as_list(data.get("editable_states", [data.get("initial")])))
    for state in editable - states.keys():
        problems.add(data.line_of("editable_states"), f"editable_states: неизвестное состояние «{state}»")
    create_roles = frozenset(_as_list(data.get("create_roles")))
    if not create_roles:
        problems.add(data.line, "не указано, кто может создавать документы этого вида (create_roles)")
    for role in sorted(create_roles - ROLES.keys()):
        problems.add(data.line_of("create_roles"), f"create_roles: неизвестная роль «{role}»")
    fields = _parse_fields(data.get("fields"), data.line_of("fields"), problems)
    columns = data.get("columns") or {}
    if not isinstance(columns, dict) or not all(isinstance(v, str) and v for v in columns.values()):
        problems.add(data.line_of("columns"), "columns: словарь ключ: заголовок столбца")
        columns = {}
    if problems.items:
        raise DefinitionError(problems.items)
    return WorkflowDefinition(
        kind=str(data["kind"]), title=str(data["title"]), description=description,
        default_title=str(data.get("default_title", data["title"])),
        grammatical_gender=gender, initial=str(data["initial"]), editable_states=editable,
        create_roles=create_roles, fields=fields, columns={str(k): str(v) for k, v in columns.items()},
        states=states, transitions=transitions, source_file=file_name,
        created_with_parent=bool(data.get("created_with_parent", False)),
    )


def known_template_names(templates_dir: Path) -> set[str]:
    return {path.stem for path in templates_dir.glob("*.docx") if path.with_suffix(".yaml").exists()}


# A template's side file may say who signs the document and within how many working days.
MAX_SIGN_WITHIN_WORKING_DAYS = 30


def template_signer_problems(templates_dir: Path) -> list[str]:
    """Check ``signers`` (registered signatory names) and ``sign_within_working_days`` of every
    template's side file: a document whose signers cannot be found would wait for nobody."""
    load_builtins()
    problems: list[str] = []
    for path in sorted(templates_dir.glob("*.yaml")):
        if not path.with_suffix(".docx").exists():
            continue
        try:
            side = load_with_lines(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.append(f"{path.name}:{mark.line + 1 if mark else 1}: ошибка синтаксиса YAML: {exc}")
            continue
        if not isinstance(side, LineMap):
            continue
        signers = side.get("signers") or []
        if not isinstance(signers, list):
            problems.append(f"{path.name}:{side.line_of('signers')}: signers — список имён подписантов")
            signers = []
        for name in signers:
            if name not in SIGNATORIES:
                problems.append(f"{path.name}:{side.line_of('signers')}: неизвестный подписант «{name}»; "
                                f"известны: {', '.join(sorted(SIGNATORIES))}")
        if len(set(map(str, signers))) != len(signers):
            problems.append(f"{path.name}:{side.line_of('signers')}: подписант указан дважды")
        within = side.get("sign_within_working_days")
        if within is not None and (isinstance(within, bool) or not isinstance(within, int)
                                   or not 0 <= within <= MAX_SIGN_WITHIN_WORKING_DAYS):
            problems.append(f"{path.name}:{side.line_of('sign_within_working_days')}: sign_within_working_days — "
                            f"целое число рабочих дней от 0 до {MAX_SIGN_WITHIN_WORKING_DAYS}")
    return problems


def load_definitions(workflows_dir: Path, templates_dir: Path) -> dict[str, WorkflowDefinition]:
    """Load every `*.yaml` in the folder; raise DefinitionError with all problems of all files."""
    templates = known_template_names(templates_dir)
    definitions: dict[str, WorkflowDefinition] = {}
    problems: list[str] = template_signer_problems(templates_dir)
    raw: dict[str, tuple[str, LineMap]] = {}
    for path in sorted(workflows_dir.glob("*.yaml")):
        try:
            data = _load_file(path.read_text(encoding="utf-8"), path.name)
        except DefinitionError as exc:
            problems.extend(exc.problems)
            continue
        kind = str(data.get("kind") or path.stem)
        if kind in raw:
            problems.append(f"{path.name}:{data.line_of('kind')}: вид «{kind}» уже объявлен в {raw[kind][0]}")
            continue
        raw[kind] = (path.name, data)
    siblings = {kind: data for kind, (_name, data) in raw.items()}
    for kind, (file_name, data) in raw.items():
        try:
            definition = _build_definition(_extended(data, file_name, siblings), file_name, templates)
        except DefinitionError as exc:
            problems.extend(exc.problems)
            continue
        definitions[definition.kind] = definition
    if problems:
        raise DefinitionError(problems)
    return definitions


def mermaid_diagram(definition: WorkflowDefinition, current_state: str | None = None) -> str:
    """A Mermaid state diagram of the workflow, with Russian labels, drawn by transitions' GraphMachine."""
    from transitions.extensions.diagrams import GraphMachine

    class _Diagram:
        pass

    model = _Diagram()
    GraphMachine(
        model=model, states=list(definition.states), initial=current_state or definition.initial,
        transitions=[{"trigger": t.trigger, "source": list(t.sources), "dest": t.dest, "label": t.label}
                     for t in definition.transitions.values()],
        auto_transitions=False, graph_engine="mermaid", show_state_attributes=False, title=definition.title,
    )
    text = model.get_graph().draw(None)
    for state in definition.states.values():
        text = text.replace(f'state "{state.name}" as {state.name}', f'state "{state.label}" as {state.name}')
    return text
