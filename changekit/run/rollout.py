"""The rollout: canary, then batches; a bounded pool per batch; stop when failures pass a limit.

Each host gets one connection for all its steps (and its verification commands), through
the fleet's connector interface, with the scan's host-key rules and timeouts. A host fails
with a reason a person reads: a step's exit status, a timeout, unreachable, auth failed, a
host key unknown or changed.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from changekit import errors
from changekit.fleet.connector import ConnectOptions
from changekit.fleet.scan import REASONS
from changekit.inventory.model import Host
from changekit.run.plan import Step

OUTPUT_CAP = 16 * 1024
"""Bytes of each stream kept in a transcript; the sha256 and size are of the whole stream."""


@dataclass
class Limit:
    """``--batch``/``--max-fail``/``--canary``: a count, or a share of the hosts (``25%``)."""

    count: int | None = None
    percent: float | None = None

    @classmethod
    def parse(cls, text: str, what: str) -> Limit:
        text = text.strip()
        try:
            if text.endswith("%"):
                value = float(text[:-1])
                if not 0 <= value <= 100:
                    raise ValueError
                return cls(percent=value)
            count = int(text)
            if count < 0:
                raise ValueError
            return cls(count=count)
        except ValueError:
            raise errors.InputError(
                f"{what} {text!r} is neither a count nor a percentage",
                field=what,
                hint="write a whole number (10) or a share of the hosts (25%)",
            ) from None

    def of(self, total: int, *, at_least: int = 0) -> int:
        if self.percent is not None:
            return max(at_least, math.floor(total * self.percent / 100))
        return max(at_least, self.count or 0)

    def __str__(self) -> str:
        return f"{self.percent:g}%" if self.percent is not None else str(self.count)


def batches(hosts: Sequence[str], canary: int, batch: Limit) -> list[list[str]]:
    """Canary hosts first (a batch of their own), then batches of ``batch`` hosts (>= 1)."""
    hosts = list(hosts)
    out: list[list[str]] = []
    if canary and hosts:
        out.append(hosts[:canary])
        hosts = hosts[canary:]
    size = batch.of(len(hosts) + sum(map(len, out)), at_least=1) if hosts else 1
    out += [hosts[i : i + size] for i in range(0, len(hosts), size)]
    return out


def stream(data: bytes) -> dict[str, Any]:
    """A transcript's view of one output stream: capped text, full size and sha256."""
    text = data[:OUTPUT_CAP].decode("utf-8", errors="replace")
    out = {"text": text, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if len(data) > OUTPUT_CAP:
        out["truncated"] = True
    return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class HostRun:
    host: str
    ok: bool = True
    reason: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)

    def transcript(self) -> dict[str, Any]:
        return {"host": self.host, "ok": self.ok, "reason": self.reason, "steps": self.steps}


def run_steps(
    host: Host,
    steps: Sequence[Step],
    factory: Callable[..., Any],
    options: ConnectOptions,
    phase: str,
) -> HostRun:
    """Run ``steps`` on ``host`` in one connection, stopping at the first that fails."""
    result = HostRun(host.name)
    if not steps:
        return result
    conn = factory(host, options)
    try:
        conn.connect()
        for step in steps:
            started = _now()
            entry: dict[str, Any] = {"phase": phase, "name": step.name, "command": step.run}
            try:
                ran = conn.run(
                    step.script(host.name),
                    timeout=step.timeout,
                    sudo=options.sudo if step.sudo is None else step.sudo,
                )
            except errors.CommandTimeout:
                entry.update(started_at=started, ended_at=_now(), exit_code=None)
                entry["error"] = f"timed out after {step.timeout} s"
                result.steps.append(entry)
                result.ok, result.reason = False, f"{step.name}: timed out after {step.timeout} s"
                return result
            entry.update(
                started_at=started,
                ended_at=_now(),
                exit_code=ran.exit_code,
                stdout=stream(ran.stdout),
                stderr=stream(ran.stderr),
            )
            result.steps.append(entry)
            if ran.exit_code not in step.expect_exit:
                tail = ran.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
                result.ok = False
                result.reason = f"{step.name}: exit status {ran.exit_code}" + (
                    f" ({tail[0][:160]})" if tail[0] else ""
                )
                return result
    except errors.TransportError as exc:
        word = next(w for cls, w in REASONS if isinstance(exc, cls))
        result.ok, result.reason = False, f"{word}: {exc.message}"
    except Exception as exc:  # noqa: BLE001 - one host's trouble is that host's failure
        result.ok, result.reason = False, f"error: {type(exc).__name__}: {exc}"
    finally:
        conn.close()
    return result


def run_batch(
    hosts: Sequence[Host],
    steps_for: Callable[[Host], list[Step]],
    factory: Callable[..., Any],
    options: ConnectOptions,
    concurrency: int,
    phase: str,
) -> list[HostRun]:
    """Every host of a batch at once (at most ``concurrency``), results in host order."""
    if not hosts:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(hosts)))) as pool:
        futures = [pool.submit(run_steps, h, steps_for(h), factory, options, phase) for h in hosts]
        return [f.result() for f in futures]


def pause(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)
