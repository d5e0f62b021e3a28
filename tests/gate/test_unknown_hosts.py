"""check reports a record whose hosts the inventory cannot resolve (hidden from conflicts,
freezes and notices): an error once it is under review, a warning on a draft."""

from __future__ import annotations

import re

INVENTORY = "hosts:\n  web1: {address: 127.0.0.1}\n  web2: {address: 127.0.0.1}\ngroups:\n  web: {hosts: [web1, web2]}\n"


def _break_hosts(clone, rid: str) -> None:
    path = clone.record_path(rid)
    path.write_text(re.sub(r"(?m)^hosts:\n- .*$", "hosts:\n- group:webz", path.read_text()))
    clone.git("commit", "-qam", "hand edit: hosts")


def test_unknown_group_is_an_error_under_review_and_a_warning_on_a_draft(team):
    rita = team.rita
    (rita.path / "inventories" / "hosts.yaml").write_text(INVENTORY)
    rita.git("add", "inventories/hosts.yaml")
    rita.git("commit", "-qm", "inventory")

    draft = rita.new("Draft with a typo")
    _break_hosts(rita, draft)
    report = rita.check(code=0)
    found = [p for p in report["problems"] if p["code"] == "unknown-hosts"]
    assert [(p["record"], p["field"], p["severity"]) for p in found] == [(draft, "hosts[0]", "low")]
    assert "did you mean 'web'?" in found[0]["hint"]

    rita.ck("change", "submit", draft, code=3)  # submitting it is refused outright
    rid = rita.new("Submitted, then edited by hand")
    rita.ck("change", "submit", rid)
    _break_hosts(rita, rid)
    report = rita.check(code=1)
    assert any(
        p["code"] == "unknown-hosts" and p["record"] == rid and p["severity"] == "high"
        for p in report["problems"]
    )
