from __future__ import annotations

import pytest

from tests.notices.servers import SmtpServer, WebhookServer


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def webhook():
    server = WebhookServer().start()
    yield server
    server.stop()


@pytest.fixture
def notices_config(smtp, webhook):
    return {
        "timezone": "Europe/Berlin",
        "reminders": ["P1D", "PT1H"],
        "audiences": {"web-team@example.org": {"timezone": "America/New_York", "name": "Web team"}},
        "services": {"intranet": ["intranet-users@example.org"]},
        "email": {
            "from": "Ops <ops@example.org>",
            "host": "127.0.0.1",
            "port": smtp.port,
            "timeout": 10,
        },
        "ics": {"path": "public/changes.ics", "name": "Ops maintenance"},
        "atom": {
            "path": "public/notices.atom",
            "url": "https://ops.example.org/notices.atom",
            "title": "Ops notices",
        },
        "webhook": {"targets": {"ops-chat": {"url": webhook.url}}},
    }
