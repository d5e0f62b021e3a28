"""A CODEOWNERS file from the policy, so the forge asks the same people the policy does."""

from __future__ import annotations

from changekit.errors import InputError
from changekit.policy.model import Policy

HEADER = (
    "# Written by `changekit codeowners` from changekit.yaml; edit the policy, not this file.\n"
)


def owners_of(policy: Policy, name: str) -> list[str]:
    """A group name -> its team handle, else its members' handles or emails; handles and emails as they are."""
    if name.startswith("@") or "@" in name:
        return [name]
    if name not in policy.groups:
        raise InputError(
            f"codeowners names {name!r}, which is not a group, a @handle or an email",
            path=policy.path,
            field="codeowners",
            hint="define the group under `groups`, or write a @handle",
        )
    if name in policy.handles:
        return [policy.handles[name]]
    return [policy.handles.get(email, email) for email in sorted(policy.groups[name])]


def approver_groups(policy: Policy) -> list[str]:
    """Every group an approval rule names, in order of first mention."""
    seen: dict[str, None] = {}
    for rule in policy.rules:
        for req in rule.require:
            for g in req.groups or ():
                seen.setdefault(g, None)
    return list(seen) or sorted(policy.groups)


def codeowners_text(policy: Policy) -> str:
    """Records and the policy itself reviewed by the approver groups; then the policy's own lines.

    Later lines win in CODEOWNERS, so the policy's ``codeowners`` entries can narrow the defaults.
    """
    lines: list[tuple[str, list[str]]] = []
    approvers = [o for g in approver_groups(policy) for o in owners_of(policy, g)]
    if approvers:
        approvers = list(dict.fromkeys(approvers))
        lines.append(("/change_records/", approvers))
        lines.append(("/changekit.yaml", approvers))
        if policy.allowed_signers:
            lines.append((f"/{policy.allowed_signers.lstrip('/')}", approvers))
    for entry in policy.codeowners:
        owners = list(dict.fromkeys(o for name in entry["owners"] for o in owners_of(policy, name)))
        lines.append((entry["path"], owners))
    if not lines:
        raise InputError(
            "the policy names no approvers with members, so there is nobody to put in CODEOWNERS",
            path=policy.path,
            field="groups",
            hint='add members (with `handle: "@name"`) to a group, or add `codeowners` entries',
        )
    width = max(len(p) for p, _ in lines)
    body = "".join(f"{path.ljust(width)}  {' '.join(owners)}\n" for path, owners in lines)
    return HEADER + body
