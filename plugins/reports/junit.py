"""JUnit XML: one test case per host x requirement, so a CI system shows conformance.

Standards give one suite each (a case per host x requirement); peers and time give a
suite each with a case per host x group / host. Waived and explained deviations are
skipped cases with the reason; open ones and changes recorded late are failures.

The output validates against the JUnit schema Jenkins uses (xunit-plugin's junit-10.xsd);
text from hosts and records goes through ``xml_text``, so it is well-formed XML 1.0 whatever
characters the hosts report.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

from changekit.api import ReportRenderer, hookimpl, xml_text


def _case(suite: ET.Element, classname: str, name: str, findings: list[dict[str, Any]]) -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=name)
    open_ = [f for f in findings if f["status"] in ("open", "recorded_late")]
    if open_:
        fail = ET.SubElement(
            case,
            "failure",
            type=open_[0]["severity"],
            message="; ".join(f["message"] for f in open_),
        )
        fail.text = "\n".join(
            f"{f['id']} {f['item']}: expected {f['expected']}, actual {f['actual']} "
            f"(scan {f['evidence'].get('scan_id')}, {f['evidence'].get('collected_at')})"
            for f in open_
        )
    elif findings:
        why = ", ".join(f"{f['status']} by {f.get('waiver') or f.get('change')}" for f in findings)
        ET.SubElement(case, "skipped", message=why)


def _suite(root: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(root, "testsuite", name=name)


def _count(root: ET.Element) -> None:
    total = {"tests": 0, "failures": 0, "skipped": 0}
    for suite in root:
        cases = suite.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        for k, v in counts.items():
            suite.set(k, str(v))
            total[k] += v
        suite.set("errors", "0")
    for k, v in total.items():
        if k != "skipped":  # not an attribute of <testsuites> in the schema
            root.set(k, str(v))
    root.set("errors", "0")


def _clean(root: ET.Element) -> None:
    """Names and messages come from hosts: keep only what XML 1.0 allows."""
    for el in root.iter():
        for k, v in el.attrib.items():
            el.set(k, xml_text(v))
        if el.text:
            el.text = xml_text(el.text)


class JunitRenderer(ReportRenderer):
    name = "junit"
    extension = "xml"
    description = "JUnit XML: a test case per host x requirement, for CI systems"

    def render(self, report: dict[str, Any]) -> str:
        by_id = {f["id"]: f for f in report["findings"]}
        root = ET.Element("testsuites", name=report["title"])
        for std in report["standards"]:
            suite = _suite(root, f"standard {std['name']}")
            for check in (c for c in report["checks"] if c["standard"] == std["name"]):
                found = [by_id[check["finding"]]] if check.get("finding") in by_id else []
                _case(suite, f"{std['name']}.{check['host']}", check["requirement"], found)
        peers: dict[tuple[str, str], list] = defaultdict(list)
        changes: dict[str, list] = defaultdict(list)
        for f in report["findings"]:
            if f["kind"] == "peers":
                peers[(f["scope"], f["host"])].append(f)
            elif f["kind"] == "time":
                changes[f["host"]].append(f)
        suite = _suite(root, "peers")
        for group, members in sorted(report["groups"].items()):
            for host in members:
                _case(suite, f"peers.group:{group}", host, peers.get((f"group:{group}", host), []))
        suite = _suite(root, "changes")
        for host in report["hosts"]:
            _case(suite, "changes", host, changes.get(host, []))
        _count(root)
        _clean(root)
        ET.indent(root)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode")
            + "\n"
        )


@hookimpl(trylast=True)
def register_report_renderers(register):
    register(JunitRenderer())
