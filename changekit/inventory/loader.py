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

from changekit.errors import InputError
from changekit.inventory.draft import InventoryDraft
from changekit.yamlfile import parse_yaml

_UNSET = object()


@dataclass
class InventorySource:
    """One inventory file: its path, its text, and (lazily) its text parsed as YAML."""

    path: Path
    text: str
    _yaml: Any = field(default=_UNSET, repr=False)
    _yaml_error: InputError | None = field(default=None, repr=False)

    @property
    def display_path(self) -> str:
        return str(self.path)

    def yaml(self) -> Any:
        """The text parsed as YAML, or ``None`` when it is not YAML (see ``yaml_error``)."""
        if self._yaml is _UNSET:
            try:
                self._yaml = parse_yaml(self.text, path=self.path)
            except InputError as exc:
                self._yaml, self._yaml_error = None, exc
        return self._yaml

    @property
    def yaml_error(self) -> InputError | None:
        self.yaml()
        return self._yaml_error

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()


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
