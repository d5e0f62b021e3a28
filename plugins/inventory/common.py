"""Helpers shared by the built-in inventory loaders (not part of the public API)."""

from __future__ import annotations

import re
from typing import Any

from changekit.api import (
    DuplicateKeyError,
    InputError,
    InventorySource,
    LimitError,
    parse_ansible_yaml,
)

_RANGE = re.compile(r"\[([0-9]+|[a-zA-Z]):([0-9]+|[a-zA-Z])(?::([0-9]+))?\]")


def expand_host_pattern(name: str) -> list[str]:
    """Ansible host ranges: ``web[01:03]`` -> web01, web02, web03; ``db-[a:c]``; ``[1:9:2]``.

    Anything that is not a well-formed range stays one literal name; a range of more
    than 100000 names raises ``ValueError``.
    """
    match = _RANGE.search(name)
    if not match:
        return [name]
    start, end, step = match.group(1), match.group(2), int(match.group(3) or 1)
    head, tail = name[: match.start()], name[match.end() :]
    if start.isdigit() and end.isdigit():
        if (int(end) - int(start)) // max(step, 1) > 100_000:
            raise ValueError(f"host range {match.group(0)} expands to more than 100000 names")
        width = len(start) if start.startswith("0") else 1
        values = [str(i).zfill(width) for i in range(int(start), int(end) + 1, max(step, 1))]
    elif start.isalpha() and end.isalpha():
        values = [chr(c) for c in range(ord(start), ord(end) + 1, max(step, 1))]
    else:
        return [name]
    if not values:
        return [name]
    return [expanded for v in values for expanded in expand_host_pattern(f"{head}{v}{tail}")]


def ansible_yaml_data(source: InventorySource) -> Any:
    """The file as Ansible would parse it as YAML (``!vault`` understood), or ``None``."""
    data = source.yaml()
    refused = source.yaml_error
    if isinstance(refused, (DuplicateKeyError, LimitError)) and source.suffix != ".ini":
        raise refused  # YAML that breaks a loader rule is not read as anything else
    if data is None and source.node() is not None:  # YAML with Ansible's tags (!vault, !unsafe)
        try:
            data = parse_ansible_yaml(source.text, path=source.path)
        except InputError:
            return None
    return data
