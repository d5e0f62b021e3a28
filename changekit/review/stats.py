"""Medians, 90th percentiles and shares as the review states them (pure)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None for none."""
    return statistics.median(values) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile: the smallest value at least 90 % of them do not
    exceed (always one of the values, never an interpolation)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, to two decimals; None when there is no whole."""
    return round(100 * part / whole, 2) if whole else None


def delta(value: float | None, previous: float | None) -> float | None:
    if value is None or previous is None:
        return None
    diff = value - previous
    return round(diff, 2) if isinstance(diff, float) else diff
