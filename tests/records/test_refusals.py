"""Commands refuse what they cannot trust, through the real CLI: ids that are not ids, a file
named unlike its record, a record that is not a regular file, and a journal left by a crash."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.records.gitrepos import ck, git, kill_submit_mid_commit, new_record, ok

ID_COMMANDS = [
    ("change", "show"),
    ("change", "edit"),
    ("change", "submit"),
    ("change", "approve"),
    ("change", "reject", "--reason", "no"),
    ("change", "schedule"),
    ("change", "reschedule", "--start", "2030-01-01 02:00", "--end", "2030-01-01 03:00"),
    ("change", "start"),
    ("change", "complete"),
    ("change", "fail"),
    ("change", "rollback"),
    ("change", "cancel", "--reason", "no"),
    ("announce",),
    ("notices", "list"),
    ("notices", "preview"),
]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    ok(tmp_path, "init", str(tmp_path / "ws"))
    return tmp_path / "ws"


@pytest.mark.parametrize("command", ID_COMMANDS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize("bad", ["../../../outside/evil", "../..", "CHG-20261206-abc/../x", ""])
def test_an_id_that_is_not_an_id_is_refused(ws, command, bad):
    outside = ws.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "evil.yaml").write_text("id: evil\n")
    before = git(ws, "status", "--porcelain", "--ignored")
    result = ck(ws, *command[:2], bad, *command[2:])
    assert result.exit_code == 3, result.output
    assert f"{bad!r} is not a change record id" in result.stderr
    assert "hint: ids look like CHG-" in result.stderr
    assert (outside / "evil.yaml").read_text() == "id: evil\n"
    assert git(ws, "status", "--porcelain", "--ignored") == before


def test_a_unique_prefix_still_works(ws):
    rid = new_record(ws)
    assert rid in ok(ws, "change", "show", rid[:-3]).stdout


def test_a_file_named_unlike_its_id_is_reported_and_refused(ws):
    rid = new_record(ws)
    other = "CHG-20200101-zzzzzz"
    git(ws, "mv", f"change_records/{rid}.yaml", f"change_records/{other}.yaml")
    checked = ck(ws, "check", "--format", "json")
    assert checked.exit_code == 3
    [problem] = json.loads(checked.stdout)["problems"]
    assert problem["code"] == "id-mismatch"
    assert problem["path"] == f"change_records/{other}.yaml"
    assert rid in problem["message"] and f"rename the file to {rid}.yaml" in problem["hint"]
    for args in (("change", "show", other), ("change", "submit", other)):
        refused = ck(ws, *args)
        assert refused.exit_code == 3
        assert "does not match the record's id" in refused.stderr


@pytest.mark.parametrize("kind", ["link-inside", "link-outside", "fifo", "directory"])
def test_a_record_that_is_not_a_regular_file_is_refused(ws, tmp_path, kind):
    rid = new_record(ws)
    path = ws / "change_records" / f"{rid}.yaml"
    text = path.read_text()
    path.unlink()
    if kind == "link-inside":
        (ws / "kept.yaml").write_text(text)
        path.symlink_to(ws / "kept.yaml")
    elif kind == "link-outside":
        (tmp_path / "elsewhere.yaml").write_text(text)
        path.symlink_to(tmp_path / "elsewhere.yaml")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    checked = ck(ws, "check", "--format", "json")
    assert checked.exit_code == 3
    [problem] = json.loads(checked.stdout)["problems"]
    assert problem["code"] == "not-a-file"
    assert problem["path"] == f"change_records/{rid}.yaml"
    assert "not a regular file" in problem["message"]
    for args in (("change", "show", rid), ("change", "submit", rid), ("change", "list")):
        refused = ck(ws, *args)
        assert refused.exit_code == 3, (args, refused.output)
        assert f"change_records/{rid}.yaml" in refused.stderr
        assert "not a regular file" in refused.stderr
    if kind.startswith("link"):
        assert path.is_symlink()  # submit did not replace the link
        assert "status: draft" in path.read_text()


def _record_and_journal(ws: Path, journal: object) -> tuple[str, Path, bytes]:
    rid = new_record(ws)
    path = ws / "change_records" / f"{rid}.yaml"
    before = path.read_bytes()
    (ws / ".changekit" / "journal.json").write_text(
        journal if isinstance(journal, str) else json.dumps(journal)
    )
    return rid, path, before


@pytest.mark.parametrize("journal", ["[]", "null", '{"head": 5}', '{"files": {"/etc/x": null}}'])
def test_a_journal_that_cannot_be_read_never_blocks_the_next_command(ws, journal):
    rid, _path, _before = _record_and_journal(ws, journal)
    checked = ck(ws, "check")
    assert checked.exit_code == 0, checked.output
    assert checked.stderr.count("\n") == 1 and "cannot be read; it was moved to" in checked.stderr
    assert not (ws / ".changekit" / "journal.json").exists()
    ok(ws, "change", "submit", rid)


def test_a_crash_mid_transaction_is_undone_by_any_next_command(ws):
    rid = new_record(ws)
    path = ws / "change_records" / f"{rid}.yaml"
    before, head = path.read_text(), git(ws, "rev-parse", "HEAD")
    # what a run killed between writing the record and committing it leaves behind
    (ws / ".changekit" / "journal.json").write_text(
        json.dumps({"head": head, "files": {str(path.resolve()): before}})
    )
    path.write_text(before.replace("status: draft", "status: submitted", 1))
    checked = ck(ws, "check")  # check never recovered before
    assert checked.exit_code == 0, checked.output
    assert f"note: an interrupted changekit run was undone: change_records/{rid}.yaml" in (
        checked.stderr
    )
    assert path.read_text() == before and git(ws, "status", "--porcelain") == ""
    ok(ws, "change", "submit", rid)


def test_a_killed_subprocess_does_not_block_check(ws):
    rid = new_record(ws)
    path = ws / "change_records" / f"{rid}.yaml"
    before = path.read_bytes()
    kill_submit_mid_commit(ws, rid)
    checked = ck(ws, "check")
    assert checked.exit_code == 0, checked.output
    assert "an interrupted changekit run was undone" in checked.stderr
    assert path.read_bytes() == before
