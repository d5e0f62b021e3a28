"""``changekit change run``: the approved plan on exactly the approved hosts, with evidence.

The order of things, each step committed before the next begins so a killed run resumes:
gate (``changekit.run.gate``) -> ``start`` (the lifecycle step, proven like a manual one) ->
canary and batches, one commit per batch with every host's state and transcript ->
rollback of failed hosts, or verification (commands, then a re-scan checked against the
plan's fact expectations) -> ``complete``, ``fail`` or ``rollback`` -> the notices due.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from changekit import gitops
from changekit.errors import ChangekitError, InputError, LockedError, PolicyError
from changekit.facts.store import host_filename
from changekit.fleet.connector import ConnectOptions
from changekit.inventory.model import Host, Inventory
from changekit.records import actions, steps, store, times
from changekit.records.model import ChangeRecord
from changekit.records.transaction import mutation
from changekit.run import rollout
from changekit.run.gate import require_runnable
from changekit.run.plan import Plan, Step, plan_of
from changekit.workspace import Workspace

RUNS_DIR = "runs"


@dataclass
class RunOptions:
    hosts: tuple[str, ...] = ()
    """``--hosts``: narrows the record's hosts, never widens them."""
    canary: int = 1
    batch: rollout.Limit = field(default_factory=lambda: rollout.Limit(percent=100))
    max_fail: rollout.Limit = field(default_factory=lambda: rollout.Limit(count=0))
    pause: float = 0.0
    concurrency: int = 32
    rollback_all: bool = False
    again: bool = False
    """Run hosts an earlier run of the same plan finished too (``--again``)."""
    force: bool = False
    reason: str | None = None
    connect: ConnectOptions = field(default_factory=ConnectOptions)
    connector: str = "ssh"


@dataclass
class Prepared:
    record: ChangeRecord
    plan: Plan
    hosts: list[Host]
    """Every host of the run, in the record's order (``--hosts`` applied)."""
    todo: list[str]
    done: list[str]
    """Hosts an earlier run of this plan finished: skipped unless ``--again``."""
    batches: list[list[str]]
    steps: dict[str, list[Step]]
    approvals: list[dict[str, Any]]
    previous: dict[str, Any] | None


@dataclass
class Outcome:
    record_id: str
    run_id: str
    result: str
    hosts: dict[str, dict[str, Any]]
    commits: list[str] = field(default_factory=list)
    scan_id: str | None = None
    notes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def run_lock(ws: Workspace, record_id: str) -> Iterator[None]:
    """One run of a record at a time (a second would run its hosts twice)."""
    path = ws.state_dir / f"run-{record_id}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise LockedError(
                f"{record_id} is being run already (by {holder})",
                hint="wait for that run to finish; a run that was killed resumes with "
                "`changekit change run ID` once its process is gone",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def _select(inventory: Inventory, selectors: list[str], what: str) -> list[Host]:
    try:
        return inventory.select(selectors)
    except InputError as exc:  # an unknown host or group: say which list named it
        raise InputError(f"{what}: {exc.message}", field=what, hint=exc.hint) from None


def prepare(
    ws: Workspace,
    record_id: str,
    inventory: Inventory,
    opts: RunOptions,
    now: datetime,
) -> Prepared:
    """Everything the run needs, checked; nothing has run or been written yet."""
    record = store.find_record(ws, record_id)
    plan = plan_of(record)
    policy = steps.load_policy(ws)
    proof = require_runnable(
        ws, record, policy, inventory, now, force=opts.force, reason=opts.reason
    )
    hosts = _select(inventory, list(record.hosts), "hosts")
    approved = {h.name for h in hosts}
    if opts.hosts:
        chosen = {h.name for h in _select(inventory, list(opts.hosts), "--hosts")}
        wider = sorted(chosen - approved)
        if wider:
            raise PolicyError(
                f"cannot run {record.id} on {', '.join(wider)}: not a host of the record",
                field="--hosts",
                hint="--hosts may narrow the approved hosts, never widen them; a new host "
                "needs the record changed and approved again",
            )
        hosts = [h for h in hosts if h.name in chosen]
    names = {h.name for h in hosts}
    per_step: list[tuple[Step, set[str]]] = []
    for step in plan.steps:
        members = {h.name for h in _select(inventory, list(step.hosts), f"plan step {step.name!r}")} if step.hosts else names  # fmt: skip
        outside = sorted(members - approved)
        if outside:
            raise PolicyError(
                f"cannot run {record.id}: step {step.name!r} names {', '.join(outside)}, "
                "which is not a host of the record",
                field="plan.steps",
                hint="a step may run on some of the record's hosts, never on others",
            )
        per_step.append((step, members & names))
    step_map = {h.name: [s for s, m in per_step if h.name in m] for h in hosts}
    previous = record.data.get("run")
    if any(p.code == "unproven-edit" for p in proof.problems):
        previous = None  # a hand edit could mark hosts done that never ran: run them all
    done: list[str] = []
    if previous and previous.get("plan_digest") == plan.digest and not opts.again:
        finished = ("done", "verified")
        done = [
            h.name for h in hosts if (previous["hosts"].get(h.name) or {}).get("state") in finished
        ]
    todo = [h.name for h in hosts if h.name not in done]
    return Prepared(
        record=record,
        plan=plan,
        hosts=hosts,
        todo=todo,
        done=done,
        batches=rollout.batches(todo, opts.canary, opts.batch),
        steps=step_map,
        approvals=list(proof.counted),
        previous=previous,
    )


def dry_run(prep: Prepared, opts: RunOptions) -> dict[str, Any]:
    """What would run where, in which batches, and the digest of the plan approved."""
    return {
        "record": prep.record.id,
        "status": prep.record.status,
        "plan_digest": prep.plan.digest,
        "approved_by": [a["by"]["email"] for a in prep.approvals],
        "hosts": [h.name for h in prep.hosts],
        "skipped_done": prep.done,
        "batches": prep.batches,
        "max_fail": str(opts.max_fail),
        "steps": {
            h: [{"name": s.name, "run": s.run, "timeout": s.timeout} for s in prep.steps[h]]
            for h in prep.todo
        },
        "verify": {
            "commands": [s.name for s in prep.plan.verify_commands],
            "facts": [
                e.fact + (f" (on {', '.join(e.hosts)})" if e.hosts else "")
                for e in prep.plan.expectations
            ],
        },
        "rollback": [s.name for s in prep.plan.rollback],
    }


class Run:
    """One run of a prepared record (``execute``)."""

    def __init__(
        self,
        ws: Workspace,
        prep: Prepared,
        inventory: Inventory,
        opts: RunOptions,
        factory: Callable[..., Any],
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self.ws, self.prep, self.inventory, self.opts = ws, prep, inventory, opts
        self.factory = factory
        self.say = on_event or (lambda _text: None)
        self.repo = gitops.open_repo(ws.root)
        self.rid = prep.record.id
        self.run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)
        self.transcripts: dict[str, list[dict[str, Any]]] = {}
        self.by_name = {h.name: h for h in prep.hosts}
        self.summary: dict[str, Any] = {}
        self.outcome = Outcome(self.rid, self.run_id, "running", {})

    # -- evidence ----------------------------------------------------------------

    def _transcript_path(self, host: str):
        return self.ws.root / RUNS_DIR / self.rid / self.run_id / host_filename(host)

    def _commit(self, subject: str, hosts: list[str]) -> None:
        """The run's state and ``hosts``' transcripts, in one commit (none when unchanged)."""
        with mutation(self.ws, self.repo) as txn:
            record = store.find_record(self.ws, self.rid)  # again, under the lock
            record.data["run"] = self.summary
            record.data = record.ordered()
            path = record.path or store.record_path(self.ws, self.rid)
            text = store.dump_record(record)
            store.validate_data(record.data, path=self.ws.relpath(path), text=text)
            writes = {path: text}
            for host in hosts:
                doc = {"record": self.rid, "run": self.run_id, "host": host,
                       "plan_digest": self.prep.plan.digest, "steps": self.transcripts[host]}  # fmt: skip
                writes[self._transcript_path(host)] = (
                    json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
                )
            changed = {
                p: t for p, t in writes.items() if not p.is_file() or p.read_text("utf-8") != t
            }
            if not changed:
                return
            for target, content in changed.items():
                txn.write(target, content)
            sha = txn.commit(
                f"Run {self.rid}: {subject}"[:120],
                {
                    gitops.TRAILER_RECORD: self.rid,
                    gitops.TRAILER_ACTION: "run",
                    gitops.TRAILER_STATUS: record.status,
                },
                f"run {self.run_id}, plan {self.prep.plan.digest}",
            )
        self.outcome.commits.append(sha)

    def _set(self, host: str, state: str, reason: str | None = None, **extra: Any) -> None:
        entry = dict(self.summary["hosts"].get(host) or {})
        entry["state"] = state
        entry.pop("reason", None)
        if reason:
            entry["reason"] = reason[:500]
        entry.update(extra)
        self.summary["hosts"][host] = entry

    def _record(self, result: rollout.HostRun) -> None:
        self.transcripts.setdefault(result.host, []).extend(result.steps)

    # -- the run -------------------------------------------------------------------

    def execute(self) -> Outcome:
        prep, opts = self.prep, self.opts
        record = prep.record
        if record.status != "in_progress":
            started = actions.transition(
                self.ws, self.rid, "start", reason=opts.reason, force=opts.force
            )
            self.outcome.commits.append(started.commit)
            self.say(f"{self.rid}: started (commit {started.commit[:8]})")
            self._notify()
        hosts_state: dict[str, Any] = {}
        for h in prep.done:
            hosts_state[h] = {**(prep.previous or {}).get("hosts", {}).get(h, {}), "state": "done"}
        for i, batch in enumerate(prep.batches):
            for h in batch:
                hosts_state[h] = {"state": "pending", "batch": i}
        self.summary = {
            "id": self.run_id,
            "plan_digest": prep.plan.digest,
            "started_at": times.iso(times.now()),
            "result": "running",
            "hosts": hosts_state,
        }
        self._commit(
            f"run {self.run_id} on {len(prep.todo)} host(s) in {len(prep.batches)} batch(es)", []
        )
        limit = opts.max_fail.of(len(prep.todo))
        failed: list[str] = []
        finished: list[str] = []
        for i, batch in enumerate(prep.batches):
            self.say(f"batch {i + 1}/{len(prep.batches)}: {', '.join(batch)}")
            results = rollout.run_batch(
                [self.by_name[h] for h in batch],
                lambda host: prep.steps[host.name],
                self.factory,
                opts.connect,
                opts.concurrency,
                "steps",
            )
            for r in results:
                self._record(r)
                if r.ok:
                    self._set(r.host, "done", batch=i)
                    finished.append(r.host)
                else:
                    self._set(r.host, "failed", r.reason, batch=i)
                    failed.append(r.host)
                    self.say(f"  {r.host}: failed: {r.reason}")
            self._commit(
                f"batch {i + 1} of {len(prep.batches)}: "
                f"{sum(r.ok for r in results)} done, {sum(not r.ok for r in results)} failed",
                batch,
            )
            if len(failed) > limit:
                rest = [h for b in prep.batches[i + 1 :] for h in b]
                if rest:
                    self.say(f"stopped: {len(failed)} failed, more than --max-fail {opts.max_fail}")
                    self.outcome.notes.append(
                        f"stopped after batch {i + 1}: {len(failed)} host(s) failed "
                        f"(--max-fail {opts.max_fail}); not run: {', '.join(rest)}"
                    )
                break
            if i + 1 < len(prep.batches):
                rollout.pause(opts.pause)
        if not failed:
            failed = self._verify(finished + prep.done)
        if failed:
            return self._fail(failed, finished)
        self.summary["result"] = "completed"
        self.summary["finished_at"] = times.iso(times.now())
        self._commit("every host done and verified", [])
        done = actions.transition(
            self.ws, self.rid, "complete",
            reason=f"run {self.run_id}: {len(finished) + len(prep.done)} host(s) done"
            + (f", verified by scan {self.outcome.scan_id}" if self.outcome.scan_id else ""),
        )  # fmt: skip
        self.outcome.commits.append(done.commit)
        self.outcome.result = "completed"
        self.outcome.hosts = self.summary["hosts"]
        self._notify()
        return self.outcome

    def _verify(self, hosts: list[str]) -> list[str]:
        """Verification commands, then a re-scan checked against the fact expectations;
        the hosts that fail either."""
        plan = self.prep.plan
        bad: list[str] = []
        if not hosts or not (plan.verify_commands or plan.expectations):
            return bad  # nothing to verify: the steps' exit codes are the evidence
        if plan.verify_commands:
            results = rollout.run_batch(
                [self.by_name[h] for h in hosts],
                lambda _h: list(plan.verify_commands),
                self.factory,
                self.opts.connect,
                self.opts.concurrency,
                "verify",
            )
            for r in results:
                self._record(r)
                if not r.ok:
                    self._set(r.host, "failed", f"verification: {r.reason}")
                    bad.append(r.host)
        check = [h for h in hosts if h not in bad]
        if check and plan.expectations:  # nothing to observe: the next scan sees the change
            from changekit.run.verify import rescan_and_check

            scan_id, problems = rescan_and_check(
                self.ws,
                [self.by_name[h] for h in check],
                plan.expectations,
                self.inventory,
                self.opts,
            )
            self.outcome.scan_id = scan_id
            self.summary["scan_id"] = scan_id
            for h in check:
                if problems.get(h):
                    self._set(h, "failed", f"verification: {problems[h]}")
                    bad.append(h)
                else:
                    self._set(h, "verified")
        self._commit(
            f"verified {len(hosts) - len(bad)} of {len(hosts)} host(s)"
            + (f" (scan {self.outcome.scan_id})" if self.outcome.scan_id else ""),
            [h for h in hosts if h in self.transcripts],
        )
        return bad

    def _fail(self, failed: list[str], finished: list[str]) -> Outcome:
        plan = self.prep.plan
        targets = list(failed)
        if self.opts.rollback_all:
            targets += [h for h in finished + self.prep.done if h not in failed]
        rolled_ok = bool(plan.rollback)
        if plan.rollback and targets:
            self.say(f"rolling back {', '.join(targets)}")
            results = rollout.run_batch(
                [self.by_name[h] for h in targets],
                lambda _h: list(plan.rollback),
                self.factory,
                self.opts.connect,
                self.opts.concurrency,
                "rollback",
            )
            for r in results:
                self._record(r)
                before = self.summary["hosts"][r.host].get("reason")
                if r.ok:
                    self._set(r.host, "rolled_back", before)
                else:
                    rolled_ok = False
                    self._set(r.host, "rollback_failed", f"{before}; rollback: {r.reason}")
        result = "rolled_back" if rolled_ok else "failed"
        self.summary["result"] = result
        self.summary["finished_at"] = times.iso(times.now())
        self._commit(
            f"{len(failed)} host(s) failed; {result.replace('_', ' ')}",
            [h for h in targets if h in self.transcripts],
        )
        states = {}
        for h, e in self.summary["hosts"].items():
            states.setdefault(e["state"], []).append(h)
        notes = "; ".join(
            f"{s.replace('_', ' ')}: {', '.join(hs)}" for s, hs in sorted(states.items())
        )
        why = "; ".join(f"{h}: {self.summary['hosts'][h].get('reason', '')}" for h in failed[:5])
        ended = actions.transition(
            self.ws, self.rid, "rollback" if rolled_ok else "fail",
            reason=f"run {self.run_id}: {notes}. {why}"[:1000],
        )  # fmt: skip
        self.outcome.commits.append(ended.commit)
        self.outcome.result = result
        self.outcome.hosts = self.summary["hosts"]
        self._notify()
        return self.outcome

    def _notify(self) -> None:
        """The notices the change now needs (its start, its outcome) through the workspace's
        channels, if it has any and the change was announced; a failed delivery is a note,
        retried by `changekit notices send-due`, never a reason to stop the run."""
        from changekit.notices import runner as notices
        from changekit.notices.config import load_config

        config = load_config(self.ws)
        if config.path is None:
            return
        sender = notices.Runner(
            self.ws, config=config, inventory=self.inventory, now=notices.current_time()
        )
        try:
            sender.send_due_for(self.rid)
        except ChangekitError as exc:
            self.outcome.notes.append(f"notices: {exc.message}")
        finally:
            sender.close()
        self.outcome.notes += [f"notice not sent: {f.error}" for f in sender.report.failed]
        self.outcome.notes += [f"notices: {w}" for w in sender.report.warnings]
        for e in sender.report.sent:
            self.say(f"notice sent: {e['kind']} via {e['channel']} to {e.get('audience', '')}")
