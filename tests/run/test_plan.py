"""The runnable plan and the rollout's arithmetic: pure logic, no hosts."""

from __future__ import annotations

import subprocess

import pytest

from changekit.errors import InputError, PolicyError
from changekit.records.model import ChangeRecord
from changekit.run.plan import expectation, plan_of
from changekit.run.rollout import Limit, batches, stream


def rec(plan=None) -> ChangeRecord:
    data = {"id": "CHG-20261206-abcdef", "title": "t", "hosts": ["a"]}
    if plan is not None:
        data["plan"] = plan
    return ChangeRecord(data)


def test_a_free_text_record_is_refused_with_how_to_make_it_runnable():
    with pytest.raises(PolicyError) as exc:
        plan_of(rec())
    assert "no runnable plan" in exc.value.message and "plan.steps" in exc.value.hint


def test_plan_fields_defaults_and_digest():
    p = plan_of(rec({"steps": [{"run": "true"}, {"name": "b", "run": "x", "timeout": 5,
                                                 "sudo": True, "expect_exit": [0, 3]}]}))  # fmt: skip
    first, second = p.steps
    assert (first.name, first.timeout, first.sudo, first.expect_exit) == ("step 1", 600, None, (0,))
    assert (second.timeout, second.sudo, second.expect_exit) == (5, True, (0, 3))
    same = plan_of(rec({"steps": [{"run": "true"}, {"timeout": 5, "name": "b", "run": "x",
                                                    "expect_exit": [0, 3], "sudo": True}]}))  # fmt: skip
    assert p.digest == same.digest and p.digest.startswith("sha256:")
    other = plan_of(rec({"steps": [{"run": "false"}]}))
    assert other.digest != p.digest


@pytest.mark.parametrize(
    ("text", "kind", "item", "constraint"),
    [
        ("dpkg:libpdf-api2-perl present", "present", "libpdf-api2-perl", None),
        ("perl:PDF::API2 >= 2.040", "present", "PDF::API2", ">= 2.040"),
        ("dpkg:gcc absent", "absent", "gcc", None),
        ("services:ssh enabled", "enabled", "ssh", None),
        ("integrity:dpkg clean", "integrity", "", None),
    ],
)
def test_fact_expectations_read_as_requirements(text, kind, item, constraint):
    req = expectation(text, "plan.verify.facts[0]")
    assert (req.kind, req.item) == (kind, item)
    assert (str(req.constraint) if req.constraint else None) == constraint


@pytest.mark.parametrize("text", ["nocolon present", "perl:X >= banana!", "integrity:apt clean"])
def test_a_bad_expectation_names_itself_and_the_field(text):
    with pytest.raises(InputError) as exc:
        plan_of(rec({"steps": [{"run": "true"}], "verify": {"facts": [{"fact": text}]}}))
    assert text in exc.value.message and exc.value.field == "plan.verify.facts[0]"


def test_limits_and_batches():
    assert str(Limit.parse("25%", "--batch")) == "25%" and Limit.parse("3", "--batch").count == 3
    for bad in ("-1", "x", "101%"):
        with pytest.raises(InputError):
            Limit.parse(bad, "--max-fail")
    hosts = [f"h{i}" for i in range(10)]
    assert batches(hosts, 1, Limit(percent=100)) == [["h0"], hosts[1:]]
    assert batches(hosts, 2, Limit(count=3)) == [
        ["h0", "h1"],
        ["h2", "h3", "h4"],
        ["h5", "h6", "h7"],
        ["h8", "h9"],
    ]
    assert batches(hosts, 0, Limit(percent=25)) == [
        hosts[0:2],
        hosts[2:4],
        hosts[4:6],
        hosts[6:8],
        hosts[8:],
    ]
    assert batches(hosts[:1], 0, Limit(percent=1)) == [["h0"]]  # never a batch of none
    assert Limit(percent=10).of(9) == 0 and Limit(count=2).of(100) == 2


def test_a_step_script_carries_the_host_name_quoted():
    step = plan_of(rec({"steps": [{"run": 'printf %s "$CHANGEKIT_HOST"'}]})).steps[0]
    name = "a$(echo pwned)`id`'\"; rm -rf /tmp/nothing"
    out = subprocess.run(
        ["sh"], input=step.script(name), capture_output=True, text=True, check=True
    )
    assert out.stdout == name


def test_streams_are_capped_with_the_whole_digest():
    big = b"x" * 20000
    s = stream(big)
    assert len(s["text"]) == 16 * 1024 and s["bytes"] == 20000 and s["truncated"]
    import hashlib

    assert s["sha256"] == hashlib.sha256(big).hexdigest()
