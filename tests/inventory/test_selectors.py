"""Selectors over a real loaded inventory: names, globs, group:, tag:, A&B, !SEL."""

from __future__ import annotations

from pathlib import Path

import pytest

from changekit.errors import InputError, NotFoundError
from changekit.inventory.load import load_inventory

EXAMPLE = Path(__file__).parent / "examples" / "good" / "changekit-full.yaml"


@pytest.fixture
def inv():
    return load_inventory(EXAMPLE, ssh_config=False)


def names(hosts):
    return [h.name for h in hosts]


@pytest.mark.parametrize(
    ("selectors", "expected"),
    [
        ([], ["db01", "lonely", "web01", "web02", "web03"]),
        (["web01"], ["web01"]),
        (["web0[12]"], ["web01", "web02"]),
        (["web*", "db01"], ["db01", "web01", "web02", "web03"]),
        (["group:web"], ["web01", "web02", "web03"]),
        (["group:production"], ["db01", "web01", "web02", "web03"]),  # nested children count
        (["group:all"], ["db01", "lonely", "web01", "web02", "web03"]),
        (["group:ungrouped"], ["lonely"]),
        (["tag:canary"], ["web01"]),
        (["tag:prod&web*"], ["web01", "web02", "web03"]),
        (["group:production&!web*"], []),  # '!' only counts at the start of a selector
        (["group:production", "!group:web"], ["db01"]),
        (["!group:production"], ["lonely"]),
        (["group:web", "!web02", "!tag:canary"], ["web03"]),
    ],
)
def test_selectors(inv, selectors, expected):
    if not expected:
        with pytest.raises(InputError):
            inv.select(selectors)
        return
    assert names(inv.select(selectors)) == expected


def test_unknown_group_names_close_groups(inv):
    with pytest.raises(NotFoundError) as caught:
        inv.select(["group:prod"])
    assert "no group named 'prod'" in caught.value.message
    assert caught.value.hint == "did you mean 'production'?"


def test_selector_matching_nothing_suggests_hosts_and_tags(inv):
    with pytest.raises(InputError) as caught:
        inv.select(["web1"])
    assert caught.value.message == "selector 'web1' matches no host"
    assert "did you mean" in caught.value.hint and "'web01'" in caught.value.hint
    with pytest.raises(InputError) as caught:
        inv.select(["tag:canery"])
    assert caught.value.hint == "did you mean 'canary'?"


def test_exclusion_that_leaves_nothing_is_an_error(inv):
    with pytest.raises(InputError, match="leave no host"):
        inv.select(["web01", "!tag:canary"])


def test_names_with_operators_stay_selectable_by_exact_name():
    inv = load_inventory("a&b,!odd,plain,", ssh_config=False)
    assert names(inv.select(["a&b"])) == ["a&b"]
    assert names(inv.select(["!odd"])) == ["!odd"]
    assert names(inv.select(["!plain"])) == ["!odd", "a&b"]
