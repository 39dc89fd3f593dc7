"""Small charts drawn on the server as SVG geometry; templates draw them and always print their data table too."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .services.surveys.cohort import Cohort

MARKERS = ("circle", "square", "triangle", "diamond")
DASHES = ("", "6 3", "2 3", "8 3 2 3")


@dataclass(frozen=True)
class Point:
    """A drawn value: where it is and what it says."""

    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Series:
    """One line: its name, its points (None where there is no value), and how it is told apart."""

    name: str
    points: tuple[Point | None, ...]
    marker: str
    dash: str

    @property
    def segments(self) -> list[str]:
        """SVG polyline point lists, broken where a value is missing."""
        runs: list[list[Point]] = [[]]
        for point in self.points:
            if point is None:
                runs.append([])
            else:
                runs[-1].append(point)
        return [" ".join(f"{p.x:.1f},{p.y:.1f}" for p in run) for run in runs if run]


@dataclass(frozen=True)
class LineChart:
    """A line chart over ordered categories, with its data table's id."""

    title: str
    description: str
    table_id: str
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    x_ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]
    series: tuple[Series, ...]
    narrow_ticks: tuple[tuple[float, str], ...] = ()  # the few x labels a phone shows, shortened (larger type)


def line_chart(title: str, description: str, table_id: str, categories: Sequence[str],
               series: Sequence[tuple[str, Sequence[float | None]]], low: float, high: float) -> LineChart:
    """Place the series' values on a chart whose y axis runs from low to high."""
    width, height, left, top, right, bottom = 640, 300, 72, 16, 72, 40  # room for the end labels
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(categories) - 1) if len(categories) > 1 else 0.0
    xs = [left + (step * i if len(categories) > 1 else plot_w / 2) for i in range(len(categories))]

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (high - low))

    drawn = tuple(
        Series(name, tuple(None if v is None else Point(xs[i], y_of(v), f"{v:.2f}") for i, v in enumerate(values)),
               MARKERS[n % len(MARKERS)], DASHES[n % len(DASHES)])
        for n, (name, values) in enumerate(series))
    ticks = tuple((y_of(v), f"{v:g}") for v in range(int(low), int(high) + 1))
    return LineChart(title, description, table_id, width, height, left, top, right, bottom,
                     tuple(zip(xs, categories)), ticks, drawn,
                     tuple((xs[i], short_label(categories[i])) for i in narrow_indices(len(categories))))


NARROW_LABEL = 12  # characters of an x label a phone shows; the table beside the chart has every label in full


def narrow_indices(count: int) -> list[int]:
    """Which x labels stay on a narrow screen, where the chart is drawn at about half size in larger type: the
    first, the last and the middle one, so that they never run into each other."""
    if count <= 3:
        return list(range(count))
    return [0, (count - 1) // 2, count - 1]


def short_label(label: str) -> str:
    """An x label cut to fit a narrow screen, with an ellipsis when cut (the part after a course's title first)."""
    label = label.rsplit(": ", 1)[-1]  # "Course title: Station 1" -> "Station 1": the table names the course
    return label if len(label) <= NARROW_LABEL else label[:NARROW_LABEL - 1].rstrip() + "…"


def survey_chart(figures: Cohort) -> LineChart | None:
    """Mean subscale scores over the rounds of a schedule (the cohort table carries the same numbers)."""
    if not figures.windows:
        return None
    scale = figures.survey.scale
    return line_chart(
        "Mean subscale scores by round",
        f"Mean score of each subscale at each round, on the 1 to {scale.points} scale; the table below gives "
        "every value with its n and SD.",
        "cohort-means", [w.label for w in figures.windows],
        [(row.subscale.name, [cell.mean for cell in row.cells]) for row in figures.rows], 1, scale.points)
