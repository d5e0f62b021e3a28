"""Standards: YAML files in ``standards/``, schema-checked, then checked for meaning.

The schema catches shape and unknown keys; this module refuses what a schema cannot
say: a requirement with two kinds, a collector nobody provides, a malformed version
constraint. Every refusal names the file, the line and the field.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from changekit import yamlfile
from changekit.drift.constraints import Constraint, ConstraintError, parse_constraint
from changekit.drift.items import split_key
from changekit.errors import InputError

SCHEMA = "standard"
KIND_KEYS = ("present", "absent", "enabled", "file", "integrity")
DEFAULT_COLLECTOR = {"enabled": "services", "file": "files"}
INTEGRITY_MANAGERS = ("dpkg", "rpm", "any")
FALLBACK_COLLECTORS = frozenset(
    {"os", "dpkg", "rpm", "perl", "python", "services", "files", "integrity", "preload"}
)
"""Used only when no collector plugin is loaded at all (a bare source checkout)."""


@dataclass(frozen=True)
class Requirement:
    kind: str
    """``present``, ``absent``, ``enabled``, ``file`` or ``integrity``."""
    collector: str
    item: str
    """The item name (a glob for ``absent``; empty for ``integrity``)."""
    severity: str
    id: str
    constraint: Constraint | None = None
    sha256: str | None = None
    manager: str | None = None
    """For ``integrity``: the package manager whose files count (``any`` for all)."""
    config: bool = True
    """For ``integrity``: whether conffiles count too (the built-in baseline leaves them to peers)."""
    description: str = ""
    line: int | None = None

    @property
    def key(self) -> str:
        """``COLLECTOR:ITEM``; an integrity requirement is ``integrity:MANAGER`` (waivable
        like any other item: ``item: "integrity:*"``)."""
        if self.kind == "integrity":
            return f"{self.collector}:{self.manager}"
        return f"{self.collector}:{self.item}" if self.item else self.collector

    @property
    def expected(self) -> str:
        if self.kind == "present":
            return f"installed {self.constraint}" if self.constraint else "installed"
        if self.kind == "absent":
            return "absent"
        if self.kind == "enabled":
            return "enabled"
        if self.kind == "file":
            return f"sha256 {self.sha256}"
        files = "package file" if self.config else "package file other than a conffile"
        return f"no {'' if self.manager == 'any' else self.manager + ' '}{files} fails verification"


@dataclass(frozen=True)
class Standard:
    name: str
    applies_to: tuple[str, ...]
    requirements: tuple[Requirement, ...]
    severity: str = "high"
    description: str = ""
    path: str | None = None
    applies_lines: tuple[int | None, ...] = ()
    """The line of each ``applies_to`` selector (errors about them point there)."""
    builtin: bool = False
    """Built into changekit (the baseline): a host whose scan did not run one of its
    collectors is not judged on it, since nobody asked for that collector."""


def _refuse(
    message: str, path: Path, text: str, field: list[Any], hint: str | None = None
) -> InputError:
    line, column = yamlfile.position(text, field)
    return InputError(
        message,
        path=path,
        line=line,
        column=column,
        field=yamlfile.field_path_str(field),
        hint=hint,
    )


def _collector(name: str, known: frozenset[str], path: Path, text: str, field: list[Any]) -> str:
    if name not in known:
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = (
            f"did you mean {close[0]!r}?"
            if close
            else f"known collectors: {', '.join(sorted(known))}"
        )
        raise _refuse(f"unknown collector {name!r}", path, text, field, hint)
    return name


def _requirement(
    raw: dict[str, Any],
    index: int,
    default_severity: str,
    known: frozenset[str],
    path: Path,
    text: str,
) -> Requirement:
    here = ["requirements", index]
    kinds = [k for k in KIND_KEYS if k in raw]
    if len(kinds) != 1:
        what = "none" if not kinds else " and ".join(kinds)
        raise _refuse(
            f"a requirement needs exactly one of {', '.join(KIND_KEYS)} (found {what})",
            path,
            text,
            here,
            "split it into one requirement per check",
        )
    kind = kinds[0]
    value = str(raw[kind])
    if kind in DEFAULT_COLLECTOR and ":" not in value.lstrip("/").split("/")[0]:
        collector, item = DEFAULT_COLLECTOR[kind], value
    elif kind == "integrity":
        if value not in INTEGRITY_MANAGERS:
            raise _refuse(
                f"unknown package manager {value!r} for integrity",
                path,
                text,
                [*here, kind],
                f"one of: {', '.join(INTEGRITY_MANAGERS)}",
            )
        collector, item = "integrity", ""
    else:
        collector, item = split_key(value)
    collector = _collector(collector, known, path, text, [*here, kind])
    if collector == "python":  # the collector keys distributions by their PEP 503 name
        item = re.sub(r"[-_.]+", "-", item).lower()
    for key, needs in (("version", "present"), ("sha256", "file")):
        if key in raw and kind != needs:
            raise _refuse(f"{key!r} only goes with {needs!r}", path, text, [*here, key])
    if kind == "file" and "sha256" not in raw:
        raise _refuse(
            "a file requirement needs its expected sha256",
            path,
            text,
            here,
            "add sha256: <64 hex digits> (sha256sum FILE)",
        )
    constraint = None
    if "version" in raw:
        try:
            constraint = parse_constraint(collector, raw["version"])
        except ConstraintError as exc:
            raise _refuse(
                f"malformed version constraint: {exc}",
                path,
                text,
                [*here, "version"],
                "examples: '2.044', '>= 2.040', '>= 1.0, < 2.0', 'same'",
            ) from None
    line, _ = yamlfile.position(text, here)
    return Requirement(
        kind=kind,
        collector=collector,
        item=item,
        severity=raw.get("severity", default_severity),
        id=raw.get("id")
        or (f"integrity {value}" if kind == "integrity" else f"{kind} {collector}:{item}"),
        constraint=constraint,
        sha256=raw.get("sha256"),
        manager=value if kind == "integrity" else None,
        description=raw.get("description", ""),
        line=line,
    )


def parse_standard(path: Path, known_collectors: Iterable[str]) -> Standard:
    """Load and check one standard file; raise ``InputError`` with file/line/field when wrong."""
    data, text = yamlfile.load_yaml(path)
    yamlfile.validate(data, SCHEMA, path=path, text=text)
    known = frozenset(known_collectors)
    severity = data.get("severity", "high")
    reqs = [
        _requirement(r, i, severity, known, path, text) for i, r in enumerate(data["requirements"])
    ]
    seen: dict[str, int] = {}
    for i, req in enumerate(reqs):
        if req.id in seen:
            raise _refuse(
                f"requirement id {req.id!r} is used twice (first at index {seen[req.id]})",
                path,
                text,
                ["requirements", i],
                "give one of them an explicit id",
            )
        seen[req.id] = i
    return Standard(
        name=data["name"],
        applies_to=tuple(data["applies_to"]),
        requirements=tuple(reqs),
        severity=severity,
        description=data.get("description", ""),
        path=str(path),
        applies_lines=tuple(
            yamlfile.position(text, ["applies_to", i])[0] for i in range(len(data["applies_to"]))
        ),
    )


def load_standards(directory: Path, known_collectors: Iterable[str]) -> list[Standard]:
    """Every ``*.yaml``/``*.yml`` standard in ``directory`` (none when it does not exist)."""
    if not directory.is_dir():
        return []
    known = frozenset(known_collectors)
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    standards = [parse_standard(p, known) for p in files]
    names: dict[str, str] = {}
    for std in standards:
        if std.name in names:
            raise InputError(
                f"standard name {std.name!r} is also used by {names[std.name]}",
                path=std.path,
                field="name",
                hint="standard names must be unique",
            )
        names[std.name] = str(std.path)
    return standards


def scan_context(standards: Iterable[Standard]) -> dict[str, Any]:
    """What a scan must also collect for these standards: ``files`` to hash and ``modules``
    to ask for by name (pass it as the scan's extra collector context)."""
    files: list[str] = []
    modules: dict[str, list[str]] = {}
    for std in standards:
        for req in std.requirements:
            if req.kind == "file" and req.collector == "files" and req.item not in files:
                files.append(req.item)
            elif req.kind == "present" and req.collector in ("perl", "python"):
                names = modules.setdefault(req.collector, [])
                if req.item not in names:
                    names.append(req.item)
    return {"files": files, "modules": modules}
