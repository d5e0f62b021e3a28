"""Load YAML and validate it against a JSON Schema, with errors that point at file:line:column."""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from changekit.errors import InputError, SchemaError

if TYPE_CHECKING:
    import jsonschema


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as strings: we parse dates ourselves, with zones."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, *, path: str | Path = "<input>") -> Any:
    """Parse YAML text; a syntax error becomes an ``InputError`` with line and column."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(
            f"not valid YAML: {problem}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint="check indentation, colons and quoting near that line",
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", path=path) from None


def load_yaml(path: str | Path) -> tuple[Any, str]:
    """Read and parse a YAML file; return ``(data, text)`` (text for error positions)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc}", path=path) from None
    return parse_yaml(text, path=path), text


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
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
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
