from __future__ import annotations

from datetime import datetime

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


@pytest.fixture
def run_cli(run_cli, monkeypatch):
    """The shared ``run_cli``, plus a test-only ``--at TIME`` that sets the clock the notices
    runner reads (the real command has no such option: nobody can backdate a notice)."""

    def run(*args: str, **kwargs):
        args_list = list(args)
        if "--at" in args_list:
            i = args_list.index("--at")
            moment = datetime.fromisoformat(args_list[i + 1])
            del args_list[i : i + 2]
            monkeypatch.setattr("changekit.notices.runner.current_time", lambda: moment)
        return run_cli(*args_list, **kwargs)

    return run
