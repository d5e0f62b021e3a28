"""``perl``: every installed Perl module with its version, read textually (no module is loaded).

Each ``.pm`` file under perl's ``@INC`` is one module; its version is the first
``$VERSION = ...`` or ``package NAME VERSION`` line, found by one batched ``grep``. Modules a
standard names (``context["modules"]``) are also asked of perl itself, so a module living
outside the usual layout is still found; only those few are loaded.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from changekit.api import Collector, hookimpl

VERSION_LINE = (
    r"^[[:space:]]*(our[[:space:]]+)?\$([A-Za-z0-9_]+::)*VERSION[[:space:]]*=[^=~]"
    r"|^[[:space:]]*package[[:space:]]+[A-Za-z0-9_:]+[[:space:]]+v?[0-9]"
)
MODULE_NAME = re.compile(r"^[A-Za-z_]\w*(::\w+)*$")
_VALUE = re.compile(
    r"""(?:=|package\s+[\w:]+)\s*(?:qv\(\s*|version->(?:declare|parse)\(\s*)?['"]?(v?\d[\w.]*)"""
)

ASK_PERL = r"""for my $m (@ARGV) { (my $f = "$m.pm") =~ s{::}{/}g;
  if (eval { require $f; 1 }) { no strict "refs"; my $v = ${"${m}::VERSION"};
    print "N $m\t", (defined $v ? $v : "undef"), "\t$INC{$f}\n" } else { print "N $m\t!missing\t\n" } }"""


def named_modules(context: dict[str, Any]) -> list[str]:
    """Perl modules a standard names: ``{"perl": [...]}``, or ``Foo::Bar`` / ``perl:Foo`` in a list."""
    mods = context.get("modules") or []
    if isinstance(mods, dict):
        return list(mods.get("perl") or [])
    out = []
    for m in mods:
        if m.startswith("perl:"):
            out.append(m[5:])
        elif "::" in m:
            out.append(m)
    return out


_REVISION = re.compile(r"""sprintf\(?\s*['"]%d\.%0?(\d)d['"].*?\$Revision:\s*(\d+)\.(\d+)""")


def version_of(line: str) -> str:
    """The version a ``$VERSION = ...`` or ``package NAME VERSION`` line sets; ``undef`` if computed."""
    rev = _REVISION.search(line)  # the old RCS idiom: sprintf "%d.%02d", q$Revision: 3.17 $ =~ ...
    if rev:
        return f"{rev.group(2)}.{int(rev.group(3)):0{rev.group(1)}d}"
    m = _VALUE.search(line)
    return m.group(1).rstrip(".") if m else "undef"


class PerlCollector(Collector):
    name = "perl"
    kind = "inventory"
    description = "Perl modules under @INC with their $VERSION (read, not loaded)"

    def script(self, context: dict[str, Any]) -> str:
        asked = [m for m in named_modules(context) if MODULE_NAME.match(m)]
        ask = (
            f"perl -e {shlex.quote(ASK_PERL)} -- {' '.join(map(shlex.quote, asked))}\n"
            if asked
            else ""
        )
        return f"""\
command -v perl >/dev/null 2>&1 || exit 0
printf 'P %s\\n' "$(perl -e 'print $]')"
perl -e 'print "$_\\n" for grep {{ !ref && m{{^/}} && -d }} @INC' | while IFS= read -r d; do
  printf 'D %s\\n' "$d"
  find "$d/" -name '*.pm' \\( -type f -o -type l \\) | sed 's/^/F /'
  find "$d/" -name '*.pm' \\( -type f -o -type l \\) -exec grep -m1 -H -E {shlex.quote(VERSION_LINE)} {{}} + | sed 's/^/V /'
done
{ask}"""

    def parse(self, output: str, context: dict[str, Any]) -> dict[str, dict[str, str]]:
        dirs: list[str] = []
        files: dict[str, str] = {}  # path -> @INC dir it was found under
        versions: dict[str, str] = {}
        asked: dict[str, dict[str, str]] = {}
        saw_perl = False
        for line in output.splitlines():
            tag, _, rest = line.partition(" ")
            if tag == "P":
                saw_perl = True
            elif tag == "D":
                dirs.append(rest)
            elif tag == "F" and dirs:
                files.setdefault(rest, dirs[-1])
            elif tag == "V":
                path, text = _split_grep(rest, files)
                versions[path] = version_of(text)
            elif tag == "N":
                name, _, tail = rest.partition("\t")
                version, _, path = tail.partition("\t")
                if version != "!missing":
                    asked[name] = {"version": version, "path": path}
            elif line.strip():
                raise ValueError(f"unexpected line from the perl collector: {line[:80]!r}")
        if output.strip() and not saw_perl:
            raise ValueError("no perl version line in the perl collector's output")
        modules: dict[str, dict[str, str]] = {}
        order = {d: i for i, d in enumerate(dirs)}
        # perl loads the first match along @INC, so earlier directories win
        for path, base in sorted(files.items(), key=lambda pb: order[pb[1]]):
            name = path[len(base) :].lstrip("/").removesuffix(".pm").replace("/", "::")
            if name and name not in modules:
                modules[name] = {"version": versions.get(path, "undef"), "path": path}
        for name, info in asked.items():
            modules.setdefault(name, info)
        return dict(sorted(modules.items()))


def _split_grep(rest: str, files: dict[str, str]) -> tuple[str, str]:
    """``path:line`` from grep -H, where the path itself may contain ``:``."""
    idx = rest.find(":")
    while idx != -1:
        if rest[:idx] in files:
            return rest[:idx], rest[idx + 1 :]
        idx = rest.find(":", idx + 1)
    raise ValueError(f"grep output for a file that was not listed: {rest[:80]!r}")


@hookimpl(trylast=True)
def register_collectors(register) -> None:
    register(PerlCollector())
