"""Turn what people give (flags, a YAML draft) into record fields, with clear errors."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from changekit import yamlfile
from changekit.errors import InputError
from changekit.records import times
from changekit.records.templates import RESERVED, TEMPLATE_KEYS

DRAFT_KEYS = tuple(k for k in TEMPLATE_KEYS if k != "about") + ("template",)


def make_window(start: str, end: str, tz: str | None, *, field: str = "window") -> dict[str, str]:
    """``{start, end, timezone}`` with offsets computed for each date in ``tz`` (DST-correct)."""
    if not tz:
        # only a UTC time names its zone; +01:00 could be Berlin, Lagos or Paris, whose
        # offsets differ on other dates, so a reschedule would not know which to keep
        offset = times.parse_moment(start, None, field=f"{field}.start").utcoffset()
        if offset is None or offset.total_seconds() != 0:
            raise InputError(
                "the window needs a time zone",
                field=f"{field}.timezone",
                hint="add --tz ZONE, e.g. --tz Europe/Berlin",
            )
        tz = "UTC"
    times.zone(tz, field=f"{field}.timezone")
    s = times.parse_moment(start, tz, field=f"{field}.start")
    e = times.parse_moment(end, tz, field=f"{field}.end")
    if e <= s:
        raise InputError(
            f"the window ends ({end}) before or when it starts ({start})",
            field=f"{field}.end",
            hint="the end must be later than the start",
        )
    return {"start": times.iso(s), "end": times.iso(e), "timezone": tz}


def steps(values: tuple[str, ...] | list[str] | str | None) -> list[str] | str | None:
    if not values:
        return None
    if isinstance(values, str):
        return values
    return list(values) if len(values) > 1 else values[0]


def key_position(text: str, key: str) -> tuple[int | None, int | None]:
    """1-based line and column of a top-level key itself (not its value)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None, None
    for k, _v in getattr(node, "value", None) or ():
        if getattr(k, "value", None) == key:
            return k.start_mark.line + 1, k.start_mark.column + 1
    return None, None


def load_draft(path: str | Path) -> dict[str, Any]:
    """A YAML draft: any record field a person fills in; the window may be written in local time."""
    data, text = yamlfile.load_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("a draft must be a mapping of record fields", path=path, line=1)
    for key in data:
        if key not in DRAFT_KEYS:
            line, col = key_position(text, str(key))
            if key in RESERVED:
                raise InputError(
                    f"{key!r} is filled in by changekit, not by a draft",
                    path=path,
                    line=line,
                    column=col,
                    field=str(key),
                    hint=f"remove {key!r} from the draft",
                )
            close = difflib.get_close_matches(str(key), DRAFT_KEYS, n=1)
            if key in ("timezone", "tz", "start", "end"):
                close = ["window." + ("timezone" if key == "tz" else str(key))]
            raise InputError(
                f"unknown key {key!r}",
                path=path,
                line=line,
                column=col,
                field=str(key),
                hint=f"did you mean {close[0]!r}?"
                if close
                else "allowed: " + ", ".join(DRAFT_KEYS),
            )
    window = data.get("window")
    if isinstance(window, dict) and {"start", "end"} <= set(window):
        line, col = yamlfile.position(text, ["window"])
        try:
            data["window"] = make_window(
                str(window["start"]), str(window["end"]), window.get("timezone")
            )
        except InputError as exc:
            exc.path, exc.line, exc.column = str(path), line, col
            raise
    if isinstance(data.get("hosts"), str):
        data["hosts"] = [data["hosts"]]
    return data
