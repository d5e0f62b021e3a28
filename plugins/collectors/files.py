"""``files``: sha256, owner, group, mode and size of the files a standard or the inventory names.

Paths reach the host only through ``shlex.quote``; the output refers to them by index, so a
path with a newline or a marker-like text cannot confuse the parser.
"""

from __future__ import annotations

import shlex
from typing import Any

from changekit.api import Collector, hookimpl

FILE_CHECK = """\
ck_file() {
  if [ ! -e "$2" ] && [ ! -L "$2" ]; then echo "I $1 missing"; return; fi
  s=$(stat -L -c '%U %G %a %s %F' -- "$2" 2>/dev/null) || { echo "I $1 unreadable"; return; }
  h=-
  if [ -f "$2" ]; then h=$(sha256sum < "$2" 2>/dev/null | cut -d' ' -f1); [ -n "$h" ] || h=unreadable; fi
  echo "I $1 $h $s"
}
"""


def wanted_paths(context: dict[str, Any]) -> list[str]:
    """The absolute paths to check, in order, duplicates dropped."""
    out: list[str] = []
    for p in context.get("files") or []:
        if isinstance(p, str) and p not in out:
            out.append(p)
    return out


class FilesCollector(Collector):
    name = "files"
    description = "hash, owner, group and mode of files named in the inventory or a standard"

    def script(self, context: dict[str, Any]) -> str:
        lines = [FILE_CHECK]
        for i, path in enumerate(wanted_paths(context)):
            if path.startswith("/") and "\0" not in path:
                lines.append(f"ck_file {i} {shlex.quote(path)}\n")
        return "".join(lines)

    def parse(self, output: str, context: dict[str, Any]) -> dict[str, dict[str, Any]]:
        paths = wanted_paths(context)
        result: dict[str, dict[str, Any]] = {}
        for line in output.splitlines():
            if not line.strip():
                continue
            fields = line.split(" ", 2)
            if (
                len(fields) < 3
                or fields[0] != "I"
                or not fields[1].isdigit()
                or int(fields[1]) >= len(paths)
            ):
                raise ValueError(f"unexpected line from the files collector: {line[:80]!r}")
            path, rest = paths[int(fields[1])], fields[2]
            if rest in ("missing", "unreadable"):
                result[path] = {rest: True}
                continue
            parts = rest.split(" ", 5)
            if len(parts) != 6 or not parts[4].isdigit():
                raise ValueError(f"unexpected file line for {path}: {line[:80]!r}")
            sha, owner, group, mode, size, ftype = parts
            entry: dict[str, Any] = {
                "owner": owner,
                "group": group,
                "mode": mode.zfill(4),
                "size": int(size),
                "type": ftype,
            }
            if sha != "-":
                entry["sha256"] = sha
            result[path] = entry
        for path in paths:
            if not path.startswith("/") or "\0" in path:
                result[path] = {"error": "not an absolute path; not checked"}
        return result


@hookimpl(trylast=True)
def register_collectors(register) -> None:
    register(FilesCollector())
