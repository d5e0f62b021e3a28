"""Prove each approval entry from git history.

An approval counts only when (1) git history shows the commit that added the entry, (2) that
commit's author (and committer, unless the policy says otherwise) is the approver, (3) when the
policy asks, the commit is signed by the approver's key and verified against the allowed-signers
file, and (4) the record's substance then (hosts, window, plan, type, risk, ...) is the same as
now: approving one plan does not approve another.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from changekit.gate import blocks
from changekit.gate.history import Commit, FileChange
from changekit.policy import substance
from changekit.policy.access import email_of
from changekit.problems import Problem


def entry_key(entry: Any) -> str:
    return json.dumps(entry, sort_keys=True, default=str)


@dataclass
class Attributed:
    entry: dict
    commit: Commit | None
    """The commit that added the entry; None when no commit did (uncommitted, or only via a merge)."""
    substance_then: dict | None


def attribute(
    pending: dict[str, dict],
    changes: list[FileChange],
    read: Callable[[str], bytes | None],
    current: blocks.Current,
) -> dict[str, Attributed]:
    """Find, newest first, the commit that last added each pending approval entry.

    ``pending`` maps entry keys to entries and loses every entry found; ``current`` is the
    record's file bytes and data now. Blobs are read field by field (``changekit.gate.blocks``)
    and only when an approver's email occurs in them at all.
    """
    found: dict[str, Attributed] = {}
    version = current.version

    for change in changes:
        if not pending:
            break
        if change.new_blob is None:
            continue
        raw_new = read(change.new_blob)
        if raw_new is None:
            continue
        lowered = raw_new.lower()
        if not any(email_of(e.get("by")).encode() in lowered for e in pending.values()):
            continue
        new = version(raw_new)
        new_keys = {entry_key(e) for e in new.approvals() or ()}
        hits = [k for k in pending if k in new_keys]
        if not hits:
            continue
        raw_old = read(change.old_blob) if change.old_blob else None
        old_keys: set[str] = set()
        if raw_old and any(str(pending[k].get("at", "")).encode() in raw_old for k in hits):
            old_keys = {entry_key(e) for e in version(raw_old).approvals() or ()}
        for key in hits:
            if key not in old_keys:
                found[key] = Attributed(pending.pop(key), change.commit, new.substance())
    return found


def facts_of(raw_new: bytes | None, raw_old: bytes | None, current: blocks.Current) -> dict:
    """What one commit did to one record: the approval entries it added and the substance after.

    Facts about a commit never change, so they are cached between runs (``ApprovalCache``).
    """
    if raw_new is None:
        return {"added": [], "substance": None}
    new = current.version(raw_new)
    entries = [e for e in new.approvals() or () if isinstance(e, dict)]
    keys = [entry_key(e) for e in entries]
    old_keys: set[str] = set()
    if raw_old and any(str(e.get("at", "")).encode() in raw_old for e in entries):
        old_keys = {entry_key(e) for e in current.version(raw_old).approvals() or ()}
    added = [k for k in keys if k not in old_keys]
    return {"added": added, "substance": new.substance() if added else None}


def attribute_facts(
    pending: dict[str, dict], commits: list[tuple[Commit, dict]]
) -> dict[str, Attributed]:
    """Like ``attribute``, from cached or fresh facts, newest commit first."""
    found: dict[str, Attributed] = {}
    for commit, facts in commits:
        if not pending:
            break
        for key in facts["added"]:
            if key in pending:
                found[key] = Attributed(pending.pop(key), commit, facts["substance"])
    return found


def pending_entries(approvals: list) -> dict[str, dict]:
    return {entry_key(e): e for e in approvals if isinstance(e, dict)}


def in_order(approvals: list, found: dict[str, Attributed]) -> list[Attributed]:
    """One ``Attributed`` per entry, in the record's order; unfound entries have no commit."""
    return [
        found.get(entry_key(e)) or Attributed(e, None, None)
        for e in approvals
        if isinstance(e, dict)
    ]


def judge(
    record: Any,
    attributed: list[Attributed],
    *,
    committer_must_match: bool,
    signatures: dict[str, tuple[str, str]] | None,
    path: str,
) -> tuple[list[dict], list[Problem]]:
    """The approval entries that count, and a problem for each one that does not."""
    data = getattr(record, "data", record)
    rid = data.get("id")
    now_substance = substance(data)
    counted: list[dict] = []
    problems: list[Problem] = []
    for i, item in enumerate(attributed):
        who = email_of(item.entry.get("by"))
        field = f"approvals[{i}]"

        def bad(
            code: str, message: str, hint: str, severity: str = "high", field: str = field
        ) -> None:
            problems.append(
                Problem(
                    code, message, record=rid, path=path, field=field, hint=hint, severity=severity
                )
            )  # type: ignore[arg-type]

        commit = item.commit
        if commit is None:
            bad(
                "approval-not-proven",
                f"the approval by {who} was not added in any commit of its own",
                f"{who} must approve in their own clone with `changekit change approve {rid}` and push it",
            )
            continue
        if commit.author_email != who:
            bad(
                "approval-wrong-author",
                f"the approval by {who} was added in commit {commit.sha[:12]} by {commit.author_email}, not by the approver",
                f"remove the entry; {who} must approve with their own git identity",
            )
            continue
        if committer_must_match and commit.committer_email != who:
            bad(
                "approval-wrong-committer",
                f"the approval by {who} was committed in {commit.sha[:12]} by {commit.committer_email}, not by the approver",
                "merge pull requests with a merge commit (not rebase or squash) so approval commits keep their committer, "
                "or set `approvals.committer_must_match: false`",
            )
            continue
        if signatures is not None:
            status, signer = signatures.get(commit.sha, ("N", ""))
            if status != "G":
                what = {
                    "N": "is not signed",
                    "B": "has a bad signature",
                    "U": "is signed by a key not in the allowed signers",
                    "E": "has a signature that cannot be checked",
                }.get(status, f"has an untrusted signature ({status})")
                bad(
                    "approval-unsigned",
                    f"the approval by {who} in commit {commit.sha[:12]} {what}",
                    f"{who} must sign the approving commit (git -c gpg.format=ssh -c user.signingkey=KEY commit -S) "
                    "with a key listed for their email in the allowed-signers file",
                )
                continue
            if signer != who:
                bad(
                    "approval-wrong-signer",
                    f"the approval by {who} in commit {commit.sha[:12]} is signed by {signer}, not by the approver",
                    f"{who} must sign it with their own key",
                )
                continue
        if item.substance_then != now_substance:
            changed = sorted(
                k for k in now_substance if (item.substance_then or {}).get(k) != now_substance[k]
            )
            bad(
                "approval-stale",
                f"the approval by {who} was given before the record's {', '.join(changed)} changed, so it no longer counts",
                f"ask {who} to approve the record again",
                severity="medium",
                field=field,
            )
            continue
        counted.append(item.entry)
    return counted, problems
