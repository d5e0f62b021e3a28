"""``check --base REV``: judge a pull request by the rules as they were before it.

A pull request must not be able to relax the rules it is judged by: the policy
(``changekit.yaml``, its calendars) and the allowed-signers file are read from REV, a change
to them is reported as needing the approvers' review, and a record the pull request deletes
is reported (the audit trail of a change must not vanish through the gate).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from changekit.errors import ChangekitError, InputError
from changekit.gate import history
from changekit.policy import Policy
from changekit.policy.load import CONFIG_NAME, load_policy_file
from changekit.problems import Problem
from changekit.yamlfile import parse_yaml

ACTIVE = ("submitted", "approved", "scheduled", "in_progress")
"""A deleted record in one of these is an error; finished or rejected ones a warning."""


def _show(root: Path, rev: str, path: str) -> bytes | None:
    if not history.git(root, "cat-file", "-t", f"{rev}:{path}", check=False).strip():
        return None
    return history.git(root, "show", f"{rev}:{path}", check=False)


def base_policy(root: Path, base: str, prefix: str, current: Policy) -> Policy:
    """The policy as of ``base``; the current one when ``base`` has none yet (a new repository)."""
    text = _show(root, base, prefix + CONFIG_NAME)
    if text is None:
        return current
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / CONFIG_NAME
        path.write_bytes(text)
        try:
            base_data = parse_yaml(text.decode("utf-8"), path=f"{base}:{CONFIG_NAME}") or {}
        except (InputError, UnicodeDecodeError):
            base_data = {}  # load_policy_file below reports it with file and line
        for cal in base_data.get("calendars") or () if isinstance(base_data, dict) else ():
            file = cal.get("file") if isinstance(cal, dict) else None
            content = _show(root, base, prefix + file) if isinstance(file, str) else None
            if content is not None:
                target = Path(tmp) / file
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
        try:
            return load_policy_file(path, root=Path(tmp), display=f"{base}:{CONFIG_NAME}")
        except ChangekitError:
            return current  # a broken base policy: the work tree's is reported on its own


DECIDING = ("inventories", "templates")
"""Folders whose files decide policy outcomes: groups (freezes, windows, approver scopes) and
what each pre-approved template covers. With the policy file, its calendars and the allowed
signers, they are read from the base."""


def snapshot(root: Path, base: str, prefix: str, into: Path, policy: Policy) -> Path:
    """The inputs that decide outcomes, as of ``base``, written under ``into``; ``policy`` is
    the base's (its configured inventory paths)."""
    into.mkdir(parents=True, exist_ok=True)
    tree = f"{base}:{prefix.rstrip('/')}" if prefix else base
    listed = history.git(root, "ls-tree", "-r", "-z", "--name-only", tree, check=False)
    names = [n.decode() for n in listed.split(b"\0") if n]
    configured = policy.data.get("inventory") or []
    extra = [
        str(p).strip("/") for p in (configured if isinstance(configured, list) else [configured])
    ]
    wanted = [
        n
        for n in names
        if n == CONFIG_NAME
        or n.split("/", 1)[0] in DECIDING
        or any(n == e or n.startswith(e + "/") for e in extra)
    ]
    for name in wanted:
        content = _show(root, base, prefix + name)
        if content is None:
            continue
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return into


def merge_base(root: Path, base: str) -> str:
    return history.git(root, "merge-base", base, "HEAD", check=False).decode().strip()


def policy_changes(root: Path, base: str, prefix: str, policy: Policy) -> list[Problem]:
    """A problem when the pull request changes the policy or the allowed-signers file."""
    since = merge_base(root, base)
    names = [CONFIG_NAME]
    if policy.allowed_signers:
        names.append(policy.allowed_signers)
    names += [
        c["file"]
        for c in policy.data.get("calendars") or ()
        if isinstance(c, dict) and c.get("file")
    ]
    # a pre-approved template says what its standard changes may do
    names += [
        f"templates/{t}.{ext}" for t in sorted(policy.standard_templates) for ext in ("yaml", "yml")
    ]
    configured = policy.data.get("inventory")
    if configured:
        names += [str(p) for p in (configured if isinstance(configured, list) else [configured])]
    names += [f"{folder}/" for folder in DECIDING]
    paths = [f":(top){prefix}{n}" for n in names]  # from the top, wherever the workspace sits
    out = history.git(root, "diff", "--name-only", since, "--", *paths, check=False).decode()
    out += history.git(
        root, "ls-files", "--others", "--exclude-standard", "--full-name", "--", *paths,
        check=False,
    ).decode()  # fmt: skip
    changed = sorted({p.removeprefix(prefix) for p in out.splitlines() if p})
    return [
        Problem(
            "policy-changed",
            f"this pull request changes {name}, the rules the gate judges changes by",
            path=name,
            hint="a policy change needs a review by the approvers (CODEOWNERS covers it, "
            "`changekit codeowners`); this check judged the records by the policy of "
            f"{base}; merge it once the approvers agreed",
        )
        for name in changed
    ]


def deleted_records(root: Path, base: str, prefix: str, changed: set[str]) -> list[Problem]:
    """A problem for each record file the pull request deletes that was more than a draft."""
    since = merge_base(root, base)
    problems = []
    for path in sorted(changed):
        if (root / path).exists() or not path.endswith((".yaml", ".yml")):
            continue
        raw = _show(root, since, prefix + path)
        try:
            data = parse_yaml(raw.decode("utf-8"), path=path) if raw else None
        except (InputError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict) or data.get("status") in (None, "draft"):
            continue
        status = data.get("status")
        final = status not in ACTIVE
        problems.append(
            Problem(
                "record-deleted",
                f"this pull request deletes {data.get('id', path)}, a {status} change record",
                record=data.get("id"),
                path=path,
                hint="change records are the audit trail: cancel the change "
                "(`changekit change cancel ID --reason ...`) instead of deleting it"
                if not final
                else "change records are the audit trail: keep finished records",
                severity="medium" if final else "high",
            )
        )
    return problems
