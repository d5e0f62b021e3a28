"""The scan: every selected host, one SSH session each, a bounded pool of workers.

Per host: build one script from the enabled collectors, run it once, split the output back
per collector and parse each part. A failure is that host's result (with a reason a person
reads), never the scan's; a collector that prints garbage is that collector's error in the
snapshot, the other collectors' facts are kept.
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from changekit import errors
from changekit.fleet import script as scriptlib
from changekit.fleet.collector import Collector
from changekit.fleet.connector import ConnectOptions
from changekit.inventory.model import Host
from changekit.plugins import collect, hook

DEFAULT_CONCURRENCY = 32
DEFAULT_FULL_VERIFY_DAYS = 7
"""How old the last full package verify (``integrity``) may get before a scan runs one."""

# Exception class -> the reason word the summary shows (most specific first).
REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (errors.HostKeyChanged, "host key changed"),
    (errors.HostKeyUnknown, "host key unknown"),
    (errors.AuthFailed, "auth failed"),
    (errors.CommandTimeout, "timeout"),
    (errors.HostUnreachable, "unreachable"),
    (errors.TransportError, "transport error"),
)


@dataclass
class HostResult:
    host: str
    status: str
    """``ok``, ``partial`` (some collectors failed) or ``failed`` (no snapshot)."""
    reason: str | None = None
    """Why it failed: unreachable, auth failed, host key unknown/changed, timeout, garbage, ..."""
    message: str | None = None
    snapshot: dict[str, Any] | None = None
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def new_scan_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    alphabet = string.digits + string.ascii_lowercase
    return now.strftime("%Y%m%dT%H%M%SZ-") + "".join(secrets.choice(alphabet) for _ in range(6))


def available_collectors() -> dict[str, Collector]:
    """Every registered collector by name (a later registration of a name wins)."""
    found: dict[str, Collector] = {}
    for collector in collect("register_collectors"):
        scriptlib.check_name(collector.name)
        found[collector.name] = collector
    return found


def available_connectors() -> dict[str, Callable[..., Any]]:
    return {name: factory for name, factory in collect("register_connectors")}


def host_context(host: Host, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What collectors get: ``files`` and ``modules`` from the host's variables plus ``extra``'s,
    and ``extra``'s other keys as they are."""
    files = list(host.vars.get("changekit_files") or [])
    extra = extra or {}
    modules: Any = host.vars.get("changekit_modules") or []
    wanted = extra.get("modules") or {}
    if isinstance(modules, dict) and isinstance(wanted, dict):
        # a standard's modules add to the host's own: {"perl": [...], "python": [...]}
        modules = {
            k: list(dict.fromkeys([*modules.get(k, []), *wanted.get(k, [])]))
            for k in {*modules, *wanted}
        }
    elif not modules:
        modules = wanted
    files += [f for f in extra.get("files", []) if f not in files]
    # the scan's other options (e.g. full_verify) pass through as they are
    return {**extra, "host": host.name, "vars": dict(host.vars), "files": files, "modules": modules}


@dataclass
class Scan:
    hosts: Sequence[Host]
    collectors: Sequence[Collector]
    options: ConnectOptions = field(default_factory=ConnectOptions)
    concurrency: int = DEFAULT_CONCURRENCY
    connector: str = "ssh"
    extra_context: dict[str, Any] = field(default_factory=dict)
    scan_id: str = field(default_factory=new_scan_id)
    workspace: Any = None
    previous_runs: Callable[[str], dict[str, Any] | None] | None = None
    """The ``runs`` of a host's last stored snapshot (``None``: none, or unreadable), so a
    collector such as ``integrity`` can carry forward what has not changed."""

    def run(
        self,
        on_result: Callable[[HostResult], None] | None = None,
        *,
        keep_snapshots: bool = True,
    ) -> list[HostResult]:
        """Scan every host; ``on_result`` is called as each host finishes, in this thread.

        At most ``concurrency`` hosts are in flight, and the next host starts only once
        ``on_result`` has returned for a finished one: a caller that hands each snapshot on
        (``scan`` streams them to the facts store) holds ``concurrency`` of them, never the
        fleet's. With ``keep_snapshots=False`` each result drops its snapshot after
        ``on_result``, so the results returned (and ``after_scan``'s) carry none. An exception
        (Ctrl-C) starts no further host and waits only for those in flight.
        """
        factories = available_connectors()
        if self.connector not in factories:
            raise errors.InputError(
                f"no connector named {self.connector!r}",
                hint=f"known: {', '.join(sorted(factories))}",
            )
        factory = factories[self.connector]
        hook().before_scan(
            hosts=list(self.hosts), collectors=list(self.collectors), workspace=self.workspace
        )
        results: dict[str, HostResult] = {}
        width = max(1, min(self.concurrency, len(self.hosts)))
        try:
            with ThreadPoolExecutor(max_workers=width) as pool:
                waiting = iter(self.hosts)
                running = {pool.submit(self.scan_host, h, factory) for h in islice(waiting, width)}
                while running:
                    finished, running = wait(running, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        result = fut.result()
                        results[result.host] = result
                        if on_result:
                            on_result(result)
                        if not keep_snapshots:
                            result.snapshot = None
                        running |= {
                            pool.submit(self.scan_host, h, factory) for h in islice(waiting, 1)
                        }
        finally:
            self.options.close()
        ordered = [results[h.name] for h in self.hosts]
        hook().after_scan(results=ordered, workspace=self.workspace)
        return ordered

    def scan_host(self, host: Host, factory: Callable[..., Any]) -> HostResult:
        start = time.monotonic()
        try:
            result = self._scan_host(host, factory)
        except errors.TransportError as exc:
            reason = next(word for cls, word in REASONS if isinstance(exc, cls))
            # the hint (e.g. how to accept a new key) belongs in the per-host summary line
            text = f"{exc.message}; {exc.hint}" if exc.hint else exc.message
            result = HostResult(host.name, "failed", reason, text)
        except Exception as exc:  # noqa: BLE001 - one host's bug must not end the scan
            result = HostResult(host.name, "failed", "error", f"{type(exc).__name__}: {exc}")
        result.duration = time.monotonic() - start
        if result.snapshot is not None:
            result.snapshot["duration_seconds"] = round(result.duration, 3)
        return result

    def _scan_host(self, host: Host, factory: Callable[..., Any]) -> HostResult:
        context = host_context(host, self.extra_context)
        collected_at = datetime.now(UTC)
        context["now"] = collected_at
        context["previous_runs"] = self._previous_runs(host.name)
        snippets: dict[str, str] = {}
        problems: dict[str, str] = {}
        for c in self.collectors:
            try:
                snippets[c.name] = c.script(context)
            except Exception as exc:  # noqa: BLE001 - a broken collector is its own error
                problems[c.name] = f"could not build its script: {type(exc).__name__}: {exc}"
        token = scriptlib.new_token()
        conn = factory(host, self.options)
        try:
            conn.connect()
            run = conn.run(
                scriptlib.build(snippets, token),
                timeout=self.options.command_timeout,
                sudo=self.options.sudo,
            )
        finally:
            conn.close()
        stdout = run.stdout.decode("utf-8", errors="replace")
        stderr = run.stderr.decode("utf-8", errors="replace")
        sections = scriptlib.split(stdout, stderr, list(snippets), token)
        if snippets and all(s.exit_code is None for s in sections.values()):
            tail = (stderr.strip().splitlines() or [f"exit status {run.exit_code}"])[-1]
            reason = "sudo failed" if self.options.sudo and "sudo" in stderr else "script failed"
            return HostResult(
                host.name, "failed", reason, f"the scan script did not run: {tail[:200]}"
            )
        facts: dict[str, Any] = {}
        runs: dict[str, Any] = {}
        for c in self.collectors:
            if c.name in problems:
                continue
            outcome = parse_section(c, sections[c.name], context)
            if isinstance(outcome, str):
                problems[c.name] = outcome
                continue
            facts[c.name] = outcome
            info = run_info(c, sections[c.name], context)
            if isinstance(info, str):
                problems[c.name] = info
                del facts[c.name]
            elif info is not None:
                runs[c.name] = info
        snapshot = {
            "schema_version": 1,
            "scan_id": self.scan_id,
            "host": host.name,
            "address": host.connect_address,
            "collected_at": collected_at.isoformat(timespec="seconds"),
            "collectors": [c.name for c in self.collectors],
            "facts": facts,
            "errors": problems,
        }
        if runs:
            snapshot["runs"] = runs
        if not facts and problems:
            first = next(iter(problems.items()))
            return HostResult(
                host.name,
                "failed",
                "garbage",
                f"no collector produced data ({first[0]}: {first[1]})",
            )
        status = "partial" if problems else "ok"
        message = "; ".join(f"{k}: {v}" for k, v in problems.items()) or None
        return HostResult(
            host.name, status, "collector errors" if problems else None, message, snapshot
        )

    def _previous_runs(self, host: str) -> dict[str, Any]:
        # reading the last snapshot costs a parse per host: only for collectors that note runs
        noting = any(type(c).run_info is not Collector.run_info for c in self.collectors)
        if self.previous_runs is None or not noting:
            return {}
        try:
            runs = self.previous_runs(host)
        except (OSError, ValueError):  # unreadable or corrupt: as if there were none
            return {}
        return runs if isinstance(runs, dict) else {}


def run_info(collector: Collector, section: scriptlib.Section, context: dict[str, Any]) -> Any:
    """The collector's note on how it ran (or ``None``), or a string saying why it is garbage."""
    try:
        return collector.run_info(section.stdout, context)
    except ValueError as exc:
        return f"garbage output: {exc}"
    except Exception as exc:  # noqa: BLE001 - a parser bug is reported, the rest is kept
        return f"parser failed: {type(exc).__name__}: {exc}"


def parse_section(collector: Collector, section: scriptlib.Section, context: dict[str, Any]) -> Any:
    """The collector's data, or a string saying why there is none."""
    err_tail = section.stderr.strip().splitlines()[-3:]
    if section.exit_code is None:
        return "no output: the script was cut short before this collector finished"
    if section.exit_code != 0:
        return f"exited with status {section.exit_code}" + (
            f": {' | '.join(err_tail)[:300]}" if err_tail else ""
        )
    try:
        data = collector.parse(section.stdout, context)
    except ValueError as exc:
        return f"garbage output: {exc}"
    except Exception as exc:  # noqa: BLE001 - a parser bug is reported, the rest is kept
        return f"parser failed: {type(exc).__name__}: {exc}"
    if not isinstance(data, (dict, list)):
        return f"parser returned {type(data).__name__}, expected a mapping or a list"
    return data
