"""known_hosts parsing and checking (pure), as OpenSSH reads the file."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from changekit.errors import HostKeyChanged, HostKeyUnknown
from changekit.fleet.hostkeys import KnownHosts, fingerprint, host_id

KEY_A = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519" + b"A" * 36).decode()
KEY_B = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519" + b"B" * 36).decode()


def hashed(name: str) -> str:
    salt = b"0123456789abcdefghij"
    digest = hmac.new(salt, name.encode(), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def kh(tmp_path, text: str, **kw) -> KnownHosts:
    path = tmp_path / "known_hosts"
    path.write_text(text)
    return KnownHosts.load(path, **kw)


def test_host_id_brackets_other_ports():
    assert (host_id("web01", 22), host_id("10.0.0.1", 2222)) == ("web01", "[10.0.0.1]:2222")


def test_plain_hashed_wildcard_and_negated_patterns(tmp_path):
    known = kh(tmp_path, f"# comment\nweb01,10.0.0.1 ssh-ed25519 {KEY_A}\n{hashed('[db1]:2222')} ssh-ed25519 {KEY_A}\n"
                         f"*.example.org,!evil.example.org ssh-ed25519 {KEY_A}\n")  # fmt: skip
    known.check("10.0.0.1", 22, "ssh-ed25519", KEY_A)
    known.check("db1", 2222, "ssh-ed25519", KEY_A)
    known.check("WWW.example.org", 22, "ssh-ed25519", KEY_A)
    with pytest.raises(HostKeyUnknown):
        known.check("evil.example.org", 22, "ssh-ed25519", KEY_A)
    with pytest.raises(HostKeyUnknown):
        known.check("db1", 22, "ssh-ed25519", KEY_A)  # another port is another host


def test_changed_key_and_other_key_type_are_changed_never_accepted(tmp_path):
    known = kh(tmp_path, f"web01 ssh-ed25519 {KEY_A}\n", accept_new=True)
    with pytest.raises(HostKeyChanged, match="HOST KEY CHANGED"):
        known.check("web01", 22, "ssh-ed25519", KEY_B)
    with pytest.raises(HostKeyChanged):
        known.check("web01", 22, "ssh-rsa", KEY_B)
    assert (tmp_path / "known_hosts").read_text() == f"web01 ssh-ed25519 {KEY_A}\n"


def test_revoked_key_is_refused(tmp_path):
    known = kh(tmp_path, f"@revoked * ssh-ed25519 {KEY_B}\n", accept_new=True)
    with pytest.raises(HostKeyChanged, match="@revoked"):
        known.check("web01", 22, "ssh-ed25519", KEY_B)


def test_accept_new_appends_on_a_line_of_its_own(tmp_path):
    known = kh(tmp_path, f"web01 ssh-ed25519 {KEY_A}", accept_new=True)  # no final newline
    known.check("::1", 2222, "ssh-ed25519", KEY_B)
    assert (
        tmp_path / "known_hosts"
    ).read_text() == f"web01 ssh-ed25519 {KEY_A}\n[::1]:2222 ssh-ed25519 {KEY_B}\n"
    known.check("::1", 2222, "ssh-ed25519", KEY_B)  # now known, not appended twice
    assert (tmp_path / "known_hosts").read_text().count("\n") == 2


def test_unknown_without_accept_new_gives_the_fingerprint(tmp_path):
    with pytest.raises(HostKeyUnknown) as err:
        kh(tmp_path, "").check("web01", 22, "ssh-ed25519", KEY_A)
    assert fingerprint(KEY_A) in err.value.message and "--accept-new-host-keys" in err.value.hint
