"""Bar charts as PNG, drawn server-side by matplotlib (Agg, no display): the same picture goes to a
web page and, as a docxtpl InlineImage, into a .docx.

Only matplotlib's object-oriented API is used (a Figure per chart, never pyplot's global state),
so charts are drawn safely from several threads of a web worker. Matplotlib's own DejaVu Sans
has Cyrillic letters. A chart is a plain function of plain numbers: the same numbers always
give the same bytes on one installation.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend

WIDTH_IN, HEIGHT_IN, DPI = 6.4, 3.4, 110
PALETTE = ("#1f5fa8", "#e08a1e", "#c0392b", "#7f8c8d", "#27ae60", "#8e44ad")


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[float, ...]
    color: str | None = None


def bar_chart(title: str, categories: list[str], series: list[Series], *, stacked: bool = False,
              ylabel: str = "", note: str = "", legend: bool = True) -> bytes:
    """Grouped (or stacked) vertical bars with the value written on each bar; PNG bytes."""
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    axes = figure.add_subplot()
    count = max(len(series), 1)
    width = 0.8 if stacked else 0.8 / count
    bottoms = [0.0] * len(categories)
    for index, one in enumerate(series):
        offsets = [i if stacked else i - 0.4 + width * (index + 0.5) for i in range(len(categories))]
        bars = axes.bar(offsets, one.values, width, bottom=bottoms if stacked else None, label=one.label,
                        color=one.color or PALETTE[index % len(PALETTE)])
        axes.bar_label(bars, labels=[_number(v) if v else "" for v in one.values],
                       label_type="center" if stacked else "edge", fontsize=8)
        if stacked:
            bottoms = [b + v for b, v in zip(bottoms, one.values)]
    axes.set_xticks(range(len(categories)), categories, fontsize=8)
    axes.set_title(title, fontsize=10)
    if ylabel:
        axes.set_ylabel(ylabel, fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    top = max([*(bottoms if stacked else []), *(v for s in series for v in s.values), 1])
    axes.set_ylim(0, top * 1.18)
    if legend and len(series) > 1:
        axes.legend(fontsize=8, frameon=False)
    if note:
        figure.text(0.01, 0.01, note, fontsize=8, color="#444444")
    figure.tight_layout(rect=(0, 0.04 if note else 0, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}".replace(".", ",")
