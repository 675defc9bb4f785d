"""Administration of an organisation: requisites, journals, people, templates."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
