"""Bar charts as geometry: pure functions that turn labelled Decimal values into bars the
templates draw as accessible SVG, with the same numbers for the table beside each chart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from portal.money import ZERO, percent_of

WIDTH = 600  # the drawing's width in SVG units; the bars' area starts after the labels
LABEL_WIDTH = 200
BAR_HEIGHT = 24
GAP = 8
COLOURS = ("#1f5fa8", "#c25400", "#2e7d32", "#6a1b9a", "#00838f", "#ad1457", "#5d4037",
           "#455a64")


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    percent: Decimal  # of the chart's total
    x: int
    y: int
    width: int
    height: int
    colour: str

    @property
    def text_y(self) -> int:
        return self.y + self.height // 2 + 5


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    total: Decimal
    width: int
    height: int


def bar_chart(items: Iterable[tuple[str, Decimal]], *, width: int = WIDTH) -> Chart:
    """Horizontal bars, the longest as wide as the bars' area, the others in proportion
    (rounded half up to whole units; a value above zero is at least one unit wide)."""
    items = [(str(label), Decimal(value)) for label, value in items]
    total = sum((v for _, v in items), ZERO)
    largest = max((v for _, v in items), default=ZERO)
    area = width - LABEL_WIDTH
    bars = []
    for n, (label, value) in enumerate(items):
        length = 0
        if largest > 0 and value > 0:
            length = max(1, int((value * area / largest).quantize(Decimal(1), ROUND_HALF_UP)))
        bars.append(Bar(
            label=label, value=value,
            percent=percent_of(value, total) if total else ZERO,
            x=LABEL_WIDTH, y=n * (BAR_HEIGHT + GAP), width=length, height=BAR_HEIGHT,
            colour=COLOURS[n % len(COLOURS)],
        ))
    height = max(1, len(bars)) * (BAR_HEIGHT + GAP)
    return Chart(bars=bars, total=total, width=width, height=height)
