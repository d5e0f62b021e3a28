"""Connect addresses must be DNS names or IPs; anything else is refused with the reason."""

from __future__ import annotations

import pytest

from changekit.errors import InputError
from changekit.inventory.address import address_problem, proxy_jump_problem
from changekit.inventory.model import Host


@pytest.mark.parametrize(
    "address",
    [
        "web01",
        "web01.example.org",
        "web01.example.org.",
        "192.0.2.1",
        "2001:db8::1",
        "[2001:db8::1]",
        "fe80::1%eth0",
        "under_score.example",
        "127.0.3.4",
        "xn--wbserveur-b4a.example",
    ],
)
def test_valid_addresses(address):
    assert address_problem(address) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("", "it is empty"),
        ("web01; rm -rf /", "characters a host name cannot have: ' ', '/', ';'"),
        ("$(id)", "'$', '(', ')'"),
        ("`id`", "'`'"),
        ("web\n01", "'\\n'"),
        ("wébserveur", "non-ASCII"),
        ("-oProxyCommand=x", "'='"),
        ("-web01", "starts with '-'"),
        ("web-.example.org", "'web-' is not a valid DNS label"),
        ("a..b", "'' is not a valid DNS label"),
        ("a" * 64 + ".org", "is not a valid DNS label"),
        (("abc." * 70)[:-1], "longer than 253"),
    ],
)
def test_invalid_addresses_say_why(address, reason):
    problem = address_problem(address)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("bastion.example.org", None),
        ("admin@bastion:2222,jump2.example.org", None),
        ("ssh://admin@[2001:db8::1]:22", None),
        ("2001:db8::1", None),
        ("admin@bastion:22x", "'22x' is not a TCP port"),
        ("bastion;id", "characters a host name cannot have: ';'"),
        ("ok.example.org,-oProxyCommand=x", "jump host '-oProxyCommand=x'"),
    ],
)
def test_proxy_jump_values(value, reason):
    problem = proxy_jump_problem(value)
    assert problem == reason if reason is None else reason in problem


def test_connect_address_refuses_a_hostile_jump_host():
    host = Host("web01", address="192.0.2.1", proxy_jump="jump$(id)")
    assert "jump host" in host.address_problem
    with pytest.raises(InputError) as caught:
        _ = host.connect_address
    assert caught.value.field == "proxy_jump"
    assert Host("web02", proxy_jump="none").connect_address == "web02"
