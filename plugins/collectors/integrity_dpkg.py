"""The dpkg half of ``integrity`` on the host: a full ``dpkg --verify``, or an incremental one.

The host keeps a baseline, one line per packaged file with a digest (``dev ino size ctime md5
flags conf package path``, ctime in whole seconds), in ``/var/lib/changekit`` (or the scan
user's ``~/.cache/changekit``; hostcache.py). An incremental run stats every file and re-hashes only those whose device, inode, size or
inode change time moved, or whose expected digest changed (an upgrade); the others keep the
verdict the baseline holds. ctime cannot be set back from user space, so a file rewritten with
its mtime restored (``touch -r``) is still re-hashed. The baseline is used only when its sha256
is the one the last stored snapshot recorded (``ck_want``); otherwise the run is a full one.

A file whose ctime is within a second of the run's start is stored with ctime ``0``: it could
change again within the same timestamp tick, so the next run re-hashes it ("racy", as git
treats index entries). Files that are not regular, unreadable or missing are never carried.

Needs ``ck_mode`` (``full``/``incremental``), ``ck_want`` and ``ck_why`` set before it, and
perl (Essential on Debian; without it, or md5sum, sha256sum or xargs, a plain ``dpkg --verify``).
Prints ``T meta KEY VALUE`` lines, then ``T dpkg`` (verify lines in dpkg's format),
``T dpkg-owner`` (``dpkg -S`` of the failing files), ``T conffile-sha256`` (``sha256sum`` of
the edited conffiles) and ``T dpkg-hashed`` (the first 100
re-hashed paths of an incremental run).
"""

from __future__ import annotations

from . import hostcache

BASELINE_NAME = "integrity-dpkg.baseline"

# "md5 conf package path" for each file dpkg --verify checks: the md5sums lists, then the
# status file's conffile digests where no list has one; diverted files by their new name
# unless the package diverts them itself (dpkg's namenodetouse).
_EXPECTED_AWK = r"""
function emit(p, f, h,   q) {
  q = p; sub(/:.*/, "", q)
  c = (f in isconf) ? "c" : "-"
  if ((f in to) && by[f] != q) f = to[f]
  if (f in out) return
  out[f] = 1
  print h, c, p, f
}
BEGIN {
  n = 0
  while ((getline line < div) > 0) {
    t[n % 3] = line
    if (n % 3 == 2) { to[t[0]] = t[1]; by[t[0]] = t[2] }
    n++
  }
  while ((getline line < conf) > 0) {
    if (substr(line, 1, 1) != " ") { split(line, h, " "); st = substr(h[2], 2, 1); pkg = h[1] }
    else if (st != "n" && st != "c" && line !~ / obsolete$/) {
      line = substr(line, 2); sub(/ remove-on-upgrade$/, "", line)
      if (match(line, / [^ ]+$/)) {
        f = substr(line, 1, RSTART - 1); hash = substr(line, RSTART + 1)
        isconf[f] = 1
        if (length(hash) == 32 && hash !~ /[^0-9a-f]/) cf[pkg SUBSEP f] = hash
      }
    }
  }
}
FNR == 1 { p = FILENAME; sub(/.*\//, "", p); sub(/\.md5sums$/, "", p) }
substr($0, 33, 2) == "  " && length($0) > 34 {
  f = "/" substr($0, 35); seen[p SUBSEP f] = 1; emit(p, f, substr($0, 1, 32))
}
END { for (k in cf) if (!(k in seen)) { split(k, a, SUBSEP); emit(a[1], a[2], cf[k]) } }
"""

# Joins the old baseline, an lstat of every expected file and the expected digests: carried
# lines (unchanged since a verified scan) to "carry", the rest to "pending" (and, for an
# incremental run, their paths to "tohash"). One perl (perl-base is Essential on Debian) rather
# than `xargs stat` and an awk join: a bench host's incremental run fell from 0.17-0.20 to
# 0.12-0.15 CPU-s. Its ctime is whole seconds (no Time::HiRes in perl-base), which the racy
# rule makes safe. Args: mode, old baseline, expected list, output directory.
JOIN_PERL = r"""use strict;
my ($mode, $old, $expect, $dir) = @ARGV;
my %base;
if ($mode eq "incremental" && open(my $b, "<", $old)) {
  while (my $l = <$b>) {
    chomp $l; my @f = split / /, $l, 9;
    # ctime 0: racy; only verdicts a hash can carry (not missing, not a non-regular file)
    $base{$f[8]} = "$f[0] $f[1] $f[2] $f[3] $f[4] $f[5]"
      if @f == 9 && $f[3] ne "0" && ($f[5] eq "ok" || $f[5] eq "??5??????");
  }
}
open(my $e, "<", $expect) or die "no expected list\n";
open(my $carry, ">", "$dir/carry") or die; open(my $pending, ">", "$dir/pending") or die;
open(my $tohash, ">", "$dir/tohash") or die;
while (my $l = <$e>) {
  chomp $l; my ($md5, $conf, $pkg, $p) = split / /, $l, 4;
  my @s = lstat $p;
  if (!@s) { print $pending "- - - - $md5 missing $conf $pkg $p\n"; next }
  my $k = "$s[0] $s[1] $s[7] $s[10] $md5"; my $r = -f _;
  my $c = $base{$p};
  if ($mode eq "incremental" && $r && defined $c && substr($c, 0, length($k) + 1) eq "$k ") {
    print $carry $c, " $conf $pkg $p\n"; next;
  }
  print $pending "$k ", ($r ? "f" : "o"), " $conf $pkg $p\n";
  print $tohash "$p\n" if $mode eq "incremental";
}
close($_) or die for $carry, $pending, $tohash;
"""


# Gives each pending file its verdict (from md5sum's output, or dpkg --verify's in a full
# run), prints the verify lines of an incremental run, and writes the new baseline entries.
_VERDICT_AWK = r"""
# the line from field n on (fields are single-space separated; only the path has spaces)
function rest(n,   i, o) { o = 0; for (i = 1; i < n; i++) o += length($i) + 1; return substr($0, o + 1) }
FILENAME == results {
  if (mode == "full") { p = substr($0, 13); if (p != "") v[p] = substr($0, 1, 9) }
  else if (substr($0, 33, 2) == "  ") h[substr($0, 35)] = substr($0, 1, 32)
  next
}
{
  p = rest(9); a = ($7 == "c") ? "c" : " "
  if ($6 == "missing") {
    if (mode != "full") printf "missing   %s %s\n", a, p
    print "- - - -", $5, "missing", $7, $8, p > newbase; next
  }
  if (mode == "full") flags = (p in v) ? v[p] : "ok"
  else {
    m = ($6 == "f") ? "?" : "M"
    d = (p in h) ? ((h[p] == $5) ? "." : "5") : "?"
    flags = (m == "?" && d == ".") ? "ok" : "?" m d "??????"
    if (flags != "ok") printf "%s %s %s\n", flags, a, p
  }
  c = $4; split(c, whole, ".")
  if ($6 != "f" || (flags != "ok" && flags != "??5??????") || whole[1] + 1 >= t0) c = "0"
  print $1, $2, $3, c, $5, flags, $7, $8, p > newbase
}
"""

SCRIPT = (
    r"""if command -v dpkg >/dev/null 2>&1 && [ -d /var/lib/dpkg/info ]; then
  ck_dpkg_ran=yes
"""
    + hostcache.setup(BASELINE_NAME)
    + r"""  for ck_tool in perl md5sum sha256sum xargs; do
    command -v "$ck_tool" >/dev/null 2>&1 || { ck_mode=plain; ck_why="no $ck_tool on the host"; }
  done
  if [ "$ck_mode" = plain ]; then
    ck_mode=full
    dpkg --verify >"$ck_tmp/verify" 2>/dev/null
    ck_files=$(cat /var/lib/dpkg/info/*.md5sums 2>/dev/null | wc -l)
    ck_hashed=$ck_files; ck_carried=0
  else
    # the start, taken before any stat: a later change gets a ctime at or after it
    ck_t0=$(date +%s)
    dpkg-query -W -f='${binary:Package} ${db:Status-Abbrev}\n${Conffiles}\n' \
      >"$ck_tmp/conf" 2>/dev/null
    cat /var/lib/dpkg/diversions >"$ck_tmp/div" 2>/dev/null
    set -- /var/lib/dpkg/info/*.md5sums
    [ -e "$1" ] || set --
    awk -v div="$ck_tmp/div" -v conf="$ck_tmp/conf" '"""
    + _EXPECTED_AWK
    + r"""' "$@" >"$ck_tmp/expect"
    # stat before hashing: a file changed after its stat gets a newer ctime, seen next time
    perl -e '"""
    + JOIN_PERL
    + r"""' -- "$ck_mode" "$ck_old" "$ck_tmp/expect" "$ck_tmp" || exit 1
    if [ "$ck_mode" = full ]; then
      dpkg --verify >"$ck_tmp/verify" 2>/dev/null
      ck_results=$ck_tmp/verify
      ck_hashed=$(awk '$6 == "f"' "$ck_tmp/pending" | wc -l)
    else
      tr '\n' '\0' <"$ck_tmp/tohash" | xargs -0 -r md5sum -z 2>/dev/null \
        | tr '\0' '\n' >"$ck_tmp/hashes"
      ck_results=$ck_tmp/hashes
      ck_hashed=$(wc -l <"$ck_tmp/tohash")
    fi
    awk -v mode="$ck_mode" -v t0="$ck_t0" -v results="$ck_results" -v newbase="$ck_new" '"""
    + _VERDICT_AWK
    + r"""' "$ck_results" "$ck_tmp/pending" >"$ck_tmp/fresh"
    ck_files=$(wc -l <"$ck_tmp/expect")
    ck_carried=$(wc -l <"$ck_tmp/carry")
    if [ "$ck_mode" = incremental ]; then
      awk '$6 != "ok" { o = 0; for (i = 1; i < 9; i++) o += length($i) + 1
        printf "%s %s %s\n", $6, ($7 == "c") ? "c" : " ", substr($0, o + 1) }' \
        "$ck_tmp/carry" >"$ck_tmp/verify"
      cat "$ck_tmp/fresh" >>"$ck_tmp/verify"
    fi
    cat "$ck_tmp/carry" >>"$ck_new" && ck_written=yes
  fi
"""
    + hostcache.KEEP
    + r"""  printf 'T meta mode %s\nT meta files %s\nT meta hashed %s\nT meta carried %s\n' \
    "$ck_mode" "$ck_files" "$ck_hashed" "$ck_carried"
  printf 'T meta baseline %s\n' "$ck_digest"
  [ -n "$ck_why" ] && printf 'T meta why %s\n' "$ck_why"
  echo 'T dpkg'; cat "$ck_tmp/verify"
  # which package owns each changed file: one dpkg -S for all, the paths as arguments
  echo 'T dpkg-owner'
  sed -n 's#^[^/]*\(/.*\)$#\1#p' "$ck_tmp/verify" | xargs -r -d '\n' dpkg -S 2>/dev/null
  # edited conffiles are compared among peers: their content hash tells two edits apart
  echo 'T conffile-sha256'
  sed -n 's#^..5[^ ]* *c \(/.*\)$#\1#p' "$ck_tmp/verify" | xargs -r -d '\n' sha256sum 2>/dev/null
  if [ "$ck_mode" = incremental ]; then
    echo 'T dpkg-hashed'; head -n 100 "$ck_tmp/tohash"
  fi
  rm -rf "$ck_tmp"; trap - EXIT
fi
"""
)
