"""``preload``: ``/etc/ld.so.preload`` and LD_PRELOAD / LD_LIBRARY_PATH set system-wide."""

from __future__ import annotations

import re
from typing import Any

from changekit.api import Collector, hookimpl

ENV_FILES = (
    "/etc/environment /etc/profile /etc/bash.bashrc /etc/security/pam_env.conf /etc/profile.d/*"
)
_ENV = re.compile(r"^E (.+?):(\d+):(.*)$")
_VAR = re.compile(r"\b(LD_PRELOAD|LD_LIBRARY_PATH|LD_AUDIT)\b")


class PreloadCollector(Collector):
    name = "preload"
    description = "/etc/ld.so.preload entries and system-wide LD_PRELOAD / LD_LIBRARY_PATH"

    def script(self, context: dict[str, Any]) -> str:
        return f"""\
if [ -e /etc/ld.so.preload ]; then echo 'P'; sed 's/^/L /' /etc/ld.so.preload; fi
for f in {ENV_FILES}; do
  [ -f "$f" ] && grep -n -H -E 'LD_(PRELOAD|LIBRARY_PATH|AUDIT)' "$f" | sed 's/^/E /'
done
exit 0
"""

    def parse(self, output: str, context: dict[str, Any]) -> dict[str, Any]:
        preload: list[str] = []
        environment: list[dict[str, Any]] = []
        has_file = False
        for line in output.splitlines():
            if line == "P":
                has_file = True
            elif line.startswith("L ") or line == "L":
                # ld.so.preload: entries separated by spaces or newlines; '#' starts a comment
                text = line[2:].split("#", 1)[0]
                preload.extend(text.split())
            elif line.startswith("E "):
                m = _ENV.match(line)
                if not m:
                    raise ValueError(f"not a grep line: {line[:80]!r}")
                text = m.group(3).strip()
                if text.startswith("#"):
                    continue
                var = _VAR.search(text)
                environment.append(
                    {
                        "file": m.group(1),
                        "line": int(m.group(2)),
                        "variable": var.group(1) if var else "",
                        "text": text,
                    }
                )
            elif line.strip():
                raise ValueError(f"unexpected line from the preload collector: {line[:80]!r}")
        return {
            "ld_so_preload_exists": has_file,
            "ld_so_preload": preload,
            "environment": environment,
        }


@hookimpl(trylast=True)
def register_collectors(register) -> None:
    register(PreloadCollector())
