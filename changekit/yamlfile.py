"""Load YAML and validate it against a JSON Schema, with errors that point at file:line:column."""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from changekit.errors import DuplicateKeyError, InputError, LimitError, SchemaError
from changekit.fileio import read_regular

if TYPE_CHECKING:
    import jsonschema


_NO_TIMESTAMPS = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as strings: we parse dates ourselves, with zones."""


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml when available (thousands of records, big inventories); timestamps stay strings."""


_Loader.yaml_implicit_resolvers = _NO_TIMESTAMPS
_FastLoader.yaml_implicit_resolvers = _NO_TIMESTAMPS


@dataclass(frozen=True)
class Limits:
    """How much one YAML file may ask of the loader; past a limit it is refused, never guessed."""

    max_bytes: int = 16 * 1024 * 1024
    max_depth: int = 100
    """Nesting of mappings and sequences (a change record needs about 4)."""
    max_alias_nodes: int = 100_000
    """Nodes that aliases (``*name``) may add by repeating anchored ones (an "alias bomb")."""


LIMITS = Limits()
RECORD_LIMITS = Limits(max_bytes=1024 * 1024)
"""A change record is a few kilobytes; a megabyte is a mistake (or an attack on the gate)."""

_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ = _TAG + "str", _TAG + "map", _TAG + "seq"
_BOOL, _NULL, _INT, _MERGE = _TAG + "bool", _TAG + "null", _TAG + "int", _TAG + "merge"
_TRUE = ("yes", "true", "on")


AS_PLAIN: Any = object()
"""In ``construct``'s ``tags``: read a node with this tag as if it had none (Ansible's ``!unsafe``)."""


class _Refused(Exception):
    """Raised inside the node walk; the field path is added on the way out."""

    def __init__(
        self, message: str, node: yaml.Node, hint: str, error: type[InputError] = LimitError
    ) -> None:
        super().__init__(message)
        self.message, self.node, self.hint, self.error = message, node, hint, error
        self.field: list[Any] = []


class _Builder:
    """Node tree to data in one walk, refusing duplicate keys, too deep nesting and alias bombs.

    About 35% faster than PyYAML's constructor for the plain shapes records use; other
    tags (floats, ``!!set``, ...) go to PyYAML's safe constructor. Aliases are expanded
    into copies, so what follows (schema validation, dumping) never sees shared objects.
    """

    def __init__(self, limits: Limits, aliases: bool, tags: dict[str, Any] | None = None) -> None:
        self.limits = limits
        self.tags = tags or {}
        self.seen: set[int] | None = set() if aliases else None
        self.repeated = 0

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        if self.seen is not None:
            if id(node) in self.seen:
                self.repeated += 1
                if self.repeated > self.limits.max_alias_nodes:
                    raise _Refused(
                        f"aliases expand to more than {self.limits.max_alias_nodes:,} "
                        "repeated values (an alias bomb?)",
                        node,
                        "write the values out, or use fewer, smaller anchors (&name) and "
                        "aliases (*name)",
                    )
            else:
                self.seen.add(id(node))
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag == _STR:
                return node.value
            if tag == _BOOL:
                return node.value.lower() in _TRUE
            if tag == _NULL:
                return None
            if tag == _INT and node.value.isdigit():
                return int(node.value)
            if tag in self.tags:
                return node.value if self.tags[tag] is AS_PLAIN else self.tags[tag]
            return yaml.constructor.SafeConstructor().construct_object(node)
        if depth >= self.limits.max_depth:
            raise _Refused(
                f"nested more than {self.limits.max_depth} levels deep",
                node,
                "flatten the structure; no changekit file needs this much nesting",
            )
        if tag in self.tags and self.tags[tag] is not AS_PLAIN:
            return self.tags[tag]
        plain = tag in self.tags  # !unsafe
        if isinstance(node, yaml.MappingNode) and (tag == _MAP or plain):
            return self._mapping(node, depth + 1)
        if isinstance(node, yaml.SequenceNode) and (tag == _SEQ or plain):
            return self._sequence(node, depth + 1)
        for child in _children(node):  # !!set, !!omap, ...: checked here, built by PyYAML
            self.build(child, depth + 1)
        return yaml.constructor.SafeConstructor().construct_object(node, deep=True)

    def _sequence(self, node: yaml.SequenceNode, depth: int) -> list:
        try:
            return [self.build(v, depth) for v in node.value]
        except _Refused as exc:
            exc.field.insert(0, next(i for i, v in enumerate(node.value) if _holds(v, exc.node)))
            raise

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict:
        out: dict[Any, Any] = {}
        lines: dict[Any, int] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for source in reversed(sources):  # the first merged mapping wins
                    value = self.build(source, depth)
                    if not isinstance(value, dict):
                        raise _Refused(
                            "a merge key (<<) must name mappings", source, "merge only mappings"
                        )
                    merged.update(value)
                continue
            key = key_node.value if key_node.tag == _STR else self.build(key_node, depth)
            try:
                first = lines.get(key)
            except TypeError:
                raise _Refused(
                    "a mapping key must be a plain value, not a list or mapping",
                    key_node,
                    "use a string as the key",
                ) from None
            line = key_node.start_mark.line + 1
            if first is not None:
                duplicate = _Refused(
                    f"duplicate key {key!r} on line {first} and line {line}",
                    key_node,
                    f"keep one {key!r} (YAML would silently use the last one; changekit "
                    "refuses to guess which you meant)",
                    DuplicateKeyError,
                )
                duplicate.field.append(key)
                raise duplicate
            lines[key] = line
            try:
                out[key] = self.build(value_node, depth)
            except _Refused as exc:
                exc.field.insert(0, key)
                raise
        return {**merged, **out} if merged else out


def _holds(node: yaml.Node, target: yaml.Node) -> bool:
    """Whether ``target`` is ``node`` or inside it (for the field path of an error only)."""
    stack, seen = [node], set()
    while stack:
        current = stack.pop()
        if current is target:
            return True
        if id(current) not in seen:
            seen.add(id(current))
            stack.extend(_children(current))
    return False


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _too_deep_line(text: str, limits: Limits) -> int | None:
    """1-based line where nesting passes the limit, read from the event stream (no recursion)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):  # libyaml stops scanning at 1,000 levels
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limits.max_depth:
                    return event.start_mark.line + 1 if event.start_mark else None
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass
    return None


def _syntax_error(exc: yaml.YAMLError, path: str | Path) -> InputError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        return InputError(
            f"not valid YAML: {problem}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint="check indentation, colons and quoting near that line",
        )
    return InputError(f"not valid YAML: {exc}", path=path)


def compose(
    text: str, *, path: str | Path = "<input>", limits: Limits = LIMITS
) -> yaml.Node | None:
    """The node tree of one YAML document (tags unresolved), or ``InputError``: bad syntax,
    too big, or nested too deep."""
    if len(text) > limits.max_bytes:
        raise too_big(path, len(text.encode("utf-8")), limits)
    try:
        return yaml.compose(text, Loader=_FastLoader)  # noqa: S506 - a SafeLoader
    except (yaml.YAMLError, RecursionError) as exc:
        error = exc
    deep = _too_deep_line(text, limits)  # libyaml stops at 1,000 levels, Python's stack sooner
    if deep is not None or isinstance(error, RecursionError):
        raise LimitError(
            f"nested more than {limits.max_depth} levels deep",
            path=path,
            line=deep,
            hint="flatten the structure; no changekit file needs this much nesting",
        )
    try:  # PyYAML's own parser words syntax errors best (line, column, what it expected)
        yaml.compose(text, Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as pure:
        raise _syntax_error(pure, path) from None
    except RecursionError:
        pass
    raise _syntax_error(error, path) from None


def construct(
    node: yaml.Node | None,
    text: str,
    *,
    path: str | Path = "<input>",
    limits: Limits = LIMITS,
    tags: dict[str, Any] | None = None,
) -> Any:
    """Data from ``compose``'s node tree, refusing duplicate keys, deep nesting and alias bombs.

    ``tags`` maps a local tag (``!vault``) to its value, or to ``AS_PLAIN``."""
    if node is None:
        return None
    try:
        return _Builder(limits, aliases="*" in text, tags=tags).build(node)
    except _Refused as exc:
        raise exc.error(
            exc.message,
            path=path,
            line=exc.node.start_mark.line + 1,
            column=exc.node.start_mark.column + 1,
            field=field_path_str(exc.field) if exc.field else None,
            hint=exc.hint,
        ) from None
    except yaml.YAMLError as exc:  # an unknown tag (!vault), a bad !!float, ...
        raise _syntax_error(exc, path) from None


def parse_yaml(text: str, *, path: str | Path = "<input>", limits: Limits = LIMITS) -> Any:
    """Parse YAML text; bad syntax, a duplicate key or a passed limit is an ``InputError``
    with line and column (and a hint)."""
    return construct(compose(text, path=path, limits=limits), text, path=path, limits=limits)


def too_big(path: str | Path, size: int, limits: Limits) -> LimitError:
    return LimitError(
        f"file too big: {size:,} bytes, more than the {limits.max_bytes:,} allowed",
        path=path,
        hint="split it, or remove what does not belong (pasted logs, binary data)",
    )


def read_text(path: str | Path, *, shown: str | Path | None = None, limits: Limits = LIMITS) -> str:
    """A regular file's UTF-8 text, refusing symlinks, FIFOs, directories and files past the limit."""
    shown = shown or path
    raw = read_regular(path, shown=shown, max_bytes=limits.max_bytes)
    if raw is None:
        raise too_big(shown, os.stat(path).st_size, limits)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc}", path=shown) from None


def load_yaml(path: str | Path, *, limits: Limits = LIMITS) -> tuple[Any, str]:
    """Read and parse a YAML file; return ``(data, text)`` (text for error positions)."""
    text = read_text(path, limits=limits)
    return parse_yaml(text, path=path, limits=limits), text


def dump_yaml(data: Any) -> str:
    """Dump in the house format: block style, keys in the given order, unicode kept."""
    return yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


@cache
def load_schema(name: str) -> dict:
    """Load ``schemas/<name>.schema.json`` from the installed package."""
    ref = resources.files("changekit.schemas") / f"{name}.schema.json"
    return json.loads(ref.read_text(encoding="utf-8"))


def schema_names() -> list[str]:
    """Every schema shipped with changekit, by name."""
    return sorted(
        p.name.removesuffix(".schema.json")
        for p in resources.files("changekit.schemas").iterdir()
        if p.name.endswith(".schema.json")
    )


def position(text: str | None, field_path: list[Any]) -> tuple[int | None, int | None]:
    """1-based (line, column) of the node at ``field_path`` in YAML ``text``, as near as it exists."""
    if not text:
        return None, None
    try:
        node = yaml.compose(text, Loader=_Loader)  # noqa: S506 - a SafeLoader
    except (yaml.YAMLError, RecursionError):
        return None, None
    if node is None:
        return None, None
    for key in field_path:
        child = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(key):
                    child = v
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            child = node.value[key]
        if child is None:
            break
        node = child
    return node.start_mark.line + 1, node.start_mark.column + 1


def field_path_str(parts: list[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _describe(error: jsonschema.ValidationError, schema: dict) -> tuple[str, list[Any], str | None]:
    """Message, field path and hint for one validation error."""
    path = list(error.absolute_path)
    hint = None
    if error.validator == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        extras = (
            [k for k in error.instance if k not in allowed]
            if isinstance(error.instance, dict)
            else []
        )
        if extras:
            key = extras[0]
            path = path + [key]
            close = difflib.get_close_matches(str(key), allowed, n=1)
            msg = f"unknown key {key!r}"
            hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
            return msg, path, hint
    if error.validator == "required":
        return error.message.replace("is a required property", "is required"), path, None
    if error.validator == "enum":
        choices = ", ".join(map(str, error.validator_value))
        close = difflib.get_close_matches(
            str(error.instance), [str(c) for c in error.validator_value], n=1
        )
        hint = f"did you mean {close[0]!r}?" if close else None
        return f"{error.instance!r} is not one of: {choices}", path, hint
    return error.message, path, hint


def validate(
    data: Any, schema_name: str, *, path: str | Path = "<input>", text: str | None = None
) -> None:
    """Validate against a shipped schema; raise one ``SchemaError`` listing every problem.

    The first problem gives the error's line, column and field; the rest follow in the message.
    """
    import jsonschema  # only when something is validated: it is slow to import

    schema = load_schema(schema_name)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(
        validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)
    )
    if not errors:
        return
    described = []
    for err in errors:
        # oneOf/anyOf: the most specific sub-error says more than "is not valid under any"
        best = jsonschema.exceptions.best_match([err]) if err.context else err
        described.append(_describe(best, schema))
    msg, fpath, hint = described[0]
    line, col = position(text, fpath)
    message = f"{msg} (expected by {schema_name} schema)"
    if len(described) > 1:
        more = []
        for m, p, _h in described[1:10]:
            ln, _ = position(text, p)
            more.append(f"  - {field_path_str(p)}{f' (line {ln})' if ln else ''}: {m}")
        message += f"\n  and {len(described) - 1} more:\n" + "\n".join(more)
    raise SchemaError(
        message, path=path, line=line, column=col, field=field_path_str(fpath), hint=hint
    )


def load_validated(path: str | Path, schema_name: str) -> Any:
    """Load a YAML file and validate it; errors carry file, line, column and field."""
    data, text = load_yaml(path)
    validate(data, schema_name, path=path, text=text)
    return data
