"""Bar charts drawn by the server: the figures here, the markup in
templates/pages/chart.html. Each bar is a tiny SVG stretched to its row, its label and value
are text of the page (readable at any width: nothing is scaled down on a phone). No script,
no external asset."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    text: str  # the value as shown
    share: float  # its length, 0..100 (% of the longest the chart draws)
    series: int  # which colour, and which of the chart's series names


@dataclass(frozen=True)
class Row:
    label: str
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    title: str
    series: tuple[str, ...]  # what each colour is, for the legend
    rows: list[Row]


def bar_chart(title: str, series: tuple[str, ...],
              rows: list[tuple[str, list[tuple[float | None, str]]]],
              top: float | None = None) -> Chart:
    """One group of bars per row (``label``, [(value, text), ...] one per series); a
    missing value draws no bar but keeps its text ("no data")."""
    values = [v for _, bars in rows for v, _ in bars if v is not None]
    top = top or max(values, default=0.0) or 1.0
    return Chart(title, series, [
        Row(label, [Bar(text, 0.0 if v is None else round(100 * min(v, top) / top, 1), i)
                    for i, (v, text) in enumerate(bars)]) for label, bars in rows])
