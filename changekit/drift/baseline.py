"""The built-in baseline: what is wrong on any host, with no standard written.

It is a standard like any other (findings of kind ``standard``, scope ``changekit-baseline``,
waivable, one JUnit test case per host and requirement), applied to every host:

- no package file that is not a configuration file fails verification (``dpkg --verify``,
  ``rpm -Va``): a modified ``/bin/gunzip`` is never a local choice. An edited conffile is
  one, so conffiles are left to peer drift (pristine on some peers, modified on others);
- nothing is preloaded system-wide (``/etc/ld.so.preload`` entries, ``LD_PRELOAD`` and the
  like set in ``/etc/environment`` or a profile): every program would load it.

A workspace standard named ``changekit-baseline`` replaces it; ``--no-baseline`` turns it off.
"""

from __future__ import annotations

from changekit.drift.standards import Requirement, Standard

NAME = "changekit-baseline"

BASELINE = Standard(
    name=NAME,
    applies_to=("all",),
    description="Built in: no modified package binaries, nothing preloaded system-wide.",
    severity="high",
    builtin=True,
    requirements=(
        Requirement(
            kind="integrity",
            collector="integrity",
            item="",
            severity="high",
            id="integrity any (not config)",
            manager="any",
            config=False,
            description="No package file other than a conffile fails verification.",
        ),
        Requirement(
            kind="absent",
            collector="preload",
            item="*",
            severity="critical",
            id="absent preload:*",
            description="Nothing in /etc/ld.so.preload, no system-wide LD_PRELOAD.",
        ),
    ),
)


def with_baseline(standards: list[Standard], enabled: bool = True) -> list[Standard]:
    """The workspace's standards plus the built-in baseline, unless disabled or replaced."""
    if not enabled or any(s.name == NAME for s in standards):
        return list(standards)
    return [BASELINE, *standards]
