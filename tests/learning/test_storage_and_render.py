"""Storage guarantees of migration 002; every shipped lesson screen within Telegram's limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.content.loader import load_catalogue
from bot.content.render import visible_length
from bot.handlers.render import MESSAGE_LIMIT, answered_message, lesson_card, question_message
from bot.learning.views import LessonView, QuestionView
from bot.storage.db import Conflict, Database
from bot.storage.learning import LearningRepository
from tests.learning.factories import learner

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def test_only_one_scored_answer_per_question(db: Database) -> None:
    await learner(db, NOW)
    records = LearningRepository(db)
    keys = (101, "c1", "l1", "q1")
    first = await records.record_answer(*keys, chosen=0, correct=False, source="lesson", now=NOW)
    again = await records.record_answer(*keys, chosen=1, correct=True, source="lesson", now=NOW)
    review = await records.record_answer(*keys, chosen=1, correct=True, source="review", now=NOW)
    assert (first.value.is_first, again.value.is_first, review.value.is_first) == (
        True, False, False)
    assert await records.accuracy(101) == (0, 1)
    # The partial unique index refuses a second scored answer whatever the caller does.
    with pytest.raises(Conflict):
        await db.execute(
            "INSERT INTO quiz_answers (user_id, course_key, lesson_key, question_key, chosen,"
            " correct, is_first, source, answered_at) VALUES (101, 'c1', 'l1', 'q1', 1, 1, 1,"
            " 'lesson', 0)"
        )


async def test_minutes_are_credited_once_and_need_the_cards(db: Database) -> None:
    await learner(db, NOW)
    records = LearningRepository(db)
    day = NOW.date()
    assert not await records.complete_lesson(101, "c1", "l1", 10, NOW, day)  # never opened
    await records.see_card(101, "c1", "l1", 0, False, NOW)
    assert not await records.complete_lesson(101, "c1", "l1", 10, NOW, day)  # cards unread
    await records.see_card(101, "c1", "l1", 1, True, NOW)
    await records.see_card(101, "c1", "l1", 0, False, NOW)  # paging back keeps the furthest
    assert await records.complete_lesson(101, "c1", "l1", 10, NOW, day)
    assert not await records.complete_lesson(101, "c1", "l1", 10, NOW, day)
    row = await records.lesson(101, "c1", "l1")
    assert row is not None and (row.furthest_card, row.cards_done) == (1, True)
    assert await records.minutes_between(101, day, day) == 10
    assert await records.activity_days(101) == [day]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_shipped_screen_fits_a_message(lang: str) -> None:
    longest = 0
    for course in load_catalogue():
        for lesson in course.lessons:
            for card in range(len(lesson.cards)):
                text, _ = lesson_card(lang, LessonView(course, lesson, card))
                longest = max(longest, visible_length(text))
            for position, question in enumerate(lesson.quiz):
                view = QuestionView("quiz", course, lesson, question, position,
                                    len(lesson.quiz))
                text, markup = question_message(lang, view)
                assert len(markup.inline_keyboard) == 1  # letters in one row
                answered, _ = answered_message(lang, view, 0, False, False, None)
                longest = max(longest, visible_length(text), visible_length(answered))
    # Comfortably under the limit: roughly a phone screen or two, never a cut message.
    assert longest < MESSAGE_LIMIT * 0.75, longest
