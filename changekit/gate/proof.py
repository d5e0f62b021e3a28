"""Prove each approval entry from git history.

An approval counts only when (1) git history shows the commit that added the entry, (2) that
commit's author (and committer, unless the policy says otherwise) is the approver, (3) when the
policy asks, the commit is signed by the approver's key and verified against the allowed-signers
file, and (4) the record's substance then (hosts, window, plan, type, risk, ...) is the same as
now: approving one plan does not approve another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from changekit.gate.history import Commit
from changekit.policy.access import digest, email_of, fingerprint, substance
from changekit.problems import Problem


def entry_key(entry: Any) -> str:
    return json.dumps(entry, sort_keys=True, default=str)


@dataclass
class Attributed:
    entry: dict
    commit: Commit | None
    """The commit that added the entry; None when no commit did (uncommitted, or only via a merge)."""
    substance_then: dict | None


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
    now = substance(data)
    now_digest = digest(now)
    now_fields: dict[str, str] | None = None
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
        then = item.substance_then or {}
        if then.get("*") != now_digest:
            now_fields = now_fields or fingerprint(now)
            changed = sorted(k for k in now_fields if k != "*" and then.get(k) != now_fields[k])
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
