"""Figures as people read them: durations in days and hours, shares in percent, deltas signed.
Shared by the Markdown and HTML reviews (JSON and CSV keep the raw numbers)."""

from __future__ import annotations

from typing import Any


def number(value: float | None) -> str:
    """A raw number as text: whole numbers without ``.0``; ``""`` for none."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def duration(seconds: float) -> str:
    left = int(round(abs(seconds)))
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    minutes = left // 60
    parts = [f"{days}d"] if days else []
    if hours or (days and minutes):
        parts.append(f"{hours}h")
    if minutes or not parts:
        parts.append(f"{minutes}m")
    return ("-" if seconds < 0 else "") + " ".join(parts)


def value(v: float | None, unit: str) -> str:
    if v is None:
        return "–"
    if unit == "seconds":
        return duration(v)
    if unit == "percent":
        return f"{v:.1f} %"
    return number(v)


def delta(d: float | None, unit: str) -> str:
    if d is None:
        return "–"
    sign = "+" if d > 0 else "±" if d == 0 else "-"
    if unit == "seconds":
        return sign + duration(abs(d))
    if unit == "percent":
        return f"{sign}{abs(d):.1f} pt"
    return sign + number(abs(d))


def groups(figures: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Figures by their ``figure`` name, in order of first appearance."""
    out: dict[str, list[dict[str, Any]]] = {}
    for f in figures:
        out.setdefault(f["figure"], []).append(f)
    return list(out.items())
