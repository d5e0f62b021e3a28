"""Where a snapshot lives in the facts ref's tree, and how it is cut into blobs.

Two layouts, both read:

- **per collector** (written since 0.x, docs/facts.md): ``snapshots/<host>/snapshot.json``
  holds the snapshot without its facts, plus ``fact_blobs``: collector -> the git blob id of
  ``snapshots/<host>/facts/<collector>.json``, that collector's facts in canonical form.
  A collector whose facts did not change keeps the same blob, so a scan stores (and
  compresses) only what changed, and a reader that met a blob id before has its facts
  already: the fleet's Perl modules are one blob, parsed once.
- **whole snapshot** (written before): ``hosts/<host>.json``, the snapshot in one blob. A
  save moves each host it stores to the per-collector layout; hosts not stored since keep
  their file, and their history reads as before.

The snapshot file names its blobs (rather than a reader listing the host's tree) so one
read of a small file tells what to fetch; the tree entries keep the blobs reachable and
browsable (``git show refs/changekit/facts:snapshots/HOST/facts/dpkg.json``).
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote, unquote

from changekit.facts.codec import canonical

HOSTS = "hosts"
"""The whole-snapshot layout's folder: ``hosts/<host>.json``."""
SNAPSHOTS = "snapshots"
"""The per-collector layout's folder: ``snapshots/<host>/``."""
SNAPSHOT_FILE = "snapshot.json"
FACTS_DIR = "facts"
BLOBS_KEY = "fact_blobs"


def _safe(name: str) -> str:
    """A path component for any name (``/``, newlines and leading dots percent-encoded)."""
    quoted = quote(name, safe="@+-_.")
    return "%2E" + quoted[1:] if quoted.startswith(".") else quoted


def host_filename(host: str) -> str:
    """The whole-snapshot layout's file name of ``host``."""
    return _safe(host) + ".json"


def host_of(filename: str) -> str:
    """The host a file (``x.json``) or folder (``x``) name stands for."""
    return unquote(filename.removesuffix(".json"))


def host_dirname(host: str) -> str:
    """The per-collector layout's folder name of ``host`` (in ``snapshots/``)."""
    return _safe(host)


def host_dir(host: str) -> str:
    """``snapshots/<host>``: the per-collector layout's folder of ``host``."""
    return f"{SNAPSHOTS}/{_safe(host)}"


def snapshot_path(host: str) -> str:
    return f"{host_dir(host)}/{SNAPSHOT_FILE}"


def fact_path(host: str, collector: str) -> str:
    return f"{host_dir(host)}/{FACTS_DIR}/{_safe(collector)}.json"


def blob_id(data: bytes, object_format: str = "sha1") -> str:
    """The id git gives a blob of ``data`` (what ``git hash-object`` prints)."""
    digest = hashlib.new(object_format)
    digest.update(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def split(
    snapshot: dict[str, Any], object_format: str = "sha1"
) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """``(the snapshot file's data, {collector: (blob id, canonical facts)})``."""
    blobs = {}
    for collector, facts in snapshot.get("facts", {}).items():
        data = canonical(facts)
        blobs[collector] = (blob_id(data, object_format), data)
    meta = {k: v for k, v in snapshot.items() if k != "facts"}
    meta[BLOBS_KEY] = {c: sha for c, (sha, _data) in blobs.items()}
    return meta, blobs


def join(meta: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """The snapshot back from its file's data (changed in place) and its facts by collector,
    its keys in sorted order as a whole-snapshot file reads."""
    meta.pop(BLOBS_KEY, None)
    meta["facts"] = facts
    items = sorted(meta.items())
    meta.clear()
    meta.update(items)
    return meta
