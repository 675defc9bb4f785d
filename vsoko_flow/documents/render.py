"""Rendering .docx templates safely.

- The Jinja environment is sandboxed (no reaching Python internals from a template) and
  autoescapes (a value with «&» or «<» cannot break the document XML).
- The context holds plain values only; ORM objects never reach a template.
- docxtpl objects are not thread-safe: every render builds a fresh DocxTemplate from
  cached template bytes.
"""
from __future__ import annotations

import hashlib
import io
import re
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import segno
import yaml
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError


DOCUMENT_ENV = ImmutableSandboxedEnvironment(autoescape=True)
# File names are not XML: rendered without escaping, then cleaned of path characters.
FILE_NAME_ENV = ImmutableSandboxedEnvironment(autoescape=False)
QR_WIDTH = Mm(22)
_UNSAFE_FILE_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


class RenderError(Exception):
    """A template could not be rendered; the message is for the user."""


@dataclass(frozen=True)
class TemplateSource:
    name: str
    title: str
    file_name: str
    variables: frozenset[str]
    data: bytes
    sha256: str


def load_template(docx_path: Path) -> TemplateSource:
    side = yaml.safe_load(docx_path.with_suffix(".yaml").read_text(encoding="utf-8")) or {}
    data = docx_path.read_bytes()
    return TemplateSource(
        name=docx_path.stem, title=str(side.get("title", docx_path.stem)),
        file_name=str(side.get("file_name", f"{docx_path.stem}.docx")),
        variables=frozenset(side.get("variables") or ()), data=data, sha256=hashlib.sha256(data).hexdigest(),
    )


class TemplateCatalog:
    """The templates of `document_templates/`, read once; bytes cached, never DocxTemplate objects."""

    def __init__(self, templates_dir: Path):
        self.templates_dir = templates_dir
        self._cache: dict[str, TemplateSource] = {}

    def get(self, name: str) -> TemplateSource:
        if name not in self._cache:
            path = self.templates_dir / f"{name}.docx"
            if not path.exists() or not path.with_suffix(".yaml").exists():
                raise RenderError(f"Шаблон документа «{name}» не найден")
            self._cache[name] = load_template(path)
        return self._cache[name]

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.templates_dir.glob("*.docx") if p.with_suffix(".yaml").exists())


def qr_png(payload: str) -> bytes:
    buffer = io.BytesIO()
    # A fixed mask skips segno's search over all eight (≈30 ms in pure Python per code);
    # any mask is valid for readers, the search only polishes the pattern.
    segno.make(payload, error="m", mask=4).save(buffer, kind="png", scale=4, border=4)
    return buffer.getvalue()


def render_docx(source: TemplateSource, context: dict[str, Any], qr_payload: str | None = None) -> bytes:
    """Render the template with a plain-value context; return the .docx bytes."""
    template = DocxTemplate(io.BytesIO(source.data))
    full_context = dict(context)
    if qr_payload:
        full_context["qr"] = InlineImage(template, io.BytesIO(qr_png(qr_payload)), width=QR_WIDTH)
    try:
        template.render(full_context, DOCUMENT_ENV)
    except SecurityError:
        raise RenderError(f"Шаблон «{source.name}» пытается выполнить недопустимое действие и отклонён") from None
    except TemplateError as exc:
        raise RenderError(f"Шаблон «{source.name}» содержит ошибку: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - a template expression may raise anything (1/0, "a" + 1)
        raise RenderError(f"Шаблон «{source.name}» не удалось заполнить: ошибка в выражении шаблона "
                          f"({type(exc).__name__}: {exc})") from None
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


@lru_cache(maxsize=256)
def _file_name_template(expression: str):
    return FILE_NAME_ENV.from_string(expression)


def render_file_name(source: TemplateSource, context: dict[str, Any]) -> str:
    try:
        name = _file_name_template(source.file_name).render(context)
    except (TemplateError, SecurityError):
        name = f"{source.title}.docx"
    # «№ Ш29-13-1/5» keeps its shape as «Ш29-13-1-5»; other path characters become spaces.
    name = _UNSAFE_FILE_CHARS.sub(" ", name.replace("/", "-").replace("\\", "-")).strip().strip(".")
    name = re.sub(r"\s+", " ", name)[:180]
    return name if name.lower().endswith(".docx") else f"{name}.docx"
