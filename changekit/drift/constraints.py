"""Version constraints in standards: exact, minimum, range, or the same version across the group.

Grammar: ``same`` | ``VERSION`` (exact) | clauses joined by commas, each ``OP VERSION`` with
OP one of ``= == != >= <= > <``. Examples: ``2.044``, ``>= 2.040``, ``>= 1.0, < 2.0``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from changekit import versions

_CLAUSE = re.compile(r"^\s*(==|=|!=|>=|<=|>|<)?\s*(\S+)\s*$")
_OPS = {
    "=": lambda c: c == 0,
    "==": lambda c: c == 0,
    "!=": lambda c: c != 0,
    ">=": lambda c: c >= 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    "<": lambda c: c < 0,
}


class ConstraintError(ValueError):
    """A constraint that cannot be parsed; the message says why."""


@dataclass(frozen=True)
class Constraint:
    collector: str
    text: str
    clauses: tuple[tuple[str, str], ...] = ()
    same: bool = False
    """Every host in the scope must have one and the same version (the most common one)."""

    def satisfied_by(self, version: str) -> bool:
        """Whether ``version`` meets every clause (a ``same`` constraint is judged by the group)."""
        for op, wanted in self.clauses:
            if not _OPS[op](versions.compare(self.collector, version, wanted)):
                return False
        return True

    def __str__(self) -> str:
        return self.text


def parse_constraint(collector: str, text: str) -> Constraint:
    """Parse a constraint for versions of ``collector``; raise ``ConstraintError`` when malformed."""
    text = str(text).strip()
    if not text:
        raise ConstraintError("empty version constraint")
    if text == "same":
        return Constraint(collector, text, same=True)
    clauses = []
    for part in text.split(","):
        m = _CLAUSE.match(part)
        if not m:
            raise ConstraintError(
                f"cannot read {part.strip()!r}: write OP VERSION with OP one of = != >= <= > <"
            )
        op, version = m.group(1) or "=", m.group(2)
        if re.match(r"^[=<>!~^]", version):
            raise ConstraintError(
                f"unknown operator in {part.strip()!r}: use one of = != >= <= > <"
            )
        if not versions.is_valid(collector, version):
            scheme = versions.scheme_for(collector)
            raise ConstraintError(
                f"{version!r} is not a valid {scheme} version for collector {collector!r}"
            )
        clauses.append((op, version))
    return Constraint(collector, text, tuple(clauses))
