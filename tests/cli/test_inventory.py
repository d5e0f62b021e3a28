"""``changekit inventory list/show/groups`` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

EXAMPLES = Path(__file__).resolve().parents[1] / "inventory" / "examples"
FULL = str(EXAMPLES / "good" / "changekit-full.yaml")


def test_list_prints_a_table_and_json(run_cli):
    result = run_cli("inventory", "list", "-i", FULL, "--ssh-config", "none", "group:web")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == ["host", "address", "port", "user", "groups", "tags"]
    assert lines[1].split("\t") == [
        "web01",
        "web01.example.org",
        "22",
        "deploy",
        "production,web",
        "canary,prod",
    ]
    assert len(lines) == 4
    result = run_cli(
        "inventory", "list", "-i", FULL, "--ssh-config", "none", "--format", "json", "tag:canary"
    )
    data = json.loads(result.stdout)
    assert [h["name"] for h in data] == ["web01"]
    assert data[0]["contacts"] == ["alice@example.org", "web-team@example.org", "ops@example.org"]


def test_show_prints_yaml_an_independent_parser_reads(run_cli):
    result = run_cli("inventory", "show", "db01", "-i", FULL, "--ssh-config", "none")
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.stdout)
    assert data["address"] == "2001:db8::21" and data["port"] == 2222 and data["user"] == "postgres"
    assert data["source"].endswith("changekit-full.yaml:11")


def test_show_flags_an_unusable_address(run_cli):
    hostile = str(EXAMPLES / "good" / "hostile.yaml")
    result = run_cli("inventory", "show", "`id`", "-i", hostile, "--ssh-config", "none")
    assert result.exit_code == 0
    assert "characters a host name cannot have" in yaml.safe_load(result.stdout)["address_problem"]
    listing = run_cli("inventory", "list", "-i", hostile, "--ssh-config", "none")
    assert "line\\nbreak" in listing.stdout  # a newline in a name cannot break the table


def test_unknown_host_and_group_exit_3_with_a_hint(run_cli):
    result = run_cli("inventory", "show", "web1", "-i", FULL, "--ssh-config", "none")
    assert result.exit_code == 3
    assert "no host named 'web1'" in result.stderr and "did you mean" in result.stderr
    result = run_cli("inventory", "list", "group:wbe", "-i", FULL, "--ssh-config", "none")
    assert result.exit_code == 3
    assert "hint: did you mean 'web'?" in result.stderr


def test_bad_file_reports_file_line_and_field(run_cli):
    result = run_cli("inventory", "list", "-i", str(EXAMPLES / "bad" / "typo-key.yaml"))
    assert result.exit_code == 3
    assert "typo-key.yaml:3:13: unknown key 'adress'" in result.stderr
    assert "did you mean 'address'?" in result.stderr


def test_groups_count_nested_hosts(run_cli):
    result = run_cli("inventory", "groups", "-i", FULL, "--format", "json", "--ssh-config", "none")
    groups = {g["name"]: g for g in json.loads(result.stdout)}
    assert groups["production"]["hosts"] == 4 and groups["production"]["children"] == ["db", "web"]


def test_default_inventory_comes_from_the_workspace(run_cli, tmp_path):
    (tmp_path / "changekit.yaml").write_text("")
    (tmp_path / "inventories").mkdir()
    (tmp_path / "inventories" / "hosts").write_text("[web]\nweb01\n")
    result = run_cli("-C", str(tmp_path), "inventory", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [h["name"] for h in json.loads(result.stdout)] == ["web01"]


def test_outside_a_workspace_without_i_is_a_clear_error(run_cli, tmp_path):
    result = run_cli("inventory", "list", cwd=tmp_path)
    assert result.exit_code == 3
    assert "pass -i PATH" in result.stderr


def test_show_json(run_cli):
    result = run_cli(
        "inventory", "show", "web01", "-i", FULL, "--ssh-config", "none", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["groups"] == ["production", "web"] and data["vars"]["http_port"] == 8443


def test_check_passes_a_good_inventory_and_fails_unusable_addresses(run_cli):
    result = run_cli("inventory", "check", "-i", FULL, "--ssh-config", "none")
    assert result.exit_code == 0, result.output
    assert "5 hosts, 4 groups: every address can be connected to" in result.stdout
    assert "note: 1 hosts have no contacts" in result.stdout
    hostile = str(EXAMPLES / "good" / "hostile.yaml")
    result = run_cli("inventory", "check", "-i", hostile, "--ssh-config", "none")
    assert result.exit_code == 3
    assert "7 of 8 hosts have an address that cannot be connected to" in result.stderr
    assert "hostile.yaml:6: host '`id`': '`id`' cannot be connected to" in result.stderr
    assert "host 'line\\nbreak': 'line\\nbreak' cannot" in result.stderr  # escaped: one line
