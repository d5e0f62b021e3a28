"""Contacts as people write them: ``dba@example.org``, ``DBA <dba@example.org>``, ``#ops-chat``.

One reader must be one audience however the inventory, ``notices.yaml`` or a record
spells them, or the same person gets two copies, or the wrong time zone.
"""

from __future__ import annotations

from email.utils import parseaddr


def parse_contact(text: str) -> tuple[str, str]:
    """``(key, display name)``: the key is the lower-cased address for email contacts,
    else the contact with its whitespace tidied (a chat room, a pager name)."""
    raw = " ".join(str(text).split())
    name, addr = parseaddr(raw)
    if addr and "@" in addr and not any(c.isspace() for c in addr):
        return addr.lower(), name
    return raw, ""


def contact_key(text: str) -> str:
    """What identifies a reader: ``DBA <DBA@example.org>`` and ``dba@example.org`` are one."""
    return parse_contact(text)[0]


def notice_key(key: str) -> str:
    """A recorded send key (``kind/channel/audience/sequence``) with its audience normalised,
    so notices recorded under a contact's display form are not sent again."""
    parts = key.split("/")
    if len(parts) < 4:
        return key
    audience = "/".join(parts[2:-1])
    return "/".join([parts[0], parts[1], contact_key(audience), parts[-1]])
