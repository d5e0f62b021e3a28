"""The test fleet is real: real sshd logins, real dpkg differences, real failure modes."""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tests.testfleet import Fleet, instance
from tests.testfleet.layout import EXPECTED

pytestmark = pytest.mark.fleet


def test_every_ssh_host_logs_in_as_itself(fleet: Fleet) -> None:
    names = fleet.names()
    assert len(names) >= 18

    def whoami(name: str) -> str:
        return fleet.ssh(name, "echo $(hostname) $(id -un)").stdout.strip()

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(whoami, names)) == [f"{n} root" for n in names]


def test_unprivileged_user_has_passwordless_sudo(fleet: Fleet) -> None:
    assert fleet.ssh("web01", "id -un; sudo -n id -u", user="ops").stdout.split() == ["ops", "0"]


def _installed(fleet: Fleet, host: str, package: str) -> bool:
    out = fleet.ssh(host, f"dpkg-query -W -f='${{Status}}' {package}", check=False).stdout
    return out == "install ok installed"


def test_one_web_host_lacks_pdf_api2(fleet: Fleet) -> None:
    web = fleet.names(group="web")
    with ThreadPoolExecutor(8) as pool:
        have = list(pool.map(lambda h: _installed(fleet, h, "libpdf-api2-perl"), web))
    without = [h for h, yes in zip(web, have, strict=True) if not yes]
    assert without == EXPECTED["without_pdf_api2"]
    perl = "perl -MPDF::API2 -e 'print $PDF::API2::VERSION'"
    assert fleet.ssh("web01", perl).stdout.startswith("2.")
    assert fleet.ssh("web07", perl, check=False).returncode != 0


def test_db02_has_another_real_tzdata_version(fleet: Fleet) -> None:
    query = "dpkg-query -W -f='${Version}' tzdata"
    versions = {h: fleet.ssh(h, query).stdout for h in fleet.names(group="db")}
    assert versions["db01"] == versions["db03"] != versions["db02"]
    # both versions are real archive versions apt knows about
    madison = fleet.ssh("db01", "apt-cache madison tzdata").stdout
    assert versions["db01"] in madison and versions["db02"] in madison


def test_dpkg_verify_reports_the_planted_changes(fleet: Fleet) -> None:
    (path,) = EXPECTED["dpkg_verify_modified"].values()
    verify = fleet.ssh("web05", "dpkg --verify", check=False).stdout
    assert f"??5??????   {path}" in verify.splitlines()
    conf = fleet.ssh("web03", "dpkg --verify apache2", check=False).stdout
    assert "??5?????? c /etc/apache2/apache2.conf" in conf.splitlines()
    assert "ServerTokens Prod" in fleet.ssh("web03", "cat /etc/apache2/apache2.conf").stdout
    assert fleet.ssh("web01", "dpkg --verify libpdf-api2-perl apache2").stdout == ""


def test_ld_so_preload_names_a_real_library(fleet: Fleet) -> None:
    (host,) = EXPECTED["ld_so_preload"]
    lib = fleet.ssh(host, "cat /etc/ld.so.preload").stdout.strip()
    assert lib.startswith("/") and fleet.ssh(host, f"test -f {lib}").returncode == 0
    assert fleet.ssh("app01", "test -e /etc/ld.so.preload", check=False).returncode == 1


def test_python_distributions_differ(fleet: Fleet) -> None:
    probe = "python3 -c 'import yaml; print(yaml.__version__)'"
    names = fleet.names()
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda h: fleet.ssh(h, probe, check=False).returncode, names))
    have = [h for h, code in zip(names, codes, strict=True) if code == 0]
    assert have == EXPECTED["with_python3_yaml"]


def test_hosts_have_separate_writable_filesystems(fleet: Fleet) -> None:
    fleet.ssh("web01", "echo only-here > /etc/testfleet-marker")
    try:
        assert fleet.ssh("web02", "test -e /etc/testfleet-marker", check=False).returncode == 1
        assert (fleet.root("web01") / "etc/testfleet-marker").read_text() == "only-here\n"
    finally:
        fleet.ssh("web01", "rm -f /etc/testfleet-marker")


def test_many_simultaneous_logins_to_one_host(fleet: Fleet) -> None:
    with ThreadPoolExecutor(40) as pool:
        codes = list(pool.map(lambda _: fleet.ssh("web02", "true").returncode, range(40)))
    assert codes == [0] * 40


def test_down_host_refuses(fleet: Fleet) -> None:
    (host,) = EXPECTED["down"]
    r = fleet.ssh(host, "true", check=False)
    assert r.returncode == 255 and "Connection refused" in r.stderr


def test_hang_host_accepts_login_then_hangs(fleet: Fleet) -> None:
    (host,) = EXPECTED["hang_on_command"]
    with pytest.raises(subprocess.TimeoutExpired):
        fleet.ssh(host, "true", timeout=3)
    # the login itself succeeded: ssh -v reports authentication, then waits for output
    proc = subprocess.Popen(
        ["ssh", "-F", str(fleet.ssh_config), "-v", host, "true"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _, err = proc.communicate(timeout=3)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    assert "Authenticated to" in err


def test_mute_host_never_sends_a_banner(fleet: Fleet) -> None:
    (host,) = EXPECTED["hang_on_login"]
    r = subprocess.run(
        ["ssh", "-F", str(fleet.ssh_config), "-o", "ConnectTimeout=2", host, "true"],
        capture_output=True, text=True, timeout=30, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert r.returncode == 255 and "banner exchange" in r.stderr


def test_rekeyed_host_fails_strict_checking(fleet: Fleet) -> None:
    (host,) = EXPECTED["host_key_changed"]
    r = fleet.ssh(host, "true", check=False)
    assert r.returncode == 255 and "REMOTE HOST IDENTIFICATION HAS CHANGED" in r.stderr
    scanned = subprocess.run(
        ["ssh-keyscan", "-t", "ed25519", fleet.hosts[host].address],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout.split()[1:3]  # fmt: skip
    assert " ".join(scanned) != fleet.hosts[host].host_key


def test_unknown_host_key_is_refused(fleet: Fleet, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    r = subprocess.run(
        ["ssh", "-F", str(fleet.ssh_config), "-o", f"UserKnownHostsFile={empty}", "web01", "true"],
        capture_output=True, text=True, timeout=30, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert r.returncode == 255 and "Host key verification failed" in r.stderr


def test_inventories_name_the_same_hosts(fleet: Fleet) -> None:
    ck = yaml.safe_load(fleet.inventory.read_text())
    assert set(ck["hosts"]) == set(fleet.hosts)
    assert ck["hosts"]["web01"]["address"] == fleet.hosts["web01"].address
    assert ck["groups"]["prod"] == {"children": ["web", "db", "app"]}
    schema = Path(__file__).parents[2] / "schemas" / "inventory.schema.json"
    if schema.exists():
        import json

        import jsonschema

        jsonschema.validate(ck, json.loads(schema.read_text()))
    ans = yaml.safe_load(fleet.ansible_yaml.read_text())["all"]["children"]
    assert set(ans["web"]["hosts"]) == set(fleet.names(group="web"))
    ini = fleet.ansible_ini.read_text()
    assert f"web07 ansible_host={fleet.hosts['web07'].address}\n" in ini


def test_stop_leaves_nothing_behind_and_is_idempotent(fleet: Fleet, tmp_path: Path) -> None:
    # a second instance beside the session's one (which also proves prefixes do not collide)
    state = instance.start("bench3", tmp_path / "inst", owner_pid=os.getpid())
    small = Fleet(state)
    assert small.ssh("bench002", "hostname").stdout == "bench002\n"
    assert small.prefix != fleet.prefix
    pids = [h.pid for h in small.hosts.values()]
    instance.stop(state)
    instance.stop(state)
    assert not state.exists()
    assert all(not Path(f"/proc/{p}").exists() for p in pids)
    assert str(state) not in Path("/proc/self/mounts").read_text()


def test_instance_of_a_dead_session_is_reaped(fleet: Fleet, tmp_path: Path) -> None:
    owner = subprocess.Popen(["sleep", "60"])
    state = instance.start("bench2", tmp_path / "orphan", owner_pid=owner.pid)
    pids = [h.pid for h in Fleet(state).hosts.values()]
    assert instance.reap_orphans() == []  # its owner still runs
    owner.kill()
    owner.wait()
    assert instance.reap_orphans() == [state]
    assert not state.exists() and all(not Path(f"/proc/{p}").exists() for p in pids)
