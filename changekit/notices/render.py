"""Render notices from a change record with jinja2 templates a team can override.

Templates are looked up first in the workspace's ``templates/notices/`` and then
in the ones changekit ships. For each kind the most specific template wins:
``<kind>.txt.j2`` before ``notice.txt.j2`` (and likewise ``.html.j2``);
``subject.txt.j2`` and ``banner.txt.j2`` are single templates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jinja2

from changekit.errors import InputError
from changekit.notices import moments, timetext
from changekit.notices.config import parse_duration
from changekit.notices.model import Audience, Notice
from changekit.workspace import Workspace


def environment(workspace: Workspace | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if workspace is not None:
        loaders.append(jinja2.FileSystemLoader(str(workspace.templates_dir / "notices")))
    loaders.append(jinja2.PackageLoader("changekit", "templates/notices"))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "html.j2"), default_for_string=False
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _steps(value: Any) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def context(
    record: dict[str, Any],
    *,
    kind: str,
    zone: str,
    hosts: list[str],
    sequence: int,
    variant: str = "",
    previous_window: dict[str, str] | None = None,
    contact: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Everything a template may use, with times already in the reader's zone.

    ``now`` is when the notice goes out: a reminder says the time really left until the
    start, not the offset it was planned at (a late cron run must not say "in 1 hour")."""
    window = record.get("window") or {}
    outage = record.get("outage") or {}
    emergency = record.get("type") == "emergency"
    began, ended = moments.started_at(record), moments.finished_at(record)
    ctx: dict[str, Any] = {
        "kind": kind,
        "variant": variant,
        "sequence": sequence,
        "id": record["id"],
        "title": record["title"],
        "type": record.get("type"),
        "what": (record.get("description") or record["title"]).strip(),
        "why": (record.get("justification") or "").strip(),
        "services": list(record.get("services") or []),
        "hosts": hosts,
        "status": record.get("status"),
        "timezone": zone,
        "outage": bool(outage.get("expected")),
        "outage_text": (outage.get("description") or "").strip(),
        "outage_duration": timetext.minutes_text(outage["duration_minutes"])
        if outage.get("duration_minutes") is not None
        else None,
        "user_action": (record.get("user_action") or "").strip(),
        "rollback_steps": _steps(record.get("rollback")),
        "contact": (record.get("contact") or contact or record["requester"]["email"]).strip(),
        "requester": record["requester"],
        "emergency": ((record.get("emergency") or {}).get("reason") or "").strip() or None
        if emergency
        else None,
        "outcome": {"result": None, "notes": "", **(record.get("outcome") or {})}
        if record.get("outcome")
        else None,
        "when": None,
        "start_text": None,
        "window_length": None,
        "start_iso": None,
        "end_iso": None,
        "previous_when": None,
        "reminder_in": None,
        # what really happened, which may differ from the window (an early start)
        "started_text": timetext.when(began, zone) if began else None,
        "finished_text": timetext.when(ended, zone) if ended else None,
        "started_iso": moments.iso(began),
        "finished_iso": moments.iso(ended),
        "early": False,
    }
    if window:
        start, end = datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"])
        ctx["when"] = timetext.span(start, end, zone)
        ctx["window_length"] = timetext.duration(end - start)
        ctx["start_text"] = timetext.when(start, zone)
        ctx["start_iso"], ctx["end_iso"] = moments.iso(start), moments.iso(end)
        ctx["early"] = bool(began and began < start)
    if previous_window:
        ctx["previous_when"] = timetext.span(
            datetime.fromisoformat(previous_window["start"]),
            datetime.fromisoformat(previous_window["end"]),
            zone,
        )
    if kind == "reminder":
        if window and now is not None:
            ctx["reminder_in"] = timetext.roughly(datetime.fromisoformat(window["start"]) - now)
        elif variant:
            ctx["reminder_in"] = timetext.duration(parse_duration(variant))
    return ctx


def _render(env: jinja2.Environment, names: list[str], ctx: dict[str, Any]) -> str:
    try:
        return env.select_template(names).render(ctx)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(
            f"notice template error: {exc.message}", path=exc.filename, line=exc.lineno
        ) from None
    except jinja2.UndefinedError as exc:
        raise InputError(
            f"notice template uses an unknown value: {exc.message}",
            path=f"templates/notices/{names[0]}",
            hint="see the shipped templates in changekit/templates/notices for the values available",
        ) from None


def render(
    env: jinja2.Environment,
    ctx: dict[str, Any],
    *,
    audience: Audience | None = None,
    calendar: bytes | None = None,
) -> Notice:
    """One notice: subject, plain text and HTML, for one reader."""
    kind = ctx["kind"]
    ctx = {**ctx, "audience": audience.display_name or audience.name if audience else None}
    subject = " ".join(_render(env, ["subject.txt.j2"], ctx).split())
    text = _render(env, [f"{kind}.txt.j2", "notice.txt.j2"], ctx)
    html = _render(env, [f"{kind}.html.j2", "notice.html.j2"], ctx)
    banner = _render(env, ["banner.txt.j2"], ctx)
    return Notice(
        kind=kind,
        change_id=ctx["id"],
        sequence=ctx["sequence"],
        variant=ctx["variant"],
        subject=subject,
        text=text,
        html=html,
        banner=banner,
        audience=audience,
        calendar=calendar,
        context=ctx,
    )
