"""Record ids: the format, the date, randomness, and never one already taken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from changekit.records.ids import ALPHABET, ID_RE, is_id, new_id


def test_format_and_utc_date():
    late_in_new_york = datetime(2026, 12, 31, 22, 0, tzinfo=timezone(timedelta(hours=-5)))
    rid = new_id(late_in_new_york)
    assert ID_RE.match(rid) and rid.startswith("CHG-20270101-")  # the UTC day
    assert is_id(rid) and not is_id("CHG-1")


def test_suffixes_use_the_whole_alphabet_at_every_position():
    # 2,000 ids: a character missing at a position by chance has odds of about 1e-23
    suffixes = [new_id()[-6:] for _ in range(2000)]
    for pos in range(6):
        assert {s[pos] for s in suffixes} == set(ALPHABET)


def test_taken_ids_never_repeat():
    taken: set[str] = set()
    for _ in range(5000):
        taken.add(new_id(taken=taken))
    assert len(taken) == 5000


def test_taken_ids_are_skipped(monkeypatch):
    import changekit.records.ids as ids

    picks = iter("aaaaaa" + "aaaaaa" + "bbbbbb")
    monkeypatch.setattr(ids.secrets, "choice", lambda alphabet: next(picks))
    now = datetime(2026, 1, 2, tzinfo=UTC)
    assert new_id(now, taken={"CHG-20260102-aaaaaa"}) == "CHG-20260102-bbbbbb"
