"""A collector's cache on the host, trusted only when git vouches for it.

A collector that carries forward what has not changed (``integrity``'s dpkg baseline,
``perl``'s module versions) keeps one file on the host, in ``/var/lib/changekit`` (or the scan
user's ``~/.cache/changekit``; ``CHANGEKIT_HOST_CACHE`` in the host's environment moves it, so
tests that run a snippet on this machine keep it in their own home), and reports its sha256
in ``runs.NAME.baseline``. The next scan passes the digest the last *stored* snapshot recorded (``ck_want``); the host uses the
file only when its sha256 matches, else the run is a full one. When to run a full one anyway
(schedule, ``--full-verify``, unreadable previous run) is integrity_plan.plan, for every such
collector alike.

The shell pieces set and read ``ck_mode``/``ck_want``/``ck_why`` (``head``), ``ck_dir``,
``ck_base``, ``ck_tmp`` and ``ck_old`` (``SETUP``), ``ck_new`` and ``ck_digest`` (``KEEP``); each
snippet runs in its own subshell, so the names do not clash between collectors.
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from typing import Any

from . import integrity_plan

SHA256 = "sha256sum"


def plan_for(name: str, context: dict[str, Any]) -> integrity_plan.Plan:
    """The plan the scan's context asks for, from the last stored ``runs[name]``."""
    now = context.get("now") or datetime.now(UTC)
    previous = (context.get("previous_runs") or {}).get(name)
    every = context.get("full_verify_days") or integrity_plan.DEFAULT_EVERY_DAYS
    return integrity_plan.plan(previous, now, every, bool(context.get("full_verify")))


def head(plan: integrity_plan.Plan) -> str:
    """The plan as shell variables; the words are ours, but they get the quoting any value gets."""
    return (
        f"ck_mode={shlex.quote(plan.mode)}; ck_want={shlex.quote(plan.digest)}; "
        f"ck_why={shlex.quote(plan.why)}\n"
    )


def setup(cache_name: str) -> str:
    """Shell: a temporary directory (``ck_tmp``, removed on exit), the cache's place
    (``ck_base``) and ``ck_mode`` turned ``full`` unless the cache there is the one git
    recorded; then ``ck_old`` is the verified copy of it to read (else ``/dev/null``). Without
    ``sha256sum`` no cache can be vouched for: always ``full``, none kept."""
    return (
        r"""ck_tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$ck_tmp"' EXIT
ck_dir=${CHANGEKIT_HOST_CACHE:-/var/lib/changekit}
if ! mkdir -p "$ck_dir" 2>/dev/null || [ ! -w "$ck_dir" ]; then
  ck_dir=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/changekit
  mkdir -p "$ck_dir" 2>/dev/null
fi
ck_base=$ck_dir/"""
        + shlex.quote(cache_name)
        + r"""
ck_digest=none
ck_old=/dev/null
if [ "$ck_mode" = incremental ]; then
  if ! command -v sha256sum >/dev/null 2>&1; then
    ck_mode=full; ck_why='no sha256sum on the host'
  elif [ ! -f "$ck_base" ]; then
    ck_mode=full; ck_why='no baseline on the host'
  # the private copy is what is checked and then read: the file in place could be swapped
  # between the two by whoever can write its directory
  elif ! cp -- "$ck_base" "$ck_tmp/old" 2>/dev/null \
    || [ "$(sha256sum <"$ck_tmp/old" | cut -c1-64)" != "$ck_want" ]; then
    ck_mode=full; ck_why='the baseline on the host is not the one the last scan recorded'
  else
    ck_old=$ck_tmp/old
  fi
fi
# a new cache only where it can be written whole; else the next run is a full one
ck_new=$ck_dir/.$$."""
        + shlex.quote(cache_name)
        + r"""
: >"$ck_new" 2>/dev/null || ck_new=$ck_tmp/unkept
"""
    )


KEEP = r"""# the digest of what this run wrote, taken before it replaces the old cache
if [ "$ck_new" != "$ck_tmp/unkept" ] && [ "$ck_written" = yes ] \
  && command -v sha256sum >/dev/null 2>&1 \
  && ck_sum=$(sha256sum <"$ck_new" | cut -c1-64) && mv -f "$ck_new" "$ck_base" 2>/dev/null
then
  ck_digest=$ck_sum
else
  rm -f "$ck_new" "$ck_base" 2>/dev/null
fi
"""
"""Shell: the new cache (``ck_new``, complete when ``ck_written=yes``) replaces the old one and
its sha256 is ``ck_digest``; on any failure no cache is left, so the next run is a full one."""


def run_info(
    meta: dict[str, str], counts: tuple[str, ...], name: str, context: dict[str, Any]
) -> dict[str, Any] | None:
    """``runs[name]`` from the ``meta`` the host printed: ``mode``, the ``counts``, ``baseline``
    (``None`` when none was kept), ``why`` a full run and ``full_at`` (the last full run).
    ``None`` when the host printed no mode (the tool is absent)."""
    if meta.get("mode") not in ("full", "incremental"):
        return None
    info: dict[str, Any] = {"mode": meta["mode"]}
    for key in counts:
        value = meta.get(key, "").strip()
        if not value.isdigit():
            raise ValueError(f"{name}: no count of {key} files in {value!r}")
        info[key] = int(value)
    digest = meta.get("baseline", "")
    info["baseline"] = digest if integrity_plan.DIGEST_RE.match(digest) else None
    if meta.get("why"):
        info["why"] = meta["why"]
    if info["mode"] == "full":
        now = context.get("now") or datetime.now(UTC)
        info["full_at"] = now.isoformat(timespec="seconds")
    else:
        info["full_at"] = plan_for(name, context).full_at
    return info
