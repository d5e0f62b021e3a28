"""Benchmark: what ``integrity`` reads on an rpm host, a plain ``rpm -Va`` against an incremental run.

    .venv/bin/python bench/bench_rpm_verify.py [--packages 20] [--files 50] [--size 32768] [--repeat 3]

Needs ``rpm``, ``rpmbuild`` and perl (Debian: ``apt-get install rpm``). It builds ``--packages``
packages of ``--files`` random files of ``--size`` bytes each, installs them (relocated) under a
temp root into a throwaway rpm database, and runs, in one run, alternating ``--repeat`` times:

1. **rpm -Va**: ``rpm -Va --nodeps --noscripts``, what every scan ran before (the naive way).
2. **incremental**: the collector's rpm snippet planned from the previous run, after one file
   was rewritten (same size, mtime put back), so one package is verified again.

and once, first, **first (full)**: the snippet with no previous run (``rpm -Va`` plus the stat
pass that builds the cache). Each runs under a ``sh`` that waits for it and then prints its own
``/proc/self/io`` and CPU times, which include every process it reaped: ``rchar`` (bytes read
through read(2), from the page cache or the disk) and CPU seconds (user + system, children).
The page cache is warm for all (the files were just written), so ``read_bytes`` is not shown.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from changekit_plugins.collectors import hostcache  # noqa: E402
from changekit_plugins.collectors.integrity import IntegrityCollector  # noqa: E402
from changekit_plugins.collectors.integrity_rpm import SCRIPT as RPM_SCRIPT  # noqa: E402

SPEC = """\
Name: %{pkgname}
Version: 1.0
Release: 1
Summary: changekit bench package
License: MIT
Prefix: /opt/ck
BuildArch: noarch
%description
Random files for bench_rpm_verify.
%install
mkdir -p %{buildroot}/opt/ck/%{pkgname}
for i in $(seq %{nfiles}); do
  head -c %{fsize} /dev/urandom > %{buildroot}/opt/ck/%{pkgname}/f$i
done
%files
/opt/ck/%{pkgname}
"""

# the measured command runs in a child sh; the parent reads its own counters after the wait
MEASURE = r"""sh -c "$1" >"$2" 2>/dev/null
rchar=$(sed -n 's/^rchar: //p' /proc/$$/io)
set -- $(cut -d' ' -f16,17 /proc/$$/stat)
echo "$rchar $1 $2"
"""


def measure(script: str, env: dict[str, str], output: Path) -> tuple[int, float]:
    out = subprocess.run(
        ["/bin/sh", "-c", MEASURE, "sh", script, str(output)],
        capture_output=True, text=True, env=env, check=True, timeout=3600,
    ).stdout.split()  # fmt: skip
    tick = os.sysconf("SC_CLK_TCK")
    return int(out[0]), (int(out[1]) + int(out[2])) / tick


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--packages", type=int, default=20)
    ap.add_argument("--files", type=int, default=50)
    ap.add_argument("--size", type=int, default=32768)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    for tool in ("rpm", "rpmbuild", "perl"):
        if shutil.which(tool) is None:
            sys.exit(f"bench_rpm_verify: {tool} is not installed (apt-get install rpm)")
    base = Path(tempfile.mkdtemp(prefix="ck-bench-rpm-"))
    try:
        (base / "t.spec").write_text(SPEC)
        for d in ("db", "root", "home", "cache"):
            (base / d).mkdir()
        for n in range(args.packages):
            defines = {
                "_topdir": str(base / "top"),
                "pkgname": f"ckbench{n}",
                "nfiles": str(args.files),
                "fsize": str(args.size),
                "_binary_payload": "w0.gzdio",
            }
            d = [a for k, v in defines.items() for a in ("--define", f"{k} {v}")]
            subprocess.run(["rpmbuild", "-bb", "--quiet", *d, str(base / "t.spec")],
                           check=True, capture_output=True, timeout=600)  # fmt: skip
        built = sorted((base / "top" / "RPMS").rglob("*.rpm"))
        rpm = ["rpm", "--dbpath", str(base / "db")]
        subprocess.run([*rpm, "-i", "--nodeps", "--prefix", str(base / "root"), *built],
                       check=True, capture_output=True, timeout=600)  # fmt: skip
        (base / "home" / ".rpmmacros").write_text(f"%_dbpath {base / 'db'}\n")
        env = {"HOME": str(base / "home"), "PATH": os.environ["PATH"]}
        env["CHANGEKIT_HOST_CACHE"] = str(base / "cache")
        time.sleep(2.1)  # past the racy second of the install
        previous = None

        def snippet() -> tuple[int, float]:
            nonlocal previous
            context = {"now": datetime.now(UTC), "previous_runs": {"integrity": previous}}
            script = hostcache.head(hostcache.plan_for("integrity", context)) + RPM_SCRIPT
            cost = measure(script, env, base / "out")
            # the next run is planned from this one's notes, as a scan's next would be
            previous = IntegrityCollector().run_info((base / "out").read_text(), context)
            return cost

        first = snippet()
        first_mode = previous["mode"]
        modes: list[str] = []
        victim = base / "root" / "ckbench0" / "f1"
        naive, incr = [], []
        for i in range(args.repeat):
            naive.append(measure("rpm -Va --nodeps --noscripts", env, base / "naive"))
            st = victim.stat()
            data = bytearray(victim.read_bytes())
            data[0] = (data[0] + 1 + i) % 256
            victim.write_bytes(bytes(data))
            os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
            incr.append(snippet())
            modes.append(f"{previous['mode']} ({previous['hashed']} files verified)")
        total = args.packages * args.files * args.size
        print(
            f"{args.packages} packages x {args.files} files x {args.size} B = {total / 1e6:.1f} MB"
        )
        modes = f"first {first_mode}, then {', '.join(sorted(set(modes)))}"
        print(f"snippet modes: {modes}")
        print(f"{'run':<14}{'rchar':>14}{'CPU':>10}")
        rows = [("first (full)", [first]), ("rpm -Va", naive), ("incremental", incr)]
        med = {}
        for name, runs in rows:
            r = statistics.median(x[0] for x in runs)
            c = statistics.median(x[1] for x in runs)
            med[name] = (r, c)
            print(f"{name:<14}{r / 1e6:>11.2f} MB{c:>8.2f} s")
        ratio = med["rpm -Va"][0] / max(med["incremental"][0], 1)
        print(
            f"rpm -Va reads {ratio:.1f}x what an incremental run reads (medians of {args.repeat})"
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
