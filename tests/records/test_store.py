"""The record store: duplicate ids, merge conflicts, broken files, and the list cache."""

from __future__ import annotations

import json
import marshal
import os
import shutil
from pathlib import Path

import pytest

from changekit.errors import GitError
from changekit.records import store
from changekit.workspace import Workspace
from tests.records.gitrepos import ck, clone, git, make_origin, new_record, ok

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "records"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    ok(tmp_path, "init", str(tmp_path / "ws"))
    return tmp_path / "ws"


def test_duplicate_id_in_two_files_is_reported_with_both(ws):
    rid = new_record(ws)
    # a copy under another name is an id-mismatch; only .yaml and .yml can share an id's name
    shutil.copy(ws / "change_records" / f"{rid}.yaml", ws / "change_records" / f"{rid}.yml")
    loaded = store.load_all(Workspace(ws))
    assert [r.id for r in loaded.records] == [rid]
    (err,) = loaded.errors
    first, second = f"change_records/{rid}.yaml", f"change_records/{rid}.yml"
    assert err.format().startswith(f"{second}: duplicate record id {rid}: also in {first}")
    result = ck(ws, "change", "list", "--format", "json")
    assert result.exit_code == 3 and "duplicate record id" in result.stderr
    assert [r["id"] for r in json.loads(result.stdout)] == [rid]  # the good ones are still listed


def test_a_real_merge_conflict_is_reported_and_never_overwritten(tmp_path):
    origin = make_origin(tmp_path)
    alice = clone(origin, tmp_path / "alice", "Alice", "alice@example.org")
    rid = new_record(alice)
    git(alice, "push", "-q", "origin", "main")
    bob = clone(origin, tmp_path / "bob", "Bob", "bob@example.org")
    path_a, path_b = (c / "change_records" / f"{rid}.yaml" for c in (alice, bob))
    path_a.write_text(
        path_a.read_text().replace("title: Upgrade nginx on the web tier", "title: Upgrade nginx")
    )
    git(alice, "commit", "-qam", "shorter title")
    git(alice, "push", "-q", "origin", "main")
    path_b.write_text(
        path_b.read_text().replace(
            "title: Upgrade nginx on the web tier", "title: Upgrade nginx 1.26"
        )
    )
    git(bob, "commit", "-qam", "version in title")
    git(bob, "fetch", "-q", "origin")
    merge = git_fails(bob, "merge", "origin/main")
    assert "CONFLICT" in merge
    conflicted = path_b.read_bytes()
    line = next(
        i for i, t in enumerate(conflicted.decode().splitlines(), 1) if t.startswith("<<<<<<<")
    )

    listed = ck(bob, "change", "list")
    assert listed.exit_code == 3
    assert (
        f"change_records/{rid}.yaml:{line}: unresolved git merge conflict in this record"
        in listed.stderr
    )
    refused = ck(bob, "change", "submit", rid)
    assert refused.exit_code == 5 and "unresolved git merge conflict" in refused.stderr
    assert path_b.read_bytes() == conflicted
    with pytest.raises(GitError):
        store.find_record(Workspace(bob), rid)


def git_fails(cwd: Path, *args: str) -> str:
    import subprocess

    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode != 0
    return done.stdout + done.stderr


def test_broken_record_is_reported_but_others_still_list(ws):
    rid = new_record(ws)
    shutil.copy(EXAMPLES / "bad" / "broken-yaml.yaml", ws / "change_records" / "broken.yaml")
    result = ck(ws, "change", "list", "--format", "json")
    assert result.exit_code == 3
    assert (
        "change_records/broken.yaml:2:16: not valid YAML: mapping values are not allowed here"
        in result.stderr
    )
    assert [r["id"] for r in json.loads(result.stdout)] == [rid]


def test_cache_follows_edits(ws):
    rid = new_record(ws)
    w = Workspace(ws)
    path = ws / "change_records" / f"{rid}.yaml"
    os.utime(path, (1_700_000_000, 1_700_000_000))  # old enough to be cached (not "racy")
    assert store.load_all(w).records[0].title == "Upgrade nginx on the web tier"
    cached = marshal.loads((ws / ".changekit" / store.CACHE_FILE).read_bytes())
    assert cached[f"{rid}.yaml"][2]["id"] == rid
    path.write_text(path.read_text().replace("on the web tier", "everywhere"))
    assert store.load_all(w).records[0].title == "Upgrade nginx everywhere"
    # an edit that breaks the file is noticed, not served from the cache
    path.write_text(path.read_text().replace("type: normal", "type: sometimes"))
    loaded = store.load_all(w)
    assert not loaded.records and "'sometimes' is not one of" in loaded.errors[0].message
    assert ".changekit/" in (ws / ".gitignore").read_text()
    assert git(ws, "status", "--porcelain") == f"M change_records/{rid}.yaml"


def test_find_by_prefix_and_ambiguous(ws):
    rid = new_record(ws)
    w = Workspace(ws)
    assert store.find_record(w, rid[:14]).id == rid


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: yes\nc: No\nd: ~\ne: [1, x, 2.5]\nf: 0x10\ng: '007'\nh: 2026-01-01\n",
        "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",
        "",
        "- a\n- b\n",
        "x: !!str 5\n",
        "t: 12:30\nn: -5\no: off\nk: 1_000\n",
    ],
)
def test_fast_yaml_path_reads_like_pyyaml(text):
    import yaml

    from changekit import yamlfile

    assert yamlfile.parse_yaml(text) == yaml.load(text, Loader=yamlfile._FastLoader)  # noqa: S506


def test_parallel_cold_load_equals_serial(ws, monkeypatch):
    ids = {new_record(ws, title=f"Record number {i}") for i in range(6)}
    shutil.copy(EXAMPLES / "bad" / "unknown-key.yaml", ws / "change_records" / "bad.yaml")
    w = Workspace(ws)
    serial = store.load_all(w, use_cache=False)
    monkeypatch.setattr(store, "PARALLEL_MIN", 1)
    parallel = store.load_all(w, use_cache=False)
    assert {r.id for r in parallel.records} == ids
    assert [r.data for r in parallel.records] == [r.data for r in serial.records]
    assert [e.format() for e in parallel.errors] == [e.format() for e in serial.errors]
    assert (
        parallel.errors[0].format().startswith("change_records/bad.yaml:8:8: unknown key 'hosst'")
    )
    if (os.cpu_count() or 1) > 1:  # the pool really ran: every good file came back parsed
        paths = sorted(str(p) for p in (ws / "change_records").glob("*.yaml"))
        done = store._parse_in_parallel(paths)
        assert sum(d is not None for d in done.values()) == 6 and len(done) == 7
