"""Bar charts drawn by the server as inline SVG: the geometry here, the markup in
templates/pages/chart.html. No script, no external asset."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, LABEL, ROW, PAD = 640, 180, 26, 6


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the value as shown
    y: int
    width: float
    series: int  # which colour


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    height: int
    label_width: int = LABEL
    width: int = WIDTH


def bar_chart(title: str, rows: list[tuple[str, list[tuple[float | None, str]]]],
              top: float | None = None) -> Chart:
    """One group of bars per row (``label``, [(value, text), ...] one per series); a
    missing value draws no bar but keeps its text ("no data")."""
    values = [v for _, series in rows for v, _ in series if v is not None]
    top = top or max(values, default=0.0) or 1.0
    span = WIDTH - LABEL - 90
    bars, y = [], PAD
    for label, series in rows:
        for i, (value, text) in enumerate(series):
            bars.append(Bar(label if i == 0 else "", text, y,
                            0.0 if value is None else span * min(value, top) / top, i))
            y += ROW
        y += PAD
    return Chart(title, bars, y + PAD)
