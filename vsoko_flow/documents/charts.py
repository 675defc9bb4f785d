"""Bar charts as PNG, drawn server-side by matplotlib (Agg, no display): the same picture goes to a
web page and, as a docxtpl InlineImage, into a .docx.

Only matplotlib's object-oriented API is used (a Figure per chart, never pyplot's global state),
so charts are drawn safely from several threads of a web worker. Matplotlib's own DejaVu Sans
has Cyrillic letters. A chart is a plain function of plain numbers: the same numbers give the
same bytes, so drawn charts are remembered by their numbers (drawing one costs ~0.1–0.2 s).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend

WIDTH_IN, HEIGHT_IN, DPI = 6.4, 3.4, 110
PALETTE = ("#1f5fa8", "#e08a1e", "#c0392b", "#7f8c8d", "#27ae60", "#8e44ad")
# Fixed margins (fractions of the figure) instead of tight_layout, which measures every text twice.
MARGINS = {"left": 0.08, "right": 0.98, "top": 0.88, "bottom": 0.16}


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[float, ...]
    # One colour for the series, or one per bar (a single series whose categories differ in colour).
    colors: tuple[str, ...] = ()


def bar_chart(title: str, categories: tuple[str, ...], series: tuple[Series, ...], note: str = "") -> bytes:
    """Grouped vertical bars with the value written on each bar; PNG bytes (remembered by their input)."""
    return _drawn(title, tuple(categories), tuple(series), note)


@lru_cache(maxsize=128)
def _drawn(title: str, categories: tuple[str, ...], series: tuple[Series, ...], note: str) -> bytes:
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    figure.subplots_adjust(**MARGINS)
    axes = figure.add_subplot()
    count = max(len(series), 1)
    width = 0.8 / count
    for index, one in enumerate(series):
        offsets = [i - 0.4 + width * (index + 0.5) for i in range(len(categories))]
        colors = list(one.colors) if one.colors else PALETTE[index % len(PALETTE)]
        bars = axes.bar(offsets, one.values, width, label=one.label, color=colors)
        axes.bar_label(bars, labels=[_number(v) if v else "" for v in one.values], fontsize=8)
    axes.set_xticks(range(len(categories)), categories, fontsize=8)
    figure.text(0.5, 0.95, title, fontsize=10, ha="center", va="center")  # not set_title: it measures the axes
    axes.tick_params(axis="y", labelsize=8)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_ylim(0, max([*(v for s in series for v in s.values), 1]) * 1.18)
    if count > 1:
        axes.legend(fontsize=8, frameon=False)
    if note:
        figure.text(0.01, 0.01, note, fontsize=8, color="#444444")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def clear_chart_cache() -> None:
    """Forget the charts drawn so far (for measuring the drawing itself)."""
    _drawn.cache_clear()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}".replace(".", ",")
