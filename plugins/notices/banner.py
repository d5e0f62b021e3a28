"""A login banner on exactly the affected hosts, for the notice period.

Installed over SSH at the announcement, rewritten on reschedule and start,
removed on completion or cancellation. Two ways to show it at login:

* ``motd.d`` (default): ``/etc/motd.d/changekit-<id>``, shown by pam_motd
  (Debian and Ubuntu's sshd with ``UsePAM yes``, RHEL 9).
* ``profile.d``: ``/etc/profile.d/changekit-<id>.sh``, printed by login shells
  on a terminal; for hosts whose sshd runs without PAM (``UsePAM no``).
"""

from __future__ import annotations

import hashlib
import posixpath
import shlex

from changekit.api import (
    Audience,
    ChannelError,
    Notice,
    NoticeChannel,
    NoticePlan,
    Receipt,
    TransportError,
    hookimpl,
)

INSTALL = {"announcement", "reschedule", "start"}
METHODS = {"motd.d": "/etc/motd.d", "profile.d": "/etc/profile.d"}


def remote_path(change_id: str, method: str, directory: str | None) -> str:
    base = directory or METHODS[method]
    name = f"changekit-{change_id}" + (".sh" if method == "profile.d" else "")
    return posixpath.join(base, name)


def file_body(text: str, method: str) -> str:
    text = text.rstrip("\n") + "\n"
    if method == "motd.d":
        return text
    # a quoted heredoc prints the text verbatim: nothing in it is expanded by the shell
    marker = "CHANGEKIT_BANNER_" + hashlib.sha256(text.encode()).hexdigest()[:12]
    return f"# changekit maintenance banner; removed when the change is done\nif [ -t 1 ]; then\ncat <<'{marker}'\n{text}{marker}\nfi\n"


class BannerChannel(NoticeChannel):
    name = "banner"
    kinds = frozenset({*INSTALL, "cancellation", "completion"})
    parallel = 16  # hosts are independent; a bounded pool, each connection with its own timeouts

    def targets(self, plan: NoticePlan) -> list[Audience]:
        return [Audience(name=h.name, timezone=plan.default_zone()) for h in plan.hosts]

    def send(self, notice: Notice, target: Audience, plan: NoticePlan) -> Receipt:
        settings = plan.settings("banner")
        method = settings.get("method", "motd.d")
        path = remote_path(notice.change_id, method, settings.get("directory"))
        host = next(h for h in plan.hosts if h.name == target.name)
        if plan.connect is None:
            raise ChannelError("no way to reach hosts in this run")
        sudo = bool(settings.get("sudo"))
        try:
            conn = plan.connect(host)
            try:
                if notice.kind in INSTALL:
                    made = conn.run(
                        f"mkdir -p {shlex.quote(posixpath.dirname(path))}", timeout=30, sudo=sudo
                    )
                    if not made.ok:
                        raise ChannelError(
                            f"{host.name}: cannot create {posixpath.dirname(path)}: "
                            f"{made.stderr.decode(errors='replace').strip()}"
                        )
                    conn.put_file(
                        path, file_body(notice.banner, method).encode(), mode=0o644, sudo=sudo
                    )
                else:
                    conn.remove_file(path, sudo=sudo)
            finally:
                conn.close()
        except TransportError as exc:
            raise ChannelError(f"{host.name}: {exc.message}", hint="the next run retries") from None
        return Receipt(message_id=f"{host.name}:{path}")


@hookimpl(trylast=True)
def register_notice_channels(register) -> None:
    register(BannerChannel())
