"""Artefact lists and pages."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("artefacts", __name__, url_prefix="/artefacts")
