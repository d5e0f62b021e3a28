"""``changekit ci github|gitlab``: write the CI job that runs ``changekit check`` on every PR."""

from __future__ import annotations

import click

from changekit.errors import InputError, RefusedError
from changekit.fileio import atomic_write
from changekit.gate.ci import CI_FILES, PROTECTION, ci_template


@click.command()
@click.argument("forge", type=click.Choice(sorted(CI_FILES)))
@click.option("--stdout", "to_stdout", is_flag=True, help="Print it instead of writing it.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option(
    "--install",
    "install",
    metavar="SPEC",
    help="What the job pip-installs [default: changekit==<this version>]; e.g. a git URL "
    "'changekit @ git+https://git.example.org/ops/changekit@v0.1.0' or your mirror's name.",
)
@click.pass_obj
def ci(state, forge: str, to_stdout: bool, force: bool, install: str | None) -> None:
    """Write the GitHub Actions workflow or GitLab CI job that runs `changekit check`."""
    try:
        text = ci_template(forge, install)
    except ValueError as exc:
        raise InputError(str(exc), field="--install", hint="pass a plain pip requirement") from None
    if to_stdout:
        click.echo(text, nl=False)
        click.echo(PROTECTION[forge], err=True)
        return
    ws = state.workspace()
    dest = ws.root / CI_FILES[forge][1]
    if dest.exists() and not force:
        raise RefusedError(
            f"{CI_FILES[forge][1]} already exists",
            path=CI_FILES[forge][1],
            hint="pass --force to overwrite it, or --stdout and merge the job into it by hand",
        )
    with ws.lock():
        atomic_write(dest, text)
    click.echo(f"wrote {CI_FILES[forge][1]}; commit it, and make its check required")
    click.echo(PROTECTION[forge])
