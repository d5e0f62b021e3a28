"""``changekit merge-record BASE OURS THEIRS [PATH]``: git's merge driver for change records.

``changekit init`` marks ``change_records/*.yaml`` with ``merge=changekit-record`` in
.gitattributes and every changekit command that commits sets the driver in the clone's
git config, so two reviewers approving at once merge (``git pull``) without a conflict.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from changekit.fileio import atomic_write
from changekit.records import merge


def _enough(state):
    """``data -> bool``: whether the policy counts the merged approvals as enough."""
    ws = state.workspace_or_none()
    if ws is None:
        return None
    try:
        from changekit.records import steps
        from changekit.records.model import ChangeRecord

        policy = steps.load_policy(ws)
    except Exception:  # noqa: BLE001 - without a readable policy, keep the status as it is
        return None
    return lambda data: bool(policy.is_approved(ChangeRecord(data)))


@click.command("merge-record", hidden=True)
@click.argument("base", type=click.Path(dir_okay=False))
@click.argument("ours", type=click.Path(dir_okay=False))
@click.argument("theirs", type=click.Path(dir_okay=False))
@click.argument("path", required=False, default=None)
@click.pass_obj
def merge_record(state, base: str, ours: str, theirs: str, path: str | None) -> None:
    """Merge two versions of a change record (git merge driver: %O %A %B %P)."""
    from changekit.records import store
    from changekit.records.model import ChangeRecord

    texts = [Path(p).read_text(encoding="utf-8") for p in (base, ours, theirs)]
    shown = path or ours
    try:
        data = [merge.load(t) for t in texts]
        merged = merge.merge_records(*data, enough=_enough(state))
    except (merge.MergeConflict, ValueError) as exc:
        reason = str(exc) if isinstance(exc, merge.MergeConflict) else "not a readable record"
        # leave git's usual conflict markers for a person to resolve
        subprocess.run(
            ["git", "merge-file", "-L", "ours", "-L", "base", "-L", "theirs", ours, base, theirs],
            check=False,
        )
        click.echo(f"changekit merge-record: {shown}: {reason}; resolve it by hand", err=True)
        sys.exit(1)
    atomic_write(Path(ours), store.dump_record(ChangeRecord(ChangeRecord(merged).ordered())))
