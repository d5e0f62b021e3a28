"""The perl collector against a hostile host, on the real sshd test fleet: a module symlinked to
a FIFO, a named module whose ``$VERSION`` carries a newline, and an ``@INC`` that names one
directory twice (``PERL5LIB`` set in root's ``.bashrc``). Each must give what perl itself would
load, in bounded time, with no line forged. The host's files are changed through its root (the
fixture's /proc view) and put back afterwards."""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import shutil
import threading
import time
from pathlib import Path

import pytest
import yaml

from tests.fleet.conftest import scan_one
from tests.fleet.test_perl_incremental import CACHE, SECOND, write

pytestmark = pytest.mark.fleet

HOST = "web06"  # the host the perl fleet tests plant modules on; everything planted is removed
PERL5 = "usr/share/perl5"  # in @INC after SECOND
IN_CLOSE_NOWRITE = 0x10  # <sys/inotify.h>: a file opened read-only was closed


@pytest.fixture
def root(fleet):
    root = fleet.root(HOST)
    try:
        yield root
    finally:
        for top in (SECOND, PERL5):
            shutil.rmtree(root / top / "Ck", ignore_errors=True)


def inventory(fleet, tmp_path: Path, **host_vars) -> Path:
    """The fleet's inventory with ``host_vars`` added to HOST's ``vars``."""
    data = yaml.safe_load(fleet.inventory.read_text())
    data["hosts"][HOST]["vars"] = {**(data["hosts"][HOST].get("vars") or {}), **host_vars}
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def scan(fleet, workspace: Path, inv: Path, *extra: str) -> tuple[dict, dict]:
    """Scan HOST with the perl collector; its (result, snapshot)."""
    return scan_one(fleet, workspace, HOST, "perl", *extra, inventory=inv)


def test_a_module_symlinked_to_a_fifo_is_listed_not_read(fleet, root, workspace):
    fifo = root / "tmp" / "ck-perl.fifo"
    fifo.unlink(missing_ok=True)
    os.mkfifo(fifo)
    write(root / SECOND / "Ck" / "Same.pm", "package Ck::Same;\nour $VERSION = '1.00';\n")
    (root / SECOND / "Ck" / "Fifo.pm").symlink_to("/tmp/ck-perl.fifo")
    try:
        # nothing ever writes to the FIFO: a walk that opens it waits for the whole timeout
        _, snap = scan(fleet, workspace, fleet.inventory, "--command-timeout", "60")
    finally:
        # a reader still blocked on the host is let go: a writer opens and closes the FIFO
        with contextlib.suppress(OSError):  # no reader left: nothing to let go
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        fifo.unlink()
    perl = snap["facts"]["perl"]
    assert perl["Ck::Fifo"] == {"version": "undef", "path": f"/{SECOND}/Ck/Fifo.pm"}
    assert perl["Ck::Same"]["version"] == "1.00"


def test_a_named_modules_version_with_a_newline_forges_no_line(fleet, root, workspace, tmp_path):
    write(root / SECOND / "Ck" / "Same.pm", "package Ck::Same;\nour $VERSION = '1.00';\n")
    forged = f"/{SECOND}/Ck/Same.pm\\t= 6.66"
    # the textual line is computed, so the walk says undef; loading it sets a multi-line version
    write(
        root / SECOND / "Ck" / "Evil.pm",
        f'package Ck::Evil;\nour $VERSION = join "", "1.0", "\\nV {forged}";\n1;\n',
    )
    inv = inventory(fleet, tmp_path, changekit_modules={"perl": ["Ck::Evil", "Ck::Missing"]})
    _, snap = scan(fleet, workspace, inv)
    perl = snap["facts"]["perl"]
    assert perl["Ck::Same"]["version"] == "1.00"
    assert perl["Ck::Evil"]["path"] == f"/{SECOND}/Ck/Evil.pm"


def test_perl5lib_naming_a_directory_again_keeps_perls_order(fleet, root, workspace):
    # perl loads the first match along @INC: with PERL5LIB=/usr/share/perl5 that directory comes
    # first (and again after SECOND, where perl put it anyway)
    write(root / SECOND / "Ck" / "Both.pm", "package Ck::Both;\nour $VERSION = '1.00';\n")
    write(root / PERL5 / "Ck" / "Both.pm", "package Ck::Both;\nour $VERSION = '2.00';\n")
    _, plain = scan(fleet, workspace, fleet.inventory)
    bashrc = root / "root" / ".bashrc"
    saved = bashrc.read_bytes()
    bashrc.write_bytes(b"export PERL5LIB=/usr/share/perl5\n" + saved)
    try:
        _, snap = scan(fleet, workspace, fleet.inventory)
        loaded = fleet.ssh(HOST, "perl -MCk::Both -e 'print $INC{\"Ck/Both.pm\"}'").stdout
    finally:
        bashrc.write_bytes(saved)
    assert loaded == f"/{PERL5}/Ck/Both.pm"
    assert snap["facts"]["perl"]["Ck::Both"] == {"version": "2.00", "path": f"/{PERL5}/Ck/Both.pm"}
    assert plain["facts"]["perl"]["Ck::Both"]["version"] == "1.00"  # SECOND first
    # a directory named twice is walked once
    assert snap["runs"]["perl"]["files"] == plain["runs"]["perl"]["files"]


def swap_after_first_read(path: Path, forged: bytes, timeout: float = 120) -> threading.Thread:
    """A local attacker who can write the cache's directory: the moment the cache has been read
    once (the check of its sha256), the forged file is renamed over it (inotify, as a real
    attacker would watch). The thread's ``swapped`` tells whether it did."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_CLOEXEC)
    assert fd >= 0 and libc.inotify_add_watch(fd, bytes(path), IN_CLOSE_NOWRITE) >= 0
    spare = path.with_name(".forged")
    spare.write_bytes(forged)

    def watch() -> None:
        try:
            if select.select([fd], [], [], timeout)[0]:
                os.rename(spare, path)
                watcher.swapped = True
        finally:
            os.close(fd)
            spare.unlink(missing_ok=True)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.swapped = False
    watcher.start()
    return watcher


def test_a_cache_swapped_between_its_check_and_its_read_is_not_trusted(fleet, root, workspace):
    write(root / SECOND / "Ck" / "Same.pm", "package Ck::Same;\nour $VERSION = '1.00';\n")
    time.sleep(2.1)  # older than the racy second: carried by the next scan
    _, first = scan(fleet, workspace, fleet.inventory)
    cache = root / CACHE
    real = cache.read_bytes()
    # Ck/Same.pm with its real stat but another version line: the digest git holds is not its
    forged = b"".join(
        line.replace(b"'1.00'", b"'6.66'") if b"Ck/Same.pm" in line else line
        for line in real.splitlines(keepends=True)
    )
    assert forged != real
    watcher = swap_after_first_read(cache, forged)
    _, then = scan(fleet, workspace, fleet.inventory)
    watcher.join(10)
    assert watcher.swapped  # the attack ran
    assert then["facts"]["perl"]["Ck::Same"]["version"] == "1.00"
    assert then["facts"]["perl"] == first["facts"]["perl"]


def test_a_module_symlinked_to_an_endless_proc_file_is_read_no_further_than_its_size(
    fleet, root, workspace
):
    # /proc/self/pagemap says it is a regular file of size 0, yet reading it yields 8 bytes for
    # every page of the reader's address space (256 GB) with hardly a newline: a walk that reads
    # a line of it fills the host's memory. The scan's shell gets a 1 GB memory limit (root's
    # .bashrc), so the test fails fast instead of exhausting this shared machine.
    write(root / SECOND / "Ck" / "Same.pm", "package Ck::Same;\nour $VERSION = '1.00';\n")
    (root / SECOND / "Ck" / "Map.pm").symlink_to("/proc/self/pagemap")
    bashrc = root / "root" / ".bashrc"
    saved = bashrc.read_bytes()
    bashrc.write_bytes(b"ulimit -v 1000000\n" + saved)
    try:
        _, snap = scan(fleet, workspace, fleet.inventory)
    finally:
        bashrc.write_bytes(saved)
    perl = snap["facts"]["perl"]
    assert perl["Ck::Map"] == {"version": "undef", "path": f"/{SECOND}/Ck/Map.pm"}
    assert perl["Ck::Same"]["version"] == "1.00"
