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

import click

from changekit.errors import InputError
from changekit.fileio import atomic_write
from changekit.textsafe import visible

_FD_ALIASES = ("/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/self/fd/")


output_option = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Write to this file, device or pipe (default, or -: standard output).",
)
"""``-o/--output`` as every command that writes a document takes it."""


def to_file(output: Path | None) -> bool:
    """Whether ``-o`` names somewhere other than standard output."""
    return output is not None and str(output) != "-"


def emit(output: Path | None, text: str, summary: str) -> None:
    """``text`` to standard output, or to ``output`` with "wrote FILE (summary)" on stderr."""
    if not to_file(output):
        click.echo(text, nl=False)
        return
    write_output(output, text)  # type: ignore[arg-type]
    click.echo(f"wrote {visible(str(output))} ({summary})", err=True)


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
