"""The collector interface: a remote POSIX ``sh`` snippet plus a pure parser."""

from __future__ import annotations

import abc
from typing import Any, ClassVar


class Collector(abc.ABC):
    """Collects one family of facts. The scan concatenates every enabled collector's
    ``script`` into one ``sh`` script, runs it once per host, splits the output back per
    collector and calls ``parse`` on each part. ``parse`` must be pure (text in, data out)
    so it is tested from fixture files of real command output.

    ``context`` also holds ``now`` (the scan's time, a datetime) and ``previous_runs`` (the
    ``runs`` of the host's last stored snapshot, ``{}`` when there is none), so a collector
    can do less work on a repeat scan; ``full_verify`` and ``full_verify_days`` are the
    scan's options for ``integrity``."""

    name: ClassVar[str]
    """Key under ``facts`` in the snapshot, e.g. ``dpkg``."""
    kind: ClassVar[str] = "facts"
    """``inventory`` when ``parse`` returns ``{item_name: {"version": ..., ...}}`` (drift
    compares such collectors generically); ``facts`` for any other shape."""
    description: ClassVar[str] = ""

    @abc.abstractmethod
    def script(self, context: dict[str, Any]) -> str:
        """The ``sh`` snippet. Every value from outside (file names from a standard or the
        inventory) must go through ``shlex.quote``. ``context`` holds ``files`` (paths to
        hash), ``modules`` (language modules a standard names) and the host's variables.
        Exit status 0 means "ran"; print nothing when the tool is absent."""

    @abc.abstractmethod
    def parse(self, output: str, context: dict[str, Any]) -> Any:
        """Turn the snippet's stdout into data; raise ``ValueError`` on garbage."""

    def run_info(self, output: str, context: dict[str, Any]) -> dict[str, Any] | None:
        """How this run went (stored as the snapshot's ``runs[name]``, and handed to the next
        scan of the host as ``context["previous_runs"][name]``); ``None`` for nothing to say.
        Pure like ``parse``; raise ``ValueError`` on garbage."""
        return None
