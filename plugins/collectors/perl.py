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

from . import hostcache

CACHE_NAME = "perl-modules.cache"
_COUNTS = ("files", "read", "carried")
_ESCAPED = re.compile(r"\\x([0-9a-f]{2})")

VERSION_LINE = (
    r"^[[:space:]]*(our[[:space:]]+)?\$([A-Za-z0-9_]+::)*VERSION[[:space:]]*=[^=~]"
    r"|^[[:space:]]*package[[:space:]]+[A-Za-z0-9_:]+[[:space:]]+v?[0-9]"
)
MODULE_NAME = re.compile(r"^[A-Za-z_]\w*(::\w+)*$")
_VALUE = re.compile(
    r"""(?:=|package\s+[\w:]+)\s*(?:qv\(\s*|version->(?:declare|parse)\(\s*)?['"]?(v?\d[\w.]*)"""
)

# A loaded module's $VERSION and path are escaped as the walk's lines are: a version with a
# newline cannot forge a line.
ASK_PERL = r"""sub esc { my $s = shift; $s =~ s/([\x00-\x1f\x7f\\])/sprintf("\\x%02x", ord $1)/ge; $s }
for my $m (@ARGV) { (my $f = "$m.pm") =~ s{::}{/}g;
  if (eval { require $f; 1 }) { no strict "refs"; my $v = ${"${m}::VERSION"};
    print "N $m\t", esc(defined $v ? $v : "undef"), "\t", esc($INC{$f}), "\n" }
  else { print "N $m\t!missing\t\n" } }"""

# Walks @INC as `find DIR/ -name '*.pm' \( -type f -o -type l \)` would (symlinked directories
# are not entered) and finds each module's first version line as `grep -m1 -E` would. A file
# whose device, inode, size and ctime are the ones the old cache holds keeps its cached line;
# any other is read. Paths and lines go out with control characters and "\" as \xHH, so a name
# with a newline or a tab cannot forge a line. Args: mode, old cache, new cache, the pattern.
WALK_PERL = r"""use strict;
my ($mode, $old, $new, $pattern) = @ARGV;
my $re = qr/$pattern/;
my $t0 = time;  # before any stat: a later change gets a ctime at or after it
print "P $]\n";
sub esc { my $s = shift; $s =~ s/([\x00-\x1f\x7f\\])/sprintf("\\x%02x", ord $1)/ge; $s }
my %cache;
if ($mode eq "incremental" && open(my $in, "<", $old)) {
  while (my $l = <$in>) {
    chomp $l; my ($key, $path, $line) = split /\t/, $l, 3;
    # ctime 0: changed within a second of that run's start, so it may have changed again since
    $cache{$path} = [$key, $line] if defined $line && $key !~ / 0\z/;
  }
}
my $ok = open(my $out, ">", $new);
my ($files, $read, $carried) = (0, 0, 0);
sub file {
  my ($p) = @_; my $e = esc($p); $files++;
  print "F $e\n";
  my @s = stat $p;
  # only a regular file is read: a symlink to a FIFO or a device would block or never end
  my $key = @s && -f _ ? "$s[0] $s[1] $s[7] $s[10]" : "";
  my $c = $cache{$e}; my $line = "-"; my $keep = $key ne "";
  if ($keep && $c && $c->[0] eq $key) { $carried++; $line = $c->[1] }
  else {
    $read++;
    if ($keep && open(my $fh, "<", $p)) {
      # no further than the size stat gave: /proc's files say 0, and some never end (pagemap)
      my $left = $s[7];
      while ($left > 0 && defined(my $l = <$fh>)) {
        $left -= length $l; $l =~ s/\n\z//;
        if ($l =~ $re) { $line = "=" . esc($l); last }
      }
      close $fh;
    } else { $keep = 0 }  # missing, not a regular file or unreadable: looked at every time
  }
  print "V $e\t", substr($line, 1), "\n" if $line ne "-";
  return unless $keep && $ok;
  my @k = split / /, $key; $k[3] = 0 if $k[3] + 1 >= $t0;
  print $out join(" ", @k), "\t$e\t$line\n";
}
sub walk {
  my ($dir) = @_;
  opendir(my $dh, $dir) or return;
  my @names = sort grep { $_ ne "." && $_ ne ".." } readdir $dh;
  closedir $dh;
  for my $n (@names) {
    my $p = $dir =~ m{/\z} ? "$dir$n" : "$dir/$n";
    lstat $p or next;
    if ($n =~ /\.pm\z/ && (-f _ || -l _)) { file($p) }
    elsif (-d _) { walk($p) }
  }
}
# a directory named twice (PERL5LIB naming one perl has anyway) counts where it first comes
my %seen;
for my $d (grep { !ref && m{^/} && -d && !$seen{$_}++ } @INC) { print "D ", esc($d), "\n"; walk($d) }
$ok = close($out) if $ok;
print "M mode $mode\nM files $files\nM read $read\nM carried $carried\n";
exit($ok ? 0 : 3);
"""


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
        plan = hostcache.plan_for(self.name, context)
        return (
            "command -v perl >/dev/null 2>&1 || exit 0\n"
            + hostcache.head(plan)
            + hostcache.setup(CACHE_NAME)
            + f"""perl -e {shlex.quote(WALK_PERL)} -- "$ck_mode" "$ck_old" "$ck_new" {shlex.quote(VERSION_LINE)} \\
  && ck_written=yes
"""
            + hostcache.KEEP
            + """printf 'M baseline %s\\n' "$ck_digest"
[ -n "$ck_why" ] && printf 'M why %s\\n' "$ck_why"
"""
            + ask
            + "exit 0\n"
        )

    def parse(self, output: str, context: dict[str, Any]) -> dict[str, dict[str, str]]:
        dirs: list[str] = []
        files: dict[str, str] = {}  # path -> @INC dir it was found under
        versions: dict[str, str] = {}
        asked: dict[str, dict[str, str]] = {}
        saw_perl = False
        listed = 0
        counted = None
        for line in output.splitlines():
            tag, _, rest = line.partition(" ")
            if tag == "P":
                saw_perl = True
            elif tag == "D":
                dirs.append(unescape(rest))
            elif tag == "F":
                listed += 1
                if dirs:
                    files.setdefault(unescape(rest), dirs[-1])
            elif tag == "V":
                path, sep, text = rest.partition("\t")
                path = unescape(path)
                if not sep or path not in files:
                    raise ValueError(
                        f"a version line for a file that was not listed: {rest[:80]!r}"
                    )
                versions[path] = version_of(unescape(text))
            elif tag == "N":
                name, _, tail = rest.partition("\t")
                version, _, path = tail.partition("\t")
                if version != "!missing":
                    asked[name] = {"version": unescape(version), "path": unescape(path)}
            elif tag == "M":
                key, _, value = rest.partition(" ")
                if key == "files":
                    counted = value
            elif line.strip():
                raise ValueError(f"unexpected line from the perl collector: {line[:80]!r}")
        if output.strip() and not saw_perl:
            raise ValueError("no perl version line in the perl collector's output")
        # the walk counts what it listed at its very end: a walk killed half-way (the OOM
        # killer, a CPU limit) must not pass for a host with fewer modules
        if saw_perl and counted != str(listed):
            raise ValueError(
                f"the module walk was cut short: {listed} files listed, "
                + ("no count at its end" if counted is None else f"{counted!r} counted")
            )
        modules: dict[str, dict[str, str]] = {}
        order: dict[str, int] = {}
        for i, d in enumerate(dirs):
            order.setdefault(d, i)  # a directory listed twice counts where it first came
        # perl loads the first match along @INC, so earlier directories win
        for path, base in sorted(files.items(), key=lambda pb: order[pb[1]]):
            name = path[len(base) :].lstrip("/").removesuffix(".pm").replace("/", "::")
            if name and name not in modules:
                modules[name] = {"version": versions.get(path, "undef"), "path": path}
        for name, info in asked.items():
            modules.setdefault(name, info)
        return dict(sorted(modules.items()))

    def run_info(self, output: str, context: dict[str, Any]) -> dict[str, Any] | None:
        """How the walk ran: ``mode`` (full/incremental), ``why`` a full one, the counts of
        ``files``, ``read`` and ``carried``, the host cache's sha256 (``baseline``, ``None``
        when none was kept) and when the last full read ran (``full_at``)."""
        meta = {}
        for line in output.splitlines():
            if line.startswith("M "):
                key, _, value = line[2:].partition(" ")
                meta[key] = value
        return hostcache.run_info(meta, _COUNTS, self.name, context)


def unescape(text: str) -> str:
    """A path or line as the host printed it: control characters and ``\\`` as ``\\xHH``."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "\\" in text else text


@hookimpl(trylast=True)
def register_collectors(register) -> None:
    register(PerlCollector())
