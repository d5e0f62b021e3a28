"""A change class's quota through the real CLI and git: submitting over it is refused with the
next month that has room, and the gate counts from proven history, so neither a hand-written
record nor a hand-edited status gets a change past the quota."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from tests.gate.conftest import POLICY

CLASSES = """
classes:
  - name: IMAC
    match: {category: [install, move, add]}
    quota: {count: 1, timezone: Europe/Berlin}
"""

JUNE = ("--start", "2030-06-02 02:00", "--end", "2030-06-02 03:00", "--tz", "Europe/Berlin")
JUNE_LATER = ("--start", "2030-06-09 02:00", "--end", "2030-06-09 03:00", "--tz", "Europe/Berlin")


def codes(report: dict, rid: str) -> set[str]:
    return {p["code"] for p in report["problems"] if p.get("record") == rid}


def imac(clone, host: str, window: tuple) -> str:
    return clone.new("Install a printer", "--category", "install", window=window, hosts=(host,))


def test_over_the_quota_is_refused_and_the_gate_counts_proven_history(team):
    rita = team.rita
    (rita.path / "changekit.yaml").write_text(POLICY + CLASSES)
    rita.git("commit", "-q", "-am", "IMAC quota")
    rita.git("push", "-q", "origin", "HEAD:main")
    first = imac(rita, "web1", JUNE)
    rita.ck("change", "submit", first, "--push")
    team.approve_on_branch(team.alice, first)
    team.merge(first)

    second = imac(rita, "web2", JUNE_LATER)
    refused = rita.ck("change", "submit", second, code=None)
    assert refused.exit_code != 0
    assert "IMAC changes are limited to 1 a month in total; this is number 2 in 2030-06" in (
        refused.output
    )
    assert "the next allowed window is Mon 2030-07-01 00:00" in refused.output  # July has room
    assert "Traceback" not in refused.output

    # Mallory files one too, and submits it by editing the file: git proves the step (she is
    # its requester), so only the gate's quota count stands in the way
    mallory = team.mallory
    mallory.git("pull", "-q", "origin", "main")
    forged = imac(mallory, "web2", JUNE_LATER)
    fpath = mallory.record_path(forged)
    data = yaml.safe_load(fpath.read_text())
    data["status"] = "submitted"
    data["history"].append(
        {"status": "submitted", "at": "2030-05-01T10:00:00+00:00", "by": data["requester"]}
    )
    fpath.write_text(yaml.safe_dump(data, sort_keys=False))
    mallory.git("commit", "-q", "-am", "submit it")
    report = mallory.check(code=1)
    assert codes(report, forged) == {"over-quota"}
    path = mallory.record_path(first)

    # ... and calls the first one cancelled to free the month: that edit proves nothing
    first_data = yaml.safe_load(path.read_text())
    first_data["status"] = "cancelled"
    path.write_text(yaml.safe_dump(first_data, sort_keys=False))
    mallory.git("commit", "-q", "-am", "that one is cancelled")
    report = mallory.check(code=1)
    assert "over-quota" in codes(report, forged)
    assert "unproven-edit" in codes(report, first)


def test_the_quota_of_a_cancelled_change_is_free_again(team):
    rita = team.rita
    (rita.path / "changekit.yaml").write_text(POLICY + CLASSES)
    rita.git("commit", "-q", "-am", "IMAC quota")
    first = imac(rita, "web1", JUNE)
    rita.ck("change", "submit", first)
    rita.ck("change", "cancel", first, "--reason", "printer arrived broken")
    second = imac(rita, "web2", JUNE_LATER)
    assert "draft -> submitted" in rita.ck("change", "submit", second).stdout
    report = json.loads(rita.ck("check", "--format", "json", code=None).stdout)
    assert "over-quota" not in codes(report, second)


PER_CUSTOMER = """
classes:
  - name: IMAC
    match: {category: [install, move, add]}
    quota: {count: 1, per: customer, timezone: Europe/Berlin}
"""


def hand_edit(clone, rid: str, **fields) -> None:
    path = clone.record_path(rid)
    data = yaml.safe_load(path.read_text())
    data.update(fields)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    clone.git("commit", "-q", "-am", f"hand edit: {', '.join(fields)}")


def approved_imac(team, **fields) -> str:
    """An IMAC change of acme's in June (acme by the record's field: no inventory), approved
    by Alice and merged."""
    rita = team.rita
    rid = imac(rita, "web1", JUNE)
    hand_edit(rita, rid, customer="acme", **fields)
    rita.ck("change", "submit", rid, "--push")
    team.approve_on_branch(team.alice, rid)
    team.merge(rid)
    rita.git("pull", "-q", "origin", "main")
    return rid


@pytest.mark.parametrize("edit", [{"category": "change"}, {"customer": "globex"}])
def test_moving_an_approved_change_out_of_the_quota_by_hand_voids_its_approval(team, edit):
    # attack: after approval, re-classify the change (category) or hand it to another
    # customer (the record's field, its hosts carrying none) to free acme's June quota
    rita = team.rita
    (rita.path / "changekit.yaml").write_text(POLICY + PER_CUSTOMER)
    rita.git("commit", "-q", "-am", "IMAC quota per customer")
    rita.git("push", "-q", "origin", "HEAD:main")
    first = approved_imac(team)
    hand_edit(rita, first, **edit)
    second = imac(rita, "web2", JUNE_LATER)
    hand_edit(rita, second, customer="acme")
    rita.ck("change", "submit", second)
    report = rita.check(code=1)
    assert {"approval-stale", "not-approved"} <= codes(report, first)
    stale = next(p for p in report["problems"] if p["code"] == "approval-stale")
    assert next(iter(edit)) in stale["message"]


def test_re_classifying_a_finished_change_is_no_correction_after_the_fact(team):
    # attack: a finished change keeps an approval edited after it started (a correction of
    # what really happened); calling it category "change" afterwards would take it out of the
    # IMAC quota for good and free its month
    rita = team.rita
    (rita.path / "changekit.yaml").write_text(POLICY + PER_CUSTOMER)
    rita.git("commit", "-q", "-am", "IMAC quota per customer")
    rita.git("push", "-q", "origin", "HEAD:main")
    first = approved_imac(team)
    rita.ck("change", "start", first, "--force", "--reason", "the printer is here early")
    rita.ck("change", "complete", first)
    hand_edit(rita, first, category="change")
    report = rita.check(code=1)
    assert {"approval-stale", "not-approved"} <= codes(report, first)
    stale = next(p for p in report["problems"] if p["code"] == "approval-stale")
    assert "category" in stale["message"] and "git revert" in stale["hint"]
    rita.git("revert", "--no-edit", "HEAD")  # undone: the approval covers it again
    assert codes(rita.check(code=0), first) == set()


LEAD = """
classes:
  - name: IMAC
    match: {category: [install, move, add]}
    lead_time: 3d
"""


def dated(when: str) -> dict:
    return {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}


def test_a_window_moved_closer_after_submission_needs_its_notice_again(team):
    # attack: submit with a window three weeks out (the lead time holds from the
    # submission), then move it to the next morning by hand and get it approved; the notice
    # readers had was for another window
    rita = team.rita
    (rita.path / "changekit.yaml").write_text(POLICY + LEAD)
    rita.git("commit", "-q", "-am", "IMAC lead time")
    rita.git("push", "-q", "origin", "HEAD:main")
    far = ("--start", "2030-06-20 02:00", "--end", "2030-06-20 03:00", "--tz", "Europe/Berlin")
    out = rita.ck(
        "change", "new", "--no-input", "--format", "json", "--title", "Install a printer",
        "--type", "normal", "--category", "install", "--risk", "low", "--impact", "low",
        "--host", "web1", "--implementation", "plug it in", "--rollback", "unplug it", *far,
        env=dated("2030-06-01T09:00:00+00:00"),
    )  # fmt: skip
    rid = json.loads(out.stdout)["id"]
    rita.ck("change", "submit", rid, env=dated("2030-06-01T10:00:00+00:00"))
    path = rita.record_path(rid)
    path.write_text(path.read_text().replace("2030-06-20T0", "2030-06-10T0"))
    rita.git("commit", "-qam", "sooner", env=dated("2030-06-09T12:00:00+00:00"))
    rita.git("push", "-q", "origin", "HEAD:main")
    team.alice.git("pull", "-q", "origin", "main")
    team.alice.ck("change", "approve", rid, env=dated("2030-06-09T13:00:00+00:00"))
    report = team.alice.check(code=1)
    assert codes(report, rid) == {"lead-time-too-short"}
    found = next(p for p in report["problems"] if p["code"] == "lead-time-too-short")
    assert "needs 3d notice, but the window starts 12h" in found["message"]


def test_two_changes_submitted_in_the_same_second_keep_the_order_git_proves(team):
    # attack (a race): commit dates have whole seconds, and a tie was broken by the random
    # record ids, so a change submitted in the same second as an approved, merged one, on
    # top of it, could take its place in the quota. Here the later one gets the smaller id.
    rita = team.rita
    (rita.path / "changekit.yaml").write_text(POLICY + CLASSES)
    rita.git("commit", "-q", "-am", "IMAC quota")
    rita.git("push", "-q", "origin", "HEAD:main")
    ids = sorted([imac(rita, "web1", JUNE), imac(rita, "web2", JUNE_LATER)])
    later, first = ids  # the first one submitted has the larger id
    same = dated("2030-05-01T10:00:00+00:00")
    rita.ck("change", "submit", first, env=same)
    rita.git("push", "-q", "origin", "HEAD:main")
    team.alice.git("pull", "-q", "origin", "main")
    team.alice.ck("change", "approve", first)
    team.alice.git("push", "-q", "origin", "HEAD:main")
    rita.git("pull", "-q", "origin", "main")
    hand_edit(rita, later, status="submitted")  # on top of the first one, the same second
    rita.git("commit", "-q", "--amend", "--no-edit", "--reset-author", env=same)
    report = rita.check(code=1)
    assert codes(report, first) == set()
    assert codes(report, later) == {"over-quota"}


def test_a_pull_request_that_pushes_an_approved_change_over_the_quota_fails(team):
    # attack: a --base check judges only the pull request's records. One submitted before a
    # change main has approved since ranks first in the month, so merging it would push the
    # approved one over the quota, and only main's own check would see it, after the merge.
    rita = team.rita
    (rita.path / "changekit.yaml").write_text(POLICY + CLASSES)
    rita.git("commit", "-q", "-am", "IMAC quota")
    rita.git("push", "-q", "origin", "HEAD:main")
    early = imac(rita, "web1", JUNE)
    rita.ck("change", "submit", early, "--push")
    time.sleep(1.1)  # commit dates (and the files' history) have whole seconds
    approved = imac(rita, "web2", JUNE_LATER)
    rita.ck("change", "submit", approved, "--push")
    team.approve_on_branch(team.alice, approved)
    team.merge(approved)
    team.approve_on_branch(team.alice, early)
    ci = team.ci(f"change/{early}")
    ci.git("merge", "-q", "--no-edit", "origin/main")  # the pull request, up to date
    report = ci.check("--base", "origin/main", code=1)
    assert codes(report, early) == set()
    assert codes(report, approved) == {"over-quota"}
    found = next(p for p in report["problems"] if p["code"] == "over-quota")
    assert found["message"].startswith(
        f"this pull request puts it over the quota ({early} was filed before it): "
    )
    assert found["path"] == f"change_records/{approved}.yaml"
