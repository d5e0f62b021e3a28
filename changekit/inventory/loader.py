"""The inventory loader interface: a plugin that reads one inventory file format.

Loaders are offered through the ``register_inventory_loaders`` hook. For each file,
``load_inventory`` asks every loader, in registration order, whether it ``accepts``
the file, and the first that does ``load``s it into an ``InventoryDraft``.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from changekit import yamlfile
from changekit.errors import InputError
from changekit.inventory.draft import InventoryDraft

_UNSET: Any = object()


@dataclass
class InventorySource:
    """One inventory file: its path, its text, and (lazily, parsed once) its YAML."""

    path: Path
    text: str
    _node: Any = field(default=_UNSET, repr=False)
    _yaml: Any = field(default=_UNSET, repr=False)
    _yaml_error: InputError | None = field(default=None, repr=False)

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()

    def node(self) -> yaml.Node | None:
        """The YAML node tree (tags unresolved, so Ansible's ``!vault`` is fine), or ``None``."""
        if self._node is _UNSET:
            try:
                self._node = yamlfile.compose(self.text, path=self.path)
            except InputError as exc:
                self._node, self._yaml_error = None, exc
        return self._node

    def yaml(self) -> Any:
        """The text parsed as YAML, or ``None`` when it is not YAML (see ``yaml_error``)."""
        if self._yaml is _UNSET:
            self._yaml = None
            node = self.node()
            if node is not None:
                try:
                    self._yaml = yamlfile.construct(node, self.text, path=self.path)
                except InputError as exc:
                    self._yaml_error = exc
        return self._yaml

    @property
    def yaml_error(self) -> InputError | None:
        self.yaml()
        return self._yaml_error

    def key_lines(self) -> dict[tuple[str, ...], int]:
        """1-based line of every mapping key, by its key path, for error messages."""
        lines: dict[tuple[str, ...], int] = {}
        stack: list[tuple[Any, tuple[str, ...]]] = [(self.node(), ())]
        while stack:
            node, path = stack.pop()
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    sub = (*path, str(key.value))
                    lines.setdefault(sub, key.start_mark.line + 1)
                    stack.append((value, sub))
        return lines


class InventoryLoader(abc.ABC):
    """Reads one inventory format. Raise ``InputError`` (with path, line, field, hint)
    for a file in your format that is wrong; never let a parsing exception escape."""

    name: ClassVar[str]
    """Short format name shown to users, e.g. ``ansible-ini``."""
    description: ClassVar[str] = ""

    @abc.abstractmethod
    def accepts(self, source: InventorySource) -> bool:
        """Whether ``source`` is in this loader's format (cheap: look at suffix and shape)."""

    @abc.abstractmethod
    def load(self, source: InventorySource) -> InventoryDraft:
        """Read ``source`` into a draft: hosts and groups as the file declares them."""
