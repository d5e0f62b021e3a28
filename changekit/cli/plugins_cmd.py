"""``changekit plugins``: what is loaded and which hooks each implements."""

from __future__ import annotations

import click

from changekit.cli.output import format_option, print_json, print_table
from changekit.plugins import get_manager


def plugin_rows() -> list[dict]:
    pm = get_manager()
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    rows = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda np: np[0]):
        if plugin is None:  # blocked
            rows.append({"name": name, "hooks": [], "distribution": None, "blocked": True})
            continue
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        dist = dists.get(id(plugin))
        rows.append(
            {
                "name": name,
                "hooks": hooks,
                "distribution": f"{dist.project_name} {dist.version}" if dist else None,
                "blocked": False,
            }
        )
    return rows


@click.command()
@format_option()
def plugins(fmt: str) -> None:
    """List loaded plugins and the hooks each implements."""
    rows = plugin_rows()
    if fmt == "json":
        print_json(rows)
        return
    print_table(
        ("plugin", "distribution", "hooks"),
        (
            (
                r["name"],
                r["distribution"] or "",
                "(blocked)" if r["blocked"] else ", ".join(r["hooks"]),
            )
            for r in rows
        ),
    )
