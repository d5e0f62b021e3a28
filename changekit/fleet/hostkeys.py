"""known_hosts, read and appended the way OpenSSH does, without paramiko types.

A connector asks ``check(host, port, key_type, key_b64)``; the answer is ``"ok"``, or a
``HostKeyUnknown`` / ``HostKeyChanged`` error. With ``accept_new`` an unknown host is
appended (OpenSSH's ``StrictHostKeyChecking accept-new``); a changed key is never accepted.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from changekit.errors import HostKeyChanged, HostKeyUnknown


def host_id(address: str, port: int) -> str:
    """The name known_hosts uses: ``host`` on port 22, ``[host]:port`` otherwise."""
    return address if port == 22 else f"[{address}]:{port}"


def _matches(pattern: str, name: str) -> bool:
    if pattern.startswith("|1|"):
        try:
            _, _, salt, digest = pattern.split("|")
            mac = hmac.new(base64.b64decode(salt), name.encode(), hashlib.sha1).digest()
            return hmac.compare_digest(mac, base64.b64decode(digest))
        except (ValueError, TypeError):
            return False
    # OpenSSH wildcards are only * and ?; brackets are literal ([host]:port)
    rx = re.escape(pattern.lower()).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(rx, name.lower()) is not None


def fingerprint(key_b64: str) -> str:
    """OpenSSH's SHA256 fingerprint of a base64 public key."""
    digest = hashlib.sha256(base64.b64decode(key_b64)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


@dataclass
class KnownHosts:
    """One known_hosts file, loaded once per scan and shared by every connection."""

    path: Path
    accept_new: bool = False
    entries: list[tuple[str | None, list[str], str, str]] = field(default_factory=list)
    """``(marker, host patterns, key type, base64 key)`` per line."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, path: str | Path | None = None, *, accept_new: bool = False) -> KnownHosts:
        path = Path(path) if path else Path.home() / ".ssh" / "known_hosts"
        kh = cls(path=path, accept_new=accept_new)
        kh.entries = list(parse(path.read_text(errors="replace"))) if path.exists() else []
        return kh

    def keys_for(self, name: str) -> dict[str, list[str]]:
        """``{key type: [base64 keys]}`` known for ``name`` (revoked keys excluded)."""
        found: dict[str, list[str]] = {}
        for marker, patterns, ktype, key in self.entries:
            if marker is not None or any(_matches(p[1:], name) for p in patterns if p[:1] == "!"):
                continue
            if any(_matches(p, name) for p in patterns if p[:1] != "!"):
                found.setdefault(ktype, []).append(key)
        return found

    def revoked(self, key_b64: str) -> bool:
        return any(m == "@revoked" and k == key_b64 for m, _, _, k in self.entries)

    def check(self, address: str, port: int, key_type: str, key_b64: str) -> None:
        """Raise unless the key is the known one (or is new and may be accepted)."""
        name = host_id(address, port)
        fp = fingerprint(key_b64)
        with self._lock:
            if self.revoked(key_b64):
                raise HostKeyChanged(f"{name}: host key {fp} is marked @revoked in {self.path}")
            known = self.keys_for(name)
            if key_b64 in known.get(key_type, []):
                return
            if known:
                types = ", ".join(sorted(known))
                raise HostKeyChanged(
                    f"{name}: HOST KEY CHANGED: it presented {key_type} {fp}, "
                    f"but {self.path} holds a different key ({types}); possibly an attack",
                    path=self.path,
                    hint=f"if the host was really reinstalled, remove the old key: ssh-keygen -R '{name}'"
                    f" -f {self.path}, then scan again with --accept-new-host-keys",
                )
            if not self.accept_new:
                raise HostKeyUnknown(
                    f"{name}: host key not in {self.path} ({key_type} {fp})",
                    path=self.path,
                    hint="check the fingerprint out of band, then scan again with "
                    "--accept-new-host-keys (or add it with ssh-keyscan)",
                )
            self._append(name, key_type, key_b64)

    def _append(self, name: str, key_type: str, key_b64: str) -> None:
        # Appending under an flock: other changekit or ssh runs may write the same file.
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_size:
                with open(self.path, "rb") as fh:
                    fh.seek(-1, os.SEEK_END)
                    if fh.read(1) != b"\n":
                        os.write(fd, b"\n")
            os.write(fd, f"{name} {key_type} {key_b64}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        self.entries.append((None, [name], key_type, key_b64))


def parse(text: str):
    """Yield ``(marker, patterns, key type, base64 key)`` from known_hosts text."""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        marker = None
        if fields[0].startswith("@"):
            marker, fields = fields[0], fields[1:]
        if len(fields) < 3 or marker == "@cert-authority":
            continue
        yield marker, fields[0].split(","), fields[1], fields[2]
