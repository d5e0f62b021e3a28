"""``scan --format json`` spools snapshots to disk: the document must be what print_json prints."""

from __future__ import annotations

import json

from changekit.cli.json_spool import JsonSpool
from changekit.cli.output import print_json

HOSTILE = {
    "host": "wéb\u202e01",
    "facts": {
        "dpkg": {
            "evil\x1b[31m": {"version": "1:2.3\r\n", "arch": "amd64"},
            "пакет": {"version": "=cmd|' /C calc'!A0", "arch": "all"},
            "<script>": {"version": '"}]}\n', "arch": "\t"},
        },
        "perl": {},
        "os": ["a", {"b": None, "c": 1.5, "d": True}],
    },
}


def _head() -> dict:
    return {
        "scan_id": "20261207T010000Z-x",
        "stored": False,
        "hosts": [
            {"host": h, "status": "ok", "reason": None, "message": None, "seconds": 0.1}
            for h in ("b", "a", "c")
        ],
    }


def test_spooled_document_is_byte_for_byte_print_json(capsys):
    snaps = {
        "a": {**HOSTILE, "host": "a"},
        "b": {**HOSTILE, "host": "b", "facts": {}},
        "c": {**HOSTILE, "host": "c\n\x00"},
    }
    with JsonSpool() as spool:
        for host in ("c", "a", "b"):  # the order hosts finish in
            spool.put(host, snaps[host])
        spool.emit(_head(), ["b", "a", "c"])
    spooled = capsys.readouterr().out
    print_json({**_head(), "snapshots": [snaps["b"], snaps["a"], snaps["c"]]})
    assert spooled == capsys.readouterr().out
    assert json.loads(spooled)["snapshots"][2]["host"] == "c\n\x00"
    assert "\x1b" not in spooled and "\u202e" not in spooled  # escaped, not raw


def test_failed_hosts_have_no_snapshot_and_none_at_all_is_an_empty_list(capsys):
    with JsonSpool() as spool:
        spool.put("a", {"host": "a"})
        spool.emit(_head(), ["b", "a", "c"])
        one = capsys.readouterr().out
    print_json({**_head(), "snapshots": [{"host": "a"}]})
    assert one == capsys.readouterr().out
    with JsonSpool() as spool:
        spool.emit(_head(), ["b", "a", "c"])
    assert json.loads(capsys.readouterr().out)["snapshots"] == []
