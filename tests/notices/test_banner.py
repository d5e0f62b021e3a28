"""The login banner on real test-fleet hosts, read back by logging in with the real ``ssh``."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.notices.workspace import RID, load, make_workspace, record, update

pytestmark = pytest.mark.fleet

T0 = "2026-12-01T10:00:00+00:00"
AFFECTED = {"web01", "db02"}


def login(fleet, host: str) -> str:
    """What an interactive login on ``host`` prints (a real terminal session, then ``exit``)."""
    done = subprocess.run(
        ["ssh", "-F", str(fleet.ssh_config), "-tt", host],
        input="exit\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def fleet_workspace(tmp_path, fleet, hosts, banner):
    inventory = yaml.safe_load(fleet.inventory.read_text())
    inventory["groups"]["web"]["contacts"] = ["web-team@example.org"]
    settings = {"channels": ["banner"], "banner": {"known_hosts": str(fleet.known_hosts), **banner}}
    rec = record(hosts=hosts, title="Replace the RAID controller firmware")
    return make_workspace(tmp_path / "ws", settings, records=[rec], inventory=inventory)


def test_banner_shows_at_login_on_exactly_the_affected_hosts_until_completion(
    tmp_path, run_cli, fleet
):
    ws = fleet_workspace(tmp_path, fleet, sorted(AFFECTED), {"method": "profile.d"})
    checked = fleet.names(group="web") + fleet.names(group="db")
    try:
        result = run_cli("-C", str(ws), "announce", RID, "--at", T0)
        assert result.exit_code == 0, result.output
        for host in checked:
            shown = login(fleet, host)
            if host in AFFECTED:
                assert f"PLANNED MAINTENANCE ({RID})" in shown, host
                assert "Replace the RAID controller firmware" in shown
                assert (
                    "When: Thursday 10 December 2026, 23:00 to Friday 11 December 2026, 00:30 CET"
                    in shown
                )
            else:
                assert RID not in shown, host
        # a command (scp, ansible, scripts) never gets the banner on its output
        assert fleet.ssh("web01", "echo ok").stdout == "ok\n"
        assert sorted(n["audience"] for n in load(ws)["notices"]) == sorted(AFFECTED)

        update(ws, status="in_progress")
        assert (
            run_cli(
                "-C", str(ws), "notices", "send-due", "--at", "2026-12-10T22:01:00+00:00"
            ).exit_code
            == 0
        )
        assert f"MAINTENANCE IN PROGRESS ({RID})" in login(fleet, "web01")

        update(
            ws,
            status="completed",
            outcome={"result": "completed", "at": "2026-12-10T23:00:00+00:00"},
        )
        done = run_cli("-C", str(ws), "notices", "send-due", "--at", "2026-12-10T23:05:00+00:00")
        assert done.exit_code == 0, done.output
        for host in sorted(AFFECTED):
            assert RID not in login(fleet, host), host
            gone = fleet.ssh(host, f"ls /etc/profile.d/changekit-{RID}.sh", check=False)
            assert gone.returncode != 0
    finally:
        for host in AFFECTED:
            fleet.ssh(host, f"rm -f /etc/profile.d/changekit-{RID}.sh", check=False)


def test_motd_d_banner_and_an_unreachable_host_is_retried(tmp_path, run_cli, fleet):
    ws = fleet_workspace(tmp_path, fleet, ["app01", "down01"], {})
    path = f"/etc/motd.d/changekit-{RID}"
    try:
        first = run_cli("-C", str(ws), "announce", RID, "--at", T0)
        assert first.exit_code == 1
        assert "down01" in first.stderr and "FAILED" in first.stderr
        text = fleet.ssh("app01", f"cat {path}").stdout
        assert text.startswith(f"*** PLANNED MAINTENANCE ({RID}) ***\n")
        assert [n["audience"] for n in load(ws)["notices"]] == ["app01"]

        update(ws, status="cancelled")
        again = run_cli("-C", str(ws), "notices", "send-due", "--at", "2026-12-02T10:00:00+00:00")
        # down01 never got the banner, so there is nothing to remove there: no retry, no failure
        assert again.exit_code == 0, again.output
        assert fleet.ssh("app01", f"test -e {path}", check=False).returncode == 1
        sent = [(n["kind"], n["audience"]) for n in load(ws)["notices"]]
        assert sent == [("announcement", "app01"), ("cancellation", "app01")]
    finally:
        fleet.ssh("app01", f"rm -f {path}", check=False)
