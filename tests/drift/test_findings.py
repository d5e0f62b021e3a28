"""A finding as a dict (what ``drift --format json`` prints): the fields ``dataclasses.asdict``
gives, ``id`` first, unset ones left out, and nothing shared with the finding."""

from __future__ import annotations

from dataclasses import asdict

from changekit.drift.findings import Finding


def finding() -> Finding:
    return Finding(
        kind="time",
        scope="S1..S2",
        rule="changed",
        host="web1",
        item="dpkg:openssl",
        expected="3.0.13",
        actual="3.0.15",
        severity="medium",
        message="openssl changed",
        evidence={"scan_id": "S2", "versions": ["3.0.13", ("3.0.15", 2)], "seen": {"a": None}},
        remediation={"package": "openssl", "hosts": ["web1"]},
        hosts=["web1", "web2"],
    )


def test_as_dict_is_asdict_with_id_first_and_unset_fields_left_out():
    f = finding()
    data = asdict(f)
    expected = {"id": data.pop("id"), **{k: v for k, v in data.items() if v is not None}}
    got = f.as_dict()
    assert got == expected
    assert list(got) == list(expected)
    assert "waiver" not in got and "change" not in got
    assert isinstance(got["evidence"]["versions"][1], tuple)  # as asdict keeps it


def test_as_dict_shares_nothing_with_the_finding():
    f = finding()
    got = f.as_dict()
    got["evidence"]["versions"].append("x")
    got["evidence"]["seen"]["b"] = 1
    got["remediation"]["hosts"].clear()
    got["hosts"].append("web3")
    assert f.evidence == {
        "scan_id": "S2",
        "versions": ["3.0.13", ("3.0.15", 2)],
        "seen": {"a": None},
    }
    assert f.remediation == {"package": "openssl", "hosts": ["web1"]}
    assert f.hosts == ["web1", "web2"]
