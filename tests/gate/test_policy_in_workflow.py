"""The policy at work through the real commands: submit refused with the next allowed window,
and conflicts found through the workspace inventory by `check`."""

from __future__ import annotations

from tests.gate.conftest import POLICY

WINDOWS = (
    POLICY
    + """\
windows:
  - name: sunday night
    groups: [web]
    days: [sun]
    start: "02:00"
    end: "06:00"
    timezone: Europe/Berlin
"""
)


def commit_policy(team, text: str, inventory: str | None = None) -> None:
    rita = team.rita
    (rita.path / "changekit.yaml").write_text(text)
    paths = ["changekit.yaml"]
    if inventory is not None:
        (rita.path / "inventories" / "hosts.ini").write_text(inventory)
        paths.append("inventories/hosts.ini")
    rita.git("add", *paths)
    rita.git("commit", "-q", "-m", "Policy and inventory")
    rita.git("push", "-q", "origin", "main")
    for c in (team.alice, team.bob):
        c.git("pull", "-q", "origin", "main")


def test_submit_outside_the_window_is_refused_with_the_next_window(team):
    commit_policy(team, WINDOWS)
    window = ("--start", "2030-06-05 10:00", "--end", "2030-06-05 11:00", "--tz", "Europe/Berlin")
    rid = team.rita.new("Patch web", hosts=("group:web",), window=window)
    head = team.rita.git("rev-parse", "HEAD")
    result = team.rita.ck("change", "submit", rid, code=4)
    text = result.stderr
    assert (
        "not inside a maintenance window" in text
        and "sunday night (Sun 02:00-06:00 Europe/Berlin)" in text
    )
    assert "next allowed window is Sun 2030-06-09 02:00 CEST to Sun 2030-06-09 03:00 CEST" in text
    assert team.rita.git("rev-parse", "HEAD") == head  # refused: nothing committed


def test_check_resolves_groups_through_the_inventory(team):
    commit_policy(team, POLICY, inventory="[web]\nweb1\nweb2\n\n[db]\ndb1\n")
    window = ("--start", "2030-06-02 02:00", "--end", "2030-06-02 03:00", "--tz", "UTC")
    a = team.rita.new("Patch all web servers", hosts=("group:web",), window=window)
    team.rita.ck("change", "submit", a, "--push")
    team.approve_on_branch(team.alice, a)
    # Bob, in parallel, from the main without Rita's change
    b = team.bob.new("Reboot web2", hosts=("web2",), window=window)
    team.bob.ck("change", "submit", b, "--push")
    team.approve_on_branch(team.alice, b)
    team.merge(a)
    team.merge(b)
    report = team.ci("main").check(code=1)
    conflicts = {p["record"]: p["message"] for p in report["problems"] if p["code"] == "conflict"}
    assert conflicts == {
        a: f"overlaps {b} on web2 at the same time",
        b: f"overlaps {a} on web2 at the same time",
    }
