"""Webhooks against a real HTTP server on loopback."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.notices.servers import WebhookServer
from tests.notices.workspace import RID, load, make_workspace, update


def test_slack_default_json_format_and_audience_filter(
    tmp_path, run_cli, webhook, notices_config, monkeypatch
):
    structured = WebhookServer().start()
    try:
        monkeypatch.setenv("TEST_HOOK_URL", structured.url)
        notices_config["channels"] = ["webhook"]
        notices_config["webhook"]["targets"].update(
            {
                "status-page": {"url_env": "TEST_HOOK_URL", "format": "json"},
                "dba-room": {"url": webhook.url, "audiences": ["dba@example.org"]},  # not affected
            }
        )
        ws = make_workspace(tmp_path / "ws", notices_config)
        result = run_cli("-C", str(ws), "announce", RID, "--at", "2026-12-01T10:00:00+00:00")
        assert result.exit_code == 0, result.output

        (slack,) = webhook.posts  # ops-chat only: dba-room's audience is not affected
        assert set(slack) == {"text"}
        assert slack["text"].startswith(
            "*[CHG-20261125-web001] Planned maintenance: Upgrade Apache"
        )
        assert "Save your work in the intranet editor" in slack["text"]
        assert webhook.headers[0]["Content-Type"] == "application/json"

        (data,) = structured.posts
        assert data["change"] == RID and data["kind"] == "announcement" and data["sequence"] == 0
        assert data["outage"] is True and data["outage_duration"] == "15 minutes"
        assert data["hosts"] == ["web01", "web02"] and data["services"] == ["intranet"]
        assert (
            data["when"]
            == "Thursday 10 December 2026, 23:00 to Friday 11 December 2026, 00:30 CET (Europe/Berlin)"
        )
        # machine-readable: ISO 8601 times and the change's id, type and status (QA #23)
        assert data["change_id"] == RID and data["change_type"] == "normal"
        assert data["status"] == "approved"
        assert data["start"] == "2026-12-10T22:00:00Z" and data["end"] == "2026-12-10T23:30:00Z"
        assert datetime.fromisoformat(data["start"]) == datetime(2026, 12, 10, 22, tzinfo=UTC)
        assert data["started_at"] is None and data["finished_at"] is None
        assert data["emergency_reason"] is None
        assert structured.headers[0]["X-Changekit-Change"] == RID
        assert sorted(n["audience"] for n in load(ws)["notices"]) == ["ops-chat", "status-page"]
    finally:
        structured.stop()


def test_missing_url_env_is_reported_with_the_field(tmp_path, run_cli, notices_config, monkeypatch):
    monkeypatch.delenv("NOPE_HOOK", raising=False)
    notices_config["channels"] = ["webhook"]
    notices_config["webhook"]["targets"] = {"chat": {"url_env": "NOPE_HOOK"}}
    ws = make_workspace(tmp_path / "ws", notices_config)
    result = run_cli("-C", str(ws), "announce", RID, "--at", "2026-12-01T10:00:00+00:00")
    assert result.exit_code == 1
    assert "webhook 'chat': $NOPE_HOOK is empty" in result.stderr
    assert "notices" not in load(ws)


def test_json_payload_of_a_start_carries_when_work_really_began(
    tmp_path, run_cli, webhook, notices_config
):
    notices_config["channels"] = ["webhook"]
    notices_config["webhook"]["targets"] = {"status-page": {"url": webhook.url, "format": "json"}}
    ws = make_workspace(tmp_path / "ws", notices_config)
    assert (
        run_cli("-C", str(ws), "announce", RID, "--at", "2026-12-01T10:00:00+00:00").exit_code == 0
    )
    begun = {"status": "in_progress", "at": "2026-12-10T22:58:00+01:00",
             "by": {"name": "Ops", "email": "ops@example.org"}}  # fmt: skip
    update(ws, status="in_progress", history=load(ws)["history"] + [begun])
    due = run_cli("-C", str(ws), "notices", "send-due", "--at", "2026-12-10T22:01:00+00:00")
    assert due.exit_code == 0, due.output
    start = webhook.posts[-1]
    assert start["kind"] == "start" and start["status"] == "in_progress"
    assert start["started_at"] == "2026-12-10T21:58:00Z"
    assert datetime.fromisoformat(start["started_at"]) < datetime.fromisoformat(start["start"])
