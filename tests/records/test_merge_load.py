"""The merge driver reads records as the rest of changekit does."""

from __future__ import annotations

import pytest

from changekit.records import merge


def test_unquoted_times_stay_as_written():
    data = merge.load("window:\n  start: 2026-12-06T02:00:00+01:00\n")
    assert data["window"]["start"] == "2026-12-06T02:00:00+01:00"


def test_broken_side_is_a_readable_error_not_a_crash():
    # merge-record catches ValueError (InputError is one) and leaves conflict markers
    with pytest.raises(ValueError, match="not valid YAML"):
        merge.load("title: [unclosed\n")
