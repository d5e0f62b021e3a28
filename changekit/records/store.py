"""Change records on disk: one YAML file per record in ``change_records/``.

Loading many records is the hot path of ``change list`` and ``check``. A cache in
``.changekit/cache/`` keyed by each file's (mtime, size, inode), like git's own
index, skips parsing and schema validation for files that did not change; the
cache only ever holds records that passed validation.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import marshal
import multiprocessing
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path
from typing import Any

import fastjsonschema

from changekit import yamlfile
from changekit.errors import ChangekitError, GitError, InputError, NotFoundError, SchemaError
from changekit.fileio import atomic_write, not_regular
from changekit.records import ids
from changekit.records.model import ChangeRecord
from changekit.records.times import parse_stored
from changekit.workspace import Workspace

SCHEMA = "change-record"
CACHE_FILE = f"cache/records-v2-py{sys.version_info[0]}{sys.version_info[1]}.marshal"
_CONFLICT = re.compile(r"^(<{7}|={7}|>{7}|\|{7})(?: |$)", re.M)


_STAMP = "write an ISO 8601 time with its UTC offset, e.g. 2026-12-06T02:00:00+01:00"
_HINTS = {
    "id": "ids look like CHG-20261206-k3x9qa (date, then 6 random letters/digits); "
    "`changekit change new` makes one",
    "start": _STAMP,
    "end": _STAMP,
    "at": _STAMP,
    "announced_at": _STAMP,
    "email": "an email address such as alice@example.org (git config user.email)",
    "(top level)": "see `changekit schema change-record` for every field",
}
_fast_check: Any = None


def _date_time(text: str) -> bool:
    try:
        return text[10:11] in ("T", "t") and datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def _is_valid(data: Any) -> bool:
    """Fast yes/no against the schema (fastjsonschema compiles it to Python, ~10x jsonschema).

    Only the answer is used: a record that fails is validated again with jsonschema
    through ``changekit.yamlfile`` for the file:line:column message.
    """
    global _fast_check
    if _fast_check is None:
        schema = {k: v for k, v in yamlfile.load_schema(SCHEMA).items() if k != "$schema"}
        _fast_check = fastjsonschema.compile(schema, formats={"date-time": _date_time})
    try:
        _fast_check(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def record_path(ws: Workspace, record_id: str) -> Path:
    return ws.records_dir / f"{ids.check_id(record_id, prefix=False)}.yaml"


def check_file_name(record: ChangeRecord, path: Path, shown: str) -> None:
    """A record's file is named after its id; otherwise two files could claim one change."""
    stem = path.name.rsplit(".", 1)[0]
    if record.id != stem:
        exc = InputError(
            f"the file name {path.name} does not match the record's id {record.id}",
            path=shown,
            line=1,
            field="id",
            hint=f"rename the file to {record.id}.yaml (`git mv {shown} "
            f"change_records/{record.id}.yaml`), or fix the id if the file name is right",
        )
        exc.code = "id-mismatch"
        raise exc


def check_conflict_markers(text: str, path: str | Path) -> None:
    """Refuse a file with unresolved git merge conflict markers, pointing at the first one."""
    match = _CONFLICT.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        raise GitError(
            "unresolved git merge conflict in this record",
            path=path,
            line=line,
            hint="edit the file to keep the right lines, remove the <<<<<<< ======= >>>>>>> markers, "
            "then `git add` and `git commit` it; changekit never overwrites a conflicted record",
        )


def validate_data(data: Any, *, path: str | Path, text: str | None) -> None:
    """Schema check (fast path first) plus the rules a schema cannot say."""
    if not _is_valid(data):
        try:
            yamlfile.validate(data, SCHEMA, path=path, text=text)
        except SchemaError as exc:
            exc.hint = exc.hint or _HINTS.get((exc.field or "").rsplit(".", 1)[-1].split("[")[0])
            raise
    window = data.get("window")
    if window:
        start, end = parse_stored(window["start"]), parse_stored(window["end"])
        if end <= start:
            line, col = yamlfile.position(text, ["window", "end"])
            raise SchemaError(
                f"the window ends ({window['end']}) before or when it starts ({window['start']})",
                path=path,
                line=line,
                column=col,
                field="window.end",
                hint="the end must be later than the start",
            )


def parse_record(text: str, path: Path, display: str | None = None) -> ChangeRecord:
    """Parse and validate one record's text; every error names the file (and line)."""
    shown = display or str(path)
    check_conflict_markers(text, shown)
    data = yamlfile.parse_yaml(text, path=shown, limits=yamlfile.RECORD_LIMITS)
    if not isinstance(data, dict):
        raise SchemaError("a change record must be a mapping of fields", path=shown, line=1)
    validate_data(data, path=shown, text=text)
    return ChangeRecord(data, path)


def load_record(
    path: Path, ws: Workspace | None = None, *, shown: str | None = None
) -> ChangeRecord:
    """Read, parse and validate one record file; errors name it as ``shown`` (default: relative)."""
    shown = shown or (ws.relpath(path) if ws else str(path))
    try:
        text = yamlfile.read_text(path, shown=shown, limits=yamlfile.RECORD_LIMITS)
    except NotFoundError:
        raise NotFoundError("no such record file", path=shown) from None
    record = parse_record(text, path, shown)
    check_file_name(record, path, shown)
    return record


def dump_record(record: ChangeRecord) -> str:
    return yamlfile.dump_yaml(record.ordered())


def write_record(ws: Workspace, record: ChangeRecord) -> Path:
    """Validate and write a record atomically; returns its path."""
    text = dump_record(record)
    path = record.path or record_path(ws, record.id)
    validate_data(record.data, path=ws.relpath(path), text=text)
    if path.exists():
        check_conflict_markers(path.read_text(encoding="utf-8", errors="replace"), ws.relpath(path))
    atomic_write(path, text)
    record.path = path
    return path


class LoadResult:
    """Every record that loaded, plus one error per file that did not."""

    def __init__(self) -> None:
        self.records: list[ChangeRecord] = []
        self.errors: list[ChangekitError] = []

    def by_id(self) -> dict[str, ChangeRecord]:
        return {r.id: r for r in self.records}


def _read_cache(ws: Workspace) -> dict[str, Any]:
    """The cache (marshal: about 5x faster to read than JSON; it is local, per Python version)."""
    try:
        data = marshal.loads((ws.root / ".changekit" / CACHE_FILE).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


PARALLEL_MIN = 1000
"""Uncached files from which parsing is spread over the CPUs (a fresh CI clone of a big repo)."""


def _parse_files(paths: list[str]) -> list[dict[str, Any] | None]:
    """Worker: parsed, valid data per file, or ``None`` (the parent re-reads it for the error)."""
    out: list[dict[str, Any] | None] = []
    for path in paths:
        try:
            out.append(load_record(Path(path), shown=path).data)
        except Exception:  # noqa: BLE001 - reported exactly by the serial re-read
            out.append(None)
    return out


def _parse_in_parallel(paths: list[str]) -> dict[str, dict[str, Any] | None]:
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return {}
    size = -(-len(paths) // (workers * 4))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_parse_files, chunks))
    except (OSError, BrokenProcessPool):
        return {}  # no processes here (a sandbox): the serial path still works
    return {
        p: d
        for chunk, datas in zip(chunks, results, strict=True)
        for p, d in zip(chunk, datas, strict=True)
    }


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.sha1(f.read(), usedforsecurity=False).hexdigest()
    except OSError:
        return None


def load_all(ws: Workspace, *, use_cache: bool = True) -> LoadResult:
    """Load every record; broken files become errors, duplicate ids too (both files named)."""
    result = LoadResult()
    cache = _read_cache(ws) if use_cache else {}
    fresh: dict[str, Any] = {}
    try:
        entries = sorted(
            (e for e in os.scandir(ws.records_dir) if e.name.endswith((".yaml", ".yml"))),
            key=lambda e: e.name,
        )
    except FileNotFoundError:
        entries = []
    seen: dict[str, str] = {}
    racy = time.time_ns() - 2_000_000_000
    regular = []
    for entry in entries:
        if entry.is_file(follow_symlinks=False):
            regular.append(entry)
        else:  # a symlink (even to a record), a FIFO, a directory named *.yaml
            exc = not_regular(
                entry.path,
                entry.stat(follow_symlinks=False).st_mode,
                f"change_records/{entry.name}",
            )
            exc.code = "not-a-file"
            result.errors.append(exc)
    entries = regular
    stats = [(entry, entry.stat()) for entry in entries]
    keys = {e.name: [st.st_mtime_ns, st.st_size, st.st_ino] for e, st in stats}
    hits: dict[str, tuple[str, dict[str, Any]]] = {}
    digests: dict[str, str] = {}
    by_digest = {v[1]: v[2] for v in cache.values() if isinstance(v, list) and len(v) == 3}
    misses = []
    for e, _st in stats:
        entry_cached = cache.get(e.name)
        if (
            isinstance(entry_cached, list)
            and len(entry_cached) == 3
            and entry_cached[0] == keys[e.name]
        ):
            hits[e.name] = (entry_cached[1], entry_cached[2])
            continue
        # same bytes, same record: a fresh checkout (CI) has new timestamps but old contents
        digest = _digest(e.path)
        if digest is not None:
            digests[e.name] = digest
            if digest in by_digest:
                hits[e.name] = (digest, by_digest[digest])
                continue
        misses.append(e.path)
    parsed = _parse_in_parallel(misses) if len(misses) >= PARALLEL_MIN else {}
    changed = bool(misses) or bool(digests)
    for entry, st in stats:
        key = keys[entry.name]
        hit = hits.get(entry.name)
        if hit:
            record = ChangeRecord(hit[1], entry.path)
        elif parsed.get(entry.path) is not None:
            record = ChangeRecord(parsed[entry.path], entry.path)
        else:  # serially: for the exact error of a broken file, or when nothing ran in parallel
            try:
                record = load_record(Path(entry.path), shown=f"change_records/{entry.name}")
            except ChangekitError as exc:
                result.errors.append(exc)
                continue
        if hit or parsed.get(entry.path) is not None:
            try:  # cached and parallel-parsed records are held to the same rule
                check_file_name(record, Path(entry.path), f"change_records/{entry.name}")
            except InputError as exc:
                result.errors.append(exc)
                continue
        digest = hit[0] if hit else digests.get(entry.name)
        if digest:
            # like git's racy-index rule: a file touched just now may change again within the
            # same timestamp tick, so its times are no key yet; its bytes (the digest) are
            fresh[entry.name] = [key if st.st_mtime_ns < racy else None, digest, record.data]
        rel = f"change_records/{entry.name}"
        if record.id in seen:
            result.errors.append(
                InputError(
                    f"duplicate record id {record.id}: also in {seen[record.id]}",
                    path=rel,
                    field="id",
                    hint="give one of them a new id (`changekit change new --from-file` makes one) "
                    "or delete the copy",
                )
            )
            continue
        seen[record.id] = rel
        result.records.append(record)
    if use_cache and (changed or len(fresh) != len(cache)):
        # a read-only checkout still lists, just without the cache
        with contextlib.suppress(OSError):
            atomic_write(ws.state_dir / CACHE_FILE, marshal.dumps(fresh))
    return result


def find_record(ws: Workspace, record_id: str) -> ChangeRecord:
    """The record with this id (or a unique prefix of it); strict: a broken file is an error."""
    ids.check_id(record_id)
    direct = ws.records_dir / f"{record_id}.yaml"
    if os.path.lexists(direct):  # a symlink or FIFO there is refused by load_record, not skipped
        return load_record(direct, ws, shown=f"change_records/{direct.name}")
    loaded = load_all(ws)
    matches = [r for r in loaded.records if r.id == record_id or r.id.startswith(record_id)]
    # a broken file whose name starts with the prefix is a candidate too
    broken = [e for e in loaded.errors if Path(e.path or "").name.startswith(record_id)]
    if len(matches) == 1 and not broken:
        return load_record(matches[0].path, ws) if matches[0].path else matches[0]
    if len(matches) + len(broken) > 1:
        names = [r.id for r in matches] + [f"{Path(e.path or '').stem} (broken)" for e in broken]
        raise InputError(
            f"{record_id!r} matches {len(names)} records",
            hint="give more of the id: " + ", ".join(names[:5]),
        )
    for err in loaded.errors:  # the record may be the broken one
        if record_id in (err.path or ""):
            raise err
    close = difflib.get_close_matches(record_id, [r.id for r in loaded.records], n=3)
    raise NotFoundError(
        f"no change record {record_id}",
        hint=f"did you mean {', '.join(close)}?"
        if close
        else "list them with `changekit change list`",
    )
