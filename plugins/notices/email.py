"""Email over SMTP: a text and an HTML part, the change's .ics attached, replies threaded."""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr

from changekit.api import (
    Audience,
    ChannelError,
    InputError,
    Notice,
    NoticeChannel,
    NoticePlan,
    Receipt,
    hookimpl,
)

DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


def is_address(contact: str) -> bool:
    _name, addr = parseaddr(contact)
    return "@" in addr and " " not in addr


def message_id(notice: Notice, target: Audience, domain: str) -> str:
    """Deterministic: a retry after a half-finished run carries the same id, so readers' mail
    programs drop the duplicate."""
    key = f"{notice.change_id}/{notice.kind}/{notice.variant}/{notice.sequence}/{target.name}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"<{notice.change_id}.{notice.kind}.{notice.sequence}.{digest}@{domain}>"


def subject_header(subject: str) -> str:
    """The Subject as RFC 2047 encoded words that keep every space.

    The default email policy folds a non-ASCII subject into encoded words that drop or double
    the spaces between them when decoded ("Server —日本語"). ``email.header.Header`` puts the
    spaces inside the encoded words; set raw, the policy does not refold it."""
    subject = " ".join(subject.split())  # no line breaks or tabs from a record's title
    if subject.isascii() and "=?" not in subject:  # (an ASCII "=?...?=" would read as encoded)
        return subject
    return Header(subject, "utf-8", header_name="Subject").encode(linesep="\n")


def build(notice: Notice, target: Audience, plan: NoticePlan, settings: dict) -> EmailMessage:
    sender = settings["from"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "changekit.invalid"
    msg = EmailMessage(policy=policy.default.clone(refold_source="none"))
    msg.set_raw("Subject", subject_header(notice.subject))
    msg["From"] = sender
    name, addr = parseaddr(target.name)
    msg["To"] = str(Address(display_name=target.display_name or name or "", addr_spec=addr))
    if settings.get("reply_to"):
        msg["Reply-To"] = settings["reply_to"]
    msg["Date"] = format_datetime(plan.now)
    msg["Message-ID"] = message_id(notice, target, domain)
    root = plan.thread_root("email", target.name)
    if root and notice.kind != "announcement":
        msg["In-Reply-To"] = root
        msg["References"] = " ".join(dict.fromkeys([root, *plan.thread("email", target.name)]))
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    msg["X-Changekit-Change"] = notice.change_id
    msg["X-Changekit-Kind"] = notice.kind
    msg.set_content(notice.text)
    msg.add_alternative(notice.html, subtype="html")
    if notice.calendar:
        method = "CANCEL" if notice.kind == "cancellation" else "PUBLISH"
        msg.add_attachment(
            notice.calendar,
            maintype="text",
            subtype="calendar",
            filename=f"{notice.change_id}.ics",
            params={"method": method, "charset": "utf-8"},
        )
    return msg


def _connect(settings: dict) -> smtplib.SMTP:
    security = settings.get("security", "none")
    host = settings.get("host", "localhost")
    port = int(settings.get("port") or DEFAULT_PORTS[security])
    timeout = float(settings.get("timeout", 30))
    context = ssl.create_default_context(cafile=settings.get("ca_file"))
    if security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if security == "starttls":
            smtp.starttls(context=context)
    if settings.get("username"):
        env = settings.get("password_env") or "CHANGEKIT_SMTP_PASSWORD"
        password = os.environ.get(env)
        if password is None:
            smtp.close()
            raise InputError(
                f"SMTP user {settings['username']!r} is set but ${env} is empty",
                field="email.password_env",
                hint=f"export {env}=... in the environment that runs changekit",
            )
        smtp.login(settings["username"], password)
    return smtp


class EmailChannel(NoticeChannel):
    name = "email"

    def targets(self, plan: NoticePlan) -> list[Audience]:
        return [a for a in plan.audiences if is_address(a.name)]

    def send(self, notice: Notice, target: Audience, plan: NoticePlan) -> Receipt:
        settings = plan.settings("email")
        if not settings:
            raise ChannelError(
                "email is not configured", hint="add an email: section to notices.yaml"
            )
        msg = build(notice, target, plan, settings)
        recipients = [a for _n, a in getaddresses([msg["To"]])]
        try:
            with _connect(settings) as smtp:
                refused = smtp.send_message(msg, to_addrs=recipients)
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            where = f"{settings.get('host', 'localhost')}:{settings.get('port') or DEFAULT_PORTS[settings.get('security', 'none')]}"
            raise ChannelError(
                f"SMTP {where}: {exc}",
                hint="check notices.yaml email: host, port, security, username; the next run retries",
            ) from None
        if refused:
            raise ChannelError(f"SMTP refused {', '.join(refused)}")
        return Receipt(message_id=str(msg["Message-ID"]))


@hookimpl(trylast=True)
def register_notice_channels(register) -> None:
    register(EmailChannel())
