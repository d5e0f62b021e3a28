"""Channels are plugins: a third-party channel registered through the hook gets notices too."""

from __future__ import annotations

from changekit.api import Audience, ChannelError, NoticeChannel, Receipt, hookimpl
from changekit.plugins import get_manager
from tests.notices.workspace import RID, load, make_workspace


class Pager(NoticeChannel):
    name = "pager"
    kinds = frozenset({"announcement"})

    def __init__(self, fail_for: str | None = None) -> None:
        self.got: list[tuple[str, str]] = []
        self.fail_for = fail_for

    def targets(self, plan):
        return [Audience("oncall", plan.default_zone()), Audience("managers", plan.default_zone())]

    def send(self, notice, target, plan):
        if target.name == self.fail_for:
            raise ChannelError("pager gateway said no")
        self.got.append((notice.kind, target.name))
        return Receipt(message_id=f"page-{len(self.got)}")


def test_register_notice_channels_adds_a_channel_and_one_failing_target_does_not_stop_the_other(
    tmp_path, run_cli
):
    pager = Pager(fail_for="managers")

    class Plugin:
        @hookimpl
        def register_notice_channels(self, register):
            register(pager)

    pm = get_manager()
    plugin = Plugin()
    pm.register(plugin, name="throwaway-pager")
    try:
        ws = make_workspace(tmp_path / "ws", {"channels": ["pager"]})
        result = run_cli("-C", str(ws), "announce", RID, "--at", "2026-12-01T10:00:00+00:00")
        assert result.exit_code == 1
        assert "pager gateway said no" in result.stderr
        assert pager.got == [("announcement", "oncall")]
        assert [(n["channel"], n["audience"], n["message_id"]) for n in load(ws)["notices"]] == [
            ("pager", "oncall", "page-1")
        ]

        pager.fail_for = None
        again = run_cli("-C", str(ws), "announce", RID, "--at", "2026-12-01T10:05:00+00:00")
        assert again.exit_code == 0, again.output
        assert pager.got == [("announcement", "oncall"), ("announcement", "managers")]
        # the announcement time is when it first went out, not the retry
        assert load(ws)["announcement"]["announced_at"] == "2026-12-01T10:00:00+00:00"
    finally:
        pm.unregister(plugin)


def test_an_unknown_channel_is_reported_not_ignored(tmp_path, run_cli):
    ws = make_workspace(tmp_path / "ws", {"channels": ["carrier-pigeon"]})
    result = run_cli("-C", str(ws), "announce", RID, "--at", "2026-12-01T10:00:00+00:00")
    assert result.exit_code == 1
    assert "unknown notice channel 'carrier-pigeon'" in result.stderr
