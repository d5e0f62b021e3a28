"""``changekit change edit ID``: open the record in $EDITOR, validate, commit."""

from __future__ import annotations

import click

from changekit.cli import args
from changekit.records import edit as _edit


def _editor(text: str) -> str | None:
    # click.edit runs $VISUAL / $EDITOR (vi when unset) on a temporary .yaml copy, so a
    # record is only touched once the edited text is valid
    return click.edit(text, extension=".yaml", require_save=True)


@click.command("edit")
@args.record_id
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def edit(state, record_id: str, fmt: str) -> None:
    """Edit a draft, submitted, rejected, approved or scheduled change in $EDITOR.

    The edited record is validated and committed as you. Editing an approved or
    scheduled change withdraws its approvals (it is submitted again); a change in
    progress or closed cannot be edited."""
    from changekit.cli.change_view import report

    result = _edit.edit(state.workspace(), record_id, _editor)
    if result is None:
        click.echo(f"{record_id}: no changes")
        return
    report(result, "edit", fmt)


COMMANDS = (edit,)
