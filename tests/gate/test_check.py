"""`changekit check` beyond approvals: --base scope, conflicts after merges, duplicates, broken
records, shallow clones, overdue emergencies, plugin checks, and the output for people."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import yaml

from changekit import hookimpl
from changekit.plugins import get_manager
from changekit.problems import Problem


def codes(report: dict) -> list[str]:
    return [p["code"] for p in report["problems"]]


def approved_on_main(team, title: str, *extra: str, window=None) -> str:
    from tests.gate.conftest import WINDOW

    rid = team.rita.new(title, *extra, window=window or WINDOW)
    team.rita.ck("change", "submit", rid, "--push")
    team.approve_on_branch(team.alice, rid)
    team.merge(rid)
    return rid


def test_base_checks_only_changed_records_but_all_pass_on_main(team):
    approved_on_main(
        team,
        "First change",
        window=("--start", "2030-06-02 02:00", "--end", "2030-06-02 03:00", "--tz", "UTC"),
    )
    approved_on_main(
        team,
        "Second change",
        window=("--start", "2030-06-09 02:00", "--end", "2030-06-09 03:00", "--tz", "UTC"),
    )
    rid = team.rita.new(
        "Third change",
        window=("--start", "2030-06-16 02:00", "--end", "2030-06-16 03:00", "--tz", "UTC"),
    )
    team.rita.ck("change", "submit", rid, "--push")
    pr = team.ci(f"change/{rid}")
    report = pr.check("--base", "origin/main", code=0)
    assert (report["checked"], report["total"]) == (1, 3)
    assert pr.check(code=0)["checked"] == 3


def test_two_prs_fine_alone_conflict_once_both_are_merged(team):
    a = approved_on_main(team, "Patch web1 kernel")
    # Bob filed his change in parallel, from the main he cloned before Rita's change was merged
    bob = team.bob
    assert not bob.record_path(a).exists()
    b = bob.new("Restart web1 nginx")
    bob.ck("change", "submit", b, "--push")
    team.approve_on_branch(team.alice, b)
    team.merge(b)
    main = team.ci("main")
    report = main.check(code=1)
    conflicts = [p for p in report["problems"] if p["code"] == "conflict"]
    assert {p["record"] for p in conflicts} == {a, b}
    assert all("web1" in p["message"] for p in conflicts)


def test_duplicate_ids_are_reported(team):
    rid = team.rita.new()
    src = team.rita.record_path(rid)
    src.with_suffix(".yml").write_text(src.read_text())  # "copy.yaml" would be an id-mismatch
    report = team.rita.check(code=1)
    dup = [p for p in report["problems"] if p["code"] == "duplicate-id"]
    assert dup and rid in dup[0]["message"]


def test_broken_record_is_bad_input_with_file_and_line(team):
    rid = team.rita.new()
    path = team.rita.record_path(rid)
    path.write_text(path.read_text().replace("risk: low", "risk: extreme"))
    result = team.rita.ck("check", code=3)
    assert f"change_records/{rid}.yaml" in result.stdout
    assert "risk" in result.stdout and "'extreme' is not one of" in result.stdout
    report = team.rita.check(code=3)
    assert report["ok"] is False and codes(report) == ["invalid-record"]
    assert report["problems"][0]["line"] is not None


def test_shallow_clone_is_refused_with_a_hint(team):
    approved_on_main(team, "Anything")
    shallow = team.root / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{team.origin}", str(shallow)], check=True
    )
    from tests.gate.conftest import Clone

    result = Clone(shallow, "CI", "ci@example.org").ck("check", code=5)
    assert "shallow clone" in result.stderr and "fetch-depth: 0" in result.stderr


def test_unknown_base_is_a_workspace_error(team):
    result = team.rita.ck("check", "--base", "origin/no-such-branch", code=5)
    assert "origin/no-such-branch" in result.stderr


def test_emergency_approval_overdue(team):
    rita = team.rita
    rid = rita.new(
        "Fix the payment outage", "--type", "emergency", "--emergency-reason", "payments are down"
    )
    rita.ck("change", "submit", rid)
    rita.ck("change", "start", rid)
    assert rita.check(code=0)["ok"]  # within 24h of starting: fine
    later = (datetime.now(UTC) + timedelta(hours=25)).isoformat()
    report = rita.check("--at", later, code=1)
    overdue = [p for p in report["problems"] if p["code"] == "emergency-approval-overdue"]
    assert overdue and overdue[0]["record"] == rid
    # approved afterwards by Alice: no longer overdue
    rita.git("push", "-q", "origin", "HEAD:main")
    team.alice.git("pull", "-q", "origin", "main")
    team.alice.ck("change", "approve", rid)
    assert team.alice.check("--at", later, code=0)["ok"]


def test_plugin_check_record_hook_adds_problems(team):
    rid = team.rita.new()

    class NoFridays:
        @hookimpl
        def check_record(self, record, policy, workspace):
            if record.data.get("title", "").startswith("Upgrade"):
                return [Problem("no-upgrades", "upgrades need a second look", record=record.id)]
            return None

    plugin = NoFridays()
    get_manager().register(plugin, name="test-no-fridays")
    try:
        report = team.rita.check(code=1)
    finally:
        get_manager().unregister(name="test-no-fridays")
    assert {
        "code": "no-upgrades",
        "message": "upgrades need a second look",
        "record": rid,
    }.items() <= report["problems"][0].items()
    assert team.rita.check(code=0)["ok"]


def test_output_for_people_groups_by_record(team):
    rid = team.rita.new()
    team.rita.ck("change", "submit", rid)
    path = team.rita.record_path(rid)
    data = yaml.safe_load(path.read_text())
    data["approvals"] = [
        {"by": {"name": "Alice", "email": "alice@example.org"}, "at": "2030-01-01T10:00:00+00:00"}
    ]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    team.rita.git("commit", "-q", "-am", "hand-made approval")
    out = team.rita.ck("check", code=1).stdout
    lines = out.splitlines()
    assert lines[0] == f"{rid}  (change_records/{rid}.yaml)"
    assert lines[1].startswith(
        "  error [approval-wrong-author] approvals[0]: the approval by alice@example.org"
    )
    assert lines[2].startswith("      fix: remove the entry; alice@example.org must approve")
    assert lines[-1] == "FAILED: checked 1 of 1 records: 1 error, 0 warnings"


def test_not_a_git_repository_is_a_workspace_error(tmp_path, run_cli):
    (tmp_path / "changekit.yaml").write_text("version: 1\n")
    result = run_cli("-C", str(tmp_path), "check")
    assert result.exit_code == 5
    assert "not a git repository" in result.stderr
