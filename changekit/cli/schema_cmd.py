"""``changekit schema [NAME]``: print a shipped JSON Schema, or list them."""

from __future__ import annotations

import json

import click

from changekit.errors import NotFoundError
from changekit.yamlfile import load_schema, schema_names


@click.command()
@click.argument("name", required=False)
def schema(name: str | None) -> None:
    """Print the JSON Schema NAME (e.g. change-record), or list the schemas."""
    names = schema_names()
    if not name:
        for n in names:
            click.echo(n)
        return
    if name not in names:
        raise NotFoundError(f"no schema named {name!r}", hint=f"available: {', '.join(names)}")
    click.echo(json.dumps(load_schema(name), indent=2))
