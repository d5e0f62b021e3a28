"""The notices commands' other faces: list, preview, bad settings, a broken record among good ones."""

from __future__ import annotations

import json

from tests.notices.workspace import RID, git, make_workspace, record

T0 = "2026-12-01T10:00:00+00:00"
FEED = {"atom": {"path": "public/notices.atom"}, "timezone": "Europe/Berlin"}


def test_list_shows_what_was_recorded(tmp_path, run_cli):
    ws = make_workspace(tmp_path / "ws", FEED)
    assert run_cli("-C", str(ws), "announce", RID, "--at", T0).exit_code == 0
    listed = run_cli("-C", str(ws), "notices", "list", RID, "--format", "json")
    assert listed.exit_code == 0
    (entry,) = json.loads(listed.stdout)
    assert entry["kind"] == "announcement" and entry["channel"] == "atom" and entry["at"] == T0
    table = run_cli("-C", str(ws), "notices", "list", RID)
    assert table.stdout.splitlines()[0].split("\t") == [
        "at",
        "kind",
        "channel",
        "audience",
        "sequence",
        "message_id",
    ]


def test_preview_renders_for_an_audience_without_sending(tmp_path, run_cli):
    ws = make_workspace(tmp_path / "ws", {**FEED, "audiences": {"dba@example.org": {"timezone": "Asia/Tokyo"}}},
                        records=[record(hosts=["db01"])])  # fmt: skip
    shown = run_cli(
        "-C",
        str(ws),
        "notices",
        "preview",
        RID,
        "--kind",
        "reminder",
        "--audience",
        "dba@example.org",
    )
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("Subject: [CHG-20261125-web001] Reminder:")
    assert "Friday 11 December 2026, 07:00 to 08:30 JST (Asia/Tokyo)" in shown.stdout
    assert "Reminder: this change starts in 1 day." in shown.stdout
    html = run_cli("-C", str(ws), "notices", "preview", RID, "--html")
    assert "<dl>" in html.stdout
    assert (
        git(ws, "status", "--porcelain") == ""
        and "notices" not in (ws / "change_records" / f"{RID}.yaml").read_text()
    )


def test_a_misspelt_setting_names_file_line_and_the_closest_key(tmp_path, run_cli):
    ws = make_workspace(tmp_path / "ws", {"timezone": "UTC", "emial": {"from": "ops@example.org"}})
    result = run_cli("-C", str(ws), "notices", "send-due")
    assert result.exit_code == 3
    assert (
        "error: notices.yaml:3:3: unknown key 'emial' (expected by notices schema)" in result.stderr
    )
    assert "field: emial" in result.stderr
    assert "did you mean 'email'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_record_naming_unknown_hosts_is_reported_and_the_others_still_go_out(tmp_path, run_cli):
    good = record()
    bad = record("CHG-20261125-badhst", hosts=["web99"])
    for rec in (good, bad):
        rec["announcement"] = {"announced_at": T0, "sequence": 0,
                               "window": {k: rec["window"][k] for k in ("start", "end")}}  # fmt: skip
    ws = make_workspace(tmp_path / "ws", FEED, records=[bad, good])
    result = run_cli("-C", str(ws), "notices", "send-due", "--at", "2026-12-09T23:00:00+00:00")
    assert result.exit_code == 1
    assert "CHG-20261125-badhst" in result.stderr and "web99" in result.stderr
    assert f"sent    {RID}  announcement" in result.stdout
    assert f"sent    {RID}  reminder" in result.stdout


def test_announcing_a_draft_is_refused(tmp_path, run_cli):
    ws = make_workspace(tmp_path / "ws", FEED, records=[record(status="draft")])
    result = run_cli("-C", str(ws), "announce", RID)
    assert result.exit_code == 4
    assert "only submitted, approved or scheduled changes are announced" in result.stderr


def test_an_unknown_time_zone_is_caught_when_the_settings_load(tmp_path, run_cli):
    settings = {**FEED, "audiences": {"dba@example.org": {"timezone": "Europe/Berlinn"}}}
    ws = make_workspace(tmp_path / "ws", settings)
    result = run_cli("-C", str(ws), "announce", RID)
    assert result.exit_code == 3
    assert (
        "notices.yaml:" in result.stderr and "unknown time zone 'Europe/Berlinn'" in result.stderr
    )
    assert "field: audiences.dba@example.org.timezone" in result.stderr
