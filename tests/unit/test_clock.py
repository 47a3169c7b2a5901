"""The clock: moving forward only, following a server that is ahead, reading HTTP dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import Clock, parse_http_date


def test_follow_adopts_a_server_clearly_ahead_and_ignores_small_or_backward_gaps() -> None:
    clock = Clock()
    assert clock.follow(clock.now() + timedelta(seconds=30)) is False
    assert clock.follow(clock.now() - timedelta(days=1)) is False
    assert clock.offset == timedelta(0)
    ahead = clock.now() + timedelta(days=1)
    assert clock.follow(ahead) is True
    assert abs(clock.now() - ahead) < timedelta(seconds=1)


def test_time_never_moves_back() -> None:
    clock = Clock()
    with pytest.raises(ValueError, match="forward"):
        clock.advance(timedelta(seconds=-1))
    clock.set(clock.now() - timedelta(hours=1))
    assert clock.offset == timedelta(0)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Sat, 28 Nov 2026 00:41:43 GMT", datetime(2026, 11, 28, 0, 41, 43, tzinfo=UTC)),
        ("Sat, 28 Nov 2026 07:41:43 +0700", datetime(2026, 11, 28, 0, 41, 43, tzinfo=UTC)),
        ("Sat, 28 Nov 2026 00:41:43 -0000", datetime(2026, 11, 28, 0, 41, 43, tzinfo=UTC)),
    ],
)
def test_http_dates_are_read_as_utc(header: str, expected: datetime) -> None:
    assert parse_http_date(header) == expected


@pytest.mark.parametrize("header", [None, "", "yesterday", "Sat, 99 Nov 2026 00:00:00 GMT", "1"])
def test_malformed_http_dates_are_ignored(header: str | None) -> None:
    assert parse_http_date(header) is None
