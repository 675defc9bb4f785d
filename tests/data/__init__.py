"""The project's own test data: an act and plan tables written for vsoko-flow in the shapes real
schools use (see `plans.py`). Nothing here is copied from a school's document."""
from pathlib import Path

DATA = Path(__file__).resolve().parent
POLOZHENIE = DATA / "polozhenie.txt"


def polozhenie_text() -> str:
    """The body of a Положение о ВСОКО: numbered sections, clauses, sub-clauses and lists."""
    return POLOZHENIE.read_text(encoding="utf-8")
