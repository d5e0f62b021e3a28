"""The rpm half of ``integrity`` on the host: a full ``rpm -Va``, or an incremental one.

The host keeps a cache (hostcache.py), per installed package: ``P nevra installtid``, one
``F nevra key path`` per packaged file and ``V nevra line`` for each line its last
``rpm -V`` printed. A file's key is its lstat ``dev ino size ctime`` (whole seconds); a
directory's is ``d dev ino mode uid gid``, since rpm checks only those on a directory and its
ctime moves whenever an entry is added. An incremental run lists every package and file,
lstats the files, and runs ``rpm -V --nodeps --noscripts`` only on the packages that are new,
whose install TID changed (an upgrade or reinstall) or one of whose files' keys moved (or a
file came or went); the others' lines are carried from the cache. ctime cannot be set back
from user space, so a file rewritten with its mtime restored is still found.

Racy entries are never carried: a file whose ctime, or a package whose install TID, is within
a second of the run's start is stored with ``0``, and so is a package sharing a path with
another verified package when rpm printed a line for it (the line cannot be told apart). What
the keys do not see: a user or group renamed in ``/etc/passwd`` (rpm compares names), and a
directory whose mode is changed and changed back while a scan runs; the scheduled full verify
catches both.

Needs ``ck_mode``, ``ck_want`` and ``ck_why`` set before it, and perl and xargs (without them,
a plain ``rpm -Va``). Prints ``T meta`` lines (``files`` are the packaged files, ``hashed`` those
of the verified packages, ``carried`` the rest) and ``T rpm`` (lines in ``rpm -V``'s format).
"""

from __future__ import annotations

from . import hostcache

BASELINE_NAME = "integrity-rpm.baseline"

# One line per package ("P tid nevra"), then its files; nevra is what rpm -V takes.
QUERY_FORMAT = (
    r"P %{INSTALLTID} %{NAME}-%|EPOCH?{%{EPOCH}}:{0}|:%{VERSION}-%{RELEASE}.%{ARCH}\n"
    r"[%{FILENAMES}\n]"
)

# Splits the listing into packages to verify (NUL-separated, for xargs -0: names never meet a
# shell), carried verify lines and their cache entries, and the fresh packages' entries.
# Keys are compared as stat found them; the cache gets 0 for racy ones, which never match.
# Args: mode, old cache, listing, output directory, run start (epoch seconds).
PLAN_PERL = r"""use strict;
my ($mode, $old, $list, $dir, $t0) = @ARGV;
my (%otid, %okeys, %olines);
if ($mode eq "incremental" && open(my $b, "<", $old)) {
  while (my $l = <$b>) {
    chomp $l; my ($t, $p, $rest) = split / /, $l, 3;
    next unless defined $rest;
    if ($t eq "P") { $otid{$p} = $rest }
    elsif ($t eq "F") { $okeys{$p} .= "$rest\n" }
    elsif ($t eq "V") { $olines{$p} .= "$rest\n" }
  }
}
open(my $in, "<", $list) or die "no package list\n";
open(my $verify, ">", "$dir/verify") or die; open(my $carry, ">", "$dir/carry") or die;
open(my $fresh, ">", "$dir/fresh") or die; open(my $cache, ">", "$dir/cache") or die;
my ($files, $hashed, $carried) = (0, 0, 0);
my ($pkg, $tid, $keys, $stored, $n);
sub done {
  return unless defined $pkg;
  $files += $n;
  my $racy = $tid + 1 >= $t0;
  if ($mode eq "incremental" && defined $otid{$pkg} && $otid{$pkg} eq $tid
      && ($okeys{$pkg} // "") eq $keys) {
    $carried += $n;
    my $lines = $olines{$pkg} // "";
    print $carry $lines;
    print $cache "P $pkg $tid\n", map("F $pkg $_\n", split /\n/, $keys),
      map("V $pkg $_\n", split /\n/, $lines);
  } else {
    $hashed += $n;
    print $verify "$pkg\0";
    print $fresh "P $pkg ", ($racy ? 0 : $tid), "\n", map("F $pkg $_\n", split /\n/, $stored);
  }
}
while (my $l = <$in>) {
  chomp $l;
  if ($l =~ /^P (\d+) (\S+)$/) { done(); ($tid, $pkg, $keys, $stored, $n) = ($1, $2, "", "", 0); next }
  next unless defined $pkg && substr($l, 0, 1) eq "/";
  my @s = lstat $l; my ($k, $st);
  if (!@s) { $k = $st = "- - - -" }
  elsif (-d _) { $k = $st = sprintf "d %d %d %o %d %d", @s[0, 1, 2, 4, 5] }
  else {
    $k = "$s[0] $s[1] $s[7] $s[10]";
    $st = "$s[0] $s[1] $s[7] " . ($s[10] + 1 >= $t0 ? 0 : $s[10]);
  }
  $keys .= "$k $l\n"; $stored .= "$st $l\n"; $n++;
}
done();
close($_) or die for $verify, $carry, $fresh, $cache;
print "$files $hashed $carried\n";
"""

# The fresh packages' cache entries with the lines rpm -V printed for them; a path is
# attributed to the verified packages that own it, and when more than one does, to all of
# them, stored racy (verified again next time). Args: fresh entries, rpm -V's output.
ATTRIBUTE_PERL = r"""use strict;
my ($fresh, $out) = @ARGV;
my (%owners, %lines, %ambiguous, @order, %tid, %f);
open(my $fh, "<", $fresh) or die;
while (my $l = <$fh>) {
  chomp $l; my ($t, $p, $rest) = split / /, $l, 3;
  if ($t eq "P") { push @order, $p; $tid{$p} = $rest; next }
  $f{$p} .= "F $p $rest\n";
  push @{$owners{substr($rest, index($rest, " /") + 1)}}, $p;
}
open(my $o, "<", $out) or die;
while (my $l = <$o>) {
  chomp $l;
  next unless $l =~ m{^(?:missing|[?.SM5DLUGTP]{8,9}) +[cdglr]? *(/.*)$};
  my @w = @{$owners{$1} // []};
  if (@w > 1) { $ambiguous{$_} = 1 for @w }
  $lines{$_} .= "V $_ $l\n" for @w;
}
for my $p (@order) {
  print "P $p ", ($ambiguous{$p} ? 0 : $tid{$p}), "\n", $f{$p} // "", $lines{$p} // "";
}
"""

SCRIPT = (
    r"""if command -v rpm >/dev/null 2>&1 && [ -n "$ck_dpkg_ran" ]; then
  # a dpkg host that also has rpm: its baseline and run notes are dpkg's
  if rpm -q rpm >/dev/null 2>&1; then echo 'T rpm'; rpm -Va --nodeps --noscripts 2>/dev/null; fi
elif command -v rpm >/dev/null 2>&1 && rpm -qa --qf '%{NAME}\n' 2>/dev/null | grep -q .; then
"""
    + hostcache.setup(BASELINE_NAME)
    + r"""  for ck_tool in perl xargs; do
    command -v "$ck_tool" >/dev/null 2>&1 || { ck_mode=plain; ck_why="no $ck_tool on the host"; }
  done
  if [ "$ck_mode" = plain ]; then
    ck_mode=full
    rpm -Va --nodeps --noscripts >"$ck_tmp/verify" 2>/dev/null
    ck_files=$(rpm -qal 2>/dev/null | grep -c '^/'); ck_hashed=$ck_files; ck_carried=0
  else
    # the start, taken before any stat: a later change gets a ctime at or after it
    ck_t0=$(date +%s)
    rpm -qa --qf '"""
    + QUERY_FORMAT
    + r"""' >"$ck_tmp/list" 2>/dev/null || exit 1
    # stat before verifying: a file changed after its stat gets a newer ctime, seen next time
    ck_counts=$(perl -e '"""
    + PLAN_PERL
    + r"""' -- "$ck_mode" "$ck_old" "$ck_tmp/list" "$ck_tmp" "$ck_t0") || exit 1
    set -- $ck_counts
    ck_files=$1; ck_hashed=$2; ck_carried=$3
    if [ "$ck_mode" = full ]; then
      rpm -Va --nodeps --noscripts >"$ck_tmp/out" 2>/dev/null
    else
      xargs -0 -r rpm -V --nodeps --noscripts -- <"$ck_tmp/verify" >"$ck_tmp/out" 2>/dev/null
    fi
    cat "$ck_tmp/carry" "$ck_tmp/out" >"$ck_tmp/verify"
    cat "$ck_tmp/cache" >"$ck_new" && perl -e '"""
    + ATTRIBUTE_PERL
    + r"""' -- "$ck_tmp/fresh" "$ck_tmp/out" >>"$ck_new" && ck_written=yes
  fi
"""
    + hostcache.KEEP
    + r"""  printf 'T meta mode %s\nT meta files %s\nT meta hashed %s\nT meta carried %s\n' \
    "$ck_mode" "$ck_files" "$ck_hashed" "$ck_carried"
  printf 'T meta baseline %s\n' "$ck_digest"
  [ -n "$ck_why" ] && printf 'T meta why %s\n' "$ck_why"
  echo 'T rpm'; cat "$ck_tmp/verify"
  rm -rf "$ck_tmp"; trap - EXIT
fi
exit 0
"""
)
