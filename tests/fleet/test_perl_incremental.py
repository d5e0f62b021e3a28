"""The perl collector's incremental walk against the real sshd test fleet: a repeat scan re-reads
only the modules that changed and finds exactly what a full read finds (changed with the mtime
put back, added, removed, shadowed, a shadowed module winning once the one before it in @INC is
gone, hostile names and contents), and a cache that git did not record means a full read. The
scans run the real CLI in a real workspace; the host's files are changed for real through its
root (the fixture's /proc view) and removed afterwards."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.fleet.conftest import scan_one

pytestmark = pytest.mark.fleet

HOST = "web06"  # no other fleet test looks at its Perl modules; every file planted is removed
CACHE = "var/lib/changekit/perl-modules.cache"
# @INC order on the hosts: the first two come before /usr/share/perl5 and /usr/share/perl/5.36
FIRST = "usr/local/lib/x86_64-linux-gnu/perl/5.36.0"
SECOND = "usr/local/share/perl/5.36.0"
HOSTILE = {  # module file under SECOND/Ck -> its version line
    "Sp ace.pm": "our $VERSION = '1.01';",
    "New\nLine.pm": "our $VERSION = '1.02';",
    "Tab\tbed.pm": '$VERSION = "1.03";',
    "Quo'te\"s.pm": "our $VERSION = '1.04';",
    "Ünïcödé Модуль.pm": "package Ck::U 1.05;",
    "Back\\slash.pm": "our $VERSION = '1.06'; # \\ \t tab and \x1b[31m escape",
}


def write(path: Path, text: str, *, like: Path | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    if like is not None:  # the mtime put back: only the ctime tells
        st = like.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.fixture
def host(fleet):
    """HOST's filesystem with the planted modules; removed afterwards whatever happened."""
    root = fleet.root(HOST)
    for name, line in HOSTILE.items():
        write(root / SECOND / "Ck" / name, f"package Ck;\n{line}\n1;\n")
    write(root / FIRST / "Ck" / "Shadow.pm", "package Ck::Shadow;\nour $VERSION = '1.00';\n1;\n")
    write(root / SECOND / "Ck" / "Shadow.pm", "package Ck::Shadow;\nour $VERSION = '2.00';\n")
    write(root / SECOND / "Ck" / "Gone.pm", "package Ck::Gone;\nour $VERSION = '0.1';\n")
    write(root / SECOND / "Ck" / "Same.pm", "package Ck::Same;\nour $VERSION = '1.00';\n")
    write(root / SECOND / "Ck" / "Junk.pm", "\x00\xff\x01binary\n$VERSION = 3.1 ; \r\n")
    # a file whose ctime is within a second of a scan's start is read again by design (racy;
    # ctime in whole seconds)
    time.sleep(2.1)
    try:
        yield root
    finally:
        for top in (FIRST, SECOND):
            shutil.rmtree(root / top / "Ck", ignore_errors=True)


def scan(fleet, workspace: Path, *extra: str) -> tuple[dict, dict]:
    """Scan HOST with the perl collector; its (runs.perl, facts.perl)."""
    _, snap = scan_one(fleet, workspace, HOST, "perl", *extra)
    return snap["runs"]["perl"], snap["facts"]["perl"]


def ours(facts: dict) -> dict:
    return {k: v for k, v in facts.items() if k.startswith("Ck::")}


def test_a_repeat_walk_reads_only_what_changed_and_finds_what_a_full_read_finds(
    fleet, host, workspace
):
    first, facts = scan(fleet, workspace)
    assert (first["mode"], first["why"]) == ("full", "no previous verified scan")
    assert first["read"] == first["files"] > 500 and first["carried"] == 0
    mine = ours(facts)
    assert mine["Ck::Shadow"] == {"version": "1.00", "path": f"/{FIRST}/Ck/Shadow.pm"}
    assert mine["Ck::New\nLine"]["version"] == "1.02"  # a newline in a name forges no line
    assert mine["Ck::Tab\tbed"]["version"] == "1.03"
    assert mine["Ck::Quo'te\"s"]["version"] == "1.04"
    assert mine["Ck::Ünïcödé Модуль"]["version"] == "1.05"
    assert mine["Ck::Back\\slash"]["version"] == "1.06"
    assert mine["Ck::Junk"]["version"] == "3.1"

    repeat, same = scan(fleet, workspace)
    assert repeat["mode"] == "incremental" and "why" not in repeat
    assert (repeat["read"], repeat["carried"]) == (0, first["files"])
    assert repeat["full_at"] == first["full_at"] and same == facts

    same_size = host / SECOND / "Ck" / "Same.pm"
    old = host / SECOND / "Ck" / "old"
    shutil.copy2(same_size, old)
    write(same_size, "package Ck::Same;\nour $VERSION = '1.01';\n", like=old)  # same size
    old.unlink()
    (host / FIRST / "Ck" / "Shadow.pm").unlink()  # the shadowed one in SECOND now wins
    (host / SECOND / "Ck" / "Gone.pm").unlink()
    write(host / SECOND / "Ck" / "New\tOne.pm", "package Ck::New;\nour $VERSION = '7';\n")
    time.sleep(2.1)

    changed, found = scan(fleet, workspace)
    assert changed["mode"] == "incremental"
    # read: Same.pm and New\tOne.pm; two files gone, one new
    assert (changed["read"], changed["files"]) == (2, first["files"] - 1)
    mine = ours(found)
    assert mine["Ck::Same"]["version"] == "1.01"
    assert mine["Ck::Shadow"] == {"version": "2.00", "path": f"/{SECOND}/Ck/Shadow.pm"}
    assert "Ck::Gone" not in mine and mine["Ck::New\tOne"]["version"] == "7"

    full, again = scan(fleet, workspace, "--full-verify")
    assert (full["mode"], full["why"]) == ("full", "requested (--full-verify)")
    assert again == found  # the incremental result is the full read's, module for module


def test_a_cache_git_did_not_record_means_a_full_read(fleet, host, workspace):
    first, facts = scan(fleet, workspace)
    cache = host / CACHE
    lines = cache.read_bytes().splitlines(keepends=True)
    # a forged cache entry: Ck/Same.pm with its real stat but another version line
    forged = [
        line.replace(b"'1.00'", b"'6.66'") if b"Ck/Same.pm" in line else line for line in lines
    ]
    assert forged != lines
    cache.write_bytes(b"".join(forged))
    time.sleep(2.1)
    after, found = scan(fleet, workspace)
    assert after["mode"] == "full"
    assert after["why"] == "the baseline on the host is not the one the last scan recorded"
    assert found == facts and found["Ck::Same"]["version"] == "1.00"

    cache.unlink()
    gone, found = scan(fleet, workspace)
    assert (gone["mode"], gone["why"]) == ("full", "no baseline on the host")
    assert found == facts
