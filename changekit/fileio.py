"""Atomic file writes (a failed or killed command never leaves half a file) and reads that
cannot hang on a FIFO, follow a symlink or swallow a huge file."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from changekit.errors import InputError, NotFoundError

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
}


def atomic_write(path: str | Path, data: str | bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a mix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def not_regular(path: str | Path, mode: int, shown: str | Path | None = None) -> InputError:
    """The error for a path that is not a regular file (``mode`` from ``lstat``)."""
    link = stat.S_ISLNK(mode)
    kind = "a symbolic link" if link else _KINDS.get(stat.S_IFMT(mode), "a special file")
    return InputError(
        f"{kind}, not a regular file: changekit reads and writes only regular files here",
        path=shown or path,
        hint="replace the link with a copy of the file it points to "
        '(`cp --remove-destination "$(readlink -f LINK)" LINK`), or remove it'
        if link
        else "move it out of the way (or remove it); a record is one plain YAML file",
    )


def read_regular(
    path: str | Path, *, shown: str | Path | None = None, max_bytes: int
) -> bytes | None:
    """The bytes of a regular file, ``None`` when it has more than ``max_bytes``.

    A symlink, FIFO, directory or device is an ``InputError``: opened without following
    links and without blocking, then checked with ``fstat`` (no race with a swapped file).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise NotFoundError("file not found", path=shown or path) from None
    except OSError as exc:
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            mode = 0
        if stat.S_ISLNK(mode):
            raise not_regular(path, mode, shown) from None
        raise InputError(f"cannot read: {exc.strerror}", path=shown or path) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise not_regular(path, st.st_mode, shown)
        if st.st_size > max_bytes:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(max_bytes + 1)
        return None if len(raw) > max_bytes else raw
    finally:
        os.close(fd)
