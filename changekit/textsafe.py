"""Text copied from hosts and records, made safe for each output changekit writes.

Package names, paths, versions and record text come from machines and people we do not
control. Every renderer and the terminal pass them through here, so a name cannot break a
parser (XML 1.0, CSV, Markdown tables), run as a spreadsheet formula, or drive a terminal.
The escapes are for display: they show what was there, they are not meant to be reversed.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls, DEL, C1 controls; bidirectional overrides and isolates (a name that reads
# differently from what it is); lone surrogates and the non-characters XML 1.0 forbids.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")

# OWASP "CSV Injection": a cell starting with one of these is read as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_MD_SPECIAL = re.compile(r"([\\|`*\[\]])")
_MD_ENTITY = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: Any, keep: str = "") -> str:
    """``value`` as text with every control character shown as an escape (``\\x1b``,
    ``\\u202e``); characters in ``keep`` (say ``"\\n"``) stay as they are. Letters of any
    script are untouched."""
    text = "" if value is None else str(value)
    return _HIDDEN.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)


def xml_text(value: Any) -> str:
    """Text that XML 1.0 accepts: no forbidden characters, control characters made visible."""
    return visible(value, keep="\n")


def json_text(dumped: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with the characters that
    ``visible`` shows written as ``\\uXXXX`` escapes: the data decodes exactly as before, and
    the text is safe on a terminal and encodable as UTF-8."""
    # json.dumps escapes every control character inside strings: a raw newline is layout
    return _HIDDEN.sub(
        lambda m: m.group() if m.group() == "\n" else f"\\u{ord(m.group()):04x}", dumped
    )


def json_document(data: Any) -> str:
    """``data`` as the JSON changekit prints and writes (``--format json``, JSON reports and
    reviews): two-space indent, letters of every script as they are, anything not JSON as
    its ``str``, and the characters ``visible`` shows escaped (:func:`json_text`)."""
    return json_text(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: control characters made visible, and a cell
    that would start a formula gets a leading ``'``. Negative numbers get one too: no column
    changekit writes is a number, and ``-2+3`` is as much a formula as ``=2+3``."""
    text = "" if value is None else str(value)
    return ("'" if text.startswith(FORMULA_START) else "") + visible(text)


def md_text(value: Any) -> str:
    """Inline Markdown that shows ``value`` literally: no HTML, no table-cell breaks, no code
    spans, links or emphasis from the data, everything on one line."""
    text = _MD_SPECIAL.sub(r"\\\1", visible(value))
    return re.sub("[&<>]", lambda m: _MD_ENTITY[m.group()], text)


def md_code(value: Any) -> str:
    """``value`` as a Markdown code span, whatever backticks it holds."""
    text = visible(value)
    fence = "`" * (max((len(r) for r in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
