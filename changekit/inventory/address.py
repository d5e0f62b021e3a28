"""Is this string usable as a host to connect to? A DNS name or an IP address, nothing else.

Inventory *names* may be anything (they are labels, quoted wherever they reach a shell);
the *address* a connection goes to must be a plain host name or IP, because it reaches
``ssh``, DNS and log lines, where ``;``, ``$()``, spaces or a leading ``-`` do harm.
"""

from __future__ import annotations

import ipaddress
import re

# RFC 1123 labels; underscores are tolerated because real fleets have them (ssh accepts them).
_LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")


def address_problem(address: str) -> str | None:
    """Why ``address`` cannot be connected to, or ``None`` when it is a valid name or IP."""
    if not address:
        return "it is empty"
    candidate = address[1:-1] if address.startswith("[") and address.endswith("]") else address
    try:
        ipaddress.ip_address(candidate)
        return None
    except ValueError:
        pass
    if not address.isascii():
        return "it contains non-ASCII characters (use the xn-- punycode form of the name)"
    bad = sorted({c for c in address if not (c.isalnum() or c in "._-")})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return f"it contains characters a host name cannot have: {shown}"
    if address.startswith("-"):
        return "it starts with '-' (it would be read as an ssh option)"
    name = address[:-1] if address.endswith(".") else address
    if len(name) > 253:
        return "it is longer than 253 characters"
    for label in name.split("."):
        if not _LABEL.match(label):
            return f"{label!r} is not a valid DNS label (1-63 letters, digits or '-', not at either end)"
    return None


def is_valid_address(address: str) -> bool:
    return address_problem(address) is None


def proxy_jump_problem(value: str) -> str | None:
    """Why a ProxyJump value (``[user@]host[:port][,...]``, as ``ssh -J``) is unusable."""
    for hop in value.split(","):
        hop = hop.strip().removeprefix("ssh://")
        host = hop.rpartition("@")[2]
        port = ""
        if host.startswith("[") and "]" in host:
            host, _, rest = host[1:].partition("]")
            port = rest.removeprefix(":")
        elif host.count(":") == 1:
            host, _, port = host.partition(":")
        if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            return f"jump host {hop!r}: {port!r} is not a TCP port"
        if problem := address_problem(host):
            return f"jump host {hop!r}: {problem}"
    return None
