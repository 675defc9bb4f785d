"""Document data sources for plans, their approval orders and execution reports."""
from __future__ import annotations
