"""Sending rules: each key once, failures reported and retried, only what went out recorded."""

from __future__ import annotations

import json

from tests.notices.helpers import clean, commits
from tests.notices.servers import SmtpServer, WebhookServer, free_port
from tests.notices.workspace import RID, git, load, make_workspace, update

T0 = "2026-12-01T10:00:00+00:00"


def test_running_twice_sends_nothing_twice_and_each_run_is_one_commit(
    tmp_path, run_cli, smtp, webhook, notices_config
):
    ws = make_workspace(tmp_path / "ws", notices_config)
    setup = commits(ws)
    first = run_cli("-C", str(ws), "announce", RID, "--at", T0)
    assert first.exit_code == 0, first.output
    assert len(smtp.inbox.messages) == 3 and len(webhook.posts) == 1
    history = commits(ws)
    assert len(history) == len(setup) + 1 and history[0].endswith(
        f"{RID}: sent 6 notices (announcement)"
    )
    trailers = git(ws, "log", "-1", "--format=%(trailers:only,unfold)")
    assert f"Changekit-Record: {RID}" in trailers and "Changekit-Action: notices" in trailers
    assert clean(ws)  # record, calendar and feed all committed

    for args in (("announce", RID), ("notices", "send-due")):
        again = run_cli("-C", str(ws), *args, "--at", "2026-12-01T10:30:00+00:00")
        assert again.exit_code == 0, again.output
        assert again.stdout.strip() == "nothing due"
    assert len(smtp.inbox.messages) == 3 and len(webhook.posts) == 1
    assert commits(ws) == history

    rec = load(ws)
    assert rec["announcement"]["announced_at"] == T0
    keys = [n["key"] for n in rec["notices"]]
    assert len(keys) == len(set(keys)) == 6
    assert {n["channel"] for n in rec["notices"]} == {"email", "ics", "atom", "webhook"}


def test_a_failing_channel_is_reported_retried_and_never_recorded_early(
    tmp_path, run_cli, notices_config
):
    smtp_port = free_port()  # nothing listens there yet: SMTP is down
    hook = WebhookServer(fail=1).start()  # the first POST gets a 500
    try:
        notices_config["email"]["port"] = smtp_port
        notices_config["webhook"]["targets"]["ops-chat"]["url"] = hook.url
        ws = make_workspace(tmp_path / "ws", notices_config)

        down = run_cli("-C", str(ws), "announce", RID, "--at", T0, "--format", "json")
        assert down.exit_code == 1
        report = json.loads(down.stdout)
        failed = {(f["channel"], f["audience"]) for f in report["failed"]}
        assert failed == {
            ("email", "web-team@example.org"),
            ("email", "editors@example.org"),
            ("email", "intranet-users@example.org"),
            ("webhook", "ops-chat"),
        }
        assert all(
            "Connection refused" in f["error"] for f in report["failed"] if f["channel"] == "email"
        )
        assert "HTTP 500" in next(f["error"] for f in report["failed"] if f["channel"] == "webhook")
        # the others still went out, and only they are recorded
        assert {n["channel"] for n in load(ws)["notices"]} == {"ics", "atom"}
        assert load(ws)["announcement"]["announced_at"] == T0
        assert clean(ws)

        smtp = SmtpServer(port=smtp_port).start()
        try:
            retry = run_cli(
                "-C", str(ws), "notices", "send-due", "--at", "2026-12-01T10:15:00+00:00"
            )
            assert retry.exit_code == 0, retry.output
            assert len(smtp.inbox.messages) == 3
            assert len(hook.posts) == 1
            rec = load(ws)
            assert sorted((n["channel"], n["at"]) for n in rec["notices"]) == sorted(
                [("ics", T0), ("atom", T0), ("webhook", "2026-12-01T10:15:00+00:00")]
                + [("email", "2026-12-01T10:15:00+00:00")] * 3
            )
            # the lead time still counts from the first notice that went out
            assert rec["announcement"]["announced_at"] == T0
        finally:
            smtp.stop()
    finally:
        hook.stop()


def test_start_and_completion_notices_follow_the_status(
    tmp_path, run_cli, smtp, webhook, notices_config
):
    ws = make_workspace(tmp_path / "ws", notices_config)
    assert run_cli("-C", str(ws), "announce", RID, "--at", T0).exit_code == 0
    smtp.inbox.messages.clear()
    webhook.posts.clear()

    begun = {"status": "in_progress", "at": "2026-12-10T21:58:00+00:00",
             "by": {"name": "Ops", "email": "ops@example.org"}}  # fmt: skip
    update(ws, status="in_progress", history=load(ws)["history"] + [begun])
    started = run_cli("-C", str(ws), "notices", "send-due", "--at", "2026-12-10T22:01:00+00:00")
    assert started.exit_code == 0, started.output
    assert {m["Subject"].split(":")[0] for m in smtp.inbox.messages} == {
        "[CHG-20261125-web001] Started"
    }
    # the time work really began (cron ran three minutes later), in each reader's zone
    assert {m["Subject"].split("(")[-1] for m in smtp.inbox.messages} == {
        "started Thursday 10 December 2026, 16:58 EST)",
        "started Thursday 10 December 2026, 22:58 CET)",
    }
    assert webhook.posts[0]["text"].startswith("*[CHG-20261125-web001] Started:")

    update(
        ws,
        status="rolled_back",
        outcome={
            "result": "rolled_back",
            "at": "2026-12-10T23:10:00+00:00",
            "notes": "Logins broke.",
        },
    )
    done = run_cli("-C", str(ws), "notices", "send-due", "--at", "2026-12-10T23:15:00+00:00")
    assert done.exit_code == 0, done.output
    last = smtp.inbox.messages[-1]
    assert last["Subject"].startswith("[CHG-20261125-web001] Rolled back:")
    body = last.get_body(("plain",)).get_content()
    assert "everything is as it was before" in body and "Logins broke." in body
    completion = sorted(n["channel"] for n in load(ws)["notices"] if n["kind"] == "completion")
    assert completion == ["atom", "email", "email", "email", "ics", "webhook"]
    # no start notice for ics (calendars only care about the event), one per reader elsewhere
    start = sorted(n["channel"] for n in load(ws)["notices"] if n["kind"] == "start")
    assert start == ["atom", "email", "email", "email", "webhook"]


def test_no_reminder_follows_an_announcement_made_after_its_time(
    tmp_path, run_cli, smtp, webhook, notices_config
):
    """QA #19: announced 40 minutes before the start with reminders P1D and PT1H."""
    ws = make_workspace(tmp_path / "ws", notices_config)  # the window starts 2026-12-10 22:00 UTC
    announced = run_cli("-C", str(ws), "announce", RID, "--at", "2026-12-10T21:20:00+00:00")
    assert announced.exit_code == 0, announced.output
    sent = len(smtp.inbox.messages)
    for moment in ("2026-12-10T21:20:01+00:00", "2026-12-10T21:30:00+00:00"):
        again = run_cli("-C", str(ws), "notices", "send-due", "--at", moment)
        assert again.exit_code == 0, again.output
        assert again.stdout.strip() == "nothing due"
    assert len(smtp.inbox.messages) == sent
    assert {n["kind"] for n in load(ws)["notices"]} == {"announcement"}
