"""Whether a standard change is covered by its pre-approved template (QA #1).

A template is approved once, for what it says. A record filed from it may differ in its
window, title and description, but not in what is done, how it is undone, how risky it is,
whether it causes an outage or (when the template names hosts) where it is done.
"""

from __future__ import annotations

from typing import Any

from changekit.policy.access import data_of, record_id
from changekit.problems import Problem

FIXED_FIELDS = ("type", "risk", "impact", "outage", "implementation", "verification", "rollback")
"""Fields a pre-approved record must have exactly as its template has them."""


def _norm(field: str, value: Any) -> Any:
    if field == "outage" and (not value or (isinstance(value, dict) and not value.get("expected"))):
        return None  # no outage, however it is written
    if value in ("", [], {}):
        return None
    return value


def differences(record: Any, template: dict) -> list[str]:
    """The fields in which ``record`` leaves what ``template`` pre-approves."""
    data = data_of(record)
    out = [
        f
        for f in FIXED_FIELDS
        if f != "type" and _norm(f, data.get(f)) != _norm(f, template.get(f))
    ]
    allowed = template.get("hosts")
    if allowed and not set(data.get("hosts") or ()) <= set(allowed):
        out.append("hosts")
    return out


def problem(policy: Any, record: Any, template: dict | None = None) -> Problem | None:
    data = data_of(record)
    name = data.get("template")
    rid = record_id(record)

    def bad(message: str, hint: str, field: str = "template") -> Problem:
        return Problem(
            "not-preapproved", message, record=rid, field=field, hint=hint, severity="medium"
        )

    if data.get("type") != "standard" or not policy.is_preapproved_template(name):
        return bad(
            "not a standard change filed from a pre-approved template",
            "file it from a template listed under approvals.standard_templates",
        )
    if any(
        isinstance(h, dict) and h.get("status") == "rejected" for h in data.get("history") or ()
    ):
        return bad(
            "was rejected once, so it needs a normal approval like any other change",
            f"reviewers approve it with `changekit change approve {rid}`",
            "history",
        )
    if template is None and policy.templates is not None:
        template = policy.templates.get(name)
        if template is None:
            return bad(
                f"its template {name!r} does not exist, so nothing says what was pre-approved",
                f"add templates/{name}.yaml, or file it as a normal change",
            )
    if template is None:
        return None  # the caller could not read templates: judged by the name alone
    changed = differences(record, template)
    if changed:
        return bad(
            f"differs from its pre-approved template {name!r} in {', '.join(changed)}, "
            "so it needs a normal approval",
            f"approvers approve it (`changekit change approve {rid}`), or file it again from "
            f"the template unchanged",
            changed[0],
        )
    return None
