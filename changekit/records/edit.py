"""``change edit``: change a record's content by hand, as one validated commit.

Only the fields a person files may change (not id, status, history, approvals, ...).
An edit of an approved or scheduled change withdraws its approvals and returns it to
``submitted``, as a new window does: the gate only counts approvals of what is there now.
"""

from __future__ import annotations

from typing import Any

from changekit import gitops
from changekit.errors import InputError, TransitionError
from changekit.records import hostcheck, steps, store, times
from changekit.records.actions import Outcome, _find, _trailers
from changekit.records.model import ChangeRecord
from changekit.records.templates import RESERVED
from changekit.records.transaction import mutation
from changekit.workspace import Workspace

EDITABLE_STATUSES = ("draft", "submitted", "rejected", "approved", "scheduled")


def _check_editable(record: ChangeRecord, shown: str) -> None:
    if record.status not in EDITABLE_STATUSES:
        raise TransitionError(
            f"cannot edit {record.id}: it is {record.status}",
            path=shown,
            field="status",
            hint="a change under way or closed is history; record what happened with "
            "`complete`/`fail --notes`, or file a new change",
        )


def _keep(kept, text: str, exc: InputError) -> None:
    """Save a rejected edit where the error points, so the work is not lost."""
    from changekit.fileio import atomic_write

    kept.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(kept, text)
    exc.hint = (exc.hint + "; " if exc.hint else "") + (
        "the record is unchanged; your edit is kept in this file: fix it, then copy it "
        "into `changekit change edit` again"
    )


def edit(ws: Workspace, record_id: str, editor: Any) -> Outcome | None:
    """Let ``editor(text) -> text | None`` change the record; ``None`` when nothing changed."""
    repo = gitops.open_repo(ws.root)
    actor = gitops.acting_identity(repo)
    gitops.ensure_merge_driver(repo)
    with mutation(ws, repo) as txn:
        record = _find(ws, repo, record_id)
        path = record.path or store.record_path(ws, record.id)
        shown = ws.relpath(path)
        _check_editable(record, shown)
        before = path.read_text(encoding="utf-8")
        after = editor(before)
        if after is None or after == before:
            return None
        kept = ws.state_dir / f"{record.id}.edit.yaml"
        try:
            edited = store.parse_record(after, path, ws.relpath(kept))
        except InputError as exc:
            _keep(kept, after, exc)
            raise
        changed = sorted(
            k
            for k in set(record.data) | set(edited.data)
            if record.data.get(k) != edited.data.get(k)
        )
        reserved = [k for k in changed if k in RESERVED]
        if reserved:
            raise InputError(
                f"{', '.join(reserved)} cannot be edited by hand",
                path=shown,
                field=reserved[0],
                hint="changekit fills these in; use the lifecycle commands "
                "(submit, approve, reschedule, ...) instead",
            )
        if not changed:
            return None
        policy = steps.load_policy(ws)
        hostcheck.check_hosts(
            steps.load_inventory(ws, policy), edited.hosts, path=shown, text=after
        )
        data = dict(record.data)
        data.update({k: edited.data[k] for k in changed if k in edited.data})
        for k in changed:
            if k not in edited.data:
                data.pop(k, None)
        previous = record.status
        status = previous
        note = "edited: " + ", ".join(changed)
        notes: list[str] = []
        if previous in ("approved", "scheduled") and record.approvals:
            who = ", ".join(a["by"]["email"] for a in record.approvals)
            data.pop("approvals")
            status = "submitted"
            note += "; approvals withdrawn"
            notes.append(
                f"the change was edited, so the approvals by {who} were withdrawn; it is "
                f"submitted again: reviewers approve it (`changekit change approve {record.id}`)"
            )
        moment = times.now()
        data["status"] = status
        data["history"] = record.history + [
            {"status": status, "at": times.iso(moment), "by": actor.as_dict(), "note": note}
        ]
        record.data = data
        record.data = record.ordered()
        text = store.dump_record(record)
        store.validate_data(record.data, path=shown, text=text)
        txn.write(path, text)
        sha = txn.commit(
            f"Edit {record.id}: {record.title}"[:120], _trailers(record, "edit"), body=note
        )
    return Outcome(record, sha, previous, None, False, notes)
