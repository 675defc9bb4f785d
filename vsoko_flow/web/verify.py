"""The public verification page behind the QR code of every document."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("verify", __name__, url_prefix="/verify")
