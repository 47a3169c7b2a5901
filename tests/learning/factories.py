"""Small hand-made courses and learners for the learning tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.clock import FixedClock
from bot.config import LearningSettings
from bot.content.loader import Catalogue
from bot.content.models import Course
from bot.learning.service import LearningService
from bot.storage.db import Database
from bot.storage.users import User, UserRepository


def _text(value: str) -> dict[str, str]:
    return {"id": f"{value} (id)", "en": f"{value} (en)"}


def lesson(key: str, minutes: int = 10, cards: int = 2, questions: int = 2) -> dict[str, Any]:
    """A lesson dict: every question's correct option is 1."""
    return {
        "key": key,
        "minutes": minutes,
        "title": _text(f"Lesson {key}"),
        "cards": [_text(f"Card {i + 1} of **{key}**") for i in range(cards)],
        "quiz": [
            {
                "key": f"q{i + 1}",
                "question": _text(f"Question {i + 1} of {key}?"),
                "options": [_text("Wrong"), _text("Right"), _text("Also wrong")],
                "correct": 1,
                "explanation": _text("Because."),
            }
            for i in range(questions)
        ],
        "discussion": _text("Discuss"),
        "sources": [],
    }


def course(key: str, *lessons: dict[str, Any], order: int = 1) -> Course:
    """A course of the given lesson dicts."""
    return Course.model_validate(
        {
            "key": key,
            "order": order,
            "tags": [],
            "title": _text(f"Course {key}"),
            "description": _text("About it"),
            "lessons": list(lessons),
        }
    )


def catalogue(*courses: Course) -> Catalogue:
    """A catalogue of these courses."""
    return Catalogue.of(courses)


def service(db: Database, cat: Catalogue, clock: FixedClock, **settings: Any) -> LearningService:
    """A learning service on ``db`` with default settings (overridable)."""
    return LearningService(db, cat, clock, LearningSettings(**settings), "Asia/Jakarta")


async def learner(db: Database, now: datetime, user_id: int = 101, *,
                  timezone: str = "Asia/Jakarta", name: str = "Sari") -> User:
    """A learner row."""
    users = UserRepository(db)
    await users.touch(user_id=user_id, first_name=name, last_name=None, username=None,
                      telegram_language="id", timezone=timezone, now=now)
    user = await users.update_profile(user_id, unit="Kelurahan Petompon", language="id")
    assert user is not None
    return user


async def do_lesson(svc: LearningService, user: User, answers: list[int]) -> Any:
    """Open the next lesson, page to the end, answer its quiz; the last AnswerOutcome."""
    view = await svc.open_next_lesson(user)
    assert view is not None
    while not view.last:
        view = await svc.turn_card(user, view.session_id, view.card, None)
        assert view is not None
    question = await svc.start_quiz(user, view.session_id, None)
    assert question is not None
    outcome = None
    for i, option in enumerate(answers):
        outcome = await svc.answer(user, question.session_id, question.position, option, None)
        assert outcome is not None
        if i + 1 < len(answers):
            question = await svc.next_question(user, question.session_id, question.position,
                                               None)
            assert question is not None
    return outcome
