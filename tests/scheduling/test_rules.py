"""The planning rules: next occurrence, days, quiet hours, pause, back-off."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.scheduling import rules

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WINDOW = rules.Window(time(6, 0), time(21, 0))
MONDAY_0700_WIB = datetime(2025, 6, 2, 0, 0, tzinfo=UTC)


def plan(**kwargs: object) -> rules.PlanInput:
    base: dict[str, object] = {
        "onboarded": True, "active": True, "stopped": False, "nudge_time": time(7, 30),
        "days": "daily", "zone": WIB,
    }
    base.update(kwargs)
    return rules.PlanInput(**base)  # type: ignore[arg-type]


def nxt(p: rules.PlanInput, after: datetime = MONDAY_0700_WIB) -> rules.Occurrence | None:
    return rules.next_occurrence(p, after, WINDOW, backoff_after=3)


def test_next_is_today_when_the_time_has_not_passed() -> None:
    occ = nxt(plan())
    assert occ == rules.Occurrence(datetime(2025, 6, 2, 0, 30, tzinfo=UTC), date(2025, 6, 2))


def test_next_is_tomorrow_when_the_time_has_passed() -> None:
    occ = nxt(plan(nudge_time=time(6, 30)))
    assert occ is not None and occ.local_date == date(2025, 6, 3)


def test_time_zone_decides_the_local_day() -> None:
    # 07:30 WITA (UTC+8) is 23:30 UTC the day before.
    occ = nxt(plan(zone=WITA), after=datetime(2025, 6, 1, 12, 0, tzinfo=UTC))
    assert occ == rules.Occurrence(datetime(2025, 6, 1, 23, 30, tzinfo=UTC), date(2025, 6, 2))


def test_weekdays_skip_saturday_and_sunday() -> None:
    friday_evening = datetime(2025, 6, 6, 12, 0, tzinfo=UTC)
    occ = nxt(plan(days="weekdays"), after=friday_evening)
    assert occ is not None and occ.local_date == date(2025, 6, 9)  # Monday
    daily = nxt(plan(), after=friday_evening)
    assert daily is not None and daily.local_date == date(2025, 6, 7)


def test_one_occurrence_per_local_day_after_one_was_handled() -> None:
    occ = nxt(plan(last_local_date=date(2025, 6, 2)))
    assert occ is not None and occ.local_date == date(2025, 6, 3)


def test_times_outside_the_window_move_to_its_start() -> None:
    occ = nxt(plan(nudge_time=time(4, 0)), after=datetime(2025, 6, 1, 18, 0, tzinfo=UTC))
    assert occ is not None
    assert occ.at.astimezone(WIB).time() == time(6, 0)
    late = nxt(plan(nudge_time=time(22, 30)), after=datetime(2025, 6, 1, 18, 0, tzinfo=UTC))
    assert late is not None and late.at.astimezone(WIB).time() == time(6, 0)


def test_window_wrapping_midnight() -> None:
    night = rules.Window(time(22, 0), time(2, 0))
    assert night.contains(time(23, 0)) and night.contains(time(1, 0))
    assert not night.contains(time(12, 0))
    assert rules.Window(time(0, 0), time(0, 0)).contains(time(3, 0))


def test_pause_skips_until_its_end() -> None:
    until = rules.pause_end(MONDAY_0700_WIB, 1, WIB)
    assert until == datetime(2025, 6, 4, 0, 0, tzinfo=WIB)
    occ = nxt(plan(paused_until=until))
    assert occ is not None and occ.local_date == date(2025, 6, 4)


def test_stopped_inactive_or_not_onboarded_get_nothing() -> None:
    assert nxt(plan(stopped=True)) is None
    assert nxt(plan(active=False)) is None
    assert nxt(plan(onboarded=False)) is None


def test_backoff_spaces_nudges_after_ignored_ones() -> None:
    assert [rules.gap_days(n, 3) for n in range(0, 8)] == [1, 1, 1, 2, 3, 4, 5, 6]
    assert rules.gap_days(50, 3) == rules.MAX_GAP_DAYS
    occ = nxt(plan(last_local_date=date(2025, 6, 1), last_sent_date=date(2025, 6, 1),
                   ignored_streak=3))
    assert occ is not None and occ.local_date == date(2025, 6, 3)


@given(
    after=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
                       timezones=st.just(UTC)),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    days=st.sampled_from(["daily", "weekdays"]),
    zone=st.sampled_from([WIB, WITA, ZoneInfo("Asia/Jayapura")]),
    pause=st.one_of(st.none(), st.integers(1, 7)),
    streak=st.integers(0, 10),
)
def test_next_occurrence_properties(after: datetime, hour: int, minute: int, days: str,
                                    zone: ZoneInfo, pause: int | None, streak: int) -> None:
    paused_until = rules.pause_end(after, pause, zone) if pause else None
    last = after.astimezone(zone).date() - timedelta(days=1)
    p = plan(nudge_time=time(hour, minute), days=days, zone=zone, paused_until=paused_until,
             last_local_date=last, last_sent_date=last, ignored_streak=streak)
    occ = nxt(p, after)
    assert occ is not None
    local = occ.at.astimezone(zone)
    assert occ.at > after
    assert local.date() == occ.local_date
    assert WINDOW.contains(local.time())
    assert rules.allowed_day(occ.local_date, days)  # type: ignore[arg-type]
    assert paused_until is None or occ.at >= paused_until
    assert (occ.local_date - last).days >= rules.gap_days(streak, 3)
    # No earlier allowed moment was skipped without a reason: within a gap of 9 days.
    assert occ.at - after < timedelta(days=16)
