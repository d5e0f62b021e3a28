"""The record is a claim, its git history the ledger: replay each record's commits and keep
only the lifecycle facts an allowed step, taken by an allowed person, explains.

Each commit that changed a record file is one event. What it did (``facts_of``: status from
and to, approvals added or removed, a rejection, notices sent, fields edited) depends only on
the commit, so it is cached forever. Whether it counts depends on the state proven before it
and on the policy (``replay``): ``approve`` and ``reject`` by an approver in their own commit,
every other step (``submit`` too) by the requester or a member of a policy group (anyone, while
the policy names no groups), each from a status the lifecycle allows. A commit
no step explains is reported as ``unproven-edit`` and changes nothing proven.

Derived, never trusted as written: the status, when each status was reached (the commit's
date), the rejection, which approvals were withdrawn, and when readers were told the window.
Merge commits carry no events: a merge cannot take a step, and cannot undo one (approvals
merged side by side prove ``approved`` by themselves).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from changekit.gate import blocks
from changekit.gate.history import Commit
from changekit.gate.proof import Attributed, entry_key
from changekit.policy.access import email_of, fingerprint
from changekit.policy.approvals import person_of
from changekit.problems import Problem
from changekit.records.lifecycle import STEPS
from changekit.records.times import parse_stored

LIFECYCLE_FIELDS = ("status", "history", "approvals", "rejection", "outcome", "notices")
"""Fields only lifecycle steps write; a change to one needs a step that explains it."""

WHO = {"approve": "approver", "reject": "approver"}
"""Who may take a step; every other step (submit, schedule, start, complete, fail, roll back,
cancel, withdraw, edit, send notices): the requester or any member of a policy group (the
policy's ``operators`` group is there for the people who carry out changes and the identity
cron sends notices as); anyone with push access when the policy has no groups."""

UNCOMMITTED = Commit("0" * 40, "", "", "", "")
"""The working tree's changes not yet committed: no identity, so they prove nothing."""


def _items(value: Any) -> list[dict]:
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def facts_of(raw_old: bytes | None, raw_new: bytes | None, current: blocks.Current) -> dict:
    """What one commit did to one record file. Pure in the two versions, so cacheable."""
    if raw_new is None:
        return {"deleted": True}
    new = current.version(raw_new)
    old = current.version(raw_old) if raw_old is not None else None
    keys = _changed(old, new)
    facts: dict[str, Any] = {
        "created": old is None,
        "changed": keys,
        "status": [old.get("status") if old else None, new.get("status")],
        "type": new.get("type"),
        "id": new.get("id"),
        "requester": email_of(new.get("requester")),
    }
    if old is not None:
        facts["requester_was"] = email_of(old.get("requester"))
        facts["id_was"] = old.get("id")
    if "approvals" in keys or old is None:
        before = {entry_key(e): e for e in _items(old.get("approvals") if old else None)}
        after = {entry_key(e): e for e in _items(new.get("approvals"))}
        facts["approvals_added"] = [
            [k, email_of(e.get("by"))] for k, e in after.items() if k not in before
        ]
        facts["approvals_removed"] = [k for k in before if k not in after]
        if facts["approvals_added"]:
            facts["substance"] = fingerprint(new.substance())
    if facts["status"][1] == "approved" != facts["status"][0] and not facts.get("approvals_added"):
        # approved on submission: pre-approval is judged on this version, not a later one
        facts["version"] = json.loads(json.dumps(new.full(), default=str))
    if "rejection" in keys:
        rejection = new.get("rejection")
        facts["rejection"] = (
            {"by": email_of(rejection.get("by"))} if isinstance(rejection, dict) else None
        )
    for name in ("history", "notices"):
        if name in keys or (old is None and new.get(name)):
            was, now = _items(old.get(name) if old else None), _items(new.get(name))
            facts[f"{name}_rewritten"] = now[: len(was)] != was
            facts[f"{name}_added"] = [
                str(e.get("status" if name == "history" else "kind")) for e in now[len(was) :]
            ]
    return _compact(facts)


def _compact(facts: dict) -> dict:
    """Facts without what goes without saying (they are cached, 50,000 of them and more):
    no empty lists or false flags, no ``*_was`` equal to the value now, and on creation no
    list of changed keys (every key is new)."""
    if facts["created"]:
        facts["changed"] = []
    for name in ("requester", "id"):
        if facts.get(f"{name}_was") == facts[name]:
            del facts[f"{name}_was"]
    return {k: v for k, v in facts.items() if v is not False and v != []}


def _changed(old: blocks.Blob | None, new: blocks.Blob) -> list[str]:
    """Top-level keys whose value differs between the versions (all of them on creation)."""
    if old is None:
        mine = new.pair[0] if new.plain else None
        return sorted(mine if mine is not None else new.full())
    a = blocks.split(old.raw) if old.plain else None
    b = blocks.split(new.raw) if new.plain else None
    if a is not None and b is not None:
        candidates = {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
    else:
        candidates = set(old.full()) | set(new.full())
    return sorted(k for k in candidates if old.get(k) != new.get(k))


@dataclass
class Proven:
    """What a record's history proves."""

    status: str | None = None
    requester: str | None = None
    """The email of the person who filed the record (its first commit's author)."""
    reached: dict[str, Commit] = field(default_factory=dict)
    """Status -> the commit of the proven step that first reached it."""
    told: Commit | None = None
    """The last commit that recorded readers told the window (announcement or reschedule),
    unless a later commit moved the window: readers were told another one."""
    window_set: Commit | None = None
    """The last commit that wrote the window (the filing, or any edit of it)."""
    rejected: Commit | None = None
    added: dict[str, tuple[Commit, dict | None]] = field(default_factory=dict)
    """Approval entry key -> the last commit that added it, and the substance then."""
    approvers: dict[str, tuple[str, Commit]] = field(default_factory=dict)
    """Approval entry key -> (approver, commit) of each approval a proven step gave, alive."""
    steps: list[tuple[str, Commit]] = field(default_factory=list)
    """Every proven status change, in order: (status reached, commit)."""
    dead: dict[str, Commit] = field(default_factory=dict)
    """Approval entry key -> the proven rejection or the withdrawal that voided it for good."""
    notices: list[tuple[list[str], Commit]] = field(default_factory=list)
    """Every proven commit that recorded notices sent: (their kinds, commit), in order."""
    unproven: list[tuple[str, Commit]] = field(default_factory=list)
    """Every commit no step explains: (the field it changed, commit), in order."""
    accepted: set[str] = field(default_factory=set)
    """The commits (shas) of this record that a step explains."""
    problems: list[Problem] = field(default_factory=list)
    approvals_hold: bool = True
    """False when the approvals that count no longer cover the record as it reads now (its
    substance changed after them): it was approved, but not to do what it now says. Set by
    ``changekit.drift.proof``; the gate reports the same as ``approval-stale``."""

    def time(self, status: str) -> datetime | None:
        commit = self.reached.get(status)
        return parse_stored(commit.date) if commit else None

    def attributed(self, approvals: Any) -> list[Attributed]:
        """One ``Attributed`` per approval entry the record has now, in its order."""
        out = []
        for entry in _items(approvals):
            found = self.added.get(entry_key(entry))
            out.append(Attributed(entry, *found) if found else Attributed(entry, None, None))
        return out


@dataclass
class Judge:
    """The policy's answer to "may this person take this step on this record"."""

    policy: Any
    record: Any
    """The record now (its type and risk decide who may approve it)."""
    signatures: dict[str, tuple[str, str]] | None = None

    def operator(self, email: str, requester: str) -> bool:
        if person_of(email) == person_of(requester):
            return True
        return not self.policy.groups or bool(self.policy.groups_of(email))

    def approver(self, email: str, requester: str) -> bool:
        if not email or person_of(email) == person_of(requester):
            return False
        needed = self.policy.approver_requirements(self.record)
        allowed = {g for r in needed if r.groups is not None for g in r.groups}
        if needed and all(r.groups is not None for r in needed):
            return bool(self.policy.groups_of(email) & allowed)
        return True

    def enough(self, emails: list[str]) -> bool:
        """Whether approvals by these people approve the record (as the policy counts them)."""
        entries = [{"by": {"email": e}} for e in emails]
        return bool(entries) and self.policy.is_approved(self.record, entries)

    def preapproved(self, version: dict | None) -> bool:
        """Whether ``version`` (the record as submitted) was a pre-approved standard change."""
        version = version if version is not None else dict(self.record)
        return (
            version.get("type") == "standard" and self.policy.preapproval_problem(version) is None
        )

    def signed(self, commit: Commit) -> bool:
        if self.signatures is None:
            return True
        status, signer = self.signatures.get(commit.sha, ("N", ""))
        return status == "G" and signer == commit.author_email


def _action(facts: dict, proven: str | None) -> str | None:
    """The step that would explain this commit, or None when no step can."""
    old, new = facts["status"]
    added = facts.get("approvals_added")
    if new != old:
        if new == "submitted":
            return "withdraw" if old in ("approved", "scheduled") else "submit"
        if new == "approved":
            return "approve" if added else "submit"  # a pre-approved standard change
        return {
            "rejected": "reject",
            "scheduled": "schedule",
            "in_progress": "start",
            "completed": "complete",
            "failed": "fail",
            "rolled_back": "rollback",
            "cancelled": "cancel",
        }.get(str(new))
    if added:
        return "approve"
    changed = facts.get("changed", ())
    if "rejection" in facts or "outcome" in changed:
        return None  # only with the step that writes them
    if facts.get("notices_added") and set(changed) <= {"notices", "announcement"}:
        return "notices"
    if changed and set(changed) <= {"run"}:
        return "run"  # `changekit change run` records each batch while the change is under way
    if facts.get("approvals_removed"):
        return "withdraw"
    if "window" in changed and proven == "scheduled":
        return "schedule"
    return "edit"


SOURCES = {
    "withdraw": frozenset({"approved", "scheduled", "submitted", "in_progress"}),
    "edit": None,
    "notices": None,
    "run": frozenset({"in_progress"}),
}
"""Steps that are not in the lifecycle table: the statuses they may be taken from (None: any).
An edit of what the change does is allowed at any time: it voids the approvals given before
(``approval-stale``), and after work began it is a correction (``changekit.gate.final``)."""


def _allowed_from(action: str, status: str | None, emergency: bool) -> bool:
    if action in SOURCES:
        sources = SOURCES[action]
        return sources is None or status in sources
    step = STEPS[action]
    return status in step.sources or (emergency and status in step.emergency_sources)


def replay(
    rid: str,
    path: str,
    events: list[tuple[Commit, dict]],
    judge: Judge,
    requester: str,
) -> Proven:
    """Walk a record's events oldest first and keep what an allowed step explains."""
    out = Proven()
    created = False
    for commit, facts in events:
        if facts.get("deleted") or facts.get("restored"):
            continue
        if commit is UNCOMMITTED:
            _uncommitted(rid, path, facts, out)
            continue
        if facts.get("created") and not created:
            # the requester is the person who filed the record, whatever the file says later
            filed_by = facts["requester"]
            if person_of(filed_by) != person_of(commit.author_email):
                filed_by = commit.author_email
            requester = out.requester = filed_by
        if facts.get("created") or "window" in (facts.get("changed") or ()):
            out.told, out.window_set = None, commit  # (a reschedule's notice may come with it)
        why = _unexplained(facts, out, judge, requester, commit, created)
        if facts.get("created") and not created:
            created = True
        if why is not None and why[1] != "approvals":
            # (an approval entry no step explains is judged by ``proof.judge``, which names
            # the approver and the commit: reporting it here too would say it twice)
            message, field_name = why
            out.unproven.append((field_name, commit))
            who = commit.author_email or "(not committed)"
            where = "the working tree" if commit is UNCOMMITTED else f"commit {commit.sha[:12]}"
            out.problems.append(
                Problem(
                    "unproven-edit",
                    f"{where} by {who} changed {field_name}, which no lifecycle step explains: {message}",
                    record=rid,
                    path=path,
                    field=field_name,
                    hint="lifecycle fields are proven from git history, not read from the file: "
                    "undo the edit (git revert) and take the step with the changekit command, "
                    "as the person the policy allows",
                )
            )
        _track_approvals(facts, out, commit, accepted=why is None)
        if why is None:
            out.accepted.add(commit.sha)
            if facts.get("notices_added"):
                out.notices.append((list(facts["notices_added"]), commit))
    return out


def _uncommitted(rid: str, path: str, facts: dict, out: Proven) -> None:
    """Work-tree changes prove nothing: an edit of the plan is judged as a draft of the next
    commit (approvals go stale as usual), an approval added is not proven (``proof.judge``
    says so), and any other lifecycle change is reported."""
    action = _action(facts, out.status)
    if action in ("edit", "approve") and facts["status"][0] == facts["status"][1]:
        return
    field_name = "status" if facts["status"][0] != facts["status"][1] else "history"
    out.problems.append(
        Problem(
            "unproven-edit",
            f"the working tree changes {field_name} ({action or 'no step'}) without a commit: "
            "a lifecycle step is proven only by a commit of the person who takes it",
            record=rid,
            path=path,
            field=field_name,
            hint="undo the edit (git checkout -- <file>) and take the step with the changekit "
            "command, which commits it",
        )
    )


def _track_approvals(facts: dict, out: Proven, commit: Commit, accepted: bool) -> None:
    for key, email in facts.get("approvals_added") or ():
        out.added[key] = (commit, facts.get("substance"))
        if accepted and email == commit.author_email:
            out.approvers[key] = (email, commit)
            # the approver approving again in a proven step of their own is a new approval,
            # even if the entry reads the same (same second): only they can revive it
            out.dead.pop(key, None)
    for key in facts.get("approvals_removed") or ():
        out.approvers.pop(key, None)
        out.dead.setdefault(key, commit)  # a withdrawal only ever takes away: always accepted
    if accepted and facts["status"][1] == "rejected":
        for key in out.added:
            out.dead.setdefault(key, commit)
        out.approvers.clear()


def _unexplained(
    facts: dict,
    out: Proven,
    judge: Judge,
    requester: str,
    commit: Commit,
    created: bool,
) -> tuple[str, str] | None:
    """Why no step explains this commit (message, field), or None after taking the step."""
    author = commit.author_email
    if facts.get("created") and not created:
        # filing can prove a draft and nothing more, whatever the new file says
        _reach(out, "draft", commit)
        if facts["status"][1] != "draft":
            return f"a record is filed as a draft, not {facts['status'][1]}", "status"
        if person_of(facts["requester"]) != person_of(author):
            return f"the record was filed by {author}, not by {facts['requester']}", "requester"
        if facts.get("approvals_added"):
            return "a new record has no approvals", "approvals"
        if facts.get("notices_added"):
            return "a new record has sent no notices", "notices"
        return None
    if facts.get("created"):
        return "the record file was deleted and filed again", "status"
    if facts.get("requester_was") is not None and person_of(facts["requester"]) != person_of(
        facts["requester_was"]
    ):
        return "the requester never changes after a record is filed", "requester"
    if facts.get("id_was") is not None and facts["id"] != facts["id_was"]:
        return "the id never changes after a record is filed", "id"
    for name in ("history", "notices"):
        if facts.get(f"{name}_rewritten"):
            return f"{name} entries are only ever added, never changed or removed", name
    action = _action(facts, out.status)
    old, new = facts["status"]
    if action is None:
        name = "rejection" if "rejection" in facts else "outcome"
        return f"{name} is written only by its lifecycle step", name
    emergency = facts.get("type") == "emergency"
    if (
        out.status == "submitted"
        and not _allowed_from(action, "submitted", emergency)
        and _allowed_from(action, "approved", emergency)
        and judge.enough([email for email, _c in out.approvers.values()])
    ):
        # approvals given side by side and merged (the merge driver wrote the status): the
        # change is approved because its proven approvals make it so, as of the last of them
        last = max((c for _e, c in out.approvers.values()), key=lambda c: parse_stored(c.date))
        _reach(out, "approved", last)
    if not _allowed_from(action, out.status, emergency):
        claim = f" (the file said {old})" if old != out.status else ""
        return (
            f"{action} is not allowed from {out.status}, the status history proves{claim}",
            "status",
        )
    if action == "submit" and new == "approved" and not judge.preapproved(facts.get("version")):
        return "only a pre-approved standard change is approved when it is submitted", "status"
    role = WHO.get(action, "operator")
    if role == "requester" and person_of(author) != person_of(requester):
        return f"only the requester ({requester}) may {action} this change", "status"
    if role == "approver":
        if action == "reject":
            by = (facts.get("rejection") or {}).get("by")
            if by != author:
                return f"the rejection says it is by {by} but {author} committed it", "rejection"
        elif author not in {e for _k, e in facts.get("approvals_added") or ()}:
            return f"{author} added an approval that is not theirs", "approvals"
        if not judge.approver(author, requester):
            return f"{author} may not approve or reject this change", "status"
    if role == "operator" and not judge.operator(author, requester):
        return (
            f"{author} is neither the requester nor in a group of the policy, so may not {action}",
            "status",
        )
    if role == "approver" and not judge.signed(commit):
        # `approvals.signed`: the commits that approve or reject are signed and verified
        return (
            "the commit is not signed by its author's key, and the policy asks for it",
            "approvals" if action == "approve" else "rejection",
        )
    # (an approval given in parallel with later steps never moves the status back)
    moves_back = action == "approve" and out.status != "submitted"
    if new is not None and new != old and action != "notices" and not moves_back:
        _reach(out, new, commit)
    if action == "reject":
        out.rejected = commit
    if action == "submit":
        out.rejected = None
    if action == "notices" and {"announcement", "reschedule"} & set(facts["notices_added"]):
        out.told = commit
    return None


def _reach(out: Proven, status: str, commit: Commit) -> None:
    out.status = status
    out.reached.setdefault(status, commit)
    out.steps.append((status, commit))


def facts_for(
    events: list,
    read: Callable[[str], bytes | None],
    current: Callable[[], blocks.Current],
    cache: Any,
) -> list[tuple[Commit, dict]]:
    """(commit, facts) per event, from the cache or computed (and cached). ``current`` makes
    the record's ``blocks.Current`` (laying the file out costs time: only on a cache miss)."""
    out = []
    made: list[blocks.Current] = []
    gone: str | None = None  # the blob a deletion removed
    for event in events:
        if event.old is None and event.new is not None and event.new == gone:
            # deleted, then put back byte for byte (a revert): nothing happened to the record
            out.append((event.commit, {"restored": True}))
            gone = None
            continue
        gone = event.old if event.new is None else None
        key = f"{event.commit.sha}:{event.path}"
        facts = cache.facts.get(key) if cache is not None else None
        if facts is None:
            raw_old = read(event.old) if event.old else None
            raw_new = read(event.new) if event.new else None
            if not made:
                made.append(current())
            facts = facts_of(raw_old, raw_new, made[0])
            if cache is not None and event.commit is not UNCOMMITTED:
                cache.facts[key] = facts
                cache.dirty = True
        out.append((event.commit, facts))
    return out
