"""Three-way merge of one change record, for git's merge driver (``changekit merge-record``).

Two reviewers approving the same change at once each add an entry to ``approvals`` and
``history``; a line merge sees two edits of the same lines and conflicts. Here the lists
changekit only appends to (approvals, history, notices) are merged as sets of entries
(an entry one side removed stays removed, e.g. approvals withdrawn by a new window), and
every other field merges only when at most one side changed it. Anything else is a real
conflict and is left to a person, with the field named.
"""

from __future__ import annotations

from typing import Any

from changekit.yamlfile import parse_yaml

APPENDED = ("approvals", "history", "notices")


class MergeConflict(Exception):
    """Both sides changed ``field`` differently."""

    def __init__(self, field: str) -> None:
        super().__init__(f"both sides changed {field!r} differently")
        self.field = field


def _entries(base: list, ours: list, theirs: list) -> list:
    removed = [e for e in base if e not in ours or e not in theirs]
    out = [e for e in ours if e not in removed]
    out += [e for e in theirs if e not in out and e not in removed]
    return out


def _approval_merge_status(
    base: dict, ours: dict, theirs: dict, merged: dict, enough: Any
) -> str | None:
    """The status after merging approvals: the further of submitted/approved, or approved
    when the merged approvals now satisfy the policy (``enough(data) -> bool``)."""
    statuses = {ours.get("status"), theirs.get("status")}
    if not statuses <= {"submitted", "approved"}:
        return None
    if "approved" in statuses:
        return "approved"
    if base.get("status") == "submitted" and enough is not None and enough(merged):
        return "approved"
    return "submitted"


def merge_records(
    base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any], enough: Any = None
) -> dict[str, Any]:
    """The merged record, or ``MergeConflict`` naming the first field both sides changed."""
    merged: dict[str, Any] = {}
    for key in list(ours) + [k for k in theirs if k not in ours]:
        b, o, t = base.get(key), ours.get(key), theirs.get(key)
        if key in APPENDED and isinstance(o or [], list) and isinstance(t or [], list):
            value = _entries(b or [], o or [], t or [])
            if value:
                merged[key] = value
            continue
        if o == t or t == b:
            value = o
        elif o == b:
            value = t
        elif key == "status":
            continue  # decided below, once the approvals are merged
        else:
            raise MergeConflict(key)
        if value is not None:  # None: one side removed the field
            merged[key] = value
    if "history" in merged:
        merged["history"] = sorted(merged["history"], key=lambda e: str(e.get("at", "")))
    status = _approval_merge_status(base, ours, theirs, merged, enough)
    if ours.get("status") != theirs.get("status") or status == "approved":
        if status is None:
            raise MergeConflict("status")
        if status != merged.get("status"):
            merged["status"] = status
            history = merged.get("history") or []
            if history and merged.get("approvals") and history[-1].get("status") != status:
                last = merged["approvals"][-1]
                history.append(
                    {
                        "status": status,
                        "at": last["at"],
                        "by": last["by"],
                        "note": "approvals merged: the policy's approvals are met",
                    }
                )
    return merged


def load(text: str) -> dict[str, Any]:
    """Parse one side as records are parsed everywhere (times stay strings); InputError if broken."""
    data = parse_yaml(text, path="record") if text.strip() else {}
    if not isinstance(data, dict):
        raise MergeConflict("(the whole record)")
    return data
