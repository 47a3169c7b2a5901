"""The learner's hot paths stay within their database budget: at most 3 round trips each.

A /learn, a card turn and a quiz answer (not the last of its lesson) each make at most three
round trips in the common case, counted per update by the bot itself (BEGIN and COMMIT
included): one to record who wrote, one to read, one unit of work that writes.
"""

from __future__ import annotations

from tests.e2e.harness import Sinau, button_data
from tests.e2e.learner import data_of, next_lesson, onboard, option_for, with_data

BUDGET = 3


def _last_update(sinau: Sinau) -> int:
    """Round trips of the update handled last."""
    assert sinau.app is not None
    processor = sinau.app.update_processor
    return processor.round_trips[-1][1]  # type: ignore[attr-defined]


async def test_learn_card_turn_and_answer_within_three_round_trips(sinau: Sinau) -> None:
    user = sinau.user("Sari")
    await onboard(sinau, user, "id")
    lesson = await next_lesson(sinau, user)
    assert len(lesson.cards) >= 2 and len(lesson.quiz) >= 2

    card = with_data(await sinau.send(user, "/learn"), "ls:")
    learn = _last_update(sinau)
    await sinau.press(user, card, data=data_of(card, "ls:n:"))
    turn = _last_update(sinau)
    card = sinau.message(user, card["message_id"])
    while any(d.startswith("ls:n:") for d in button_data(card)):
        await sinau.press(user, card, data=data_of(card, "ls:n:"))
        card = sinau.message(user, card["message_id"])
    question = with_data(await sinau.press(user, card, data=data_of(card, "ls:q:")), "qz:a:")
    answer = data_of(question, "qz:a:")[:-1] + str(option_for(lesson, 0, True))
    await sinau.press(user, question, data=answer)
    first_answer = _last_update(sinau)

    measured = {"/learn": learn, "card turn": turn, "quiz answer": first_answer}
    assert all(0 < n <= BUDGET for n in measured.values()), measured
