"""Charts for /stats: matplotlib's Agg backend, rendered in memory to PNG bytes.

A ``Figure`` is built directly (no pyplot), so there is no global figure state to leak between
concurrent requests; callers run these in a worker thread (rendering takes ~0.1 s of CPU).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

_BLUE = "#1e508c"


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def completion_chart(labels: Sequence[str], percents: Sequence[float], *, title: str,
                     axis: str) -> bytes:
    """Horizontal bars: percent of members who completed each course."""
    height = max(2.5, 0.45 * len(labels) + 1.2)
    figure = Figure(figsize=(7.5, height))
    ax = figure.add_subplot()
    positions = list(range(len(labels)))
    ax.barh(positions, percents, color=_BLUE)
    ax.set_yticks(positions, [label[:40] for label in labels])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(axis)
    ax.set_title(title)
    for y, value in zip(positions, percents, strict=True):
        ax.text(min(value + 1, 92), y, f"{value:.0f}%", va="center", fontsize=9)
    figure.tight_layout()
    return _png(figure)


def weekly_chart(labels: Sequence[str], counts: Sequence[int], *, title: str,
                 axis: str) -> bytes:
    """Vertical bars: active members per week."""
    figure = Figure(figsize=(7.5, 3.6))
    ax = figure.add_subplot()
    ax.bar(list(range(len(labels))), counts, color=_BLUE)
    ax.set_xticks(list(range(len(labels))), labels, rotation=0, fontsize=8)
    ax.set_ylabel(axis)
    ax.set_title(title)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    return _png(figure)
