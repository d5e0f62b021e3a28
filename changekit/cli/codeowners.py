"""``changekit codeowners``: write CODEOWNERS from the policy so the forge asks the right reviewers."""

from __future__ import annotations

import click

from changekit.fileio import atomic_write
from changekit.policy import load_policy
from changekit.policy.codeowners import codeowners_text

DESTINATIONS = {"github": ".github/CODEOWNERS", "gitlab": ".gitlab/CODEOWNERS"}


@click.command()
@click.option(
    "--forge",
    type=click.Choice(sorted(DESTINATIONS)),
    default="github",
    show_default=True,
    help="Where the file goes: .github/CODEOWNERS or .gitlab/CODEOWNERS.",
)
@click.option("--stdout", "to_stdout", is_flag=True, help="Print it instead of writing it.")
@click.pass_obj
def codeowners(state, forge: str, to_stdout: bool) -> None:
    """Write a CODEOWNERS file from changekit.yaml: approvers review records and the policy."""
    ws = state.workspace()
    text = codeowners_text(load_policy(ws))
    if to_stdout:
        click.echo(text, nl=False)
        return
    dest = ws.root / DESTINATIONS[forge]
    with ws.lock():
        atomic_write(dest, text)
    click.echo(f"wrote {DESTINATIONS[forge]}; commit it so pull requests ask these reviewers")
