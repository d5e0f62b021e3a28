"""A build phase says one line; its noise goes to the build log, shown only when it fails."""

from __future__ import annotations

import subprocess

import pytest

from tests.testfleet import build

NOISE = "E: Can not write log (Is /dev/pts mounted?) - posix_openpt (19: No such device)"


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CHANGEKIT_TESTFLEET_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_noisy_phase_prints_one_line_and_keeps_its_output_in_the_log(capsys):
    build.run_phase("setting up tzdata", ["sh", "-c", f"echo '{NOISE}' >&2; echo debconf: warn"])
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [f"testfleet: setting up tzdata (output in {build.build_log()})"]
    assert NOISE in build.build_log().read_text()
    assert "debconf: warn" in build.build_log().read_text()


def test_a_failed_phase_shows_the_log_path_and_its_own_last_lines(capsys):
    build.run_phase("first phase", ["sh", "-c", "echo earlier phase output"])
    lines = "; ".join(f"echo line{i}" for i in range(30))
    with pytest.raises(subprocess.CalledProcessError) as failed:
        build.run_phase("apt-get", ["sh", "-c", f"{lines}; echo 'E: no space left' >&2; exit 3"])
    assert failed.value.returncode == 3
    err = capsys.readouterr().err
    assert f"testfleet: apt-get failed (exit 3); the last lines of {build.build_log()}:" in err
    assert "    E: no space left" in err
    assert "line29" in err and "line10" not in err  # only the last lines
    assert "earlier phase output" not in err  # only this phase's
    log = build.build_log().read_text()
    assert "earlier phase output" in log and "line0" in log
