"""The review's figures from stored scans, on a real git workspace and the real facts store:
observed changes judged against proven records, failed scans, conformance per group at the
period's start and end, and the diff cache that spares re-reading a year of snapshots."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from changekit.facts.backend import open_store
from changekit.review.observed import observed
from changekit.workspace import Workspace
from tests.drift.fleetdata import snapshot
from tests.drift.test_recorded_late import Dated, _file_and_approve, _push
from tests.gate.conftest import Team, team_home

WEB = ["web1", "web2", "web3", "web4"]
INVENTORY = {
    "version": 1,
    "hosts": {h: {"address": "127.0.0.1"} for h in [*WEB, "db1"]},
    "groups": {"web": {"hosts": WEB}, "db": {"hosts": ["db1"]}},
}
S0 = ("20300531T100000Z-s000", "2030-05-31T10:00:00+00:00")
S1 = ("20300601T100000Z-s111", "2030-06-01T10:00:00+00:00")
S2 = ("20300602T100000Z-s222", "2030-06-02T10:00:00+00:00")
S3 = ("20300603T100000Z-s333", "2030-06-03T10:00:00+00:00")
START = datetime(2030, 6, 1, tzinfo=UTC)
END = datetime(2030, 6, 3, tzinfo=UTC)
TZDATA = {"dpkg__tzdata": {"version": "2030a-1"}}
NMAP = {"dpkg__nmap": {"version": "7.93+dfsg1-1"}}
OPENSSL = {"dpkg__apache2": {"version": "2.4.99-1"}}
# both records' windows are 2030-06-02 02:00-03:00 Berlin (00:00-01:00 UTC), between S1 and S2


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> dict:
    with team_home(tmp_path_factory) as mp:
        team = Team(tmp_path_factory.mktemp("team"))
        when = Dated(mp)
        rita = team.rita
        (rita.path / "inventories" / "hosts.yaml").write_text(yaml.safe_dump(INVENTORY))
        rita.git("add", "-A")
        rita.git("commit", "-qm", "inventory")
        _push(rita)
        ids = {
            "in_time": _file_and_approve(team, "web1", when, "2030-06-01T12:00:00+00:00"),
            "late": _file_and_approve(team, "web3", when, "2030-06-03T09:00:00+00:00"),
        }
        store = open_store(Workspace(rita.path))
        every = [*WEB, "db1"]
        store.save(S0[0], [snapshot(h, *S0) for h in every])
        store.save(S1[0], [snapshot(h, *S1) for h in every])
        # S1 -> S2: web1's tzdata (its record approved in time), web2 gains nmap (no
        # record), web3's apache2 (its record approved after S2); db1's scan fails
        s2 = [
            snapshot("web1", *S2, **TZDATA),
            snapshot("web2", *S2, **NMAP),
            snapshot("web3", *S2, **OPENSSL),
            snapshot("web4", *S2),
        ]
        store.save(S2[0], s2, failed={"db1": {"reason": "unreachable", "message": "timed out"}})
        # S3 is after the period: web4's change there must not count
        s3 = [
            snapshot("web1", *S3, **TZDATA),
            snapshot("web2", *S3, **NMAP),
            snapshot("web3", *S3, **OPENSSL),
            snapshot("web4", *S3, **NMAP),
            snapshot("db1", *S3),
        ]
        store.save(S3[0], s3)
        yield {"root": rita.path, "ids": ids}


def test_changes_in_the_period_are_judged_against_proven_records(workspace):
    ws = Workspace(workspace["root"])
    ids = workspace["ids"]
    out = observed(ws, hosts=[*WEB, "db1"], start=START, end=END)
    assert {k: v for k, v in out["changes"].items() if k != "items"} == {
        "observed": 3,
        "explained": 1,
        "recorded_late": 1,
        "unrecorded": 1,
    }
    assert [(i["host"], i["item"], i["what"], i["status"], i["record"]) for i in out["changes"]["items"]] == [
        ("web2", "dpkg:nmap", "added", "unrecorded", None),
        ("web3", "dpkg:apache2", "changed", "recorded_late", ids["late"]),
    ]  # fmt: skip
    assert out["changes"]["items"][0]["seen"] == S2[1]
    assert out["scans"] == {
        "count": 2,
        "hosts": 5,
        "failed": 1,
        "failures": [
            {"host": "db1", "scan_id": S2[0], "time": S2[1], "reason": "unreachable: timed out"}
        ],
    }
    assert [t["item"] for t in out["top_items"]] == ["dpkg:apache2", "dpkg:nmap", "dpkg:tzdata"]


def test_conformance_per_group_at_the_start_and_the_end(workspace):
    out = observed(Workspace(workspace["root"]), hosts=[*WEB, "db1"], start=START, end=END)
    rows = {r["group"]: r for r in out["conformance"]}
    # at the start (S0) the web hosts are identical; at the end (S2) three of four differ
    # from their peers: web1 (tzdata), web2 (nmap), web3 (apache2); only web4 conforms
    assert rows["web"] == {"group": "web", "hosts": 4, "start": 100.0, "end": 25.0}
    assert {t["item"] for t in out["top_drift"]} >= {"dpkg:nmap", "dpkg:apache2", "dpkg:tzdata"}


def test_a_second_review_reads_no_snapshot_for_the_pairs_it_has_diffed(workspace, monkeypatch):
    ws = Workspace(workspace["root"])
    first = observed(ws, hosts=WEB, start=START, end=END, conformance=False)
    store = open_store(ws)

    def refuse(*_a, **_k):
        raise AssertionError("read a snapshot the cache holds")

    monkeypatch.setattr(type(store), "read_at", refuse)
    again = observed(ws, hosts=WEB, start=START, end=END, store=store, conformance=False)
    assert again == first
    # a later period holds an uncached pair (S2 -> S3): that one is read
    with pytest.raises(AssertionError, match="cache holds"):
        observed(ws, hosts=WEB, start=END, end=datetime(2030, 6, 4, tzinfo=UTC), store=store,
                 conformance=False)  # fmt: skip


def test_conformance_is_judged_again_only_when_what_decides_it_changes(workspace, monkeypatch):
    ws = Workspace(workspace["root"])
    first = observed(ws, hosts=[*WEB, "db1"], start=START, end=END)
    store = open_store(ws)

    def refuse(*_a, **_k):
        raise AssertionError("read a snapshot the cache holds")

    monkeypatch.setattr(type(store), "read_at", refuse)
    assert observed(ws, hosts=[*WEB, "db1"], start=START, end=END, store=store) == first
    # the inventory changed (a standard could select by it): judged again, snapshots read
    path = workspace["root"] / "inventories" / "hosts.yaml"
    saved = path.read_text()
    changed = yaml.safe_load(saved)
    changed["hosts"]["web4"]["vars"] = {"role": "canary"}
    path.write_text(yaml.safe_dump(changed))
    try:
        with pytest.raises(AssertionError, match="cache holds"):
            observed(ws, hosts=[*WEB, "db1"], start=START, end=END, store=store)
    finally:
        path.write_text(saved)
