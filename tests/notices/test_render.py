"""Rendering: plain words, the reader's zone named, overrides from the workspace."""

from __future__ import annotations

from html.parser import HTMLParser

from changekit.notices import render
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


def notice(kind="announcement", zone="America/New_York", ws=None, **over):
    ctx = render.context(
        record(**over),
        kind=kind,
        zone=zone,
        hosts=["web01", "web02"],
        sequence=0,
        variant="PT2H" if kind == "reminder" else "",
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
        "start": "Work on this change has started now",
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
