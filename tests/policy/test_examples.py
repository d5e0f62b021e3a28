"""Good and bad example policies; each bad one with the exact error it must produce."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from changekit.errors import InputError
from changekit.policy import load_policy_file

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "policy"
EXPECTED = yaml.safe_load((EXAMPLES / "expected-errors.yaml").read_text())
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def shown(exc: InputError) -> str:
    text = f"{exc.line}:{exc.column} [{exc.field}]: {exc.message.splitlines()[0]}"
    return text + (f" | hint: {exc.hint}" if exc.hint else "")


def test_every_bad_policy_has_an_expected_error():
    assert sorted(p.name for p in (EXAMPLES / "bad").glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_policy_is_refused_with_its_exact_error(name):
    path = EXAMPLES / "bad" / name
    with pytest.raises(InputError) as err:
        load_policy_file(path, root=EXAMPLES, display=name, now=NOW)
    assert shown(err.value) == EXPECTED[name]
    assert err.value.path == name


def test_full_policy_loads_with_every_part():
    policy = load_policy_file(EXAMPLES / "good/full.yaml", root=EXAMPLES, now=NOW)
    assert policy.groups["ops"] == {"alice@example.org", "bob@example.org"}
    assert policy.handles["ops"] == "@acme/ops" and policy.handles["alice@example.org"] == "@alice"
    assert [w.name for w in policy.windows] == ["sunday night", "weeknights"]
    assert policy.signed and policy.allowed_signers == ".allowed_signers"
    assert policy.emergency_within.total_seconds() == 36 * 3600
    assert policy.is_preapproved_template("rotate-logs") and not policy.is_preapproved_template(
        "reboot"
    )
    sources = {f.source for f in policy.freezes}
    assert sources == {"changekit.yaml", "calendars/freezes.ics"}
    # the recurring quarter close (every 3 months) expands: 2026-03-30, 06-30, 09-30, ...
    quarter = sorted(f.start for f in policy.freezes if f.name == "Quarter close")
    assert datetime(2026, 6, 29, 22, 0, tzinfo=UTC) in quarter  # 2026-06-30 00:00 Berlin (CEST)


def test_minimal_policy_defaults():
    policy = load_policy_file(EXAMPLES / "good/minimal.yaml", now=NOW)
    record = {
        "id": "CHG-20260101-aaaaaa",
        "type": "normal",
        "risk": "low",
        "requester": {"email": "r@x.org"},
    }
    assert sum(r.count for r in policy.required_approvals(record)) == 1
    assert policy.windows == [] and policy.freezes == [] and policy.lead_time is None


def test_unknown_key_through_the_cli(tmp_path, run_cli):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "changekit.yaml").write_text((EXAMPLES / "bad/unknown-key.yaml").read_text())
    result = run_cli("-C", str(tmp_path), "check")
    assert result.exit_code == 3
    assert "changekit.yaml:3:3: unknown key 'aprovals'" in result.stderr
    assert "did you mean 'approvals'?" in result.stderr
    assert "Traceback" not in result.output + result.stderr
