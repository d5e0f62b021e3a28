"""Rendering: plain words, the reader's zone named, overrides from the workspace."""

from __future__ import annotations

from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest

from changekit.notices import render, timetext
from changekit.notices.model import Audience
from changekit.workspace import Workspace
from tests.notices.workspace import record


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.chunks: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.chunks.append(data)


def notice(kind="announcement", zone="America/New_York", ws=None, now=None, **over):
    ctx = render.context(
        record(**over),
        kind=kind,
        zone=zone,
        hosts=["web01", "web02"],
        sequence=0,
        variant="PT2H" if kind == "reminder" else "",
        now=datetime.fromisoformat(now) if now else None,
    )
    return render.render(
        render.environment(ws), ctx, audience=Audience("web-team@example.org", zone)
    )


def test_announcement_says_what_why_when_outage_action_contact_and_id():
    n = notice()
    assert n.subject == (
        "[CHG-20261125-web001] Planned maintenance: Upgrade Apache on the web servers "
        "(Thursday 10 December 2026, 17:00 EST)"
    )
    for words in (
        "Apache is upgraded",
        "Fixes CVE-2026-0001 <critical>",
        "Thursday 10 December 2026, 17:00 to 18:30 EST (America/New_York)",
        "Yes, for up to 15 minutes",
        "intranet",
        "web01, web02",
        "Save your work in the intranet editor",
        "Questions: ops@example.org",
        "Change: CHG-20261125-web001",
    ):
        assert words in n.text, words


def test_html_part_escapes_record_text_and_parses():
    n = notice()
    assert "&lt;critical&gt;" in n.html and "<critical>" not in n.html
    parser = _Text()
    parser.feed(n.html)
    text = "".join(parser.chunks)
    assert "Fixes CVE-2026-0001 <critical>." in text
    assert {"html", "body", "dl", "dt", "dd"} <= set(parser.tags)


def test_no_outage_and_no_action_are_said_plainly():
    n = notice(outage={"expected": False}, user_action="")
    assert "None expected; services stay available." in n.text
    assert "Nothing. You do not need to do anything." in n.text


def test_window_across_midnight_names_both_days_in_berlin():
    n = notice(zone="Europe/Berlin")
    assert (
        "Thursday 10 December 2026, 23:00 to Friday 11 December 2026, 00:30 CET (Europe/Berlin)"
        in n.text
    )


def test_every_kind_has_its_own_headline():
    heads = {
        "reminder": "Reminder: this change starts in 2 hours.",
        "reschedule": "This change has moved to a new time",
        "cancellation": "This change has been cancelled.",
        "start": "Work on this change has started; expect the outage while the work runs.",
    }
    for kind, head in heads.items():
        assert notice(kind).text.startswith(head), kind
    done = notice("completion", outcome={"result": "completed", "at": "2026-12-10T23:00:00+00:00"})
    assert done.subject.startswith("[CHG-20261125-web001] Completed:")
    assert "should work as usual again" in done.text
    back = notice(
        "completion",
        outcome={
            "result": "rolled_back",
            "at": "2026-12-10T23:00:00+00:00",
            "notes": "The new release broke logins.",
        },
    )
    assert back.subject.startswith("[CHG-20261125-web001] Rolled back:")
    assert "everything is as it was before" in back.text
    assert "The new release broke logins." in back.text
    assert "A new date will be announced." in back.text


def test_workspace_template_overrides_the_shipped_one(tmp_path):
    (tmp_path / "templates" / "notices").mkdir(parents=True)
    (tmp_path / "templates" / "notices" / "announcement.txt.j2").write_text(
        "Heads up: {{ title }} on {{ when }}\n"
    )
    n = notice(ws=Workspace(tmp_path))
    assert (
        n.text
        == "Heads up: Upgrade Apache on the web servers on Thursday 10 December 2026, 17:00 to 18:30 EST (America/New_York)\n"
    )
    assert n.subject.startswith("[CHG-20261125-web001]")  # the others stay the shipped ones
    assert "<dl>" in n.html


def started(at: str, status: str = "in_progress", **over):
    """Record fields of a change that ``changekit change start`` moved to in_progress at ``at``."""
    history = record()["history"] + [
        {"status": "in_progress", "at": at, "by": {"name": "Ops", "email": "ops@example.org"}}
    ]
    return {"status": status, "history": history, **over}


def test_a_start_notice_says_when_work_really_started_not_the_planned_window():
    # QA #10: started on 25 November for a window on 10 December
    n = notice("start", zone="Europe/Berlin", **started("2026-11-25T22:10:00+00:00"))
    assert n.text.startswith(
        "Work on this change started on Wednesday 25 November 2026, 23:10 CET, "
        "earlier than the announced window; expect the outage while the work runs."
    )
    assert "now" not in n.text.split("\n")[0]
    assert "Started: Wednesday 25 November 2026, 23:10 CET" in n.text
    assert "Planned window: Thursday 10 December 2026, 23:00 to Friday" in n.text
    assert n.subject == (
        "[CHG-20261125-web001] Started: Upgrade Apache on the web servers "
        "(started Wednesday 25 November 2026, 23:10 CET)"
    )
    assert "MAINTENANCE IN PROGRESS" in n.banner
    assert "Started: Wednesday 25 November 2026, 23:10 CET" in n.banner
    assert "Started: Wednesday 25 November 2026, 23:10 CET" in n.html


def test_a_start_in_the_window_is_not_called_early_and_a_completion_says_when_it_ended():
    on_time = notice("start", zone="Europe/Berlin", **started("2026-12-10T22:02:00+00:00"))
    assert on_time.text.startswith(
        "Work on this change started on Thursday 10 December 2026, 23:02 CET;"
    )
    done = notice(
        "completion",
        zone="Europe/Berlin",
        outcome={"result": "completed", "at": "2026-12-10T22:40:00+00:00"},
        **started("2026-12-10T22:02:00+00:00", status="completed"),
    )
    assert "Started: Thursday 10 December 2026, 23:02 CET" in done.text
    assert "Ended: Thursday 10 December 2026, 23:40 CET" in done.text


def test_an_emergency_announcement_says_it_is_one_and_why():
    reason = {"type": "emergency", "emergency": {"reason": "CVE-2026-0002 is exploited"}}
    ahead = notice(**reason)
    assert ahead.subject.startswith("[CHG-20261125-web001] Emergency maintenance:")
    assert (
        "emergency change" in ahead.text
        and "cannot wait: CVE-2026-0002 is exploited." in ahead.text
    )
    under_way = notice(zone="Europe/Berlin", **reason, **started("2026-11-25T22:10:00+00:00"))
    assert under_way.text.startswith(
        "This is an emergency change that affects you, with an outage. Work started on "
        "Wednesday 25 November 2026, 23:10 CET, without the usual notice, because it could "
        "not wait: CVE-2026-0002 is exploited."
    )
    assert under_way.subject.endswith("(started Wednesday 25 November 2026, 23:10 CET)")
    assert "EMERGENCY" in ahead.banner
    # a normal change that happens to carry an emergency block is not called one
    assert "emergency" not in notice(emergency={"reason": "x"}).text


def test_a_reminder_says_the_time_really_left():
    # QA #19: the PT1H reminder went out 40 minutes before the start
    n = notice("reminder", now="2026-12-10T21:20:00+00:00")
    assert n.text.startswith("Reminder: this change starts in 40 minutes.")
    late_cron = notice("reminder", now="2026-12-09T22:07:00+00:00")  # the P1D one, 7 min late
    assert late_cron.text.startswith("Reminder: this change starts in 1 day.")


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (timedelta(seconds=20), "less than a minute"),
        (timedelta(minutes=4, seconds=40), "5 minutes"),
        (timedelta(minutes=39, seconds=58), "40 minutes"),
        (timedelta(minutes=52), "50 minutes"),
        (timedelta(minutes=58), "1 hour"),
        (timedelta(hours=1, minutes=33), "1 hour 35 minutes"),
        (timedelta(hours=2, minutes=50), "3 hours"),
        (timedelta(hours=23, minutes=53), "1 day"),
        (timedelta(hours=23, minutes=20), "23 hours"),
        (timedelta(hours=30, minutes=10), "1 day 6 hours"),
        (timedelta(days=6, hours=13), "7 days"),
    ],
)
def test_time_left_is_rounded_the_way_people_say_it(left, text):
    assert timetext.roughly(left) == text


def test_a_cancellation_never_announces_the_outage_it_cancels():
    n = notice("cancellation")  # the sample change has a 15-minute outage
    assert "there will be no outage" in n.text
    assert "Yes, for up to" not in n.text and "None: the change is cancelled." in n.text
    assert "Yes, for up to" not in n.html and "None: the change is cancelled." in n.html


def test_the_published_calendar_keeps_a_change_that_ended_early_until_its_window_ends():
    from datetime import UTC, datetime

    import icalendar

    from changekit.notices.calendar import upcoming

    rec = {
        "id": "CHG-20261125-web001", "title": "Upgrade", "status": "completed",
        "window": {"start": "2026-12-10T22:00:00+00:00", "end": "2026-12-10T23:30:00+00:00"},
        "announcement": {"announced_at": "2026-12-01T10:00:00+00:00", "sequence": 0},
    }  # fmt: skip
    during = icalendar.Calendar.from_ical(
        upcoming([rec], now=datetime(2026, 12, 10, 23, 0, tzinfo=UTC), name="ops")
    )
    (event,) = during.walk("VEVENT")
    assert event["STATUS"] == "CONFIRMED"
    after = icalendar.Calendar.from_ical(
        upcoming([rec], now=datetime(2026, 12, 10, 23, 31, tzinfo=UTC), name="ops")
    )
    assert not after.walk("VEVENT")
    rejected = icalendar.Calendar.from_ical(
        upcoming(
            [{**rec, "status": "rejected"}],
            now=datetime(2026, 12, 10, 23, 0, tzinfo=UTC),
            name="ops",
        )  # fmt: skip
    )
    assert rejected.walk("VEVENT")[0]["STATUS"] == "CANCELLED"
