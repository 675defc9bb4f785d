"""Typed fields of artefacts and transitions: declaration, coercion and Russian messages."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

FIELD_TYPES = ("str", "text", "int", "date", "bool", "choice", "member")

_DATE_DIGITS = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_TRUE = {"true", "1", "да", "yes", "on"}
_FALSE = {"false", "0", "нет", "no", "off", ""}


class FieldError(ValueError):
    """A value that does not fit its field; the message is for the user."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    label: str
    required: bool = False
    options: dict[str, str] = field(default_factory=dict)
    default: Any = None
    min: int | None = None
    max_length: int = 2000
    help: str = ""

    def coerce(self, raw: Any) -> Any:
        """Turn a raw value (CLI string or JSON) into the stored plain value, or raise FieldError."""
        if raw is None or (isinstance(raw, str) and not raw.strip() and self.type != "bool"):
            return None
        return _COERCERS[self.type](self, raw)


def parse_date(raw: Any) -> dt.date:
    """Accept a date, ISO «2025-04-03» or Russian «03.04.2025»."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw).strip()
    match = _DATE_DIGITS.match(text)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FieldError("ожидается дата в виде ДД.ММ.ГГГГ, например 03.04.2025") from None


def _coerce_date(spec: FieldSpec, raw: Any) -> str:
    return parse_date(raw).isoformat()


def _coerce_int(spec: FieldSpec, raw: Any) -> int:
    if isinstance(raw, bool):
        raise FieldError("ожидается целое число")
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise FieldError("ожидается целое число") from None
    if spec.min is not None and value < spec.min:
        raise FieldError(f"число не может быть меньше {spec.min}")
    if abs(value) > 10**9:
        raise FieldError("слишком большое число")
    return value


def _coerce_str(spec: FieldSpec, raw: Any) -> str:
    if not isinstance(raw, (str, int)) or isinstance(raw, bool):
        raise FieldError("ожидается текст")
    value = str(raw).strip()
    limit = spec.max_length if spec.type == "str" else 100_000
    if len(value) > limit:
        raise FieldError(f"не длиннее {limit} символов")
    if spec.type == "str" and "\n" in value:
        raise FieldError("ожидается одна строка")
    return value


def _coerce_bool(spec: FieldSpec, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FieldError("ожидается «да» или «нет»")


def _coerce_choice(spec: FieldSpec, raw: Any) -> str:
    value = str(raw).strip()
    if value in spec.options:
        return value
    for code, label in spec.options.items():
        if value.lower() == label.lower():
            return code
    allowed = ", ".join(f"{code} ({label})" for code, label in spec.options.items())
    raise FieldError(f"допустимые значения: {allowed}")


def _coerce_member(spec: FieldSpec, raw: Any) -> str:
    # Resolved to a person of the organisation by the engine; here only the shape.
    value = str(raw).strip()
    if not re.fullmatch(r"[\w.@-]{1,100}", value):
        raise FieldError("ожидается логин сотрудника организации")
    return value


_COERCERS = {
    "str": _coerce_str,
    "text": _coerce_str,
    "int": _coerce_int,
    "date": _coerce_date,
    "bool": _coerce_bool,
    "choice": _coerce_choice,
    "member": _coerce_member,
}


def quoted(label: str) -> str:
    """«label» — unless the label already carries its own quotes («За»)."""
    return label if label.startswith("«") else f"«{label}»"


def coerce_fields(specs: tuple[FieldSpec, ...], raw: dict[str, Any], today: dt.date
                  ) -> tuple[dict[str, Any], dict[str, str]]:
    """Coerce submitted values; return (values, errors by field name) — never raises."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    known = {spec.name for spec in specs}
    for name in raw:
        if name not in known:
            errors[name] = "это поле не предусмотрено для этого действия"
    for spec in specs:
        source = raw.get(spec.name)
        if source is None and spec.default is not None:
            source = today.isoformat() if spec.default == "today" else spec.default
        try:
            value = spec.coerce(source)
        except FieldError as exc:
            errors[spec.name] = f"{quoted(spec.label)}: {exc}"
            continue
        if value is None and spec.required:
            errors[spec.name] = f"Заполните поле {quoted(spec.label)}"
            continue
        if value is not None:
            values[spec.name] = value
    return values, errors
