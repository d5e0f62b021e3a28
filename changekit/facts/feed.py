"""Store a scan while it runs: ``SaveFeed`` hands each finished host's snapshot to the facts
store's ``save``, which runs in its own thread and consumes them one at a time, so a scan holds
the snapshots of the hosts in flight, never the fleet's.

``save`` is all or nothing (one git commit, one database transaction), and it only ends once
the feed is finished: until then nothing of the scan is visible. A scan that ends with an
exception (Ctrl-C included) aborts the feed, and the abort reaches ``save`` as an exception
from its iterator, so it stores nothing.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

from changekit.facts.backend import FactsStore, Snapshot

_END = object()
"""Put after the last snapshot: ``save`` may finish."""
_ABORT = object()
"""Put when the scan failed: ``save`` must store nothing."""


class ScanAborted(Exception):
    """Raised inside ``save``'s iterator when the scan it stores ended with an exception."""


class SaveFeed:
    """``put`` snapshots as hosts finish, note hosts that failed in ``failed``, then ``finish``
    (the store's reference) or ``abort``. Use it as a context manager: leaving it on an
    exception aborts."""

    def __init__(
        self,
        store: FactsStore,
        scan_id: str,
        *,
        shard: tuple[int, int] | None = None,
        depth: int = 8,
    ) -> None:
        self.failed: dict[str, dict[str, str]] = {}
        """Filled while the scan runs; the store reads it once the snapshots are exhausted
        (the ``FactsStore.save`` contract)."""
        # bounded: a store slower than the scan holds the scan back instead of the snapshots
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._ref: str | None = None
        kwargs = {"shard": shard} if shard else {}
        self._thread = threading.Thread(
            target=self._save, args=(store, scan_id, kwargs), name="changekit-save", daemon=True
        )
        self._thread.start()

    def _snapshots(self) -> Iterator[Snapshot]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if item is _ABORT:
                raise ScanAborted("the scan ended before every host was scanned")
            yield item

    def _save(self, store: FactsStore, scan_id: str, kwargs: dict[str, Any]) -> None:
        try:
            self._ref = store.save(scan_id, self._snapshots(), self.failed, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the scan's thread in _raise
            self._error = exc
            self._drain()

    def _drain(self) -> None:
        # the scan may be blocked on a full queue: let it go on to hear about the error
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def _send(self, item: Any) -> None:
        while self._thread.is_alive():
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def put(self, snapshot: Snapshot) -> None:
        """Hand one host's snapshot to the store (blocks while the store is behind); raises
        the store's error as soon as ``save`` failed."""
        self._raise()
        self._send(snapshot)
        self._raise()

    def finish(self) -> str | None:
        """Let ``save`` end and commit; return its reference, or raise its error."""
        self._send(_END)
        self._thread.join()
        self._raise()
        return self._ref

    def abort(self) -> None:
        """Make ``save`` store nothing and wait until it has given up."""
        self._send(_ABORT)
        self._thread.join()

    def _raise(self) -> None:
        if self._error is not None and not isinstance(self._error, ScanAborted):
            raise self._error

    def __enter__(self) -> SaveFeed:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.abort()
