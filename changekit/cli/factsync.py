"""Fetch and push the facts ref around the commands that read and store facts. Sharing is
a convenience on top of a store that works alone: an unreachable remote is a warning, and
the command goes on with the facts stored here."""

from __future__ import annotations

import click

from changekit.errors import GitError
from changekit.facts.backend import FactsStore
from changekit.textsafe import visible


def _warn(exc: GitError) -> None:
    click.echo(f"warning: {visible(exc.message)}", err=True)
    if exc.hint:
        click.echo(f"  {visible(exc.hint)}", err=True)


def fetch_facts(store: FactsStore) -> None:
    """Bring in others' facts before reading; warn (and go on) when that fails."""
    try:
        store.fetch()
    except GitError as exc:
        _warn(exc)


def push_facts(store: FactsStore) -> None:
    """Publish a stored scan; warn (the scan is stored here) when that fails."""
    try:
        store.push()
    except GitError as exc:
        _warn(exc)
