"""Good example records load; each bad one fails with exactly the error in its .expected file."""

from __future__ import annotations

from pathlib import Path

import pytest

from changekit.errors import ChangekitError
from changekit.records.store import parse_record

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "records"
GOOD = sorted((EXAMPLES / "good").glob("*.yaml"))
BAD = sorted((EXAMPLES / "bad").glob("*.yaml"))


def test_there_are_examples():
    assert len(GOOD) >= 4 and len(BAD) >= 10
    assert all(p.with_suffix(".expected").is_file() for p in BAD)


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_example_loads(path):
    record = parse_record(path.read_text(), path, path.name)
    assert record.id.startswith("CHG-") and record.history


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_example_gives_its_exact_error(path):
    with pytest.raises(ChangekitError) as info:
        parse_record(path.read_text(), path, path.name)
    expected = path.with_suffix(".expected").read_text()
    assert f"exit {info.value.exit_code}\n{info.value.format()}\n" == expected
