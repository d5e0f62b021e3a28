"""Webhooks: a JSON POST per notice. The default payload is Slack/Mattermost's ``{"text": ...}``."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

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


def payload(notice: Notice, fmt: str) -> dict:
    if fmt == "json":
        ctx = notice.context
        return {
            "change": notice.change_id,
            "change_id": notice.change_id,
            "change_type": ctx.get("type"),
            "status": ctx.get("status"),
            "kind": notice.kind,
            "sequence": notice.sequence,
            "variant": notice.variant or None,
            "subject": notice.subject,
            "text": notice.text,
            # machine-readable times, ISO 8601 in UTC; null when not known (yet)
            "start": ctx.get("start_iso"),
            "end": ctx.get("end_iso"),
            "started_at": ctx.get("started_iso"),
            "finished_at": ctx.get("finished_iso"),
            "when": ctx.get("when"),
            "timezone": ctx.get("timezone"),
            "emergency_reason": ctx.get("emergency"),
            "outage": ctx.get("outage"),
            "outage_duration": ctx.get("outage_duration"),
            "services": ctx.get("services"),
            "hosts": ctx.get("hosts"),
            "user_action": ctx.get("user_action") or None,
            "contact": ctx.get("contact"),
            "outcome": (ctx.get("outcome") or {}).get("result")
            if notice.kind == "completion"
            else None,
        }
    # Slack and Mattermost both render *bold* in mrkdwn/markdown; the body goes as a code-free block
    return {"text": f"*{notice.subject}*\n{notice.text}"}


def _url(name: str, target: dict) -> str:
    if target.get("url_env"):
        url = os.environ.get(target["url_env"])
        if not url:
            raise InputError(
                f"webhook {name!r}: ${target['url_env']} is empty",
                field=f"webhook.targets.{name}.url_env",
                hint=f"export {target['url_env']}=https://... where changekit runs",
            )
        return url
    if target.get("url"):
        return target["url"]
    raise InputError(
        f"webhook {name!r} has no url", field=f"webhook.targets.{name}", hint="add url: or url_env:"
    )


class WebhookChannel(NoticeChannel):
    name = "webhook"

    def targets(self, plan: NoticePlan) -> list[Audience]:
        out = []
        for name, target in (plan.settings("webhook").get("targets") or {}).items():
            wanted = target.get("audiences")
            if wanted and not plan.affects(list(wanted)):
                continue
            out.append(Audience(name=name, timezone=plan.default_zone()))
        return out

    def send(self, notice: Notice, target: Audience, plan: NoticePlan) -> Receipt:
        settings = plan.settings("webhook")["targets"][target.name]
        url = _url(target.name, settings)
        body = json.dumps(
            payload(notice, settings.get("format", "slack")), ensure_ascii=False
        ).encode()
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "changekit",
                "X-Changekit-Change": notice.change_id,
                "X-Changekit-Kind": notice.kind,
            },
        )
        try:
            with urllib.request.urlopen(
                request, timeout=float(settings.get("timeout", 15))
            ) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise ChannelError(
                f"webhook {target.name}: HTTP {exc.code} {exc.reason}", hint="the next run retries"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ChannelError(
                f"webhook {target.name}: {reason}", hint="the next run retries"
            ) from None
        del status
        return Receipt()


@hookimpl(trylast=True)
def register_notice_channels(register) -> None:
    register(WebhookChannel())
