"""Learn first, ask later: a newcomer's first minutes, end to end through the emulator.

The taps are counted as the emulator counts them (each callback query is one tap), so the
README's figures — taps from /start to the first card and to the first quiz answer — are the
ones this test measures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from bot.i18n import t
from bot.sandbox.emulator import BotApiEmulator
from tests.e2e.harness import Sinau, button_data, buttons
from tests.e2e.learner import data_of, text, with_data
from tests.e2e.nudge_helpers import next_weekday, nudges_in, nudges_settled

StartSinau = Callable[..., Awaitable[Sinau]]
FAST = {"nudges": {"tick_seconds": 0.2}}


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error here) when it builds a RetryAfter unless the process opts in.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def taps(sinau: Sinau) -> int:
    """Callback queries the bot answered so far: one per button press."""
    return len(sinau.emu.callback_answers)


@pytest.mark.parametrize(("telegram_language", "wanted", "to_card"),
                         [("id", "id", 1), ("en", "en", 1), ("en", "id", 2), (None, "en", 2)])
async def test_first_card_in_two_taps_and_a_quiz_answer_without_any_question(
    sinau: Sinau, telegram_language: str | None, wanted: str, to_card: int
) -> None:
    user = sinau.user("Dewi", language_code=telegram_language)
    (welcome,) = await sinau.send(user, "/start")
    # The language is preselected from Telegram's language_code (Indonesian when unknown).
    preselected = telegram_language or "id"
    assert buttons(welcome)[0] == t(preselected, "onboarding.begin")
    if wanted != preselected:
        await sinau.press(user, welcome, data=f"ob:lang:{wanted}")
        welcome = sinau.message(user, welcome["message_id"])
        assert buttons(welcome)[0] == t(wanted, "onboarding.begin")
    after = await sinau.press(user, welcome, data="ob:go")
    card = with_data(after, "ls:n:")
    assert taps(sinau) == to_card
    lesson = sinau.services.catalogue.courses[0].lessons[0]
    assert lesson.title.get(wanted) in text(card)
    # Page to the quiz and answer its first question: nothing asked a unit or a time.
    for _ in range(len(lesson.cards) - 1):
        await sinau.press(user, card, data=data_of(card, "ls:n:"))
        card = sinau.message(user, card["message_id"])
    question = with_data(await sinau.press(user, card, data=data_of(card, "ls:q:")), "qz:a:")
    await sinau.press(user, question, data=data_of(question, "qz:a:")[:-1]
                      + str(lesson.quiz[0].correct))
    assert "✅" in text(sinau.message(user, question["message_id"]))
    assert taps(sinau) == to_card + len(lesson.cards) - 1 + 2
    stored = await sinau.services.users.get(user.id)
    assert stored is not None and stored.language == wanted
    assert stored.unit is None and stored.nudge_time is None and stored.onboarded


@pytest.mark.parametrize("command", ["/learn", "/progress", "/settings", "/courses"])
async def test_every_command_does_its_job_mid_onboarding(sinau: Sinau, command: str) -> None:
    user = sinau.user("Rudi", language_code="id")
    (welcome,) = await sinau.send(user, "/start")
    replies = await sinau.send(user, command)
    # One line says the learner has started (privacy notice, default reminder), then the job.
    assert text(replies[0]).startswith("🔒") and "/privacy" in text(replies[0])
    job = replies[-1]
    if command == "/progress":
        assert text(job).startswith("📊") and "0/4" in text(job)
    else:
        expected = {"/learn": "ls:n:", "/settings": "st:lang", "/courses": "crs:pick:"}[command]
        assert any(d.startswith(expected) for d in button_data(job)), (command, text(job))
    # Nothing sends them back to the start: the welcome's button still works, and goes on.
    after = await sinau.press(user, welcome, data="ob:go")
    assert with_data(after, "ls:")
    again = await sinau.send(user, "/start")
    assert len(again) == 1 and button_data(again[0])[0] == "learn:go"  # the dashboard


async def test_buttons_of_late_questions_work_at_any_point(sinau: Sinau) -> None:
    user = sinau.user("Nina", language_code="en")
    (welcome,) = await sinau.send(user, "/start")
    await sinau.press(user, welcome, data="ob:go")
    welcome = sinau.message(user, welcome["message_id"])
    assert "07:30 (the default)" in text(welcome)
    await sinau.press(user, welcome, data="ob:time:menu")
    menu = sinau.message(user, welcome["message_id"])
    assert "ob:time:0630" in button_data(menu) and "ob:time:skip" in button_data(menu)
    await sinau.press(user, menu, data="ob:time:0630")
    assert "06:30" in text(sinau.message(user, welcome["message_id"]))
    assert (await sinau.services.learning.prefs(user.id)).nudge_time == "06:30"
    # Forged values are refused with the "expired" answer and change nothing.
    chat = sinau.emu.chat(user)
    for forged in ("ob:time:0631", "ob:unit:99", "ob:lang:fr", "ob:name:x", "ob:go:1"):
        await sinau.emu.forge_callback(user, chat, menu["message_id"], forged)
        await sinau.settle()
        assert sinau.emu.callback_answers[-1].get("text") == t("en", "common.expired_button")
    assert (await sinau.services.learning.prefs(user.id)).nudge_time == "06:30"


async def test_a_learner_who_never_chose_a_time_gets_the_default_reminder_once(
    emulator: BotApiEmulator, start_sinau: StartSinau
) -> None:
    sinau = await start_sinau(**FAST)
    await sinau.advance_to(next_weekday(sinau.clock.now(), 0, 10))  # Monday 17:00 WIB
    user = sinau.user("Wati", language_code="id")
    (welcome,) = await sinau.send(user, "/start")
    await sinau.press(user, welcome, data="ob:go")
    stored = await sinau.services.users.get(user.id)
    assert stored is not None and stored.nudge_time is None
    # The next morning, past the default time (07:30 WIB = 00:30 UTC): exactly one nudge.
    await sinau.advance(timedelta(hours=15))  # Tuesday 08:00 WIB
    await nudges_settled(sinau.services)
    await sinau.advance(timedelta(hours=3))
    await nudges_settled(sinau.services)
    nudges = nudges_in(emulator.messages(user))
    assert len(nudges) == 1, [text(m) for m in nudges]
