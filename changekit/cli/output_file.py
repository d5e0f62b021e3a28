"""``-o PATH``: write a command's output where the user asked, and only there.

A regular file (or a new one) is replaced atomically, as every file changekit writes. A
device, FIFO or terminal is written into: replacing ``/dev/null`` with a regular file, or a
named pipe a reader is waiting on, would be a surprise at best. A symbolic link stays a
link: its target is written (atomically when that is a regular file). ``-`` is standard
output, and so are ``/dev/stdout`` and ``/dev/fd/N``, written in place (appended to, like
the shell's own redirection) so the output lands after what is already there.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from changekit.errors import InputError
from changekit.fileio import atomic_write

_FD_ALIASES = ("/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/self/fd/")


def write_output(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` as the module docstring says."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    text = str(path)
    if text == "-":
        sys.stdout.flush()
        _write_all(sys.stdout.fileno(), raw)
        return
    if text.startswith(_FD_ALIASES):
        _write_into(text, raw, os.O_APPEND)
        return
    try:
        mode = os.lstat(text).st_mode
    except FileNotFoundError:
        atomic_write(text, raw)
        return
    if stat.S_ISLNK(mode):
        target = os.path.realpath(text)
        try:
            mode = os.stat(text).st_mode
        except FileNotFoundError:  # a dangling link: create what it points to
            atomic_write(target, raw)
            return
        if stat.S_ISREG(mode):
            atomic_write(target, raw)  # the link stays, pointing at the new file
            return
    if stat.S_ISREG(mode):
        atomic_write(text, raw)
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
        _write_into(text, raw, 0)
    else:
        kind = "a directory" if stat.S_ISDIR(mode) else "a socket or special file"
        raise InputError(
            f"cannot write the output to {kind}",
            path=text,
            hint="give a file name (or - for standard output)",
        )


def _write_into(path: str, raw: bytes, flags: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC | flags)
    except OSError as exc:
        raise InputError(
            f"cannot write the output: {exc.strerror}", path=path, hint="check the path"
        ) from None
    try:
        _write_all(fd, raw)
    finally:
        os.close(fd)


def _write_all(fd: int, raw: bytes) -> None:
    view = memoryview(raw)
    while view:
        view = view[os.write(fd, view) :]
