"""Horizontal bar charts drawn on the server as SVG geometry; the template prints their data table beside them."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

PATTERNS = ("solid", "striped")  # told apart by more than colour


@dataclass(frozen=True)
class Bar:
    """One drawn bar: where it is, and the value it shows as the table prints it."""

    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class BarSeries:
    """One set of bars (one per category), its name and its fill."""

    name: str
    bars: tuple[Bar | None, ...]  # None where there is no value
    pattern: str


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart over categories, with the id of the table holding the same numbers."""

    title: str
    description: str
    table_id: str
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    categories: tuple[tuple[float, str], ...]  # (y of the label's baseline, label)
    x_ticks: tuple[tuple[float, str], ...]
    series: tuple[BarSeries, ...]


def bar_chart(title: str, description: str, table_id: str, categories: Sequence[str],
              series: Sequence[tuple[str, Sequence[float | None]]], high: float,
              show: Callable[[float], str] = lambda v: f"{v:g}", ticks: int = 4) -> BarChart:
    """Place each series' values (0 to high) as bars, one group of bars per category."""
    width, left, right, top, bottom = 480, 170, 50, 8, 30  # narrow: readable when a phone shrinks it
    bar, gap = 16, 12
    group = bar * len(series) + gap
    height = top + group * len(categories) + bottom
    plot_w = width - left - right
    high = high or 1

    def x_of(value: float) -> float:
        return left + plot_w * max(0.0, min(value, high)) / high

    drawn = []
    for n, (name, values) in enumerate(series):
        bars = tuple(None if v is None else Bar(left, top + i * group + n * bar, x_of(v) - left, bar - 2, show(v))
                     for i, v in enumerate(values))
        drawn.append(BarSeries(name, bars, PATTERNS[n % len(PATTERNS)]))
    labels = tuple((top + i * group + (group - gap) / 2 + 4, _short(text)) for i, text in enumerate(categories))
    step = nice_step(high, ticks)
    tick_values = [step * i for i in range(int(high / step + 1e-9) + 1)]
    return BarChart(title, description, table_id, width, height, left, top, right, bottom, labels,
                    tuple((x_of(v), show(v)) for v in tick_values), tuple(drawn))


def nice_step(high: float, ticks: int) -> float:
    """A round step (1, 2 or 5 times a power of ten) that marks 0 to high in about `ticks` steps."""
    rough = high / max(1, ticks)
    power = 10 ** math.floor(math.log10(rough)) if rough > 0 else 1
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= rough)


def _short(text: str, limit: int = 22) -> str:
    """A category label that fits left of the bars (the table has it in full)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
