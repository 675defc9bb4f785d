"""Rules (guards) and actions are Python functions registered by name; YAML refers to names only.

Only registered names are accepted from workflow files — never dotted import paths —
so a definition cannot call arbitrary code. The engine registers none itself: each domain
registers its own in a module of `PROCEDURE_PACKAGES`.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable


class ActionError(Exception):
    """An action cannot be carried out; the message is for the user (Russian)."""


@dataclass(frozen=True)
class Registered:
    name: str
    func: Callable[..., Any]
    description: str
    required_params: frozenset[str] = field(default_factory=frozenset)
    optional_params: frozenset[str] = field(default_factory=frozenset)
    # A rule that reads only the artefact (not the form): checked before the action is offered,
    # so a person sees why it cannot be done yet — and what to do instead — before filling a form.
    before_form: bool = False

    def check_params(self, params: dict[str, Any]) -> list[str]:
        problems = [f"не хватает параметра «{p}»" for p in sorted(self.required_params - params.keys())]
        unknown = params.keys() - self.required_params - self.optional_params
        problems += [f"неизвестный параметр «{p}»" for p in sorted(unknown)]
        return problems


RULES: dict[str, Registered] = {}
ACTIONS: dict[str, Registered] = {}
CONTEXTS: dict[str, Registered] = {}
SIGNATORIES: dict[str, Registered] = {}


def _register(table: dict[str, Registered], name: str, description: str,
              required: tuple[str, ...], optional: tuple[str, ...], before_form: bool = False):
    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in table:
            raise RuntimeError(f"{name} is registered twice")
        table[name] = Registered(name, func, description, frozenset(required), frozenset(optional), before_form)
        return func

    return decorator


def rule(name: str, description: str, required: tuple[str, ...] = (), optional: tuple[str, ...] = (),
         before_form: bool = False):
    """Register a guard: func(ctx, **params) -> list of Russian messages (empty when it holds). A message
    says what is wrong and what to do instead (which action, by whom). `before_form`: the rule reads
    only the artefact, never the submitted fields, so it can be checked before the action is offered."""
    return _register(RULES, name, description, required, optional, before_form)


def action(name: str, description: str, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()):
    """Register an action: func(ctx, **params) -> None; raise ActionError to stop the transition."""
    return _register(ACTIONS, name, description, required, optional)


def document_context(name: str, description: str):
    """Register a document data source: func(ctx, base) -> list of template contexts (plain dicts)."""
    return _register(CONTEXTS, name, description, (), ())


def signatory(name: str, description: str):
    """Register who signs a document in one of its places (a template's side file names them in
    ``signers``): func(ctx) -> the person who must sign there, or None when nobody in the
    organisation can (a name typed as text)."""
    return _register(SIGNATORIES, name, description, (), ())


# Packages whose modules fill the registries when imported (one module per domain).
PROCEDURE_PACKAGES = ("vsoko_flow.procedures",)


def load_builtins() -> None:
    """Import the packages whose decorators fill the registries."""
    for package in PROCEDURE_PACKAGES:
        importlib.import_module(package)
