"""``changekit change new/list/show`` through the CLI, on real git workspaces."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.records.gitrepos import ck, git, ok, policy_with, set_identity

REQUIRED = ("--type", "normal", "--category", "change", "--risk", "low", "--impact", "low")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    ok(tmp_path, "init", str(root))
    (root / "changekit.yaml").write_text(
        policy_with(["bob@example.org"], standard=["security-updates"])
    )
    git(root, "commit", "-qam", "policy")
    set_identity(root, "Alice", "alice@example.org")
    return root


def _load(ws: Path, rid: str) -> dict:
    return yaml.safe_load((ws / "change_records" / f"{rid}.yaml").read_text())


def test_new_with_every_flag(ws):
    result = ok(
        ws,
        "change",
        "new",
        "--no-input",
        "--format",
        "json",
        "--title",
        "Move db1 to new storage",
        "--type",
        "normal",
        "--category",
        "move",
        "--risk",
        "medium",
        "--impact",
        "high",
        "--host",
        "db1",
        "--host",
        "group:db",
        "--service",
        "postgres",
        "--outage",
        "--outage-minutes",
        "30",
        "--start",
        "2026-12-06 02:00",
        "--end",
        "2026-12-06 04:00",
        "--tz",
        "Europe/Berlin",
        "--description",
        "Move the data directory",
        "--justification",
        "old array is end of life",
        "--implementation",
        "stop postgres",
        "--implementation",
        "rsync",
        "--verification",
        "psql -c 'select 1'",
        "--rollback",
        "start on the old array",
        "--user-action",
        "none",
        "--contact",
        "ops@example.org",
    )
    out = json.loads(result.stdout)
    rid = out["id"]
    assert out["status"] == "draft" and out["path"] == f"change_records/{rid}.yaml"
    data = _load(ws, rid)
    assert data["requester"] == {"name": "Alice", "email": "alice@example.org"}
    assert data["hosts"] == ["db1", "group:db"] and data["services"] == ["postgres"]
    assert data["outage"] == {"expected": True, "duration_minutes": 30}
    assert data["window"] == {
        "start": "2026-12-06T02:00:00+01:00",
        "end": "2026-12-06T04:00:00+01:00",
        "timezone": "Europe/Berlin",
    }
    assert data["implementation"] == ["stop postgres", "rsync"]
    assert data["verification"] == "psql -c 'select 1'"
    assert data["history"][0]["status"] == "draft"
    assert git(ws, "status", "--porcelain") == ""
    msg = git(ws, "log", "-1", "--format=%an|%s|%(trailers:only,unfold)")
    assert msg.startswith(f"Alice|File {rid}: Move db1 to new storage|")
    assert f"Changekit-Record: {rid}" in msg and "Changekit-Status: draft" in msg


def test_no_input_lists_every_missing_field_and_commits_nothing(ws):
    head = git(ws, "rev-parse", "HEAD")
    result = ck(ws, "change", "new", "--no-input", "--risk", "low")
    assert result.exit_code == 3
    assert "missing required fields: title, type, category, impact, hosts" in result.stderr
    assert git(ws, "rev-parse", "HEAD") == head
    assert not list((ws / "change_records").glob("CHG-*"))


def test_from_file_draft_in_local_time(ws, tmp_path):
    draft = tmp_path / "draft.yaml"
    draft.write_text(
        "title: Kernel update\ntype: normal\ncategory: change\nrisk: low\nimpact: low\nhosts: [web1]\n"
        "window: {start: '2026-07-05 02:00', end: '2026-07-05 03:30', timezone: Europe/Berlin}\n"
    )
    rid = json.loads(
        ok(
            ws,
            "change",
            "new",
            "--no-input",
            "--format",
            "json",
            "--from-file",
            str(draft),
            "--title",
            "Kernel update on web1",
        ).stdout
    )["id"]
    data = _load(ws, rid)
    assert data["title"] == "Kernel update on web1"  # flags win over the draft
    assert data["window"]["start"] == "2026-07-05T02:00:00+02:00"  # summer time in Berlin


def test_from_file_unknown_key_points_at_it(ws, tmp_path):
    draft = tmp_path / "draft.yaml"
    draft.write_text("title: x y z\nhost: [web1]\n")
    result = ck(ws, "change", "new", "--no-input", "--from-file", str(draft))
    assert result.exit_code == 3
    assert f"{draft}:2:1: unknown key 'host'" in result.stderr
    assert "did you mean 'hosts'?" in result.stderr


def test_from_file_may_not_bring_approvals(ws, tmp_path):
    draft = tmp_path / "draft.yaml"
    draft.write_text(
        "title: x y z\napprovals: [{by: {name: B, email: b@x.org}, at: '2026-01-01T00:00:00Z'}]\n"
    )
    result = ck(ws, "change", "new", "--no-input", "--from-file", str(draft))
    assert result.exit_code == 3
    assert "'approvals' is filled in by changekit, not by a draft" in result.stderr


def test_standard_change_from_a_preapproved_template_needs_no_approval(ws):
    rid = json.loads(
        ok(
            ws,
            "change",
            "new",
            "--no-input",
            "--format",
            "json",
            "--template",
            "security-updates",
            "--host",
            "web1",
        ).stdout
    )["id"]
    data = _load(ws, rid)
    assert data["type"] == "standard" and data["template"] == "security-updates"
    assert data["title"] == "Apply pending security updates"
    submitted = ok(ws, "change", "submit", rid)
    assert "draft -> approved" in submitted.stdout
    assert git(ws, "log", "-1", "--format=%(trailers:key=Changekit-Status,valueonly)") == "approved"


def test_unknown_template_suggests_the_closest(ws):
    result = ck(
        ws, "change", "new", "--no-input", "--template", "security-update", "--host", "web1"
    )
    assert result.exit_code == 3
    assert "no change template named 'security-update'" in result.stderr
    assert "did you mean 'security-updates'?" in result.stderr


def test_plugin_templates_are_offered(ws):
    from changekit import hookimpl
    from changekit.plugins import get_manager

    class Plugin:
        @hookimpl
        def register_change_templates(self, register):
            register(
                "reboot",
                {
                    "title": "Reboot hosts",
                    "type": "normal",
                    "category": "other",
                    "risk": "low",
                    "impact": "medium",
                    "outage": {"expected": True},
                },
            )

    pm = get_manager()
    plugin = Plugin()
    pm.register(plugin, "test-templates")
    try:
        rid = json.loads(
            ok(
                ws,
                "change",
                "new",
                "--no-input",
                "--format",
                "json",
                "--template",
                "reboot",
                "--host",
                "web1",
            ).stdout
        )["id"]
    finally:
        pm.unregister(plugin)
    assert _load(ws, rid)["outage"] == {"expected": True}


def _seed(ws: Path) -> dict[str, str]:
    ids = {}
    for key, args in {
        "web": (
            "--title",
            "Web patch",
            *REQUIRED,
            "--host",
            "web1",
            "--start",
            "2026-12-06 02:00",
            "--end",
            "2026-12-06 03:00",
            "--tz",
            "Europe/Berlin",
        ),
        "db": (
            "--title",
            "DB patch",
            *REQUIRED,
            "--host",
            "group:db",
            "--start",
            "2027-01-10 02:00",
            "--end",
            "2027-01-10 03:00",
            "--tz",
            "UTC",
        ),
        "fix": (
            "--title",
            "Hotfix",
            "--type",
            "emergency",
            "--category",
            "change",
            "--risk",
            "high",
            "--impact",
            "low",
            "--host",
            "web*",
            "--emergency-reason",
            "outage now",
        ),
    }.items():
        ids[key] = json.loads(
            ok(ws, "change", "new", "--no-input", "--format", "json", *args).stdout
        )["id"]
    ok(ws, "change", "submit", ids["fix"])
    return ids


def _ids(ws: Path, *args: str) -> set[str]:
    return {r["id"] for r in json.loads(ok(ws, "change", "list", "--format", "json", *args).stdout)}


def test_list_filters(ws):
    ids = _seed(ws)
    assert _ids(ws) == set(ids.values())
    assert _ids(ws, "--status", "submitted") == {ids["fix"]}
    assert _ids(ws, "--type", "normal") == {ids["web"], ids["db"]}
    assert _ids(ws, "--host", "web1") == {ids["web"], ids["fix"]}  # web* covers web1
    assert _ids(ws, "--host", "group:db") == {ids["db"]}
    assert _ids(ws, "--from", "2027-01-01") == {ids["db"]}
    assert _ids(ws, "--to", "2026-12-31") == {ids["web"]}
    assert _ids(
        ws, "--from", "2026-12-06 02:30", "--to", "2026-12-06 02:45", "--tz", "Europe/Berlin"
    ) == {ids["web"]}
    assert (
        _ids(ws, "--from", "2026-12-06 03:30", "--to", "2026-12-06 04:00", "--tz", "Europe/Berlin")
        == set()
    )


def test_list_table_when_piped(ws):
    ids = _seed(ws)
    out = ok(ws, "change", "list").stdout.splitlines()
    assert out[0].split("\t") == ["ID", "STATUS", "TYPE", "RISK", "WINDOW", "HOSTS", "TITLE"]
    web = next(line.split("\t") for line in out if line.startswith(ids["web"]))
    assert web[4] == "2026-12-06 02:00–03:00 Europe/Berlin"


def test_list_with_inventory_groups(ws):
    (ws / "inventories" / "hosts.yaml").write_text(
        "hosts:\n  db1: {}\n  db2: {}\n  web1: {}\ngroups:\n  db:\n    hosts: [db1, db2]\n"
    )
    ids = _seed(ws)
    result = ck(ws, "change", "list", "--format", "json", "--host", "db2")
    assert result.exit_code == 0, result.stderr
    assert {r["id"] for r in json.loads(result.stdout)} == {ids["db"]}


def test_show_formats(ws):
    ids = _seed(ws)
    text = ok(ws, "change", "show", ids["web"]).stdout
    assert "Web patch" in text and "window: 2026-12-06 02:00–03:00 Europe/Berlin" in text
    assert "Next steps: submit, cancel" in text
    as_json = json.loads(ok(ws, "change", "show", ids["web"], "--format", "json").stdout)
    as_yaml = yaml.safe_load(ok(ws, "change", "show", ids["web"][:16], "--format", "yaml").stdout)
    assert as_json == as_yaml == _load(ws, ids["web"])


def test_show_unknown_id(ws):
    _seed(ws)
    result = ck(ws, "change", "show", "CHG-20000101-zzzzzz")
    assert result.exit_code == 3 and "no change record CHG-20000101-zzzzzz" in result.stderr


def test_change_commands_through_the_console_script(ws):
    exe = shutil.which("changekit") or str(Path(sys.executable).parent / "changekit")
    done = subprocess.run(
        [
            exe,
            "change",
            "new",
            "--no-input",
            "--title",
            "Via script",
            *REQUIRED,
            "--host",
            "h1",
            "--format",
            "json",
        ],
        cwd=ws / "change_records",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    rid = json.loads(done.stdout)["id"]
    bad = subprocess.run([exe, "change", "start", rid], cwd=ws, capture_output=True, text=True)
    assert bad.returncode == 4
    assert bad.stderr == (
        f"error: change_records/{rid}.yaml: cannot start {rid}: it is draft\n"
        "  field: status\n  hint: allowed next steps: submit, cancel\n"
    )


def test_invalid_flag_is_blamed_on_the_flag_not_a_record_file(ws):
    """QA #15: the record file named in the error was never written."""
    head = git(ws, "rev-parse", "HEAD")
    result = ck(ws, "change", "new", "--no-input", *REQUIRED, "--title", "t", "--host", "web1")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: --title: 't' is too short")
    assert "change_records/" not in result.stderr
    assert git(ws, "rev-parse", "HEAD") == head and git(ws, "status", "--porcelain") == ""


def test_invalid_draft_value_is_blamed_on_the_draft_line(ws, tmp_path):
    draft = tmp_path / "bt.yaml"
    draft.write_text(
        "title: Upgrade the database\ntype: norml\ncategory: change\n"
        "risk: low\nimpact: low\nhosts: [db1]\n"
    )
    result = ck(ws, "change", "new", "--no-input", "--from-file", str(draft))
    assert result.exit_code == 3
    assert f"error: {draft}:2:7: 'norml' is not one of" in result.stderr
    assert "did you mean 'normal'?" in result.stderr and "change_records/" not in result.stderr


INVENTORY = "hosts:\n  db1: {}\n  db2: {}\n  web1: {}\ngroups:\n  db:\n    hosts: [db1, db2]\n"


def test_new_refuses_a_selector_the_inventory_cannot_resolve(ws, tmp_path):
    """QA #6: such a change would be invisible to conflicts, drift and notices."""
    (ws / "inventories" / "hosts.yaml").write_text(INVENTORY)
    git(ws, "add", "inventories")
    git(ws, "commit", "-qm", "inventory")
    head = git(ws, "rev-parse", "HEAD")
    for selector, says in [
        ("dbl", "'db1'?"),
        ("group:dbs", "did you mean 'db'"),
        ("group:*", "no group named '*'"),
    ]:
        result = ck(
            ws,
            "change",
            "new",
            "--no-input",
            *REQUIRED,
            "--title",
            "Patch the db",
            "--host",
            "db1",
            "--host",
            selector,
        )
        assert result.exit_code == 3, result.output
        assert f"error: --host: host selector {selector!r} names no host" in result.stderr
        assert says in result.stderr and "field: hosts[1]" in result.stderr
    draft = tmp_path / "d.yaml"
    draft.write_text(
        "title: Patch the db\ntype: normal\ncategory: change\nrisk: low\nimpact: low\n"
        "hosts:\n- db1\n- group:nope\n"
    )
    result = ck(ws, "change", "new", "--no-input", "--from-file", str(draft))
    assert result.exit_code == 3 and f"error: {draft}:8:3: host selector 'group:nope'" in (
        result.stderr
    )
    assert git(ws, "rev-parse", "HEAD") == head and git(ws, "status", "--porcelain") == ""
    ok(
        ws,
        "change",
        "new",
        "--no-input",
        *REQUIRED,
        "--title",
        "Patch the db",
        "--host",
        "group:db",
        "--host",
        "web*",
    )


def test_submit_refuses_a_hand_edited_unknown_group_naming_the_record_line(ws):
    rid = _seed(ws)["db"]
    (ws / "inventories" / "hosts.yaml").write_text(INVENTORY)
    path = ws / "change_records" / f"{rid}.yaml"
    text = path.read_text()
    path.write_text(text.replace("hosts:\n", "hosts:\n- group:nope\n", 1))
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "hosts by hand")
    result = ck(ws, "change", "submit", rid)
    assert result.exit_code == 3
    line = path.read_text().splitlines().index("- group:nope") + 1
    assert f"error: change_records/{rid}.yaml:{line}:3: host selector 'group:nope'" in (
        result.stderr
    )


def test_one_bad_record_does_not_break_list_by_host(ws):
    ids = _seed(ws)
    bad = ok(
        ws,
        "change",
        "new",
        "--no-input",
        "--format",
        "json",
        *REQUIRED,
        "--title",
        "Unknown group change",
        "--host",
        "group:nope",
    )
    bad_id = json.loads(bad.stdout)["id"]
    (ws / "inventories" / "hosts.yaml").write_text(INVENTORY)  # the group never existed
    result = ck(ws, "change", "list", "--format", "json", "--host", "db2")
    assert result.exit_code == 0, result.stderr
    assert {r["id"] for r in json.loads(result.stdout)} == {ids["db"]}
    assert (
        f"warning: change_records/{bad_id}.yaml: hosts[0] 'group:nope': no group named 'nope'"
        in result.stderr
    )
    unknown = ck(ws, "change", "list", "--host", "group:dbz")
    assert unknown.exit_code == 3 and "--host group:dbz: no group named 'dbz'" in unknown.stderr


def test_list_from_after_to_is_an_error(ws):
    result = ck(ws, "change", "list", "--from", "2026-12-06", "--to", "2026-12-05")
    assert result.exit_code == 2 and "--from 2026-12-06 is after --to 2026-12-05" in result.stderr


def test_show_by_prefix_with_a_broken_record_says_it_is_ambiguous(ws):
    ids = _seed(ws)
    day = ids["web"][:13]  # CHG-YYYYMMDD-
    broken = ws / "change_records" / f"{day}zzzzzz.yaml"
    broken.write_text("id: [unclosed\n")
    result = ck(ws, "change", "show", day)
    assert result.exit_code == 3
    assert f"{day!r} matches {len(ids) + 1} records" in result.stderr
    assert f"{day}zzzzzz (broken)" in result.stderr
    assert ok(ws, "change", "show", ids["web"]).exit_code == 0
    own = ck(ws, "change", "show", f"{day}zzzzzz")
    assert own.exit_code == 3 and f"change_records/{day}zzzzzz.yaml:" in own.stderr


def test_show_prints_a_hand_edited_escape_sequence_as_text(ws):
    """A record's text is anyone's: `change show` must not let it drive a reviewer's terminal."""
    rid = json.loads(
        ok(ws, "change", "new", "--no-input", "--format", "json", "--title", "Patch web",
           "--host", "web1", *REQUIRED).stdout
    )["id"]  # fmt: skip
    path = ws / "change_records" / f"{rid}.yaml"
    data = _load(ws, rid)
    data["description"] = "line one\nred \x1b[31mALERT\x1b[0m \u202eexe.txt"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    shown = ok(ws, "change", "show", rid).stdout
    assert "\x1b" not in shown and "\u202e" not in shown
    assert "red \\x1b[31mALERT\\x1b[0m \\u202eexe.txt" in shown and "line one\n" in shown
