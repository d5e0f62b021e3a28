"""The subscribable calendar and the Atom feed, read back with icalendar and feedparser."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

import feedparser

from tests.notices.helpers import read_calendar
from tests.notices.workspace import RID, make_workspace, record, update

DB = "CHG-20261125-db0001"
QUIET = "CHG-20261125-quiet1"
ATOM = "{http://www.w3.org/2005/Atom}"


def records():
    db = record(
        DB,
        title="Resize the database volume",
        hosts=["db01"],
        services=[],
        outage={"expected": False},
        window={
            "start": "2026-12-20T06:00:00+00:00",
            "end": "2026-12-20T07:00:00+00:00",
            "timezone": "UTC",
        },
    )
    return [record(), db, record(QUIET, title="Never announced")]


def events_by_uid(ws):
    return {str(ev["UID"]): ev for ev in read_calendar(ws / "public" / "changes.ics")}


def test_calendar_holds_every_announced_upcoming_change_with_stable_uids_and_growing_sequence(
    tmp_path, run_cli, notices_config
):
    notices_config["channels"] = ["ics", "atom"]
    ws = make_workspace(tmp_path / "ws", notices_config, records=records())
    assert (
        run_cli("-C", str(ws), "announce", RID, "--at", "2026-12-01T10:00:00+00:00").exit_code == 0
    )
    assert list(events_by_uid(ws)) == [f"{RID}@changekit"]
    assert (
        run_cli("-C", str(ws), "announce", DB, "--at", "2026-12-01T11:00:00+00:00").exit_code == 0
    )
    events = events_by_uid(ws)
    assert list(events) == [f"{RID}@changekit", f"{DB}@changekit"]  # in window order
    assert events[f"{RID}@changekit"]["SEQUENCE"] == 0
    assert events[f"{RID}@changekit"].decoded("DTSTART").isoformat() == "2026-12-10T22:00:00+00:00"

    update(
        ws,
        window={
            "start": "2026-12-11T22:00:00+00:00",
            "end": "2026-12-11T23:00:00+00:00",
            "timezone": "UTC",
        },
    )
    assert (
        run_cli("-C", str(ws), "notices", "send-due", "--at", "2026-12-02T09:00:00+00:00").exit_code
        == 0
    )
    moved = events_by_uid(ws)[f"{RID}@changekit"]
    assert (
        moved["SEQUENCE"] == 1
        and moved.decoded("DTSTART").isoformat() == "2026-12-11T22:00:00+00:00"
    )

    update(ws, DB, status="cancelled")
    assert (
        run_cli("-C", str(ws), "notices", "send-due", "--at", "2026-12-03T09:00:00+00:00").exit_code
        == 0
    )
    gone = events_by_uid(ws)[f"{DB}@changekit"]
    assert gone["STATUS"] == "CANCELLED" and gone["SEQUENCE"] == 1

    update(
        ws, status="completed", outcome={"result": "completed", "at": "2026-12-11T22:40:00+00:00"}
    )
    assert (
        run_cli("-C", str(ws), "notices", "send-due", "--at", "2026-12-11T22:45:00+00:00").exit_code
        == 0
    )
    # completed inside its window, it stays in until the window ends: a subscribed calendar
    # that lost the event would show the work as cancelled
    events = events_by_uid(ws)
    assert list(events) == [f"{RID}@changekit", f"{DB}@changekit"]
    assert events[f"{RID}@changekit"]["STATUS"] == "CONFIRMED"

    # the feed tells the same story, newest first
    feed = feedparser.parse(str(ws / "public" / "notices.atom"))
    assert feed.bozo == 0, feed.bozo_exception
    assert feed.version == "atom10"
    assert feed.feed.title == "Ops notices"
    assert [e.tags[0].term for e in feed.entries] == [
        "completion",
        "cancellation",
        "reschedule",
        "announcement",
        "announcement",
    ]
    assert feed.entries[-1].title.startswith(f"[{RID}] Planned maintenance:")
    assert (
        "It was planned for" not in feed.entries[-1].content[0].value
    )  # old entries keep their words
    assert (
        "(it was planned for Thursday 10 December 2026, 23:00" in feed.entries[2].content[0].value
    )
    check_atom(ws / "public" / "notices.atom")


def check_atom(path):
    """RFC 4287's must-haves, checked with a parser independent of the writer's."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{ATOM}feed"

    def one(el, tag):
        found = el.findall(f"{ATOM}{tag}")
        assert len(found) == 1, f"{el.tag} needs exactly one {tag}"
        return found[0]

    for tag in ("id", "title", "updated"):
        one(root, tag)
    has_feed_author = bool(root.findall(f"{ATOM}author"))
    self_link = [ln for ln in root.findall(f"{ATOM}link") if ln.get("rel") == "self"]
    assert self_link and self_link[0].get("href") == "https://ops.example.org/notices.atom"
    ids = []
    for entry in root.findall(f"{ATOM}entry"):
        ids.append(one(entry, "id").text)
        assert one(entry, "title").text
        datetime.fromisoformat(one(entry, "updated").text)  # RFC 3339
        assert has_feed_author or entry.findall(f"{ATOM}author")
        content = one(entry, "content")
        assert content.get("type") == "text" and content.text
    assert len(ids) == len(set(ids)) and all(i.startswith("tag:changekit,") for i in ids)
    datetime.fromisoformat(one(root, "updated").text)
