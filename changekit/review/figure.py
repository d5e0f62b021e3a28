"""One figure of the review: a value for the period, the same for the previous period, the
delta, and the records (or waivers) behind each number."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from changekit.review.periods import Period
from changekit.review.stats import delta

UNITS = ("count", "percent", "seconds")


@dataclass
class Figure:
    section: str
    figure: str
    dimension: str
    unit: str
    value: float | None
    previous: float | None
    records: list[str] = field(default_factory=list)
    previous_records: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def delta(self) -> float | None:
        return delta(self.value, self.previous)

    def as_dict(self, number: int) -> dict[str, Any]:
        return {
            "id": f"f{number}",
            "section": self.section,
            "figure": self.figure,
            "dimension": self.dimension,
            "unit": self.unit,
            "value": self.value,
            "previous": self.previous,
            "delta": self.delta,
            "records": self.records,
            "previous_records": self.previous_records,
            **self.extra,
        }


Measure = Callable[[Period], tuple[float | None, Iterable[str]]]
"""For a period: the value and the ids behind it."""


def compare(
    section: str,
    figure: str,
    dimension: str,
    unit: str,
    measure: Measure,
    period: Period,
    previous: Period,
    **extra: Any,
) -> Figure:
    value, ids = measure(period)
    before, before_ids = measure(previous)
    return Figure(
        section,
        figure,
        dimension,
        unit,
        value,
        before,
        sorted(set(ids)),
        sorted(set(before_ids)),
        extra,
    )
