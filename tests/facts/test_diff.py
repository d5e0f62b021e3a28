"""Diffs between snapshots: version-aware package changes, file changes, generic facts."""

from __future__ import annotations

from changekit.facts.diff import diff_snapshots


def s(facts: dict) -> dict:
    return {"facts": facts}


def test_packages_added_removed_upgraded_downgraded_in_dpkg_order():
    old = s(
        {
            "dpkg": {
                "a": {"version": "1.0-1"},
                "b": {"version": "2.0~rc1-1"},
                "c": {"version": "1:0.9"},
                "gone": {"version": "1"},
            }
        }
    )
    new = s(
        {
            "dpkg": {
                "a": {"version": "1.0-1"},
                "b": {"version": "2.0-1"},
                "c": {"version": "2.0"},
                "new": {"version": "3"},
            }
        }
    )
    got = {(c.item, c.change) for c in diff_snapshots(old, new)}
    # 2.0~rc1 sorts before 2.0 (an upgrade); epoch 1: beats any version without one (a downgrade)
    assert got == {("b", "upgraded"), ("c", "downgraded"), ("gone", "removed"), ("new", "added")}


def test_perl_and_python_modules():
    old = s({"perl": {"PDF::API2": {"version": "2.044"}}, "python": {"pyyaml": {"version": "6.0"}}})
    new = s(
        {"perl": {"PDF::API2": {"version": "2.045"}}, "python": {"pyyaml": {"version": "5.4.1"}}}
    )
    got = {(c.collector, c.item, c.change, c.old, c.new) for c in diff_snapshots(old, new)}
    assert got == {
        ("perl", "PDF::API2", "upgraded", "2.044", "2.045"),
        ("python", "pyyaml", "downgraded", "6.0", "5.4.1"),
    }


def test_files_changed_appeared_and_disappeared():
    f = {
        "sha256": "a" * 64,
        "owner": "root",
        "group": "root",
        "mode": "0644",
        "size": 1,
        "type": "regular file",
    }
    old = s({"files": {"/etc/x": f, "/etc/y": f, "/etc/z": {"missing": True}, "/etc/only-old": f}})
    new = s(
        {
            "files": {
                "/etc/x": {**f, "sha256": "b" * 64, "mode": "0600"},
                "/etc/y": {"missing": True},
                "/etc/z": f,
                "/etc/only-new": f,
            }
        }
    )
    changes = {c.item: c for c in diff_snapshots(old, new)}
    assert set(changes) == {"/etc/x", "/etc/y", "/etc/z"}  # a path asked for only once is unknown
    assert changes["/etc/x"].change == "changed" and changes["/etc/x"].new == {
        "sha256": "b" * 64,
        "mode": "0600",
    }
    assert (changes["/etc/y"].change, changes["/etc/z"].change) == ("removed", "added")


def test_generic_facts_and_collectors_missing_on_one_side():
    old = s(
        {
            "preload": {"ld_so_preload": []},
            "services": {"manager": "sysv", "services": {"ssh": {"state": "enabled"}}},
        }
    )
    new = s(
        {
            "preload": {"ld_so_preload": ["/lib/x.so"]},
            "dpkg": {"a": {"version": "1"}},
            "services": {"manager": "sysv", "services": {"ssh": {"state": "disabled"}}},
        }
    )
    got = {(c.collector, c.item, c.change) for c in diff_snapshots(old, new)}
    assert got == {("preload", "ld_so_preload", "changed"), ("services", "services.ssh", "changed")}
