"""The same journey with native Telegram quiz polls (learning.quiz_mode = "poll")."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pypdf import PdfReader

from bot.content.models import Lesson
from tests.e2e.harness import Message, Sinau, button_data
from tests.e2e.learner import (
    data_of,
    morning,
    onboard,
    option_for,
    read_lesson,
    take_evaluation,
    text,
)
from tests.e2e.nudge_helpers import nudges_in


def _polls(messages: list[Message]) -> list[Message]:
    return [m for m in messages if "poll" in m]


async def _vote(sinau: Sinau, user: Any, poll: Message, option: int) -> list[Message]:
    before = len(sinau.emu.messages(user.id))
    await sinau.emu.answer_poll(user, poll["poll"]["id"], [option])
    await sinau.settle()
    return sinau.emu.messages(user.id)[before:]


async def _poll_quiz(sinau: Sinau, user: Any, lesson: Lesson, card: Message,
                     rights: list[bool]) -> list[Message]:
    sent = await sinau.press(user, card, data=data_of(card, "ls:q:"))
    after: list[Message] = []
    for number, right in enumerate(rights):
        (poll,) = _polls(sent)
        spec = poll["poll"]
        assert spec["type"] == "quiz" and not spec["is_anonymous"]
        assert spec["correct_option_ids"] == [lesson.quiz[number].correct]
        assert spec["question"].startswith(f"{number + 1}/{len(lesson.quiz)} · ")
        assert len(spec["question"]) <= 300
        assert all(len(o["text"]) <= 100 for o in spec["options"])
        assert len(spec.get("explanation", "")) <= 200
        assert spec.get("explanation", "").count("\n") <= 2
        after = sent = await _vote(sinau, user, poll, option_for(lesson, number, right))
    return after


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_quiz_polls_grade_review_and_certify(
    start_sinau: Callable[..., Awaitable[Sinau]], lang: str
) -> None:
    sinau = await start_sinau(learning={"quiz_mode": "poll"})
    await morning(sinau)
    user = sinau.user("Sari", language_code=lang)
    other = sinau.user("Eko", language_code=lang)
    await onboard(sinau, user, lang)
    course = sinau.services.catalogue.courses[0]
    lesson, card = await read_lesson(sinau, user)
    sent = await sinau.press(user, card, data=data_of(card, "ls:q:"))
    (first,) = _polls(sent)
    # A vote that is not the learner's own (another user, injected as a raw update) is ignored.
    await sinau.emu.send_update({"poll_answer": {
        "poll_id": first["poll"]["id"], "user": other.to_api(), "option_ids": [0],
        "option_persistent_ids": ["opt0"]}})
    await sinau.settle()
    assert _polls(sinau.emu.messages(user.id)) == [first]
    # Right, wrong, right: each vote brings the next poll; the last completes the lesson.
    second = _polls(await _vote(sinau, user, first, option_for(lesson, 0, True)))
    assert len(second) == 1
    third = _polls(await _vote(sinau, user, second[0], option_for(lesson, 1, False)))
    done = await _vote(sinau, user, third[0], option_for(lesson, 2, True))
    assert "2/3" in text(done[0])
    report = (await sinau.send(user, "/progress"))[0]
    assert "2/3, 67%" in text(report)

    # Review the next day, as a poll too.
    await morning(sinau)
    review = _polls(await sinau.send(user, "/review"))
    assert len(review) == 1
    assert review[0]["poll"]["question"] == f"🔁 {lesson.quiz[1].question.get(lang)}"
    after = await _vote(sinau, user, review[0], option_for(lesson, 1, True))
    after = [m for m in after if m not in nudges_in(after)]  # the morning nudge may come too
    assert text(after[0]).startswith("✅")

    for _ in range(len(course.lessons) - 1):
        lesson, card = await read_lesson(sinau, user)
        last = await _poll_quiz(sinau, user, lesson, card, [True] * len(lesson.quiz))
    # Every lesson done; the course counts once its final evaluation (inline buttons) is
    # passed, and its certificate once the NIP is given.
    last = await take_evaluation(sinau, user, course, last)
    assert not any("document" in m for m in last)  # the name is known; the NIP is asked
    assert button_data(last[-1]) == ["ob:nip:skip"]
    last = await sinau.send(user, "198503122010012003")
    document = next(m for m in last if "document" in m)
    page = PdfReader(io.BytesIO(sinau.emu.file_bytes(document["document"]["file_id"])))
    assert "Sari" in page.pages[0].extract_text()
    code = text(document).split()[-1]
    verdict = text((await sinau.send(other, f"/verify {code}"))[0])
    assert "Sari" in verdict and course.title.get(lang) in verdict
    report = text((await sinau.send(user, "/progress"))[0])
    assert "11/12, 92%" in report and f"{len(course.lessons)}/{len(course.lessons)}" in report
