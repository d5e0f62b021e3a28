"""``scan --format json`` without holding the fleet's snapshots in memory.

Each snapshot is encoded as its host finishes and kept in a temporary file; the document is
written at the end, snapshots in host order, exactly as ``print_json`` would have written the
whole thing (a real server's snapshot is ~3 MB parsed: 10,000 of them do not fit).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from changekit.errors import ChangekitError
from changekit.textsafe import json_document

_ITEM_INDENT = "\n    "  # a snapshot is an item of "snapshots", two levels deep


class JsonSpool:
    """Encoded snapshots on disk, keyed by host, until ``emit`` prints the document."""

    def __init__(self) -> None:
        # unlinked at once: gone with the process, however it ends
        with _disk():
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._where: dict[str, tuple[int, int]] = {}

    def put(self, host: str, snapshot: dict[str, Any]) -> None:
        # json escapes every newline inside a string, so each line of the text is layout
        text = json_document(snapshot).replace("\n", _ITEM_INDENT).encode("utf-8")
        with _disk():
            self._file.seek(0, 2)
            self._where[host] = (self._file.tell(), len(text))
            self._file.write(text)
            self._file.flush()  # a full disk fails here, not half-way through the document

    def emit(self, head: dict[str, Any], order: list[str], key: str = "snapshots") -> None:
        """Print ``head`` with ``key`` added last: the spooled snapshots of ``order``'s hosts."""
        text = json_document({**head, key: []})
        tail = f'\n  "{key}": []\n}}'
        assert text.endswith(tail)  # the key was added last, and json.dumps keeps order
        hosts = [h for h in order if h in self._where]
        if not hosts:
            click.echo(text)
            return
        click.echo(text[: -len(tail)] + f'\n  "{key}": [', nl=False)
        for i, host in enumerate(hosts):
            offset, length = self._where[host]
            self._file.seek(offset)
            chunk = self._file.read(length).decode("utf-8")
            click.echo(("," if i else "") + _ITEM_INDENT + chunk, nl=False)
        click.echo("\n  ]\n}")

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> JsonSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def _disk() -> Iterator[None]:
    """A temporary directory that is full or unusable: a clear error, not a traceback (the
    scan stops; with a facts store, nothing of it is stored)."""
    try:
        yield
    except OSError as exc:
        # tempfile.tempdir is set once a directory was found; gettempdir() would raise again
        where = tempfile.tempdir or os.environ.get("TMPDIR") or "the temporary directory"
        raise ChangekitError(
            f"could not spool the scan's JSON in {where}: {exc.strerror or exc}",
            hint="free space there, or set TMPDIR to a directory with room"
            " (each host's snapshot is kept there until the document is printed)",
        ) from None
