"""Change templates: record-shaped defaults from ``templates/*.yaml`` and from plugins.

A template is a partial record (any record field except the ones changekit
fills in itself) plus an optional ``about`` line. A *standard* change is one
filed from a template the policy lists as pre-approved.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from changekit import yamlfile
from changekit.errors import InputError, NotFoundError, PluginError
from changekit.records.model import FIELD_ORDER
from changekit.workspace import Workspace

RESERVED = (
    "id",
    "requester",
    "status",
    "history",
    "approvals",
    "rejection",
    "notices",
    "outcome",
    "template",
)
TEMPLATE_KEYS = tuple(k for k in FIELD_ORDER if k not in RESERVED) + ("about",)


@dataclass(frozen=True)
class Template:
    name: str
    data: dict[str, Any]
    source: str
    """``templates/<name>.yaml`` or ``plugin``."""

    @property
    def about(self) -> str:
        return str(self.data.get("about", ""))

    def defaults(self) -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if k != "about"}


def check_template(name: str, data: Any, source: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InputError(f"template {name!r} must be a mapping of record fields", path=source)
    for key in data:
        if key not in TEMPLATE_KEYS:
            close = difflib.get_close_matches(str(key), TEMPLATE_KEYS, n=1)
            why = "is filled in by changekit" if key in RESERVED else "is not a record field"
            raise InputError(
                f"template {name!r}: key {key!r} {why}",
                path=source,
                field=str(key),
                hint=f"did you mean {close[0]!r}?"
                if close and key not in RESERVED
                else "remove it",
            )
    return data


def available(ws: Workspace) -> dict[str, Template]:
    """Every template by name; a workspace file overrides a plugin's template of the same name."""
    from changekit.plugins import hook

    found: dict[str, Template] = {}

    def register(name: str, data: dict[str, Any]) -> None:
        if not isinstance(name, str) or not name:
            raise PluginError(f"register_change_templates: bad template name {name!r}")
        found[name] = Template(name, check_template(name, dict(data), "plugin"), "plugin")

    hook().register_change_templates(register=register)
    if ws.templates_dir.is_dir():
        for path in sorted(ws.templates_dir.glob("*.y*ml")):
            rel = ws.relpath(path)
            data = check_template(path.stem, yamlfile.load_yaml(path)[0], rel)
            found[path.stem] = Template(path.stem, data, rel)
    return found


def get(ws: Workspace, name: str) -> Template:
    templates = available(ws)
    if name not in templates:
        close = difflib.get_close_matches(name, list(templates), n=1)
        raise NotFoundError(
            f"no change template named {name!r}",
            hint=f"did you mean {close[0]!r}?"
            if close
            else f"templates: {', '.join(sorted(templates)) or 'none'} (add one as templates/{name}.yaml)",
        )
    return templates[name]


def fields(ws: Workspace) -> dict[str, dict[str, Any]]:
    """Template name -> the record fields it sets (what a pre-approval of it covers)."""
    return {name: t.defaults() for name, t in available(ws).items()}
