"""ssh_config ``Include``, expanded the way OpenSSH reads it (paramiko ignores Include).

Relative paths are taken from ``~/.ssh`` (a user config), globs are sorted, nesting stops
at 16. An Include inside a ``Host``/``Match`` block is *conditional*: OpenSSH reads the
file only for targets that block matches, and a ``Host`` line inside the file narrows
further. Text inlining keeps that by rewriting the included ``Host``/``Match`` lines as
``Match`` lines that also carry the enclosing condition (``Host a b`` around ``Host c``
becomes ``Match originalhost a,b originalhost c``; paramiko ANDs the criteria). After an
Include, the lines that follow belong to the including block again, as in OpenSSH.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
from pathlib import Path

from changekit.errors import InputError

_INCLUDE = re.compile(r"^\s*include(?:\s*=\s*|\s+)(.+?)\s*$", re.IGNORECASE)
_BLOCK = re.compile(r"^\s*(host|match)(?:\s*=\s*|\s+)(.*?)\s*$", re.IGNORECASE)
MAX_DEPTH = 16


def _words(text: str, path: Path) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        raise InputError(f"cannot parse ssh_config line: {text!r}", path=path) from None


def _criteria(keyword: str, args: list[str]) -> list[str]:
    """A Host or Match line's condition as Match criteria tokens."""
    if keyword.lower() == "host":
        return ["originalhost", ",".join(args)]
    return [] if [a.lower() for a in args] == ["all"] else args


def _header(condition: list[str]) -> str:
    return "Match " + " ".join(shlex.quote(t) for t in condition) if condition else "Host *"


def expand_includes(
    path: Path, base: Path, condition: list[str] | None = None, depth: int = 0
) -> str:
    """``path``'s text with every Include replaced by the files it names (see module doc)."""
    if depth > MAX_DEPTH:
        raise InputError("ssh_config Include nested too deep (a loop?)", path=path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError):
        return ""
    except OSError as exc:
        raise InputError(f"cannot read ssh_config: {exc.strerror}", path=path) from None
    outer = condition or []
    current = outer  # the condition of the block the next lines belong to
    out: list[str] = [_header(outer)] if outer else []
    for line in text.splitlines():
        if block := _BLOCK.match(line):
            criteria = _criteria(block.group(1), _words(block.group(2), path))
            current = outer + criteria
            out.append(_header(current) if outer else line)
        elif include := _INCLUDE.match(line):
            for pattern in _words(include.group(1), path):
                pattern = os.path.expanduser(pattern)
                full = pattern if os.path.isabs(pattern) else str(base / pattern)
                for included in sorted(glob.glob(full)):
                    out.append(expand_includes(Path(included), base, current, depth + 1))
            out.append(_header(current))  # back to the including block
        else:
            out.append(line)
    return "\n".join(out)
