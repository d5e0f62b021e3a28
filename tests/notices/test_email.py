"""Email against a real SMTP server (aiosmtpd) on loopback, parsed with the ``email`` package."""

from __future__ import annotations

import email
import subprocess
from email.header import decode_header, make_header
from email.utils import parsedate_to_datetime

import pytest
import yaml

from tests.needs import need_tools
from tests.notices.helpers import attached_calendar, check_calendar, commits, parts
from tests.notices.servers import SmtpServer, self_signed
from tests.notices.workspace import RID, git, load, make_workspace, record, update

T0 = "2026-12-01T10:00:00+00:00"


def by_rcpt(smtp):
    return {m["To"].addresses[0].addr_spec: m for m in smtp.inbox.messages}


def test_announcement_goes_to_the_affected_audiences_only_with_both_parts_and_the_ics(
    tmp_path, run_cli, smtp, notices_config
):
    ws = make_workspace(tmp_path / "ws", notices_config)
    result = run_cli("-C", str(ws), "announce", RID, "--at", T0)
    assert result.exit_code == 0, result.output

    rcpts = sorted(r for _f, rs in smtp.inbox.envelopes for r in rs)
    # web group (2 contacts) + the intranet service's users; not db or app owners
    assert rcpts == ["editors@example.org", "intranet-users@example.org", "web-team@example.org"]
    msgs = by_rcpt(smtp)
    msg = msgs["web-team@example.org"]
    assert msg["To"].addresses[0].display_name == "Web team"  # notices.yaml names the audience
    # else the inventory's display name ("Intranet Editors <editors@example.org>")
    assert msgs["editors@example.org"]["To"].addresses[0].display_name == "Intranet Editors"
    assert msg["From"] == "Ops <ops@example.org>"
    assert msg["Subject"] == (
        "[CHG-20261125-web001] Planned maintenance: Upgrade Apache on the web servers "
        "(Thursday 10 December 2026, 17:00 EST)"
    )
    assert parsedate_to_datetime(msg["Date"]).isoformat() == T0
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["In-Reply-To"] is None
    assert msg.get_content_type() == "multipart/mixed"
    p = parts(msg)
    assert set(p) == {"text/plain", "text/html", "text/calendar"}
    text = p["text/plain"].get_content()
    assert "17:00 to 18:30 EST (America/New_York)" in text  # the reader's own zone, named
    assert "&lt;critical&gt;" in p["text/html"].get_content()
    cal = attached_calendar(msg)
    assert cal["METHOD"] == "PUBLISH"
    (event,) = check_calendar(cal)
    assert str(event["UID"]) == f"{RID}@changekit" and event["SEQUENCE"] == 0
    # a reader without a zone of their own gets the team's
    assert (
        "23:00 to Friday 11 December 2026, 00:30 CET (Europe/Berlin)"
        in parts(msgs["intranet-users@example.org"])["text/plain"].get_content()
    )

    sent = [n for n in load(ws)["notices"] if n["channel"] == "email"]
    assert sorted(n["audience"] for n in sent) == [
        "editors@example.org",  # one reader per address, whatever the inventory's display name
        "intranet-users@example.org",
        "web-team@example.org",
    ]
    assert sorted(n["message_id"] for n in sent) == sorted(
        m["Message-ID"] for m in smtp.inbox.messages
    )
    assert all(n["at"] == T0 and n["kind"] == "announcement" and n["sequence"] == 0 for n in sent)


def test_reminders_and_updates_thread_to_the_announcement(tmp_path, run_cli, smtp, notices_config):
    ws = make_workspace(tmp_path / "ws", notices_config)
    assert run_cli("-C", str(ws), "announce", RID, "--at", T0).exit_code == 0
    announced = {m["To"].addresses[0].addr_spec: m["Message-ID"] for m in smtp.inbox.messages}
    smtp.inbox.messages.clear()

    # 23 hours before: the P1D reminder, in reply to the announcement, saying the time left
    result = run_cli("-C", str(ws), "notices", "send-due", "--at", "2026-12-09T23:00:00+00:00")
    assert result.exit_code == 0, result.output
    assert len(smtp.inbox.messages) == 3
    for m in smtp.inbox.messages:
        root = announced[m["To"].addresses[0].addr_spec]
        assert m["In-Reply-To"] == root
        assert m["References"].split()[0] == root
        assert m["Subject"].startswith("[CHG-20261125-web001] Reminder:")
        assert "Reminder: this change starts in 23 hours." in parts(m)["text/plain"].get_content()
        assert m["Message-ID"] not in announced.values()
    reminders = {m["To"].addresses[0].addr_spec: m["Message-ID"] for m in smtp.inbox.messages}
    smtp.inbox.messages.clear()

    # moved by two days: a reschedule whose ics carries SEQUENCE 1 and the same UID
    update(
        ws,
        window={
            "start": "2026-12-12T22:00:00+00:00",
            "end": "2026-12-12T23:00:00+00:00",
            "timezone": "Europe/Berlin",
        },
    )
    assert (
        run_cli("-C", str(ws), "notices", "send-due", "--at", "2026-12-10T00:00:00+00:00").exit_code
        == 0
    )
    assert len(smtp.inbox.messages) == 3
    for m in smtp.inbox.messages:
        addr = m["To"].addresses[0].addr_spec
        assert m["In-Reply-To"] == announced[addr]
        assert m["References"].split() == [announced[addr], reminders[addr]]
        assert (
            "This change has moved to a new time (it was planned for Thursday 10 December 2026"
            in parts(m)["text/plain"].get_content()
        )
        (event,) = check_calendar(attached_calendar(m))
        assert str(event["UID"]) == f"{RID}@changekit" and event["SEQUENCE"] == 1
    assert load(ws)["announcement"]["sequence"] == 1
    smtp.inbox.messages.clear()

    # cancelled: METHOD:CANCEL with a higher SEQUENCE
    update(ws, status="cancelled")
    assert (
        run_cli("-C", str(ws), "notices", "send-due", "--at", "2026-12-11T00:00:00+00:00").exit_code
        == 0
    )
    assert len(smtp.inbox.messages) == 3
    for m in smtp.inbox.messages:
        cal = attached_calendar(m)
        assert cal["METHOD"] == "CANCEL"
        (event,) = check_calendar(cal)
        assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 2
        assert parts(m)["text/calendar"].get_param("method") == "CANCEL"


def test_starttls_and_auth(tmp_path, run_cli, monkeypatch, notices_config):
    cert, key = self_signed(tmp_path)
    server = SmtpServer(tls_cert=cert, tls_key=key, users={"notifier": "s3cret"}).start()
    try:
        notices_config["email"].update(
            port=server.port,
            security="starttls",
            username="notifier",
            password_env="TEST_SMTP_PASSWORD",
            ca_file=str(cert),
        )
        notices_config["channels"] = ["email"]
        ws = make_workspace(tmp_path / "ws", notices_config)
        setup = commits(ws)
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong")
        bad = run_cli("-C", str(ws), "announce", RID, "--at", T0)
        assert bad.exit_code == 1
        assert "535" in bad.stderr and "FAILED" in bad.stderr
        assert "notices" not in load(ws)
        assert commits(ws) == setup  # a failed send commits nothing

        monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
        good = run_cli("-C", str(ws), "announce", RID, "--at", T0)
        assert good.exit_code == 0, good.output
        assert len(server.inbox.messages) == 3
        assert server.logins == ["notifier"] * 3
    finally:
        server.stop()


# aiosmtpd cannot tell that an implicit-TLS server's AUTH is already encrypted
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_checks_the_certificate(tmp_path, run_cli, monkeypatch, notices_config):
    cert, key = self_signed(tmp_path)
    server = SmtpServer(
        tls_cert=cert, tls_key=key, users={"notifier": "s3cret"}, implicit_tls=True
    ).start()
    try:
        monkeypatch.setenv("CHANGEKIT_SMTP_PASSWORD", "s3cret")
        notices_config["channels"] = ["email"]
        notices_config["email"].update(port=server.port, security="ssl", username="notifier")
        ws = make_workspace(tmp_path / "ws", notices_config)
        # without our CA the self-signed certificate is refused, and nothing is recorded
        untrusted = run_cli("-C", str(ws), "announce", RID, "--at", T0)
        assert untrusted.exit_code == 1
        assert "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
        assert "notices" not in load(ws) and server.inbox.messages == []

        notices_config["email"]["ca_file"] = str(cert)
        (ws / "notices.yaml").write_text(yaml.safe_dump(notices_config))
        git(ws, "commit", "-qam", "trust our CA")
        trusted = run_cli("-C", str(ws), "announce", RID, "--at", T0)
        assert trusted.exit_code == 0, trusted.output
        assert len(server.inbox.messages) == 3 and server.logins == ["notifier"] * 3
    finally:
        server.stop()


def test_a_contact_with_a_display_name_is_the_same_reader_everywhere(
    tmp_path, run_cli, smtp, webhook, notices_config
):
    """QA #11: the inventory writes ``DBA <dba@example.org>``; notices.yaml knows the address."""
    inventory = {
        "hosts": {"db01": {"contacts": ["DBA <DBA@Example.org>"]}},
        "groups": {"db": {"hosts": ["db01"], "contacts": ["dba@example.org"]}},
    }
    notices_config["audiences"] = {"dba@example.org": {"timezone": "Asia/Tokyo", "name": "DBAs"}}
    notices_config["services"] = {}
    notices_config["webhook"]["targets"] = {
        "dba-room": {"url": webhook.url, "audiences": ["Database team <dba@EXAMPLE.org>"]}
    }
    rec = record(hosts=["db01"], services=[])
    rec["announcement"] = {"audiences": ["The DBAs <dba@example.org>"]}
    ws = make_workspace(tmp_path / "ws", notices_config, records=[rec], inventory=inventory)

    tokyo = "Friday 11 December 2026, 07:00 to 08:30 JST (Asia/Tokyo)"
    for spelling in ("dba@example.org", "DBA <dba@example.org>"):
        shown = run_cli("-C", str(ws), "notices", "preview", RID, "--audience", spelling)
        assert shown.exit_code == 0, shown.output
        assert tokyo in shown.stdout and "warning" not in shown.stderr

    result = run_cli("-C", str(ws), "announce", RID, "--at", T0)
    assert result.exit_code == 0, result.output
    (msg,) = smtp.inbox.messages  # one reader, however many ways it is written
    assert [r for _f, rs in smtp.inbox.envelopes for r in rs] == ["dba@example.org"]
    assert msg["To"].addresses[0].display_name == "DBAs"
    assert tokyo in parts(msg)["text/plain"].get_content()  # what the preview promised
    assert len(webhook.posts) == 1  # the room for that reader, however it is spelt
    sent = {(n["channel"], n["audience"]) for n in load(ws)["notices"]}
    assert ("email", "dba@example.org") in sent and ("webhook", "dba-room") in sent

    # running again sends nothing twice
    again = run_cli("-C", str(ws), "notices", "send-due", "--at", "2026-12-01T10:05:00+00:00")
    assert again.stdout.strip() == "nothing due" and len(smtp.inbox.messages) == 1


def test_preview_for_a_reader_the_change_does_not_affect_warns(tmp_path, run_cli, notices_config):
    ws = make_workspace(tmp_path / "ws", notices_config)
    shown = run_cli("-C", str(ws), "notices", "preview", RID, "--audience", "nobody@example.org")
    assert shown.exit_code == 0
    assert "warning: nobody@example.org is not affected by CHG-20261125-web001" in shown.stderr
    assert "web-team@example.org" in shown.stderr  # who is


def test_notices_recorded_under_a_display_name_are_not_sent_again(
    tmp_path, run_cli, smtp, notices_config
):
    """Records written before readers were keyed by address keep working."""
    notices_config["channels"] = ["email"]
    rec = record()
    rec["announcement"] = {"announced_at": T0, "sequence": 0,
                           "window": {k: rec["window"][k] for k in ("start", "end")}}  # fmt: skip
    rec["notices"] = [
        {
            "kind": "announcement",
            "channel": "email",
            "audience": audience,
            "at": T0,
            "sequence": 0,
            "message_id": f"<{i}@example.org>",
            "key": f"announcement/email/{audience}/0",
        }  # fmt: skip
        for i, audience in enumerate(
            [
                "web-team@example.org",
                "Intranet Editors <editors@example.org>",
                "intranet-users@example.org",
            ]  # fmt: skip
        )
    ]
    ws = make_workspace(tmp_path / "ws", notices_config, records=[rec])
    result = run_cli("-C", str(ws), "notices", "send-due", "--at", "2026-12-09T22:30:00+00:00")
    assert result.exit_code == 0, result.output
    msgs = {m["To"].addresses[0].addr_spec: m for m in smtp.inbox.messages}
    assert sorted(msgs) == [
        "editors@example.org",
        "intranet-users@example.org",
        "web-team@example.org",
    ]
    assert all(m["Subject"].split("]")[1].startswith(" Reminder") for m in msgs.values())
    assert msgs["editors@example.org"]["In-Reply-To"] == "<1@example.org>"  # still threads


HOSTILE_TITLE = "Größere Änderung — 日本語 テスト  and  العربية\u202e, then =?utf-8?q?fake?= words"


def _perl_decoded_subject(raw: bytes) -> str:
    """The Subject as Perl's Encode (an RFC 2047 decoder that is not Python's) reads it."""
    need_tools("perl")
    script = (
        "use Encode; local $/; my $m = <STDIN>; my ($s) = $m =~ /^Subject:(.*?)\\r?\\n(?![ \\t])/ms;"
        '$s =~ s/\\r?\\n[ \\t]/ /g; $s =~ s/^ //; binmode STDOUT, ":utf8";'
        'print decode("MIME-Header", $s);'
    )
    done = subprocess.run(["perl", "-e", script], input=raw, capture_output=True, check=True)
    return done.stdout.decode()


def test_a_non_ascii_subject_and_the_calendar_part_survive_every_parser(
    tmp_path, run_cli, smtp, notices_config
):
    notices_config["channels"] = ["email"]
    ws = make_workspace(tmp_path / "ws", notices_config, records=[record(title=HOSTILE_TITLE)])
    result = run_cli("-C", str(ws), "announce", RID, "--at", T0)
    assert result.exit_code == 0, result.output
    msg, raw = smtp.inbox.messages[0], smtp.inbox.raw[0]
    subject = msg["Subject"]
    title = " ".join(HOSTILE_TITLE.split())  # a title's runs of spaces are one space
    assert title in subject  # Python's email package, default policy
    legacy = email.message_from_bytes(raw)  # and its older API, a decoder of its own
    assert title in str(make_header(decode_header(legacy["Subject"])))
    assert title in _perl_decoded_subject(raw)
    assert "=?utf-8?q?fake?=" in subject  # an ASCII look-alike of an encoded word stays text
    calendar_part = parts(msg)["text/calendar"]
    assert calendar_part.get_content_charset() == "utf-8"
    assert "Größere Änderung" in calendar_part.get_payload(decode=True).decode("utf-8")
