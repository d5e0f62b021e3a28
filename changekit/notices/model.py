"""What a notice is, who reads it, and what a channel must do to deliver one."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from changekit.errors import EXIT_FAILED, ChangekitError

if TYPE_CHECKING:
    from changekit.notices.plan import NoticePlan

KINDS = ("announcement", "reminder", "reschedule", "cancellation", "start", "completion")


class ChannelError(ChangekitError):
    """A channel could not deliver (SMTP down, webhook 500, host unreachable).

    Reported, not recorded; the next ``send-due`` run tries again."""

    exit_code = EXIT_FAILED


@dataclass(frozen=True)
class Audience:
    """Someone who reads notices: a mailing list, an owner, a chat room, a host's users."""

    name: str
    """Who it is: the lower-cased address for an email contact (``dba@example.org``, also
    for ``DBA <DBA@example.org>``), else the name as written (a webhook target, a host)."""
    timezone: str
    """IANA zone the reader's times are shown in."""
    display_name: str | None = None
    """How to address them: ``notices.yaml``'s ``name``, else the inventory's display name."""


@dataclass(frozen=True)
class Notice:
    """One notice rendered for one reader (times shown in their zone)."""

    kind: str
    change_id: str
    sequence: int
    subject: str
    text: str
    html: str
    variant: str = ""
    """Tells notices of one kind apart, e.g. the reminder offset ``P1D``."""
    audience: Audience | None = None
    banner: str = ""
    """A short plain-text version for login banners."""
    calendar: bytes | None = None
    """An iCalendar object (METHOD:PUBLISH or CANCEL) for this change, for channels that attach it."""
    context: dict[str, Any] = field(default_factory=dict)
    """The values the templates saw, for channels that build structured payloads."""


@dataclass(frozen=True)
class Receipt:
    """Proof of one delivery, recorded in the change record."""

    message_id: str | None = None


class NoticeChannel(abc.ABC):
    """A way to deliver notices (email, feed, banner, ...). Channels are plugins."""

    name: str = ""
    kinds: frozenset[str] = frozenset(KINDS)
    """The kinds this channel delivers; the others are skipped for it."""
    parallel: int = 1
    """How many targets may be sent to at once (1 when a send depends on the one before,
    e.g. email threading on the announcement's message id)."""

    def targets(self, plan: NoticePlan) -> list[Audience]:
        """Whom this channel delivers to for a change (default: every affected audience)."""
        return list(plan.audiences)

    @abc.abstractmethod
    def send(self, notice: Notice, target: Audience, plan: NoticePlan) -> Receipt:
        """Deliver ``notice`` to ``target``; raise ``ChannelError`` when it did not go out."""
