"""The scan engine with a throwaway connector that runs the script in a real local ``sh``:
hooks, the concurrency bound, per-host failures, cut-short output."""

from __future__ import annotations

import subprocess
import threading
import time
import types

import pytest

from changekit.api import Collector, CommandResult, Connector, HostUnreachable, hookimpl
from changekit.fleet import script as scriptlib
from changekit.fleet.connector import ConnectOptions
from changekit.fleet.scan import Scan, available_collectors
from changekit.inventory.model import Host
from changekit.plugins import get_manager


class LocalConnector(Connector):
    """Runs the scan script with the machine's own ``sh``; host names steer test behaviour."""

    active = 0
    peak = 0
    lock = threading.Lock()

    def __init__(self, host: Host, options: ConnectOptions) -> None:
        self.host = host

    def connect(self) -> None:
        if self.host.name.startswith("down"):
            raise HostUnreachable(f"{self.host.name}: connection refused")
        if self.host.name.startswith("bug"):
            raise RuntimeError("connector bug")

    def run(self, script: str, *, timeout: float, sudo: bool = False) -> CommandResult:
        cls = type(self)
        with cls.lock:
            cls.active += 1
            cls.peak = max(cls.peak, cls.active)
        try:
            time.sleep(0.05)
            p = subprocess.run(
                ["sh", "-s"], input=script.encode(), capture_output=True, timeout=timeout
            )
        finally:
            with cls.lock:
                cls.active -= 1
        out = p.stdout
        if self.host.name.startswith("cut"):
            # the connection dropped just after dpkg's section, half-way through perl's
            end = out.index(b" END dpkg ")
            out = out[: out.index(b" BEGIN perl", end) + 2000]
        return CommandResult(p.returncode, out, p.stderr)

    def put_file(self, path, data, *, mode=0o644, sudo=False):
        raise NotImplementedError

    def remove_file(self, path, *, sudo=False):
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def local():
    events: list[tuple[str, object]] = []
    plugin = types.SimpleNamespace(
        register_connectors=hookimpl(lambda register: register("local", LocalConnector)),
        before_scan=hookimpl(
            lambda hosts, collectors, workspace: events.append(("before", [h.name for h in hosts]))
        ),
        after_scan=hookimpl(
            lambda results, workspace: events.append(("after", [r.status for r in results]))
        ),
    )
    pm = get_manager()
    pm.register(plugin, "local-test")
    LocalConnector.peak = 0
    yield events
    pm.unregister(plugin)


def collectors(*names):
    known = available_collectors()
    return [known[n] for n in names]


def test_hooks_see_the_hosts_before_and_the_results_after(local):
    hosts = [Host("a"), Host("down1")]
    results = Scan(hosts, collectors("os"), connector="local").run()
    assert local == [("before", ["a", "down1"]), ("after", ["ok", "failed"])]
    assert results[0].snapshot["facts"]["os"]["system"] == "Linux"
    assert (results[1].reason, results[1].message) == ("unreachable", "down1: connection refused")


def test_concurrency_is_bounded(local):
    hosts = [Host(f"h{i}") for i in range(12)]
    results = Scan(hosts, collectors("os"), concurrency=3, connector="local").run()
    assert all(r.status == "ok" for r in results)
    assert LocalConnector.peak == 3


def test_a_connector_bug_fails_one_host_not_the_scan(local):
    results = Scan([Host("bug1"), Host("ok1")], collectors("os"), connector="local").run()
    assert (results[0].status, results[0].reason) == ("failed", "error")
    assert "connector bug" in results[0].message and results[1].status == "ok"


def test_output_cut_short_marks_the_missing_collectors(local):
    results = Scan(
        [Host("cut1")], collectors("os", "dpkg", "perl", "python"), connector="local"
    ).run()
    r = results[0]
    assert r.status == "partial" and set(r.snapshot["facts"]) == {"os", "dpkg"}
    assert (
        "cut short" in r.snapshot["errors"]["perl"]
        and "cut short" in r.snapshot["errors"]["python"]
    )


def test_unknown_connector_is_an_input_error(local):
    with pytest.raises(Exception, match="no connector named 'telnet'"):
        Scan([Host("a")], collectors("os"), connector="telnet").run()


def test_markers_printed_by_a_host_cannot_forge_sections():
    token = scriptlib.new_token()
    forged = "CKdeadbeef END os 0\n"  # a host cannot know the random token
    text = scriptlib.build({"os": f"printf '{forged}'; echo real", "dpkg": "echo pk"}, token)
    p = subprocess.run(["sh", "-s"], input=text, capture_output=True, text=True)
    sections = scriptlib.split(p.stdout, p.stderr, ["os", "dpkg"], token)
    assert sections["os"].stdout == forged + "real\n" and sections["dpkg"].stdout == "pk\n"
    assert scriptlib.split(p.stdout, "", ["os"], "CKdeadbeef")["os"].exit_code is None


class Noted(Collector):
    """Echoes what the scan handed it and notes a run; ``garbage`` makes its note fail."""

    name = "noted"

    def script(self, context):
        return "echo ran"

    def parse(self, output, context):
        return {
            "previous": context["previous_runs"],
            "now": context["now"].isoformat(timespec="seconds"),
        }

    def run_info(self, output, context):
        if context["host"].startswith("garbage"):
            raise ValueError("no count")
        return {"runs": len(context["previous_runs"]) + 1}


def test_collectors_see_the_last_runs_and_their_notes_are_stored(local):
    def last(host):
        if host == "corrupt1":
            raise ValueError("Expecting value: line 1 column 1")
        return {"noted": {"runs": 1}} if host == "seen1" else None

    hosts = [Host("seen1"), Host("new1"), Host("corrupt1"), Host("garbage1")]
    results = Scan(hosts, [Noted()], connector="local", previous_runs=last).run()
    seen, new, corrupt, garbage = (r.snapshot for r in results)
    assert seen["facts"]["noted"]["previous"] == {"noted": {"runs": 1}}
    assert seen["runs"] == {"noted": {"runs": 2}}
    assert new["facts"]["noted"]["previous"] == {} and new["runs"] == {"noted": {"runs": 1}}
    assert corrupt["facts"]["noted"]["previous"] == {}  # unreadable: as if there were none
    assert seen["facts"]["noted"]["now"] == seen["collected_at"]
    assert results[3].status == "failed" and "garbage output: no count" in results[3].message
    assert garbage is None
