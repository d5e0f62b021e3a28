"""Host selectors: ``web01``, ``web*``, ``group:web``, ``tag:prod``, ``group:web&tag:prod``, ``!web03``.

Selectors given together are a union; a term ``A&B`` keeps hosts matching both ``A``
and ``B``; a selector starting with ``!`` removes hosts (quote it in a shell: ``'!web03'``).
Only exclusions means "every host except". A host whose exact name is the selector
always matches, so names containing ``&`` or starting with ``!`` stay selectable.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from changekit.errors import ChangekitError, InputError

if TYPE_CHECKING:
    from changekit.inventory.model import Host, Inventory

SELECTOR_HINT = "use a host name, a glob like 'web*', group:NAME, tag:NAME, A&B or !SELECTOR"


def close_names(name: str, known: Iterable[str], what: str) -> str:
    """A hint naming the closest known names, or listing a few when none is close."""
    known = sorted(known)
    if not known:
        return f"the inventory has no {what}"
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
    return f"known {what}: {shown}"


def _term(inv: Inventory, term: str) -> list[Host]:
    if term in inv.hosts:
        return [inv.hosts[term]]
    parts = term.split("&")
    if len(parts) == 1:
        return inv.match(term)
    if any(not p for p in parts):
        raise InputError(
            f"selector {term!r} has an empty side of '&'", path=inv.source, hint=SELECTOR_HINT
        )
    names = {h.name for h in inv.match(parts[0])}
    for part in parts[1:]:
        names &= {h.name for h in inv.match(part)}
    return [inv.hosts[n] for n in names]


def _no_match(inv: Inventory, selector: str) -> InputError:
    hint = SELECTOR_HINT
    if selector.startswith("tag:"):
        hint = close_names(selector[4:], inv.tags(), "tags")
    elif not selector.startswith("group:") and "&" not in selector:
        hint = close_names(selector, inv.hosts, "hosts") + f"; or {SELECTOR_HINT}"
    return InputError(f"selector {selector!r} matches no host", path=inv.source, hint=hint)


def select_hosts(inv: Inventory, selectors: list[str]) -> list[Host]:
    """The hosts ``selectors`` name, sorted by name (see the module docstring)."""
    if not selectors:
        return sorted(inv.hosts.values(), key=lambda h: h.name)
    include = [s for s in selectors if s in inv.hosts or not s.startswith("!")]
    exclude = [s[1:] for s in selectors if s not in inv.hosts and s.startswith("!")]
    chosen: dict[str, Host] = {} if include else dict(inv.hosts)
    for sel in include:
        matched = _term(inv, sel)
        if not matched:
            raise _no_match(inv, sel)
        chosen.update((h.name, h) for h in matched)
    for sel in exclude:
        matched = _term(inv, sel)
        if not matched:
            raise _no_match(inv, sel)
        for h in matched:
            chosen.pop(h.name, None)
    if not chosen:
        raise InputError(
            f"selectors {' '.join(selectors)!r} leave no host",
            path=inv.source,
            hint="an exclusion ('!...') removed every host the other selectors chose",
        )
    return sorted(chosen.values(), key=lambda h: h.name)


def hosts_of(inv: Inventory, selector: str) -> list[Host]:
    """The hosts one stored selector (a record's ``hosts`` entry) names, in the full grammar;
    none when it names none or an unknown group, so readers of old records carry on."""
    try:
        return select_hosts(inv, [selector])
    except ChangekitError:
        return []
