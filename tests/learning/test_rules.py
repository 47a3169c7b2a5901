"""Pure rules: streaks, JP arithmetic, codes, validation (FSRS reviews: test_fsrs.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.learning import certificates, onboarding, quiz, streaks
from bot.learning.jp import format_jp, jp_value

JAKARTA = ZoneInfo("Asia/Jakarta")
JAYAPURA = ZoneInfo("Asia/Jayapura")


def test_current_streak_survives_until_the_day_ends() -> None:
    days = [date(2026, 3, d) for d in (1, 2, 3, 5, 6)]
    assert streaks.current_streak(days, date(2026, 3, 6)) == 2
    assert streaks.current_streak(days, date(2026, 3, 7)) == 2  # not broken yet
    assert streaks.current_streak(days, date(2026, 3, 8)) == 0
    assert streaks.current_streak([], date(2026, 3, 8)) == 0
    assert streaks.longest_streak(days) == 3
    assert streaks.longest_streak([]) == 0
    # Across a month and year boundary.
    assert streaks.current_streak([date(2025, 12, 31), date(2026, 1, 1)], date(2026, 1, 1)) == 2


@pytest.mark.parametrize(
    ("minutes", "expected", "id_text", "en_text"),
    [(0, "0.0", "0,0", "0.0"), (45, "1.0", "1,0", "1.0"), (100, "2.2", "2,2", "2.2"),
     (34, "0.8", "0,8", "0.8"), (900, "20.0", "20,0", "20.0"), (3, "0.1", "0,1", "0.1")],
)
def test_jp_arithmetic(minutes: int, expected: str, id_text: str, en_text: str) -> None:
    assert jp_value(minutes, 45) == Decimal(expected)
    assert format_jp(minutes, 45, "id") == id_text
    assert format_jp(minutes, 45, "en") == en_text


def test_jp_rounds_half_up() -> None:
    # 6.75 min / 45 is not possible with whole minutes; use 30 min per JP: 3 / 30 = 0.1,
    # and 45 / 30 = 1.5 exactly, 1 / 20 = 0.05 → 0.1 (half up, not half even).
    assert jp_value(1, 20) == Decimal("0.1")
    assert jp_value(3, 20) == Decimal("0.2")  # 0.15 → 0.2


def test_certificate_codes() -> None:
    codes = {certificates.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert certificates.normalise_code(code) == code
        assert certificates.normalise_code(code.lower()) == code
        assert not set(code[4:]) & set("01IL5SOZ2B8")
    assert certificates.normalise_code("snu 7k3q 9xpd") == "SNU-7K3Q-9XPD"
    assert certificates.normalise_code("SNU-7K3Q-9XP") is None
    assert certificates.normalise_code("SNU-0000-0000") is None
    assert certificates.normalise_code("ABC-7K3Q-9XPD") is None


def test_onboarding_validation() -> None:
    assert onboarding.valid_payload("cohort_12-a") == "cohort_12-a"
    assert onboarding.valid_payload("x" * 65) is None
    assert onboarding.valid_payload("bad payload") is None
    assert onboarding.valid_payload(None) is None
    assert onboarding.valid_name("  Budi   Santoso ") == "Budi Santoso"
    assert onboarding.valid_name("x" * 64) == "x" * 64
    assert onboarding.valid_name("x" * 65) is None
    assert onboarding.valid_name("   ") is None
    assert onboarding.valid_unit("y" * 81) is None
    assert onboarding.parse_time("7:05") == "07:05"
    assert onboarding.parse_time("23.59") == "23:59"
    assert onboarding.parse_time("00:00") == "00:00"
    for bad in ("24:00", "12:60", "noon", "7", "12:5"):
        assert onboarding.parse_time(bad) is None


def test_poll_text_fits_the_limits() -> None:
    assert quiz.clip("x" * 301, 300) == "x" * 299 + "…"
    text = quiz.poll_explanation("a\nb\nc\nd\n" + "e" * 300)
    assert text.count("\n") <= 2
    assert len(text) <= 200


def test_zone_is_a_real_offset() -> None:
    # A guard for the streak tests: WIT is two hours ahead of WIB.
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert moment.astimezone(JAYAPURA).utcoffset() - moment.astimezone(
        JAKARTA).utcoffset() == timedelta(hours=2)
