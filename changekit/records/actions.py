"""What the change commands do: file a record, move it through its lifecycle, commit each step."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import git

from changekit import gitops, yamlfile
from changekit.errors import InputError, NotFoundError
from changekit.plugins import hook
from changekit.records import hostcheck, lifecycle, steps, store, times
from changekit.records.ids import new_id
from changekit.records.model import ChangeRecord, Identity
from changekit.records.templates import Template
from changekit.records.transaction import Transaction, mutation
from changekit.workspace import Workspace

REQUIRED = ("title", "type", "category", "risk", "impact", "hosts")


@dataclass
class Outcome:
    record: ChangeRecord
    commit: str
    previous: str
    branch: str | None = None
    pushed: bool = False
    notes: list[str] = field(default_factory=list)


def missing_fields(data: dict[str, Any]) -> list[str]:
    """Required fields still empty; an emergency must also say why it cannot wait."""
    missing = [f for f in REQUIRED if data.get(f) in (None, "", [])]
    if data.get("type") == "emergency" and not (data.get("emergency") or {}).get("reason"):
        missing.append("emergency-reason")
    return missing


def new_record_data(
    fields: dict[str, Any], requester: Identity, template: Template | None, taken: set[str]
) -> dict[str, Any]:
    """A draft record from a template's defaults overlaid with ``fields``."""
    data: dict[str, Any] = dict(template.defaults()) if template else {}
    data.update({k: v for k, v in fields.items() if v not in (None, "", [], ())})
    if template:
        data["template"] = template.name
    missing = missing_fields(data)
    if missing:
        flag = {"hosts": "host", "type": "type"}.get(missing[0], missing[0])
        raise InputError(
            "missing required fields: " + ", ".join(missing),
            field="emergency.reason" if missing[0] == "emergency-reason" else missing[0],
            hint=f"give them as flags (e.g. --{flag}), in --from-file, "
            "or run on a terminal without --no-input to be asked",
        )
    moment = times.now()
    data["id"] = new_id(moment, taken=taken)
    data["requester"] = requester.as_dict()
    data["status"] = "draft"
    data["history"] = [
        {"status": "draft", "at": times.iso(moment), "by": requester.as_dict(), "note": "filed"}
    ]
    return ChangeRecord(data).ordered()


def _subject(action: str, record: ChangeRecord, actor: Identity) -> str:
    verbs = {
        "new": "File",
        "submit": "Submit",
        "approve": "Approve",
        "reject": "Reject",
        "schedule": "Schedule",
        "reschedule": "Reschedule",
        "start": "Start",
        "complete": "Complete",
        "fail": "Fail",
        "rollback": "Roll back",
        "cancel": "Cancel",
    }
    return f"{verbs.get(action, action.title())} {record.id}: {record.title}"[:120]


def _trailers(record: ChangeRecord, action: str) -> dict[str, str]:
    return {
        gitops.TRAILER_RECORD: record.id,
        gitops.TRAILER_ACTION: action,
        gitops.TRAILER_STATUS: record.status,
    }


@contextlib.contextmanager
def _change_branch(
    repo: git.Repo,
    rid: str,
    enabled: bool,
    txn: Transaction,
    notes: list[str] | None = None,
    come_back: bool = True,
) -> Iterator[str | None]:
    """Commit on ``change/<id>`` (created at HEAD); afterwards (and on failure) go back to
    where we were, so the next record is not filed onto this change's pull request."""
    name = f"change/{rid}"
    original = gitops.current_branch(repo)
    if not enabled or original == name:
        yield name if enabled else None
        return
    created = name not in repo.heads
    gitops.switch_branch(repo, name)
    try:
        yield name
    except BaseException:
        txn.rollback()  # put the files back first, so switching back cannot conflict
        if original:
            gitops.switch_branch(repo, original)
            if created:
                gitops.delete_branch(repo, name)
        raise
    if original and come_back:
        gitops.switch_branch(repo, original)
        if notes is not None:
            notes.append(
                f"committed on branch {name}; you are back on {original} "
                f"(`git switch {name}` to work on this change again)"
            )
    elif notes is not None:
        notes.append(f"you are now on branch {name}")


def _on_other_change_branch(repo: git.Repo, rid: str) -> str | None:
    """A warning when HEAD is another change's branch: a new commit would join its PR."""
    current = gitops.current_branch(repo) or ""
    if current.startswith("change/") and current != f"change/{rid}":
        return (
            f"you are on branch {current} (another change's branch): this commit joins it; "
            "`git switch main` first unless that is what you want"
        )
    return None


def _field_path(field: str) -> list[str | int]:
    """``implementation[1]`` / ``window.start`` as a path for ``yamlfile.position``."""
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", field):
        parts.append(int(index) if index else name)
    return parts


def _blame_input(exc: InputError, origins: dict[str, str]) -> InputError:
    """Point an invalid new record's error at the flag or draft the value came from."""
    parts = _field_path(exc.field or "")
    source = origins.get(str(parts[0])) if parts else None
    if source is None:
        exc.path, exc.line, exc.column = None, None, None
        exc.message = f"the new record is not valid: {exc.message}"
    elif source.startswith("--"):
        exc.path, exc.line, exc.column = None, None, None
        exc.message = f"{source}: {exc.message}"
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError:
            text = None
        exc.path = source
        exc.line, exc.column = yamlfile.position(text, parts)
    return exc


def create(
    ws: Workspace,
    fields: dict[str, Any],
    *,
    template: Template | None = None,
    branch: bool = False,
    push: bool = False,
    origins: dict[str, str] | None = None,
) -> Outcome:
    """File a new draft record and commit it as the acting identity.

    ``origins`` says where each field came from (``--title``, or a draft file's path), so
    an invalid value is reported there rather than in a record file not yet written."""
    repo = gitops.open_repo(ws.root)
    actor = gitops.acting_identity(repo)
    gitops.ensure_merge_driver(repo)
    if push:
        gitops.require_remote(repo)
    with mutation(ws, repo) as txn:
        taken = {p.stem for p in ws.records_dir.glob("*.yaml")}
        record = ChangeRecord(new_record_data(fields, actor, template, taken))
        path = store.record_path(ws, record.id)
        try:
            store.validate_data(record.data, path=ws.relpath(path), text=store.dump_record(record))
            hostcheck.check_hosts(steps.load_inventory(ws), record.hosts)
        except InputError as exc:
            raise _blame_input(exc, origins or {}) from None
        notes: list[str] = []
        warning = None if branch else _on_other_change_branch(repo, record.id)
        if warning:
            notes.append(warning)
        # a new record is submitted next, on its branch: stay there unless it was pushed
        with _change_branch(repo, record.id, branch, txn, notes, come_back=push) as on:
            txn.write(path, store.dump_record(record))
            record.path = path
            sha = txn.commit(_subject("new", record, actor), _trailers(record, "new"))
    if push:
        gitops.push(repo, on or gitops.current_branch(repo) or "HEAD")
    return Outcome(record, sha, "", on, push, notes)


def _find(ws: Workspace, repo: git.Repo, record_id: str) -> ChangeRecord:
    """The record; when it is not here but on a change branch, say how to get there."""
    try:
        return store.find_record(ws, record_id)
    except NotFoundError as exc:
        refs = [r.name for r in repo.refs if r.name.endswith(f"change/{record_id}")]
        if refs:
            exc.hint = (
                f"it is on branch {refs[0]}: `git fetch && git switch change/{record_id}` first"
            )
        raise


def transition(
    ws: Workspace,
    record_id: str,
    action: str,
    *,
    reason: str | None = None,
    comment: str | None = None,
    as_group: str | None = None,
    window: dict[str, str] | None = None,
    branch: bool = False,
    push: bool = False,
    force: bool = False,
) -> Outcome:
    """Move a record one lifecycle step, as one commit by the acting identity."""
    repo = gitops.open_repo(ws.root)
    actor = gitops.acting_identity(repo)
    gitops.ensure_merge_driver(repo)
    if push:
        gitops.require_remote(repo)
    with mutation(ws, repo) as txn:
        record = _find(ws, repo, record_id)
        policy = steps.load_policy(ws)
        proof = steps.require_proven_status(ws, record, policy, action)
        steps.require_operator(record, policy, actor, action)
        step = lifecycle.require(record, action)
        previous = record.status
        moment = times.now()
        if action == "submit" and record.path:
            hostcheck.check_hosts(
                steps.load_inventory(ws, policy),
                record.hosts,
                path=ws.relpath(record.path),
                text=record.path.read_text(encoding="utf-8"),
            )
        notes: list[str] = []
        target = steps.apply_step(
            ws,
            record,
            action,
            step.target,
            actor,
            policy,
            moment,
            reason=reason,
            comment=comment,
            as_group=as_group,
            window=window,
            notes=notes,
            force=force,
            proof=proof,
        )
        hook().before_transition(record=record, status=target, actor=actor, workspace=ws)
        record.data["status"] = target
        entry: dict[str, Any] = {"status": target, "at": times.iso(moment), "by": actor.as_dict()}
        note = reason or comment
        if action == "approve":
            note = f"approved by {actor.email}" + (f": {comment}" if comment else "")
        elif action == "schedule" and target == "submitted":
            note = "new window: approvals withdrawn" + (f": {comment}" if comment else "")
        elif action == "schedule" and previous == "scheduled":
            note = "rescheduled" + (f": {comment}" if comment else "")
        elif action == "start" and force and notes:
            note = notes[-1]  # started outside the window: why, for the record
        if note:
            entry["note"] = note
        record.data["history"] = record.history + [entry]
        record.data = record.ordered()
        path = record.path or store.record_path(ws, record.id)
        store.validate_data(record.data, path=ws.relpath(path), text=store.dump_record(record))
        with _change_branch(repo, record.id, branch, txn, notes) as on:
            txn.write(path, store.dump_record(record))
            verb = "reschedule" if action == "schedule" and window is not None else action
            sha = txn.commit(_subject(verb, record, actor), _trailers(record, action))
    hook().after_transition(record=record, previous=previous, actor=actor, workspace=ws)
    if push:
        gitops.push(repo, on or gitops.current_branch(repo) or "HEAD")
    return Outcome(record, sha, previous, on, push, notes)
