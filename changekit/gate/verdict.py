"""Prove every record's lifecycle from its history, and give the rest of the gate the proven
record to judge (``View``) instead of the one the file claims."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from changekit.gate import blocks, final, history, ledger, proof, walk
from changekit.gate.proof import entry_key
from changekit.policy.access import email_of
from changekit.problems import Problem
from changekit.records.model import ChangeRecord
from changekit.records.times import parse_stored


@dataclass
class Verdict:
    proven: ledger.Proven
    counted: list[dict]
    """The approval entries that count."""
    problems: list[Problem] = field(default_factory=list)


def view(record: Any, proven: ledger.Proven) -> ChangeRecord:
    """The record as its history proves it: proven status, history times, announcement."""
    data = dict(record.data)
    data["status"] = proven.status
    if proven.requester and email_of(data.get("requester")) != proven.requester:
        data["requester"] = {"name": proven.requester, "email": proven.requester}
    data["history"] = [{"status": status, "at": commit.date} for status, commit in proven.steps]
    announcement = dict(data.get("announcement") or {})
    announcement.pop("announced_at", None)
    # lead time counts from when readers were last told the window, unless the change was
    # submitted again after that (a withdrawn change may have moved): then from that submission
    submitted = [c for s, c in proven.steps if s == "submitted"]
    told = proven.told
    if told is not None and not (
        submitted and parse_stored(submitted[-1].date) > parse_stored(told.date)
    ):
        announcement["announced_at"] = told.date
    elif (
        told is None
        and submitted
        and proven.window_set is not None
        and parse_stored(proven.window_set.date) > parse_stored(submitted[-1].date)
    ):
        # moved after the submission and nobody told since: the notice runs from the move
        announcement["announced_at"] = proven.window_set.date
    if announcement:
        data["announcement"] = announcement
    else:
        data.pop("announcement", None)
    if proven.rejected is None:
        data.pop("rejection", None)
    return ChangeRecord(data, record.path)


def prove(
    ws: Any,
    policy: Any,
    records: list,
    prefix: str,
    rel: Callable[[Any], str],
    *,
    limited: bool = False,
    signers: Callable[[Path], Path] | None = None,
    since: str | None = None,
) -> dict[str, Verdict]:
    """Record id -> what its history proves. ``limited``: only these records are wanted (their
    commits found by trailer, ``walk.events``); ``since``: the pull request's merge base, after
    which every commit that touched them must be among those (the default branch's own full
    check vouches for the history before it)."""
    if not records:
        return {}
    root = ws.root
    folder = prefix + "change_records"
    cache = None if limited else walk.Cache(root)
    paths = {prefix + rel(r): r for r in records}
    events = walk.events(root, cache, folder, set(paths) if limited else None, since=since)
    dirty = _uncommitted(root, folder, set(paths))
    signatures = None
    if policy.signed and signers is not None:
        shas = sorted({e.commit.sha for p in paths for e in events.get(p, ())})
        with tempfile.TemporaryDirectory() as tmp:
            signatures = history.verify_signatures(root, shas, signers(Path(tmp)))
    verdicts = {}
    with history.BlobReader(root) as blobs:
        for path, record in paths.items():
            own = events.get(path, [])

            def current(record=record) -> blocks.Current:
                raw = record.path.read_bytes() if record.path else b""
                return blocks.Current(raw, record.data)

            pairs = ledger.facts_for(own, blobs.read, current, cache)
            if path in dirty:
                head = blobs.read(own[-1].new) if own and own[-1].new else None
                now = current()
                pairs.append((ledger.UNCOMMITTED, ledger.facts_of(head, now.raw, now)))
            judge = ledger.Judge(policy, record.data, signatures)
            requester = email_of(record.data.get("requester"))
            proven = ledger.replay(record.id, rel(record), pairs, judge, requester)
            verdicts[record.id] = _verdict(root, prefix, policy, record, proven, rel, signatures)
    if cache is not None:
        cache.save()
    return verdicts


def _uncommitted(root: Path, folder: str, paths: set[str]) -> set[str]:
    spec = f":(top){folder}/"  # ``folder`` is from the top of the repository
    out = history.git(root, "diff", "--name-only", "-z", "HEAD", "--", spec, check=False)
    new = history.git(
        root, "ls-files", "-z", "--others", "--exclude-standard", "--full-name", "--", spec
    )
    return {p.decode() for p in (out + new).split(b"\0") if p} & paths


def _verdict(
    root: Path, prefix: str, policy: Any, record: Any, proven: ledger.Proven, rel, signatures
) -> Verdict:
    problems = list(proven.problems)
    claimed = record.data.get("status")
    alive, found = _counted(root, prefix, policy, record, proven, rel, signatures)
    if claimed == "approved" == _approved_by_entries(policy, record, proven, alive):
        # approvals given side by side and merged (the merge driver sets the status):
        # approved is what the proven approvals make it, whichever commit wrote it
        proven.status = "approved"
        latest = max((a.commit for a in proven.attributed(alive) if a.commit), key=_when)
        proven.reached.setdefault("approved", latest)
        proven.steps.append(("approved", latest))
    if claimed != proven.status:
        problems.append(
            Problem(
                "status-not-proven",
                f"the record says {claimed}, but its git history proves {proven.status}",
                record=record.id,
                path=rel(record),
                field="status",
                hint="the gate judges the change as "
                f"{proven.status}; take the missing steps with the changekit commands "
                "(see the unproven-edit problems for the commits no step explains)",
            )
        )
    return Verdict(proven, alive, problems + found)


def _when(commit: Any) -> Any:
    return parse_stored(commit.date)


def _approved_by_entries(policy, record, proven: ledger.Proven, alive: list) -> str | None:
    """``approved`` when the record, proven submitted, has enough approvals that count."""
    if proven.status != "submitted" or not alive:
        return None
    seen = view(record, proven)
    return "approved" if policy.is_approved(seen, alive) else None


def _counted(root, prefix, policy, record, proven: ledger.Proven, rel, signatures):
    """The approval entries that count, and the problems with the others."""
    approvals = record.data.get("approvals") or []
    if not approvals:
        return [], []
    attributed = proven.attributed(approvals)
    counted, found = proof.judge(
        view(record, proven),  # the proven requester never counts as an approver
        attributed,
        committer_must_match=policy.committer_must_match,
        signatures=signatures,
        path=rel(record),
    )
    if proven.status in final.FINISHED:
        began = proven.reached.get("in_progress")
        counted, found = final.recount(
            root,
            prefix + rel(record),
            attributed,
            counted,
            found,
            began.sha if began else None,
            record.data,
        )
    alive = []
    for entry in counted:
        killer = proven.dead.get(entry_key(entry))
        if killer is None:
            alive.append(entry)
            continue
        who = email_of(entry.get("by"))
        found.append(
            Problem(
                "approval-withdrawn",
                f"the approval by {who} was given before the change was rejected or its "
                f"approvals withdrawn (commit {killer.sha[:12]} by {killer.author_email}); "
                "it never counts again",
                record=record.id,
                path=rel(record),
                field="approvals",
                hint=f"ask {who} to review the change again: `changekit change approve {record.id}`",
            )
        )
    return alive, found
