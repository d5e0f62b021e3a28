"""One POSIX ``sh`` script per host: every collector's snippet in its own section.

Each section is framed by marker lines carrying a random token, so nothing a host prints
can forge a section boundary, and each section's exit status is captured. The script is
fed on stdin to ``sh -s``; every section reads ``/dev/null`` so no command can swallow
the rest of the script.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")

PRELUDE = """\
LC_ALL=C; export LC_ALL
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH; export PATH
umask 077
renice -n 10 -p $$ >/dev/null 2>&1
command -v ionice >/dev/null 2>&1 && ionice -c 2 -n 7 -p $$ >/dev/null 2>&1
:
"""
"""Also lowers the script's CPU and I/O priority, which every collector inherits: a scan must
not slow the host's own work. ``renice`` is POSIX; ``ionice`` (util-linux) is used when
present; either failing (busybox, a container without the capability) changes nothing else.
Best-effort class 7 rather than idle: an idle-class scan on a busy host might never finish."""


@dataclass(frozen=True)
class Section:
    """What one collector's snippet printed, and how it exited."""

    name: str
    stdout: str
    stderr: str
    exit_code: int | None
    """``None`` when the section never finished (the script was cut short)."""


def check_name(name: str) -> str:
    """Collector names go into the script verbatim, so they are restricted to a safe alphabet."""
    if not NAME_RE.match(name):
        raise ValueError(f"collector name {name!r} must match {NAME_RE.pattern}")
    return name


def new_token() -> str:
    return "CK" + secrets.token_hex(16)


def build(snippets: dict[str, str], token: str) -> str:
    """Combine ``{collector name: snippet}`` into one script delimited by ``token`` markers."""
    parts = [PRELUDE]
    for name, snippet in snippets.items():
        check_name(name)
        # The begin marker goes to both streams so stderr splits the same way stdout does.
        parts.append(
            f"printf '%s BEGIN {name}\\n' {token}; printf '%s BEGIN {name}\\n' {token} >&2\n"
            f"(\n{snippet.rstrip()}\n) </dev/null\n"
            f"ck_rc=$?; printf '\\n%s END {name} %s\\n' {token} $ck_rc; "
            f"printf '\\n%s END {name}\\n' {token} >&2\n"
        )
    parts.append("exit 0\n")
    return "".join(parts)


def _frames(text: str, token: str) -> dict[str, tuple[str, int | None]]:
    """``{name: (body, exit code)}`` for each section found in ``text``."""
    begin = re.compile(rf"^{token} BEGIN ([a-z0-9_-]+)\n", re.M)
    end = re.compile(rf"\n{token} END ([a-z0-9_-]+)(?: (\d+))?\n", re.M)
    found: dict[str, tuple[str, int | None]] = {}
    pos = 0
    while True:
        b = begin.search(text, pos)
        if not b:
            break
        name = b.group(1)
        e = end.search(text, b.end() - 1)
        if not e or e.group(1) != name:
            # cut short: keep what arrived, without a status
            stop = begin.search(text, b.end())
            found[name] = (text[b.end() : stop.start() if stop else len(text)], None)
            if not stop:
                break
            pos = stop.start()
            continue
        body = text[b.end() : e.start()]
        found[name] = (body, int(e.group(2)) if e.group(2) is not None else 0)
        pos = e.end()
    return found


def split(stdout: str, stderr: str, names: list[str], token: str) -> dict[str, Section]:
    """Split the script's output back per collector. Missing sections get ``exit_code=None``."""
    out = _frames(stdout, token)
    err = _frames(stderr, token)
    sections = {}
    for name in names:
        body, code = out.get(name, ("", None))
        sections[name] = Section(name, body, err.get(name, ("", None))[0], code)
    return sections
