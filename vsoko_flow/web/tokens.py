"""Creating and revoking one's own API tokens."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tokens", __name__, url_prefix="/tokens")
