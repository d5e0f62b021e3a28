"""Arguments shared by several commands, checked before the command touches anything."""

from __future__ import annotations

import click

from changekit.records.ids import check_id


def _record_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    return check_id(value)  # an InputError: exit 3 with the id rules, before any path is built


record_id = click.argument("record_id", metavar="ID", callback=_record_id)
"""A change record id (or a unique prefix of it); anything else is refused (exit 3)."""
