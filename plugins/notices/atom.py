"""An Atom feed (RFC 4287) of announcements and updates, newest first.

The feed file is its own history: each run adds entries to what is there, so an
old announcement keeps the words it was published with after a reschedule.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

from changekit.api import (
    Audience,
    ChannelError,
    Notice,
    NoticeChannel,
    NoticePlan,
    Receipt,
    hookimpl,
)

NS = "http://www.w3.org/2005/Atom"
ET.register_namespace("", NS)


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def entry_id(notice: Notice) -> str:
    """A tag URI (RFC 4151), unique per change, kind, variant and sequence."""
    day = notice.change_id.split("-")[1]
    part = f"{notice.kind}-{notice.variant}" if notice.variant else notice.kind
    return (
        f"tag:changekit,{day[:4]}-{day[4:6]}-{day[6:]}:{notice.change_id}/{part}/{notice.sequence}"
    )


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, _q(tag), attrs)
    if text is not None:
        el.text = text
    return el


def _load(path: Path, settings: dict) -> ET.Element:
    if path.is_file():
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            raise ChannelError(
                f"{path} is not a readable Atom feed: {exc}",
                hint="move it away; a new one is started",
            ) from None
        if root.tag == _q("feed"):
            return root
        raise ChannelError(f"{path} is not an Atom feed (root {root.tag})")
    root = ET.Element(_q("feed"))
    _sub(root, "id", settings.get("url") or f"urn:changekit:feed:{path.name}")
    _sub(root, "title", settings.get("title", "Planned maintenance"))
    _sub(root, "updated", "")
    author = _sub(root, "author")
    _sub(author, "name", "changekit")
    if settings.get("url"):
        _sub(root, "link", rel="self", href=settings["url"], type="application/atom+xml")
    _sub(root, "generator", "changekit")
    return root


def add_entry(root: ET.Element, notice: Notice, now: datetime, max_entries: int) -> None:
    stamp = now.isoformat()
    eid = entry_id(notice)
    for old in root.findall(_q("entry")):
        if old.findtext(_q("id")) == eid:
            root.remove(old)
    entry = ET.Element(_q("entry"))
    _sub(entry, "id", eid)
    _sub(entry, "title", notice.subject)
    _sub(entry, "updated", stamp)
    _sub(entry, "published", stamp)
    _sub(entry, "category", term=notice.kind)
    _sub(entry, "content", notice.text, type="text")
    entries = root.findall(_q("entry"))
    index = list(root).index(entries[0]) if entries else len(root)
    root.insert(index, entry)
    for extra in root.findall(_q("entry"))[max_entries:]:
        root.remove(extra)
    root.find(_q("updated")).text = stamp  # type: ignore[union-attr]


class AtomChannel(NoticeChannel):
    name = "atom"

    def targets(self, plan: NoticePlan) -> list[Audience]:
        return [Audience(name="feed", timezone=plan.default_zone())]

    def send(self, notice: Notice, target: Audience, plan: NoticePlan) -> Receipt:
        settings = plan.settings("atom")
        if not settings.get("path"):
            raise ChannelError(
                "atom is not configured",
                hint="add atom: {path: public/notices.atom} to notices.yaml",
            )
        path = Path(settings["path"])
        if not path.is_absolute():
            path = plan.workspace.root / path
        root = _load(path, settings)
        add_entry(root, notice, plan.now, int(settings.get("max_entries", 100)))
        ET.indent(root)
        text = ET.tostring(root, encoding="unicode", xml_declaration=True)
        try:
            plan.write_file(path, text + "\n")
        except OSError as exc:
            raise ChannelError(f"could not write the feed {path}: {exc}") from None
        return Receipt(message_id=entry_id(notice))


@hookimpl(trylast=True)
def register_notice_channels(register) -> None:
    register(AtomChannel())
