"""The figures of the assurance suite: what the tests checked (routes x roles, generated
examples, pages checked by axe...), counted as they run. tests/conftest.py prints the
totals at the end of the run and keeps them in test-artifacts/assurance-<engine>.json, from
which docs/ASSURANCE.md quotes its figures."""

from __future__ import annotations

from collections import Counter

FIGURES: Counter[str] = Counter()


def record(figure: str, count: int = 1) -> None:
    FIGURES[figure] += count
