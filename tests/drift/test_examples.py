"""Good and bad standards and waivers, each bad one with the exact error it must produce."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from changekit.drift.standards import FALLBACK_COLLECTORS, load_standards, parse_standard
from changekit.drift.waivers import load_waivers
from changekit.errors import InputError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
KNOWN = FALLBACK_COLLECTORS
STD_EXPECTED = yaml.safe_load((EXAMPLES / "standards/expected-errors.yaml").read_text())
WAIVER_EXPECTED = yaml.safe_load((EXAMPLES / "waivers/expected-errors.yaml").read_text())


def _shown(exc: InputError) -> str:
    return f"{exc.line}:{exc.column} [{exc.field}]: {exc.message.splitlines()[0]}"


def test_good_standards_load():
    standards = load_standards(EXAMPLES / "standards/good", KNOWN)
    assert [s.name for s in standards] == ["app-python", "web-baseline"]
    web = standards[1]
    kinds = [r.kind for r in web.requirements]
    assert kinds == [
        "present",
        "present",
        "present",
        "absent",
        "absent",
        "enabled",
        "file",
        "integrity",
    ]
    assert web.requirements[0].constraint.satisfied_by("2.044")
    assert not web.requirements[0].constraint.satisfied_by("2.039")
    assert web.requirements[2].constraint.same
    assert web.requirements[4].severity == "critical"


def test_every_bad_standard_has_an_expected_error():
    files = sorted(p.name for p in (EXAMPLES / "standards/bad").glob("*.yaml"))
    assert files == sorted(STD_EXPECTED)


@pytest.mark.parametrize("name", sorted(STD_EXPECTED))
def test_bad_standard_is_refused_with_its_exact_error(name):
    path = EXAMPLES / "standards/bad" / name
    with pytest.raises(InputError) as err:
        parse_standard(path, KNOWN)
    assert _shown(err.value) == STD_EXPECTED[name]
    assert err.value.path == str(path)


def test_unknown_collector_suggests_the_closest():
    with pytest.raises(InputError) as err:
        parse_standard(EXAMPLES / "standards/bad/unknown-collector.yaml", KNOWN)
    assert err.value.hint == "did you mean 'dpkg'?"


def test_good_waivers_load():
    waivers = load_waivers(EXAMPLES / "waivers/good")
    assert [w.id for w in waivers] == ["W-web07-pdf", "W-old"]
    assert waivers[0].approved_by == "Alice Admin <alice@example.org>"


@pytest.mark.parametrize("name", sorted(WAIVER_EXPECTED))
def test_bad_waiver_is_refused_with_its_exact_error(name, tmp_path):
    shutil.copy(EXAMPLES / "waivers/bad" / name, tmp_path / name)
    with pytest.raises(InputError) as err:
        load_waivers(tmp_path)
    assert _shown(err.value) == WAIVER_EXPECTED[name]


def test_two_standards_with_one_name_are_refused(tmp_path):
    for n in ("a", "b"):
        shutil.copy(EXAMPLES / "standards/good/web-baseline.yaml", tmp_path / f"{n}.yaml")
    with pytest.raises(InputError, match="also used by"):
        load_standards(tmp_path, KNOWN)


def test_python_names_are_compared_by_their_pep503_form(tmp_path):
    path = tmp_path / "py.yaml"
    path.write_text("name: py\napplies_to: [all]\nrequirements:\n  - present: python:PyYAML\n")
    [req] = parse_standard(path, KNOWN).requirements
    assert req.key == "python:pyyaml"


def test_scan_context_lists_what_the_standards_need():
    from changekit.drift.standards import scan_context

    standards = load_standards(EXAMPLES / "standards/good", KNOWN)
    assert scan_context(standards) == {
        "files": ["/etc/apache2/apache2.conf"],
        "modules": {"python": ["requests"], "perl": ["PDF::API2"]},
    }
