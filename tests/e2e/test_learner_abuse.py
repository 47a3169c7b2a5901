"""Replayed, forged and foreign button presses change nothing; hostile names stay text."""

from __future__ import annotations

import pytest

from bot.i18n import t
from tests.e2e.harness import Sinau, button_data
from tests.e2e.learner import (
    data_of,
    late_answer,
    onboard,
    option_for,
    read_lesson,
    text,
    with_data,
)


async def _scores(sinau: Sinau, user_id: int) -> tuple[int, int, int]:
    """(right, answered, minutes this year) as the learning service sees them."""
    user = await sinau.services.users.get(user_id)
    assert user is not None
    report = await sinau.services.learning.progress(user)
    return report.right, report.answered, report.minutes_year


async def _forge(sinau: Sinau, user: object, chat_owner: object, message_id: int,
                 data: str) -> str:
    chat = sinau.emu.chat(chat_owner)  # type: ignore[arg-type]
    query = await sinau.emu.forge_callback(user, chat, message_id, data)  # type: ignore[arg-type]
    await sinau.settle()
    return query


def _answer_text(sinau: Sinau, query_id: str) -> str | None:
    answers = [a for a in sinau.emu.callback_answers if a["callback_query_id"] == query_id]
    assert len(answers) == 1, answers  # answered, exactly once
    return answers[0]["text"]


async def test_replayed_and_forged_presses_change_nothing(sinau: Sinau) -> None:
    user = sinau.user("Sari", language_code="id")
    await onboard(sinau, user, "id")
    lesson, card = await read_lesson(sinau, user)
    card_text = text(sinau.message(user, card["message_id"]))
    # Replaying the 'Next' press of card 1 on the lesson message: nothing moves.
    first_next = "ls:n:0"
    query = await _forge(sinau, user, user, card["message_id"], first_next)
    assert _answer_text(sinau, query) == t("id", "common.expired_button")
    assert text(sinau.message(user, card["message_id"])) == card_text

    question = with_data(await sinau.press(user, card, data=data_of(card, "ls:q:")), "qz:a:")
    answer = data_of(question, "qz:a:")[:-1]
    wrong = answer + str(option_for(lesson, 0, False))
    right = answer + str(option_for(lesson, 0, True))
    await sinau.press(user, question, data=wrong)
    assert await _scores(sinau, user.id) == (0, 1, 0)
    shown = text(sinau.message(user, question["message_id"]))
    # The same answer again, then the right one with the same session and position: replays.
    for data in (wrong, right):
        query = await _forge(sinau, user, user, question["message_id"], data)
        assert _answer_text(sinau, query) == t("id", "common.expired_button")
    # A press names its position and option; the session is the pressed message's.
    position = int(answer.split(":")[2])
    forged = [
        f"qz:a:{position + 1}:0",              # a question not yet shown
        f"qz:a:{position}:9",                  # an option that does not exist
        f"qz:a:{position}:1:7",                # an extra argument
        f"qz:a:{position}:-1", "qz:a:x:y:z", "qz:a", "qz:", "qz:n:1", "ls:n:99999999:0",
        f"qz:n:{position + 1}",                # skipping ahead
        "rv:a:1:1", "rv:n:1", "crs:pick:no-such-course", "pg:c:no-such-course", "st:zz:1",
        "ob:language:fr", "ob:lang:fr", "ob:unit:99", "ob:time:9999", "ob:name:x",
        "ls:q:" + "9" * 40,
    ]
    for data in forged:
        query = await _forge(sinau, user, user, question["message_id"], data)
        assert _answer_text(sinau, query) is not None, data
    # The right option pressed on an older message of the same chat does nothing either.
    query = await _forge(sinau, user, user, card["message_id"], right)
    assert _answer_text(sinau, query) is not None
    assert text(sinau.message(user, question["message_id"])) == shown
    assert await _scores(sinau, user.id) == (0, 1, 0)
    assert sinau.emu.violations == []


async def test_another_learner_cannot_press_my_buttons(sinau: Sinau) -> None:
    owner = sinau.user("Sari", language_code="id")
    other = sinau.user("Eko", language_code="en")
    await onboard(sinau, owner, "id")
    await onboard(sinau, other, "en")
    lesson, card = await read_lesson(sinau, owner)
    question = with_data(await sinau.press(owner, card, data=data_of(card, "ls:q:")), "qz:a:")
    right = data_of(question, "qz:a:")[:-1] + str(option_for(lesson, 0, True))
    before = text(sinau.message(owner, question["message_id"]))
    # Eko sends Sari's callback data: on Sari's message, and on a message in his own chat.
    eko_dash = sinau.last(other)
    for chat_owner, message_id in ((owner, question["message_id"]),
                                   (other, eko_dash["message_id"])):
        query = await _forge(sinau, other, chat_owner, message_id, right)
        assert _answer_text(sinau, query) == t("en", "common.expired_button")
        query = await _forge(sinau, other, chat_owner, message_id, data_of(card, "ls:q:"))
        assert _answer_text(sinau, query) == t("en", "common.expired_button")
    assert text(sinau.message(owner, question["message_id"])) == before
    assert await _scores(sinau, owner.id) == (0, 0, 0)
    assert await _scores(sinau, other.id) == (0, 0, 0)
    # Sari's own press still works afterwards.
    await sinau.press(owner, question, data=right)
    assert await _scores(sinau, owner.id) == (1, 1, 0)


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_hostile_name_and_unit_are_escaped(sinau: Sinau, lang: str) -> None:
    user = sinau.user("<b>Budi</b>", last_name="& Co", language_code=lang)
    (welcome,) = await sinau.send(user, "/start")
    assert "<b>Budi</b> & Co" in text(welcome)
    await sinau.press(user, welcome, data="ob:go")
    await late_answer(sinau, user, welcome, "ob:name:edit")
    assert "ob:" not in "".join(button_data(sinau.message(user, welcome["message_id"])))
    too_long = await sinau.send(user, "x" * 65)
    assert "64" in text(too_long[0])
    named = await sinau.send(user, "<i>Ani</i> & <Sons>")
    assert "<i>Ani</i> & <Sons>" in text(named[0])
    await late_answer(sinau, user, welcome, "ob:unit:other")
    await sinau.send(user, "Bagian <Umum> & Keuangan")
    await late_answer(sinau, user, welcome, "ob:time:custom")
    bad = await sinau.send(user, "7 pagi")
    assert "07:15" in text(bad[0])
    done = await sinau.send(user, "6:05")
    assert "06:05" in text(done[0])
    dashboard = with_data(await sinau.send(user, "/start"), "learn:go")
    assert "<i>Ani</i> & <Sons>" in text(dashboard)
    stored = await sinau.services.users.get(user.id)
    assert stored is not None
    assert (stored.display_name, stored.unit) == ("<i>Ani</i> & <Sons>",
                                                  "Bagian <Umum> & Keuangan")
    menu = (await sinau.send(user, "/settings"))[0]
    assert "Bagian <Umum> & Keuangan" in text(menu)
    # No message carried markup the user typed: no italic entity anywhere.
    for message in sinau.emu.messages(user.id):
        if "ls:" in str(message.get("reply_markup")):
            continue  # a lesson card: its italics come from the course pack
        assert all(e["type"] != "italic" for e in message.get("entities", [])), text(message)
