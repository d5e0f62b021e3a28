"""Incremental package verification against the real sshd test fleet: a repeat scan hashes only
what changed and carries the rest forward, and falls back to a full ``dpkg --verify`` when the
baseline cannot be trusted, on demand, and on schedule. The scans run the real CLI in a real
workspace; the hosts are changed for real (dpkg -i, edits with the mtime put back) and restored."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from changekit_plugins.collectors.integrity import IntegrityCollector

from changekit.api import Collector, hookimpl
from changekit.plugins import get_manager
from tests.fleet.conftest import scan_json, scan_one
from tests.testfleet.build import cache_dir

pytestmark = pytest.mark.fleet


@pytest.fixture(autouse=True)
def settled():
    """A file changed within a second of a run's start is racy by design (stored with ctime 0,
    hashed again next time, as git treats racy index entries). The previous test may have just
    restored packages on HOST: let a second pass so its files are not racy for this one."""
    time.sleep(1.5)


HOST = "db03"  # no other test plants anything on it; each test puts back what it changed
BASELINE = "/var/lib/changekit/integrity-dpkg.baseline"


def scan(fleet, workspace: Path, *extra: str) -> tuple[dict, dict]:
    """Scan HOST with the integrity collector; its (runs.integrity, facts.integrity)."""
    _, snap = scan_one(fleet, workspace, HOST, "integrity", *extra)
    return snap["runs"]["integrity"], snap["facts"]["integrity"]


def sh(fleet, command: str) -> str:
    return fleet.ssh(HOST, command, check=True).stdout


def commit_snapshot(workspace: Path, edit) -> None:
    """Change the stored snapshot of HOST on the facts ref, as a later scan would find it: a
    commit of the edited blob on top of the ref (what a teammate with push access could do)."""
    from changekit.facts.store import FACTS_REF

    def git(*args: str, text: str | None = None, env: dict | None = None) -> str:
        out = subprocess.run(["git", *args], cwd=workspace, input=text, capture_output=True, text=True,
                             check=True, env={**os.environ, **(env or {})})  # fmt: skip
        return out.stdout.strip()

    name = f"snapshots/{HOST}/snapshot.json"  # runs sit in the snapshot file, not its facts
    blob = git("hash-object", "-w", "--stdin", text=edit(git("show", f"{FACTS_REF}:{name}")))
    index = {"GIT_INDEX_FILE": str(workspace / ".git" / "ck-test-index")}
    git("read-tree", FACTS_REF, env=index)
    git("update-index", "--cacheinfo", f"100644,{blob},{name}", env=index)
    tree = git("write-tree", env=index)
    commit = git("commit-tree", tree, "-p", FACTS_REF, "-m", "test: edit the snapshot")
    git("update-ref", FACTS_REF, commit)


def test_a_repeat_scan_hashes_only_the_changed_file_even_with_its_mtime_put_back(fleet, workspace):
    first, facts = scan(fleet, workspace)
    assert (first["mode"], first["why"]) == ("full", "no previous verified scan")
    assert first["hashed"] == first["files"] > 1000 and first["carried"] == 0
    assert len(first["baseline"]) == 64

    repeat, same = scan(fleet, workspace)
    assert repeat["mode"] == "incremental" and "why" not in repeat
    assert (repeat["hashed"], repeat["hashed_paths"]) == (0, [])
    assert repeat["carried"] == repeat["files"] == first["files"]
    assert repeat["full_at"] == first["full_at"] and same == facts

    target = "/usr/bin/yes"
    sh(
        fleet,
        f"cp -p {target} /tmp/yes.orig && printf x >>{target} && touch -r /tmp/yes.orig {target}",
    )
    try:
        assert sh(fleet, f"stat -c %Y {target} /tmp/yes.orig").split() == 2 * [
            sh(fleet, "stat -c %Y /tmp/yes.orig").strip()
        ]
        changed, found = scan(fleet, workspace)
        assert changed["mode"] == "incremental"
        assert (changed["hashed"], changed["hashed_paths"]) == (1, [target])
        assert found[target] == {
            "manager": "dpkg",
            "flags": "??5??????",
            "config": False,
            "missing": False,
            "package": "coreutils",
        }
    finally:
        sh(
            fleet,
            f"cat /tmp/yes.orig >{target} && touch -r /tmp/yes.orig {target} && rm /tmp/yes.orig",
        )
    healed, after = scan(fleet, workspace)
    assert target in healed["hashed_paths"] and target not in after


def test_incremental_hashing_agrees_with_dpkg_verify_when_every_file_changed(fleet, workspace):
    scan(fleet, workspace)
    edits = {"/etc/adduser.conf": "conffile", "/usr/bin/tac": "binary"}
    sh(fleet, "cp -p /etc/adduser.conf /tmp/adduser.orig && echo '# edited' >>/etc/adduser.conf")
    sh(fleet, "cp -p /usr/bin/tac /tmp/tac.orig && rm /usr/bin/tac")  # missing
    try:
        # a new ctime for every packaged file, contents untouched: all must be hashed again
        # (each chmod copies the file up into the host's overlay: 45 s on a busy machine)
        fleet.ssh(HOST, "cat /var/lib/dpkg/info/*.md5sums | cut -c35- | sed 's#^#/#' "
                        "| xargs -d '\\n' chmod -f u+r; true", timeout=300)  # fmt: skip
        runs, facts = scan(fleet, workspace)
        truth = sh(fleet, "dpkg --verify; true")
    finally:
        sh(fleet, "mv /tmp/adduser.orig /etc/adduser.conf && mv /tmp/tac.orig /usr/bin/tac")
    listed = int(sh(fleet, "cat /var/lib/dpkg/info/*.md5sums | wc -l"))
    assert runs["mode"] == "incremental" and runs["hashed"] >= listed - 1  # all but the missing
    expected = {line[12:]: line[:9].strip() for line in truth.splitlines() if line}
    assert set(edits) <= set(expected)
    assert {path: row["flags"] for path, row in facts.items()} == expected
    assert facts["/etc/adduser.conf"]["config"] and facts["/usr/bin/tac"]["missing"]
    assert facts["/etc/adduser.conf"]["package"] == "adduser"


def _deb(name: str) -> Path:
    found = sorted(cache_dir().glob(f"*/{name}_*.deb"))
    assert found, f"no {name} .deb under {cache_dir()} (build the fleet: bash .ci/setup-fleet)"
    return found[-1]


def test_a_package_installed_then_removed_between_scans(fleet, workspace):
    scan(fleet, workspace)
    deb = _deb("libjson-perl")
    (fleet.root(HOST) / "tmp" / deb.name).write_bytes(deb.read_bytes())
    module = "/usr/share/perl5/JSON.pm"
    try:
        sh(fleet, f"dpkg -i /tmp/{shlex.quote(deb.name)} >/dev/null")
        # files changed within a second of a scan's start are hashed again by the next scan
        # (their ctime could still repeat); waiting makes the counts below exact
        time.sleep(2.1)
        installed, facts = scan(fleet, workspace)
        assert installed["mode"] == "incremental"
        assert module in installed["hashed_paths"] and module not in facts
        # a file of the new package modified: caught, with its package
        sh(fleet, f"echo '# x' >>{module}")
        changed, facts = scan(fleet, workspace)
        assert changed["hashed_paths"] == [module]
        assert facts[module]["flags"] == "??5??????" and facts[module]["package"] == "libjson-perl"
    finally:
        sh(fleet, f"dpkg --purge libjson-perl >/dev/null; rm -f /tmp/{shlex.quote(deb.name)}")
    removed, facts = scan(fleet, workspace)
    assert removed["mode"] == "incremental" and module not in facts
    assert removed["files"] < installed["files"]
    assert not [p for p in removed["hashed_paths"] if "JSON" in p]


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (f"rm {BASELINE}", "no baseline on the host"),
        (f"echo '1 2 3 4 x ok - p /etc/x' >>{BASELINE}", "not the one the last scan recorded"),
    ],
    ids=["missing", "tampered"],
)
def test_a_missing_or_changed_host_baseline_means_a_full_verify(fleet, workspace, damage, why):
    scan(fleet, workspace)
    sh(fleet, damage)
    runs, facts = scan(fleet, workspace)
    assert runs["mode"] == "full" and why in runs["why"]
    assert runs["hashed"] == runs["files"] and facts == {}
    assert scan(fleet, workspace)[0]["mode"] == "incremental"  # the full run left a good baseline


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda text: "{ not json", "no previous verified scan"),
        (
            lambda text: json.dumps({**json.loads(text), "runs": {"integrity": {"baseline": 3}}}),
            "the previous result is unreadable",
        ),
    ],
    ids=["corrupt-snapshot", "malformed-runs"],
)
def test_a_corrupt_previous_result_means_a_full_verify(fleet, workspace, edit, why):
    scan(fleet, workspace)
    commit_snapshot(workspace, edit)
    runs, _ = scan(fleet, workspace)
    assert (runs["mode"], runs["why"]) == ("full", why)


def test_full_verify_on_demand(fleet, workspace):
    scan(fleet, workspace)
    runs, _ = scan(fleet, workspace, "--full-verify")
    assert (runs["mode"], runs["why"]) == ("full", "requested (--full-verify)")
    assert runs["hashed"] == runs["files"]


def test_a_full_verify_when_the_last_one_is_older_than_the_schedule(fleet, workspace):
    first, _ = scan(fleet, workspace)
    eight_days_ago = (datetime.now(UTC) - timedelta(days=8)).isoformat(timespec="seconds")

    def backdate(text: str) -> str:
        snapshot = json.loads(text)
        snapshot["runs"]["integrity"]["full_at"] = eight_days_ago
        return json.dumps(snapshot)

    commit_snapshot(workspace, backdate)
    # within a 30-day schedule the old full verify still counts
    kept, _ = scan(fleet, workspace, "--full-verify-days", "30")
    assert kept["mode"] == "incremental", kept.get("why")
    assert kept["full_at"] == eight_days_ago
    due, _ = scan(fleet, workspace)  # the default: weekly
    assert due["mode"] == "full" and due["why"].startswith("scheduled: the last full verify was")
    assert due["full_at"] > eight_days_ago


class NiceProbe(Collector):
    """What priority the scan script's collectors run at."""

    name = "niceprobe"

    def script(self, context):
        return "cut -d' ' -f19 /proc/self/stat; ionice"

    def parse(self, output, context):
        nice, io = output.strip().splitlines()
        return {"nice": int(nice), "io": io}


class _ProbePlugin:
    @hookimpl
    def register_collectors(self, register):
        register(NiceProbe())


def test_collectors_run_with_low_cpu_and_io_priority(fleet, tmp_path):
    plugin = _ProbePlugin()
    get_manager().register(plugin, "niceprobe-test")
    try:
        code, data = scan_json(
            HOST, "-i", str(fleet.inventory), "--known-hosts", str(fleet.known_hosts),
            "--collectors", "niceprobe", cwd=tmp_path,
        )  # fmt: skip
    finally:
        get_manager().unregister(plugin)
    assert code == 0, data["hosts"]
    assert data["snapshots"][0]["facts"]["niceprobe"] == {"nice": 10, "io": "best-effort: prio 7"}


def test_a_package_changing_version_between_scans_is_hashed_again(fleet, workspace):
    before = sh(fleet, "dpkg-query -W -f '${Version}' tzdata")
    other = next(d for d in cache_dir().glob("*/tzdata_*.deb") if before not in d.name)
    mine = next(d for d in cache_dir().glob("*/tzdata_*.deb") if before in d.name)
    for deb in (other, mine):
        (fleet.root(HOST) / "tmp" / deb.name).write_bytes(deb.read_bytes())
    scan(fleet, workspace)
    install = "DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/{} >/dev/null 2>&1"
    try:
        sh(fleet, install.format(shlex.quote(other.name)))
        assert sh(fleet, "dpkg-query -W -f '${Version}' tzdata") != before
        time.sleep(2.1)  # see above: exact counts
        changed, facts = scan(fleet, workspace)
        tzdata = int(sh(fleet, "wc -l </var/lib/dpkg/info/tzdata.md5sums"))
        assert changed["mode"] == "incremental" and changed["hashed"] >= tzdata
        assert all(p.startswith("/usr/share/") for p in changed["hashed_paths"])
        assert facts == {}
        again, _ = scan(fleet, workspace)
        assert again["hashed"] == 0
    finally:
        sh(
            fleet,
            install.format(shlex.quote(mine.name)) + f"; rm -f /tmp/{other.name} /tmp/{mine.name}",
        )
    assert sh(fleet, "dpkg-query -W -f '${Version}' tzdata") == before


def test_a_scan_user_without_root_keeps_its_baseline_in_its_cache(fleet):
    """The collector's own script as user ``ops``: /var/lib is not writable, so the baseline
    goes to ~/.cache/changekit; files ops cannot read are reported as dpkg does (all ``?``)
    and tried again on every scan, never carried."""
    collector = IntegrityCollector()
    script = fleet.root(HOST) / "tmp" / "integrity-as-ops.sh"

    def run_as_ops(context: dict) -> tuple[dict, dict]:
        script.write_text(collector.script(context))
        out = fleet.ssh(HOST, f"sh /{script.relative_to(fleet.root(HOST))}", user="ops").stdout
        return collector.run_info(out, context), collector.parse(out, context)

    now = datetime.now(UTC)
    sh(fleet, "rm -rf ~ops/.cache/changekit")
    try:
        first, facts = run_as_ops({"now": now})
        assert first["mode"] == "full" and first["baseline"]
        unreadable = {p for p, row in facts.items() if row["flags"] == "?????????"}
        assert "/etc/sudoers" in unreadable
        assert fleet.ssh(HOST, "test -s ~/.cache/changekit/integrity-dpkg.baseline", user="ops")
        repeat, again = run_as_ops({"now": now, "previous_runs": {"integrity": first}})
        assert repeat["mode"] == "incremental" and again == facts
        assert set(repeat["hashed_paths"]) == unreadable
    finally:
        script.unlink()
        sh(fleet, "rm -rf ~ops/.cache/changekit")
