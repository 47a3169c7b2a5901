"""Steps of the learner journey for end-to-end tests: onboarding, lessons, quizzes by buttons."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.content.models import Lesson
from bot.i18n import t
from tests.e2e.harness import Message, Sinau, button_data

ZONE = ZoneInfo("Asia/Jakarta")


def text(message: Message) -> str:
    """The visible text (or caption) of a message."""
    return str(message.get("text") or message.get("caption") or "")


def with_data(messages: list[Message], prefix: str) -> Message:
    """The last message carrying a button whose callback data starts with ``prefix``."""
    for message in reversed(messages):
        if any(d.startswith(prefix) for d in button_data(message)):
            return message
    raise AssertionError(f"no message with a {prefix!r} button in {[text(m) for m in messages]}")


def data_of(message: Message, prefix: str) -> str:
    """The callback data of the first button starting with ``prefix``."""
    for data in button_data(message):
        if data.startswith(prefix):
            return data
    raise AssertionError(f"no {prefix!r} button: {button_data(message)}")


async def morning(sinau: Sinau, days: int = 1) -> datetime:
    """Move both clocks to 08:00 Jakarta time, ``days`` local days from now."""
    local = sinau.clock.now().astimezone(ZONE)
    target = datetime.combine(local.date() + timedelta(days=days), time(8, 0), tzinfo=ZONE)
    await sinau.advance_to(target)
    return target


async def welcome(sinau: Sinau, user: Any, lang: str) -> Message:
    """/start as a newcomer: the one welcome message, switched to ``lang`` if needed."""
    sent = await sinau.send(user, "/start")
    assert len(sent) == 1, [text(m) for m in sent]
    message = sent[0]
    if str(t(lang, "onboarding.begin")) not in str(message["reply_markup"]):
        await sinau.press(user, message, data=f"ob:lang:{lang}")
        message = sinau.message(user, message["message_id"])
    return message


async def onboard(sinau: Sinau, user: Any, lang: str) -> Message:
    """Onboard ``user`` by buttons: /start, the language, "start learning" (which opens the
    first card), then the late questions answered at once: the Telegram name, the first unit,
    07:30. The first lesson card is returned."""
    message = await welcome(sinau, user, lang)
    after = await sinau.press(user, message, data="ob:go")
    card = with_data(after, "ls:")
    for answer in ("ob:name:keep", "ob:unit:0", "ob:time:0730"):
        await late_answer(sinau, user, message, answer)
    return card


async def late_answer(sinau: Sinau, user: Any, message: Message, data: str) -> None:
    """Answer a late onboarding question at once, as if its button were pressed on
    ``message``: the question itself is not on screen yet (it is asked when it matters)."""
    await sinau.emu.forge_callback(user, sinau.emu.chat(user), message["message_id"], data)
    await sinau.settle()


async def next_lesson(sinau: Sinau, user: Any) -> Lesson:
    """The lesson /learn will open next for ``user``."""
    snap = await sinau.services.learning.snapshot(user.id)
    assert snap is not None and snap.course_key and snap.lesson_key
    found = sinau.services.catalogue.lesson(snap.course_key, snap.lesson_key)
    assert found is not None
    return found


async def read_lesson(sinau: Sinau, user: Any) -> tuple[Lesson, Message]:
    """/learn, then page with 'Next' to the last card; the lesson and its message."""
    lesson = await next_lesson(sinau, user)
    sent = await sinau.send(user, "/learn")
    card = with_data(sent, "ls:")
    for _ in range(len(lesson.cards) - 1):
        await sinau.press(user, card, data=data_of(card, "ls:n:"))
        card = sinau.message(user, card["message_id"])
    assert data_of(card, "ls:q:")
    return lesson, card


def option_for(lesson: Lesson, number: int, right: bool) -> int:
    """The option index to press for question ``number``: its correct one or a wrong one."""
    correct = lesson.quiz[number].correct
    return correct if right else (correct + 1) % len(lesson.quiz[number].options)


async def take_quiz(sinau: Sinau, user: Any, lesson: Lesson, card: Message,
                    rights: list[bool]) -> list[Message]:
    """Answer the quiz by buttons; the messages sent after the last answer."""
    assert len(rights) == len(lesson.quiz)
    question = with_data(await sinau.press(user, card, data=data_of(card, "ls:q:")), "qz:a:")
    after: list[Message] = []
    for number, right in enumerate(rights):
        choice = option_for(lesson, number, right)
        after = await sinau.press(user, question, data=data_of(question, "qz:a:")[:-1] + str(
            choice))
        question = sinau.message(user, question["message_id"])
        assert ("✅" in text(question)) == right, text(question)
        if number + 1 < len(rights):
            await sinau.press(user, question, data=data_of(question, "qz:n:"))
            question = sinau.message(user, question["message_id"])
    return after


async def do_lesson(sinau: Sinau, user: Any, rights: list[bool] | None = None) -> list[Message]:
    """Read the next lesson and answer its quiz (all right unless ``rights`` says otherwise)."""
    lesson, card = await read_lesson(sinau, user)
    return await take_quiz(sinau, user, lesson, card, rights or [True] * len(lesson.quiz))


async def take_evaluation(sinau: Sinau, user: Any, course: Any, messages: list[Message],
                          rights: int | None = None) -> list[Message]:
    """Press "start the final evaluation" on one of ``messages`` and answer every question:
    the first ``rights`` correctly (all when None), the rest wrong. The replies after the
    last answer (the result, then a certificate or what it waits for)."""
    start = with_data(messages, "ev:s:")
    replies = await sinau.press(user, start, data=data_of(start, "ev:s:"))
    question = with_data(replies, "ev:a:")
    lang_questions = [q for x in course.lessons for q in x.quiz]
    number = 0
    while True:
        shown = text(question)
        asked = next(q for q in lang_questions
                     if q.question.id in shown or q.question.en in shown)
        right = rights is None or number < rights
        wanted = asked.correct if right else (asked.correct + 1) % len(asked.options)
        press = next(d for d in button_data(question) if d.endswith(f":{wanted}"))
        replies = await sinau.press(user, question, data=press)
        question = sinau.message(user, question["message_id"])
        number += 1
        if not any(d.startswith("ev:a:") for d in button_data(question)):
            return replies
