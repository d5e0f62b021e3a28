"""Build a ``Policy`` from ``changekit.yaml``: schema first, then the cross-references."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from changekit.errors import InputError, SchemaError
from changekit.policy import approvals as ap
from changekit.policy import classes as cls_mod
from changekit.policy import freezes as fz
from changekit.policy.model import Policy
from changekit.policy.timeutil import parse_duration
from changekit.policy.windows import Window
from changekit.records.times import zone
from changekit.yamlfile import parse_yaml, position, validate

CONFIG_NAME = "changekit.yaml"

_PATTERNS = {
    "clock": "a time of day as HH:MM (24-hour clock, or 24:00)",
    "duration": "a duration such as 30m, 4h, 2d or 1d12h",
    "when": "a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM[:SS][+HH:MM])",
    "member": "an email address",
    "handle": "a forge handle such as @alice or @org/team",
}


def _pattern_names() -> dict[str, str]:
    """Each pattern in the policy schema -> what a person would call it."""
    from changekit.yamlfile import load_schema

    defs = load_schema("policy")["$defs"]
    member = defs["member"]["oneOf"]
    return {
        defs["clock"]["pattern"]: _PATTERNS["clock"],
        defs["duration"]["pattern"]: _PATTERNS["duration"],
        defs["when"]["pattern"]: _PATTERNS["when"],
        member[0]["pattern"]: _PATTERNS["member"],
        member[1]["properties"]["handle"]["pattern"]: _PATTERNS["handle"],
    }


def _plain(message: str) -> str:
    """``'25:00' does not match '^([01]...'`` -> ``'25:00' is not a time of day as HH:MM ...``."""
    for pattern, name in _pattern_names().items():
        message = message.replace(f"does not match {pattern!r}", f"is not {name}")
    return message


def policy_from_data(
    data: Any,
    *,
    path: str = CONFIG_NAME,
    text: str | None = None,
    root: Path | None = None,
    now: datetime | None = None,
) -> Policy:
    """Validate ``data`` against the policy schema and build the ``Policy``."""
    try:
        validate(data, "policy", path=path, text=text)
    except SchemaError as exc:
        exc.message = _plain(exc.message)
        raise

    def fail(message: str, field_path: list, hint: str | None = None) -> InputError:
        line, col = position(text, field_path)
        from changekit.yamlfile import field_path_str

        return InputError(
            message, path=path, line=line, column=col, field=field_path_str(field_path), hint=hint
        )

    groups: dict[str, set[str]] = {}
    handles: dict[str, str] = {}
    for gname, group in (data.get("groups") or {}).items():
        members = set()
        for member in group["members"]:
            email = (member if isinstance(member, str) else member["email"]).lower()
            members.add(email)
            if isinstance(member, dict) and member.get("handle"):
                handles[email] = member["handle"]
        groups[gname] = members
        if group.get("handle"):
            handles[gname] = group["handle"]

    approvals = data.get("approvals") or {}
    rules = []
    for i, rule in enumerate(approvals.get("rules") or ()):
        for j, req in enumerate(rule["require"]):
            for k, gname in enumerate(req.get("from") or ()):
                if gname not in groups:
                    close = difflib.get_close_matches(gname, list(groups), n=1)
                    raise fail(
                        f"approver group {gname!r} is not defined under `groups`",
                        ["approvals", "rules", i, "require", j, "from", k],
                        f"did you mean {close[0]!r}?"
                        if close
                        else "define it under `groups` with its members",
                    )
        rules.append(ap.Rule.from_policy(rule))
    signed = bool(approvals.get("signed", False))
    if signed and not approvals.get("allowed_signers"):
        raise fail(
            "`signed: true` needs an `allowed_signers` file to verify signatures with",
            ["approvals", "signed"],
            "add `allowed_signers: .allowed_signers` (ssh-keygen ALLOWED SIGNERS format) and commit that file",
        )

    def tz_at(value: str, field_path: list):
        try:
            return zone(value)
        except InputError as exc:
            raise fail(exc.message, field_path, exc.hint) from None

    windows = []
    for i, w in enumerate(data.get("windows") or ()):
        windows.append(Window.from_policy(w, tz_at(w["timezone"], ["windows", i, "timezone"])))
    utc = zone("UTC")
    freezes = []
    for i, f in enumerate(data.get("freezes") or ()):
        tz = tz_at(f["timezone"], ["freezes", i, "timezone"]) if f.get("timezone") else utc
        for key in ("from", "to"):
            try:
                fz.from_policy({**f, "from": f[key], "to": f[key]}, tz)
            except ValueError as exc:  # the schema checks the shape; the calendar checks the day
                raise fail(
                    f"{f[key]!r} is not a valid date ({exc})",
                    ["freezes", i, key],
                    "write a real date as YYYY-MM-DD or YYYY-MM-DDTHH:MM, e.g. 2026-12-01",
                ) from None
        freeze = fz.from_policy(f, tz)
        if freeze.end <= freeze.start:
            raise fail(f"freeze {f['name']!r} ends before it starts", ["freezes", i, "to"])
        freezes.append(freeze)
    root = root or Path(".")
    for i, c in enumerate(data.get("calendars") or ()):
        tz = tz_at(c["timezone"], ["calendars", i, "timezone"]) if c.get("timezone") else utc
        if not (root / c["file"]).is_file():
            raise fail(
                f"calendar file {c['file']} not found",
                ["calendars", i, "file"],
                "commit the .ics file, or fix the path (it is relative to the workspace root)",
            )
        freezes += fz.from_calendar(
            root / c["file"],
            relpath=c["file"],
            tz=tz,
            groups=c.get("groups"),
            outages_only=bool(c.get("outages_only", False)),
            around=now or datetime.now(UTC),
        )
    classes = []
    for i, entry in enumerate(data.get("classes") or ()):
        for req in [*entry.get("require", ()), *(entry.get("exception") or {}).get("require", ())]:
            for gname in req.get("from") or ():
                if gname not in groups:
                    close = difflib.get_close_matches(gname, list(groups), n=1)
                    raise fail(
                        f"approver group {gname!r} of class {entry['name']!r} is not defined under `groups`",
                        ["classes", i],
                        f"did you mean {close[0]!r}?"
                        if close
                        else "define it under `groups` with its members",
                    )
        if entry["name"] in {c.name for c in classes}:
            raise fail(f"class {entry['name']!r} is defined twice", ["classes", i, "name"])
        classes.append(
            cls_mod.from_policy(
                entry, lambda v, f, i=i: tz_at(v, ["classes", i, *f]), parse_duration
            )
        )
    ownership = {"customer": "customer", "team": "team", **(data.get("ownership") or {})}
    conflicts = data.get("conflicts") or {}
    return Policy(
        data=data,
        path=path,
        groups=groups,
        handles=handles,
        rules=tuple(rules) or ap.DEFAULT_RULES,
        standard_templates=frozenset(approvals.get("standard_templates") or ()),
        emergency_within=parse_duration(approvals["emergency_within"])
        if approvals.get("emergency_within")
        else None,
        committer_must_match=bool(approvals.get("committer_must_match", True)),
        signed=signed,
        allowed_signers=approvals.get("allowed_signers"),
        windows=windows,
        freezes=freezes,
        exempt_types=frozenset(data.get("exempt_types", ["emergency"])),
        lead_time=parse_duration(data["lead_time"]) if data.get("lead_time") else None,
        conflict_statuses=tuple(
            conflicts.get("statuses") or ("submitted", "approved", "scheduled", "in_progress")
        ),
        conflicts_allowed=bool(conflicts.get("allow", False)),
        codeowners=list(data.get("codeowners") or ()),
        classes=tuple(classes),
        ownership=ownership,
    )


def load_policy_file(
    path: Path, *, root: Path | None = None, display: str | None = None, now: datetime | None = None
) -> Policy:
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            "the policy file is missing", path=shown, hint="run `changekit init` to write one"
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc}", path=shown) from None
    data = parse_yaml(text, path=shown)
    if data is None:
        data = {}
    return policy_from_data(
        data, path=display or str(path), text=text, root=root or path.parent, now=now
    )


def load_policy(workspace: Any, *, now: datetime | None = None) -> Policy:
    """The policy of ``workspace`` (a ``Workspace`` or a directory)."""
    root = Path(workspace) if isinstance(workspace, (str, Path)) else Path(workspace.root)
    return load_policy_file(root / CONFIG_NAME, root=root, display=CONFIG_NAME, now=now)
