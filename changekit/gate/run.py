"""``changekit check``: every record against the schema, the policy, plugins and git history."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from changekit.errors import ChangekitError, WorkspaceError
from changekit.gate import base as base_rules
from changekit.gate import history, order, verdict
from changekit.plugins import hook
from changekit.policy import Policy, load_policy
from changekit.policy.conflicts import ConflictIndex
from changekit.problems import Problem
from changekit.records import store, templates
from changekit.workspace import Workspace

FAILING = ("high", "critical")
BAD_INPUT = ("invalid-record", "id-mismatch", "not-a-file")
"""Problems with a record file itself: ``check`` exits 3."""


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    checked: int = 0
    total: int = 0
    bad_input: bool = False
    """A record file could not be read or is not valid against its schema."""
    base: str | None = None

    @property
    def failures(self) -> list[Problem]:
        return [p for p in self.problems if p.severity in FAILING]

    @property
    def ok(self) -> bool:
        return not self.failures and not self.bad_input

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "base": self.base,
            "checked": self.checked,
            "total": self.total,
            "failures": len(self.failures),
            "warnings": len(self.problems) - len(self.failures),
            "problems": [p.as_dict() for p in self.problems],
        }


def _inventory(ws: Workspace, policy: Policy) -> Any | None:
    """The workspace inventory, or None when there is none (selectors are then compared as written)."""
    inv_dir = ws.inventories_dir
    configured = "inventory" in policy.data
    files = inv_dir.rglob("*") if inv_dir.is_dir() else ()
    if not configured and not any(p.is_file() and not p.name.startswith(".") for p in files):
        return None  # e.g. only init's .gitkeep
    from changekit.inventory.load import load_inventory  # paramiko: only with an inventory

    inventory = load_inventory(None, ws, ssh_config=False)
    return inventory if inventory.hosts else None


def repo_prefix(root: Path) -> str:
    shallow = history.git(root, "rev-parse", "--is-shallow-repository", check=False).strip()
    if shallow not in (b"true", b"false"):
        raise WorkspaceError(
            "not a git repository: approvals are proven from git history",
            path=str(root),
            hint="run `changekit check` in a clone of the change repository (`changekit init` makes one)",
        )
    if shallow == b"true":
        raise WorkspaceError(
            "this is a shallow clone: approvals cannot be proven without the full history",
            path=str(root),
            hint="fetch the whole history (GitHub Actions: fetch-depth: 0; GitLab: GIT_DEPTH: 0)",
        )
    return history.git(root, "rev-parse", "--show-prefix").decode().strip()


def _load_error_problem(exc: ChangekitError) -> Problem:
    code = exc.code or (
        "duplicate-id" if exc.message.startswith("duplicate record id") else "invalid-record"
    )
    return Problem(code, exc.message, path=exc.path, line=exc.line, field=exc.field, hint=exc.hint)


def _signers_file(ws: Workspace, policy: Policy, base: str | None, tmp: Path) -> Path:
    """The allowed-signers file; with ``--base`` the base revision's copy, so a change cannot vouch for itself."""
    assert policy.allowed_signers
    if base is None:
        return ws.root / policy.allowed_signers
    content = history.git(ws.root, "show", f"{base}:{policy.allowed_signers}", check=False)
    out = tmp / "allowed_signers"
    out.write_bytes(content)
    return out


def run_check(ws: Workspace, *, base: str | None = None, now: datetime | None = None) -> Report:
    now = now or datetime.now(UTC)
    prefix = repo_prefix(ws.root)
    policy = load_policy(ws)
    loaded = store.load_all(ws)
    report = Report(total=len(loaded.records) + len(loaded.errors), base=base)
    with tempfile.TemporaryDirectory() as tmp:
        rules = ws  # where the inputs that decide outcomes are read: the base, under --base
        changed: set[str] | None = None
        if base is not None:
            changed = {p.removeprefix(prefix) for p in history.changed_since(ws.root, base)}
            # judged by the rules before the pull request, which must not relax its own (QA #4)
            policy = base_rules.base_policy(ws.root, base, prefix, policy)
            rules = Workspace(
                base_rules.snapshot(ws.root, base, prefix, Path(tmp) / "base", policy)
            )
            report.problems += base_rules.policy_changes(ws.root, base, prefix, policy)
            report.problems += base_rules.deleted_records(ws.root, base, prefix, changed)
        inventory = _inventory(rules, policy)
        policy.templates = templates.fields(rules)  # what each pre-approved template covers
        _check(ws, policy, inventory, loaded, changed, prefix, base, report, now)
    report.problems.sort(key=lambda p: (p.record or "", p.path or "", p.field or ""))
    return report


def _check(ws, policy, inventory, loaded, changed, prefix, base, report, now) -> None:
    for exc in loaded.errors:
        problem = _load_error_problem(exc)
        if changed is None or problem.code == "duplicate-id" or (exc.path or "") in changed:
            report.problems.append(problem)
            report.bad_input = report.bad_input or problem.code in BAD_INPUT

    rels: dict[int, str] = {}

    def rel(record: Any) -> str:
        # the store reads change_records/ only; no resolve() per record (10,000 of them)
        key = id(record)
        if key not in rels:
            path = record.path
            rels[key] = f"change_records/{path.name if path else record.id + '.yaml'}"
        return rels[key]

    chosen = [r for r in loaded.records if changed is None or rel(r) in changed]
    report.checked = len(chosen) + len(
        [e for e in loaded.errors if changed is None or (e.path or "") in changed]
    )
    verdicts = verdict.prove(
        ws,
        policy,
        chosen,
        prefix,
        rel,
        limited=changed is not None,
        since=base_rules.merge_base(ws.root, base) if base is not None else None,
        signers=lambda d: _signers_file(ws, policy, base, d),
    )
    # judged as proven: status, history times, announcement (records a --base check does
    # not replay keep what they say; the check of the base branch proved those)
    proven = {rid: verdict.view(r, verdicts[rid].proven) for r in chosen if (rid := r.id)}
    if any(c.quota for c in policy.classes):  # quotas rank by submission, to the commit
        counted = {r.id for r in chosen if (c := policy.class_of(r)) is not None and c.quota}
        policy.filing_order = order.filing_order(ws.root, loaded.records, verdicts, counted)
    judged = [proven.get(r.id, r) for r in loaded.records]
    index = ConflictIndex(judged, inventory, policy.conflict_statuses)
    for record in chosen:
        seen = proven[record.id]
        found = verdicts[record.id]
        problems = list(found.problems)
        problems += policy.check_record(seen, index, inventory, now, approvals=found.counted)
        problems.extend(_unknown_hosts(seen, inventory))
        for result in hook().check_record(record=record, policy=policy, workspace=ws):
            problems.extend(result or ())
        path = rel(record)
        report.problems.extend(
            p if p.path else Problem(**{**p.as_dict(), "path": path}) for p in problems
        )
    if changed is not None and any(c.quota for c in policy.classes):
        report.problems += _displaced(policy, chosen, proven, judged, inventory, rel, now)


def _displaced(policy, chosen, proven, judged, inventory, rel, now) -> list[Problem]:
    """Under ``--base``, the changes the pull request pushes over a quota (they are not its
    records, so no other check of this run judges them)."""
    by_id = {r.id: r for r in judged}
    found = policy.displaced([proven[r.id] for r in chosen], judged, inventory, now)
    return [
        Problem(**{**p.as_dict(), "path": rel(by_id[p.record])}) if p.record in by_id else p
        for p in found
    ]


def _unknown_hosts(record: Any, inventory: Any | None) -> list[Problem]:
    """A selector the inventory cannot resolve hides the change from conflicts, freezes and
    notices: an error once the record is under review, a warning on a draft or a closed one."""
    if inventory is None:
        return []
    from changekit.records.hostcheck import selector_problem

    active = record.status in ("submitted", "approved", "scheduled", "in_progress")
    found = []
    for i, selector in enumerate(record.hosts):
        problem = selector_problem(inventory, selector)
        if problem is not None:
            found.append(
                Problem(
                    "unknown-hosts",
                    f"{selector!r} names no host of the inventory: {problem.message}",
                    record=record.id,
                    field=f"hosts[{i}]",
                    hint=problem.hint or "fix the selector, or add the host to the inventory",
                    severity="high" if active else "low",
                )
            )
    return found


def prove_record(ws: Workspace, policy: Policy, record: Any) -> verdict.Verdict:
    """What one record's history proves: its status, the approvals that count, problems."""

    def rel(r: Any) -> str:
        return f"change_records/{r.path.name if r.path else r.id + '.yaml'}"

    return verdict.prove(
        ws,
        policy,
        [record],
        repo_prefix(ws.root),
        rel,
        limited=True,
        signers=lambda d: _signers_file(ws, policy, None, d),
    )[record.id]
