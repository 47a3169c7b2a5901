"""The behind-schedule rule (bot.training.pace), on plain values."""

from __future__ import annotations

from datetime import date

import pytest

from bot.training.pace import Pace, expected_lessons, is_behind, start_of

START = date(2026, 3, 2)
DEADLINE = date(2026, 3, 12)  # ten days after the start


def pace(done: int, *, total: int = 4, passed: bool = False, start: date = START) -> Pace:
    return Pace(lessons_total=total, lessons_done=done, passed=passed, start=start)


def test_no_deadline_nobody_is_behind() -> None:
    assert not is_behind(pace(0), None, date(2027, 1, 1))


def test_a_passed_course_is_never_behind_even_after_the_deadline() -> None:
    assert not is_behind(pace(0, passed=True), DEADLINE, date(2026, 4, 1))


def test_after_the_deadline_unfinished_is_behind() -> None:
    assert is_behind(pace(4), DEADLINE, date(2026, 3, 13))  # lessons done, evaluation not
    assert not is_behind(pace(4), DEADLINE, DEADLINE)


def test_a_course_without_lessons_has_nobody_behind() -> None:
    assert not is_behind(pace(0, total=0), DEADLINE, date(2026, 3, 20))


@pytest.mark.parametrize(("today", "done", "behind"), [
    (START, 0, False),                 # nothing expected on the first day
    (date(2026, 3, 4), 0, False),      # 20 % of 4 = 0.8 lesson: within the slack
    (date(2026, 3, 7), 0, True),       # 50 %: 2 lessons expected, none done
    (date(2026, 3, 7), 1, False),      # one behind the even pace: the slack
    (date(2026, 3, 10), 1, True),      # 80 %: 3.2 expected, 1 + 1 < 3.2
    (date(2026, 3, 10), 3, False),
    (DEADLINE, 2, True),               # the deadline day: all expected, two left
    (DEADLINE, 3, False),              # one left on the last day is within the slack
])
def test_share_of_lessons_against_share_of_time(today: date, done: int, behind: bool) -> None:
    assert is_behind(pace(done), DEADLINE, today) is behind


def test_a_start_on_the_deadline_day_expects_everything() -> None:
    assert expected_lessons(pace(0, start=DEADLINE), DEADLINE, DEADLINE) == 4
    assert is_behind(pace(0, start=DEADLINE), DEADLINE, DEADLINE)


def test_start_is_the_later_of_assignment_and_joining() -> None:
    assert start_of(date(2026, 3, 5), START) == date(2026, 3, 5)
    assert start_of(date(2026, 2, 1), START) == START
    assert start_of(None, START) == START  # a course assigned before assignments were kept


def test_a_late_joiner_is_judged_from_their_own_start() -> None:
    late = pace(0, start=date(2026, 3, 10))
    # Two days before the deadline, on their first day: nothing expected yet.
    assert not is_behind(late, DEADLINE, date(2026, 3, 10))
    assert is_behind(late, DEADLINE, date(2026, 3, 11))  # half the span: 2 expected
