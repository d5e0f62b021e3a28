"""The subscribable iCalendar file of every upcoming change (RFC 5545).

Each change is one event whose UID never changes; its SEQUENCE grows with each
reschedule and a cancelled change stays in as STATUS:CANCELLED so subscribed
calendars remove it. The file is rewritten whole from the records each time.
"""

from __future__ import annotations

from changekit import api
from changekit.api import (
    Audience,
    ChannelError,
    Notice,
    NoticeChannel,
    NoticePlan,
    Receipt,
    hookimpl,
)

# api.upcoming_calendar / api.calendar_uid are looked up when a notice is sent, so loading
# this plugin (every command does) does not import icalendar.


class IcsChannel(NoticeChannel):
    name = "ics"
    kinds = frozenset({"announcement", "reschedule", "cancellation", "completion"})

    def targets(self, plan: NoticePlan) -> list[Audience]:
        return [Audience(name="calendar", timezone=plan.default_zone())]

    def send(self, notice: Notice, target: Audience, plan: NoticePlan) -> Receipt:
        settings = plan.settings("ics")
        if not settings.get("path"):
            raise ChannelError(
                "ics is not configured", hint="add ics: {path: public/changes.ics} to notices.yaml"
            )
        organizer = (plan.settings("email") or {}).get("from")
        data = api.upcoming_calendar(
            plan.all_records(),
            now=plan.now,
            name=settings.get("name", "Planned maintenance"),
            organizer=organizer,
        )
        try:
            plan.write_file(settings["path"], data.decode("utf-8"))
        except OSError as exc:
            raise ChannelError(f"could not write the calendar {settings['path']}: {exc}") from None
        return Receipt(message_id=api.calendar_uid(notice.change_id))


@hookimpl(trylast=True)
def register_notice_channels(register) -> None:
    register(IcsChannel())
