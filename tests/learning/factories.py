"""Small hand-made courses and learners for the learning tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.clock import FixedClock
from bot.config import Settings
from bot.content.catalogue import Catalogue
from bot.content.models import Course
from bot.learning.service import LearningService, Shown
from bot.learning.views import QuestionView
from bot.storage.db import Database
from bot.storage.users import User, UserRepository
from tests.conftest import composed


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
    """A learning service on ``db``, composed as the bot does, with default settings."""
    return composed(db, clock, Settings(learning=settings), catalogue=cat).learning


class Screen:
    """Plays a learner's chat: each view shown becomes a new message, ids counting up."""

    def __init__(self, chat_id: int, first_message_id: int = 500) -> None:
        self.chat_id = chat_id
        self.last_id = first_message_id - 1
        self.shown: list[Any] = []

    async def show(self, view: Any) -> Shown:
        """Present ``view`` as the next message."""
        self.last_id += 1
        self.shown.append(view)
        return Shown(self.chat_id, self.last_id)

    async def same(self, view: Any) -> Shown:
        """Present ``view`` in place of the latest message (an edit)."""
        self.shown.append(view)
        return Shown(self.chat_id, self.last_id)


async def learner(db: Database, now: datetime, user_id: int = 101, *,
                  timezone: str = "Asia/Jakarta", name: str = "Sari",
                  nip: str | None = "__derived__") -> User:
    """A learner row (with a valid NIP of their own unless ``nip`` says otherwise)."""
    if nip == "__derived__":
        nip = f"19850312201001{2}{user_id % 1000:03d}" if user_id % 1000 else None
    users = UserRepository(db)
    await users.touch(user_id=user_id, first_name=name, last_name=None, username=None,
                      telegram_language="id", timezone=timezone, now=now)
    user = await users.update_profile(user_id, unit="Kelurahan Petompon", language="id",
                                      display_name=name, nip=nip)
    assert user is not None
    return user


async def fresh(db: Database, user: User) -> User:
    """The learner as the next update reads them (the middleware reloads them each time)."""
    found = await UserRepository(db).get(user.id)
    assert found is not None
    return found


async def finish_lesson(svc: LearningService, user: User, screen: Screen, view: Any,
                        answers: list[int]) -> Any:
    """Page a shown lesson to its end and answer its quiz; the last AnswerOutcome."""
    chat = screen.chat_id
    lesson_message = screen.last_id
    while not view.last:
        view = await svc.turn_card(user, chat, lesson_message, view.card)
        assert view is not None
    question = await svc.start_quiz(user, chat, lesson_message, view.card, screen.show)
    assert question is not None
    outcome = None
    for i, option in enumerate(answers):
        outcome = await svc.answer(user, chat, screen.last_id, question.position, option)
        assert outcome is not None
        if i + 1 < len(answers):
            question = await svc.next_question(user, chat, screen.last_id, question.position)
            assert question is not None
    return outcome


async def do_lesson(svc: LearningService, user: User, answers: list[int],
                    screen: Screen | None = None) -> Any:
    """Open the next lesson, page to the end, answer its quiz; the last AnswerOutcome."""
    screen = screen or Screen(user.id)
    user = await fresh(svc._db, user)
    view = await svc.open_next_lesson(user, screen.show)
    assert view is not None
    return await finish_lesson(svc, user, screen, view, answers)


async def take_evaluation(svc: LearningService, user: User, course_key: str,
                          right: int | None = None, screen: Screen | None = None) -> Any:
    """Start a course's final evaluation and answer it: the first ``right`` questions
    correctly (all when None), the rest wrong; the EvaluationResult (or the refusal)."""
    screen = screen or Screen(user.id, 3000)
    user = await fresh(svc._db, user)
    view = await svc.start_evaluation(user, course_key, screen.show)
    if not isinstance(view, QuestionView):
        return view
    answered = None
    while view is not None:
        question = view.question
        wanted = right is None or view.position < right
        option = question.correct if wanted else (question.correct + 1) % len(question.options)
        answered = await svc.answer_evaluation(user, screen.chat_id, screen.last_id,
                                               view.position, option)
        assert answered is not None
        view = answered.next_view
    assert answered is not None
    return answered.result
