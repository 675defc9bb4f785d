"""Text people type or send: control characters refused, invisible formatting removed.

A NUL in a form field reached PostgreSQL (which cannot store it) as a 500; other control
characters break the XML of documents. Bidi overrides and zero-width characters are invisible and
let a title or a file name say something other than it shows: «отчёт\u202excod.exe» is displayed
as «отчётexe.docx». Both are dealt with where text comes in (web forms, the JSON API, uploaded
file names, imported cells) and where a name goes out (download file names).
"""
from __future__ import annotations

import re

# C0 controls and DEL except tab, line feed and carriage return, which forms legitimately send.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width space/joiners, LRM/RLM,
# bidi embeddings and overrides (U+202A–U+202E), word joiner and invisible operators, bidi
# isolates (U+2066–U+2069), byte order mark.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

CONTROL_MESSAGE = ("Текст содержит недопустимые управляющие символы (например, NUL): уберите их — скопируйте "
                   "текст заново из обычного документа — и повторите")


def has_control_characters(text: str) -> bool:
    return _CONTROL.search(text) is not None


def without_invisible(text: str) -> str:
    """The text without bidi overrides, zero-width and other invisible formatting characters."""
    return _INVISIBLE.sub("", text)
