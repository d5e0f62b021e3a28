"""Pure checks of the fleet layout and the generated files (no root needed)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.testfleet import inventories
from tests.testfleet.addresses import host_address
from tests.testfleet.layout import DEFAULT, EXPECTED, VARIANTS, bench_layout


def test_expectations_name_hosts_of_the_layout() -> None:
    names = {h.name for h in DEFAULT.hosts}
    for value in EXPECTED.values():
        assert set(value) <= names
    assert DEFAULT.variants() <= set(VARIANTS)
    assert len(names) == len(DEFAULT.hosts)


def test_addresses_are_distinct_and_valid() -> None:
    addrs = [host_address(150, i) for i in range(600)]
    assert len(set(addrs)) == 600
    assert addrs[0] == "127.150.0.1" and addrs[250] == "127.150.1.1"
    assert all(0 < int(a.rsplit(".", 1)[1]) < 255 for a in addrs)


def test_bench_layout() -> None:
    bench = bench_layout(200)
    assert [h.name for h in bench.hosts][:2] == ["bench001", "bench002"]
    assert len(bench.hosts) == 200 and bench.variants() == {"base"}


def test_generated_files_agree(tmp_path: Path) -> None:
    hosts = {
        h.name: {"address": host_address(150, i), "host_key": "ssh-ed25519 AAAA" + h.name}
        for i, h in enumerate(DEFAULT.hosts)
    }
    inventories.write_all(DEFAULT, hosts, tmp_path)
    ck = yaml.safe_load((tmp_path / "inventory.yaml").read_text())
    assert ck["hosts"]["web07"]["address"] == hosts["web07"]["address"]
    assert ck["hosts"]["web07"]["tags"] == ["frontend"]
    assert ck["groups"]["trouble"]["hosts"] == ["down01", "hang01", "mute01", "rekey01"]
    known = (tmp_path / "known_hosts").read_text().splitlines()
    assert f"web01,{hosts['web01']['address']} ssh-ed25519 AAAAweb01" in known
    cfg = (tmp_path / "ssh_config").read_text()
    assert f"Host db02\n  HostName {hosts['db02']['address']}\n" in cfg
    assert cfg.index("Host *") > cfg.index("Host rekey01")  # ssh takes the first value
    ans = yaml.safe_load((tmp_path / "ansible.yaml").read_text())["all"]
    assert ans["children"]["prod"]["children"] == {"web": None, "db": None, "app": None}
    assert "StrictHostKeyChecking=yes" in ans["vars"]["ansible_ssh_common_args"]
