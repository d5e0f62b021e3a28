"""`changekit scan` against the real sshd test fleet: every planted difference is collected, every
kind of broken host is reported with its reason, and the snapshots land in the workspace's git."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from changekit.facts.backend import open_store
from changekit.workspace import Workspace
from tests.fleet.conftest import by_host, run, scan_json

pytestmark = pytest.mark.fleet

SCANNED = ["group:web", "group:db", "group:app", "down01", "mute01", "rekey01"]


@pytest.fixture(scope="module")
def full_scan(fleet, tmp_path_factory):
    """One scan of every host but hang01 (tested on its own, with a short timeout)."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        (home / ".gitconfig").write_text("[user]\n\tname = Scanner\n\temail = scan@example.org\n")
        ws = tmp_path_factory.mktemp("ws")
        assert run("init", cwd=ws)[0] == 0
        kh = ws.parent / "kh-full"
        shutil.copy(fleet.known_hosts, kh)
        code, data = scan_json(
            *SCANNED, "-i", str(fleet.inventory), "--known-hosts", str(kh), "--connect-timeout", "4",
            "--command-timeout", "240", "--file", "/etc/apache2/apache2.conf", cwd=ws,
        )  # fmt: skip
        yield code, data, ws


def test_every_planted_difference_is_collected(full_scan):
    code, data, _ = full_scan
    results, snaps = by_host(data)
    facts = {h: s["facts"] for h, s in snaps.items()}
    # web07 alone lacks PDF::API2, both as a Debian package and as a Perl module
    assert (
        "libpdf-api2-perl" not in facts["web07"]["dpkg"]
        and "PDF::API2" not in facts["web07"]["perl"]
    )
    for peer in ("web01", "web02", "web12"):
        assert facts[peer]["dpkg"]["libpdf-api2-perl"]["status"] == "installed"
        assert facts[peer]["perl"]["PDF::API2"]["version"]
    # db02 has another real tzdata version than its peers
    assert facts["db02"]["dpkg"]["tzdata"]["version"] != facts["db01"]["dpkg"]["tzdata"]["version"]
    assert facts["db01"]["dpkg"]["tzdata"] == facts["db03"]["dpkg"]["tzdata"]
    # app02's ld.so.preload; nobody else has one
    assert facts["app02"]["preload"]["ld_so_preload"][0].endswith("/libpthread.so.0")
    assert not facts["app01"]["preload"]["ld_so_preload"]
    # web03's edited Apache config: another hash than its peers, and dpkg --verify flags the conffile
    conf = "/etc/apache2/apache2.conf"
    assert facts["web03"]["files"][conf]["sha256"] != facts["web01"]["files"][conf]["sha256"]
    assert facts["web01"]["files"][conf]["sha256"] == facts["web02"]["files"][conf]["sha256"]
    assert facts["web03"]["integrity"][conf]["config"] is True
    # web05's package file modified after install
    assert "5" in facts["web05"]["integrity"]["/usr/share/perl5/PDF/API2.pm"]["flags"]
    # the package that owns each changed file, asked of the host's dpkg in the same session
    assert facts["web05"]["integrity"]["/usr/share/perl5/PDF/API2.pm"]["package"] == (
        "libpdf-api2-perl"
    )
    assert facts["web03"]["integrity"][conf]["package"] == "apache2"
    assert "/usr/share/perl5/PDF/API2.pm" not in facts["web01"]["integrity"]
    # app01/app02's extra Python distribution and Perl module
    assert (
        facts["app01"]["python"]["pyyaml"]["version"] and "pyyaml" not in facts["web01"]["python"]
    )
    assert "JSON" in facts["app01"]["perl"] and "JSON" not in facts["web01"]["perl"]
    # os facts are the host's own
    assert (
        facts["web01"]["os"]["hostname"] == "web01" and facts["web01"]["os"]["family"] == "debian"
    )
    assert facts["web01"]["services"]["services"]["ssh"]["state"] == "enabled"
    assert all(results[h]["status"] == "ok" for h in facts)


def test_broken_hosts_each_have_a_reason_and_the_rest_is_stored(full_scan):
    code, data, ws = full_scan
    results, snaps = by_host(data)
    assert code == 1
    assert results["down01"]["reason"] == "unreachable"
    assert results["mute01"]["reason"] == "timeout" and "login" in results["mute01"]["message"]
    assert (
        results["rekey01"]["reason"] == "host key changed"
        and "HOST KEY CHANGED" in results["rekey01"]["message"]
    )
    assert set(snaps) == {h for h, r in results.items() if r["status"] == "ok"}
    store = open_store(Workspace(ws))
    assert set(store.hosts()) == set(snaps)
    assert not (ws / "facts").exists()  # facts live on their own ref, not in the work tree
    index = next(s for s in store.scans() if s["scan_id"] == data["scan_id"])
    assert (
        index["hosts"]["down01"]["status"] == "failed" and index["hosts"]["web01"]["status"] == "ok"
    )
    log = subprocess.run(
        ["git", "log", "--format=%B", "-1", "refs/changekit/facts"],
        cwd=ws,
        capture_output=True,
        text=True,
    ).stdout
    assert f"Changekit-Scan: {data['scan_id']}" in log


def test_hung_command_times_out_within_the_timeout(fleet, workspace, known_hosts):
    code, data = scan_json("hang01", "-i", str(fleet.inventory), "--known-hosts", str(known_hosts),
                           "--command-timeout", "3", cwd=workspace)  # fmt: skip
    result = data["hosts"][0]
    assert code == 1 and result["reason"] == "timeout"
    assert "did not finish within 3s" in result["message"]
    assert result["seconds"] < 3 + 10  # the command timeout plus at most the connect time


def test_unknown_host_key_refused_then_accepted_and_written(fleet, workspace, tmp_path):
    kh = tmp_path / "empty_known_hosts"
    kh.write_text("")
    code, data = scan_json(
        "web01",
        "-i",
        str(fleet.inventory),
        "--known-hosts",
        str(kh),
        "--collectors",
        "os",
        cwd=workspace,
    )
    assert code == 1 and data["hosts"][0]["reason"] == "host key unknown"
    assert (
        "--accept-new-host-keys"
        in run(
            "scan", "web01", "-i", str(fleet.inventory), "--known-hosts", str(kh), cwd=workspace
        )[1]
    )
    assert kh.read_text() == ""
    code, data = scan_json("web01", "-i", str(fleet.inventory), "--known-hosts", str(kh), "--collectors", "os",
                           "--accept-new-host-keys", cwd=workspace)  # fmt: skip
    assert code == 0 and data["hosts"][0]["status"] == "ok"
    web01 = fleet.hosts["web01"]
    assert kh.read_text().split() == [web01.address, *web01.host_key.split()]
    # OpenSSH itself trusts what we wrote, with strict checking
    out = subprocess.run(
        ["ssh", "-i", str(fleet.key_file), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
         "-o", f"UserKnownHostsFile={kh}", f"root@{web01.address}", "hostname"],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert out.stdout.strip() == "web01", out.stderr


def test_changed_host_key_is_refused_even_with_accept_new(fleet, workspace, known_hosts):
    before = known_hosts.read_text()
    code, data = scan_json("rekey01", "-i", str(fleet.inventory), "--known-hosts", str(known_hosts),
                           "--accept-new-host-keys", cwd=workspace)  # fmt: skip
    assert code == 1 and data["hosts"][0]["reason"] == "host key changed"
    assert known_hosts.read_text() == before


def test_sudo_through_an_unprivileged_user(fleet, workspace, known_hosts, tmp_path):
    web01 = fleet.hosts["web01"]
    inv = tmp_path / "inv.yaml"
    inv.write_text(
        f"version: 1\nhosts:\n  web01:\n    address: {web01.address}\n    user: ops\n    key_file: {fleet.key_file}\n"
    )
    code, data = scan_json("-i", str(inv), "--known-hosts", str(known_hosts), "--collectors", "os,files",
                           "--file", "/etc/shadow", "--sudo", cwd=workspace)  # fmt: skip
    assert code == 0, data
    assert data["snapshots"][0]["facts"]["files"]["/etc/shadow"]["sha256"]  # only root can read it
    code, data = scan_json("-i", str(inv), "--known-hosts", str(known_hosts), "--collectors", "files",
                           "--file", "/etc/shadow", cwd=workspace)  # fmt: skip
    assert data["snapshots"][0]["facts"]["files"]["/etc/shadow"].get("sha256") in (
        None,
        "unreadable",
    )


def test_jump_host(fleet, workspace, known_hosts, tmp_path):
    web01, web02 = fleet.hosts["web01"], fleet.hosts["web02"]
    inv = tmp_path / "inv.yaml"
    inv.write_text(
        f"version: 1\nhosts:\n  web02:\n    address: {web02.address}\n    user: root\n    key_file: {fleet.key_file}\n"
        f"    proxy_jump: root@{web01.address}\n"
    )
    code, data = scan_json(
        "-i", str(inv), "--known-hosts", str(known_hosts), "--collectors", "os", cwd=workspace
    )
    assert code == 0, data
    assert data["snapshots"][0]["facts"]["os"]["hostname"] == "web02"
    # the jump is really used: through a jump host that is down, web02 is not reached
    inv.write_text(inv.read_text().replace(web01.address, fleet.hosts["down01"].address))
    code, data = scan_json(
        "-i", str(inv), "--known-hosts", str(known_hosts), "--collectors", "os", cwd=workspace
    )
    assert code == 1 and data["hosts"][0]["reason"] == "unreachable"
    assert "jump host" in data["hosts"][0]["message"]


def test_outside_a_workspace_json_only(fleet, tmp_path, known_hosts):
    code, out, err = run(
        "scan", "web01", "-i", str(fleet.inventory), "--known-hosts", str(known_hosts), cwd=tmp_path
    )
    assert code == 5 and "--format json" in err
    code, data = scan_json("web01", "-i", str(fleet.inventory), "--known-hosts", str(known_hosts),
                           "--collectors", "os,dpkg", cwd=tmp_path)  # fmt: skip
    assert code == 0 and data["stored"] is False and data["snapshots"][0]["facts"]["dpkg"]
    assert not (tmp_path / "facts").exists()


def test_table_summary_names_each_failure(fleet, workspace, known_hosts):
    code, out, err = run("scan", "web01", "down01", "rekey01", "-i", str(fleet.inventory),
                         "--known-hosts", str(known_hosts), "--collectors", "os", cwd=workspace)  # fmt: skip
    assert code == 1
    lines = {ln.split("\t")[0]: ln for ln in out.splitlines()}
    assert "\tok\t" in lines["web01"]
    assert "unreachable" in lines["down01"] and "host key changed" in lines["rekey01"]
    assert "1 ok, 0 partial, 2 failed; stored as scan" in err


def test_unknown_collector_is_a_usage_error_with_a_suggestion(fleet, workspace, known_hosts):
    code, out, err = run(
        "scan", "web01", "-i", str(fleet.inventory), "--collectors", "dpgk", cwd=workspace
    )
    assert code == 3 and "did you mean 'dpkg'" in err


def test_snapshots_over_time_and_facts_diff_on_a_real_host(fleet, workspace, known_hosts):
    """Change app03 for real between two scans; `facts diff` shows exactly those changes."""
    root = fleet.root("app03")
    perl_dir = root / "usr/local/share/perl/5.36.0/Ck"
    dist = root / "usr/local/lib/python3.11/dist-packages/ckdemo-1.0.dist-info"
    # remove afterwards every directory the test creates, so the shared host is as it was
    created = [
        d for d in (*perl_dir.parents, *dist.parents) if d.is_relative_to(root) and not d.exists()
    ]
    motd = root / "etc/motd"
    old_motd = motd.read_bytes() if motd.exists() else None
    args = ("app03", "-i", str(fleet.inventory), "--known-hosts", str(known_hosts), "--collectors",
            "dpkg,perl,python,files", "--file", "/etc/motd")  # fmt: skip
    try:
        code, first = scan_json(*args, cwd=workspace)
        assert code == 0, first
        perl_dir.mkdir(parents=True)
        (perl_dir / "Demo.pm").write_text("package Ck::Demo;\nour $VERSION = '1.5';\n1;\n")
        dist.mkdir(parents=True)
        (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ckdemo\nVersion: 1.0\n")
        motd.write_text("changed by the test\n")
        code, second = scan_json(*args, cwd=workspace)
        assert code == 0
    finally:
        shutil.rmtree(perl_dir, ignore_errors=True)
        shutil.rmtree(dist, ignore_errors=True)
        for d in sorted(created, key=lambda p: len(p.parts), reverse=True):
            d.rmdir()
        if old_motd is None:
            motd.unlink(missing_ok=True)
        else:
            motd.write_bytes(old_motd)
    code, out, err = run(
        "facts", "diff", "app03", "--since", first["scan_id"], "--format", "json", cwd=workspace
    )
    assert code == 0, err
    changes = {(c["collector"], c["item"], c["change"]) for c in json.loads(out)["changes"]}
    assert changes == {
        ("perl", "Ck::Demo", "added"),
        ("python", "ckdemo", "added"),
        ("files", "/etc/motd", "changed"),
    }
    code, out, _ = run(
        "facts",
        "show",
        "app03",
        "--at",
        first["scan_id"],
        "--collector",
        "perl",
        "--format",
        "json",
        cwd=workspace,
    )
    assert "Ck::Demo" not in json.loads(out)
    assert [
        e["scan_id"]
        for e in json.loads(run("facts", "history", "app03", "--format", "json", cwd=workspace)[1])
    ] == [first["scan_id"], second["scan_id"]]


def test_scan_script_needs_only_sh_and_the_inspected_tools(fleet):
    """No Python on the host is needed: the scan still works with python3 hidden."""
    root = fleet.root("db03")
    hidden = []
    for p in sorted((root / "usr/bin").glob("python3*")):
        target = p.with_name(f".ck-hidden-{p.name}")
        p.rename(target)
        hidden.append((target, p))
    try:
        from changekit.fleet.connector import ConnectOptions
        from changekit.fleet.scan import Scan, available_collectors
        from changekit.inventory.load import load_inventory

        hosts = load_inventory(fleet.inventory, None, ssh_config=False).select(["db03"])
        result = Scan(hosts, [available_collectors()["python"], available_collectors()["perl"]],
                      ConnectOptions(known_hosts_file=str(fleet.known_hosts))).run()[0]  # fmt: skip
    finally:
        for target, original in hidden:
            target.rename(original)
    assert hidden and result.status == "ok", result.message
    assert result.snapshot["facts"]["python"], "distributions are read from files, not via python"


def test_files_and_modules_a_standard_names_are_collected(fleet, workspace, known_hosts):
    (workspace / "standards" / "web.yaml").write_text(
        "name: web-files\napplies_to: [group:web]\nrequirements:\n"
        '  - file: /etc/apache2/ports.conf\n    sha256: "' + "0" * 64 + '"\n'
        "  - present: perl:PDF::API2\n"
    )
    code, data = scan_json("web01", "-i", str(fleet.inventory), "--known-hosts", str(known_hosts),
                           "--collectors", "files,perl", "--file", "/etc/hostname", cwd=workspace)  # fmt: skip
    assert code == 0, data
    files = data["snapshots"][0]["facts"]["files"]
    assert set(files) == {"/etc/apache2/ports.conf", "/etc/hostname"}
    assert files["/etc/apache2/ports.conf"]["owner"] == "root"


def test_a_key_the_host_does_not_accept_is_auth_failed(fleet, workspace, known_hosts, tmp_path):
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", tmp_path / "stranger"], check=True
    )
    inv = tmp_path / "inv.yaml"
    inv.write_text(
        f"version: 1\nhosts:\n  web01:\n    address: {fleet.hosts['web01'].address}\n    user: root\n"
        f"    key_file: {tmp_path / 'stranger'}\n"
    )
    code, data = scan_json(
        "-i", str(inv), "--known-hosts", str(known_hosts), "--collectors", "os", cwd=workspace
    )
    assert code == 1 and data["hosts"][0]["reason"] == "auth failed"
    assert "authentication failed for user 'root'" in data["hosts"][0]["message"]


def test_progress_bar_and_failures_as_they_happen_on_a_terminal(
    fleet, workspace, known_hosts, monkeypatch
):
    import io

    from rich.console import Console

    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=160)
    monkeypatch.setattr("changekit.cli.scan.console", lambda stderr=False: terminal)
    code, out, err = run("scan", "web01", "down01", "-i", str(fleet.inventory), "--known-hosts", str(known_hosts),
                         "--collectors", "os", cwd=workspace)  # fmt: skip
    assert code == 1
    shown = screen.getvalue()
    assert (
        "scanning" in shown and "down01" in shown and "unreachable: down01: cannot connect" in shown
    )
