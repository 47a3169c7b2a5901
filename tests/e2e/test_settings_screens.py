"""End to end: /settings by buttons and typed answers — language, a typed work unit and nudge
time (bad values first), weekdays only — each saved and shown back in the overview.
"""

from __future__ import annotations

from bot.sandbox.emulator import BotApiEmulator
from tests.e2e.harness import Sinau, button_data
from tests.e2e.learner import onboard, text
from tests.e2e.trainer_screens import failed_requests, press, say


async def test_settings_by_buttons_and_typed_answers(sinau: Sinau,
                                                     emulator: BotApiEmulator) -> None:
    user = sinau.user("Sari", last_name="Rahayu")
    await onboard(sinau, user, "id")
    [overview] = await sinau.send(user, "/settings")
    assert text(overview).startswith(say("settings.menu", language="", name="", unit="",
                                         time="", days="").splitlines()[0])
    assert set(button_data(overview)) == {"st:lang", "st:name", "st:unit", "st:time", "st:ret",
                                          "nz:menu"}

    # Language: English, and the overview answers in English from then on.
    languages = await press(sinau, user, overview, "st:lang")
    assert text(languages) == say("onboarding.ask_language")
    overview = await press(sinau, user, languages, "st:lang:en")
    assert text(overview).startswith(say("settings.saved", "en"))
    stored = await sinau.services.users.get(user.id)
    assert stored is not None and stored.language == "en"

    # A typed work unit: too long first, then a good one.
    units = await press(sinau, user, overview, "st:unit")
    asked = await press(sinau, user, units, "st:unit:other")
    assert text(asked) == say("onboarding.type_unit", "en")
    replies = await sinau.send(user, "Kantor " * 20)
    assert [text(m) for m in replies] == [say("onboarding.bad_unit", "en")]
    [overview] = await sinau.send(user, "Kelurahan Lempongsari")
    assert "Unit: Kelurahan Lempongsari" in text(overview)

    # A typed nudge time: not a time first, then 06.45; then weekdays only.
    times = await press(sinau, user, overview, "st:time")
    asked = await press(sinau, user, times, "st:time:custom")
    assert text(asked) == say("onboarding.type_time", "en")
    replies = await sinau.send(user, "25:99")
    assert [text(m) for m in replies] == [say("onboarding.bad_time", "en")]
    [overview] = await sinau.send(user, "06.45")
    times = await press(sinau, user, overview, "st:time")
    overview = await press(sinau, user, times, "st:days:weekdays")
    assert f"06:45, {say('settings.weekdays', 'en')}" in text(overview)
    prefs = await sinau.services.learning.prefs(user.id)
    assert (prefs.nudge_time, prefs.nudge_days) == ("06:45", "weekdays")
    stored = await sinau.services.users.get(user.id)
    assert stored is not None and stored.unit == "Kelurahan Lempongsari"
    assert stored.onboarding_step is None

    # The review recall target: the three choices and the trade-off; 95 % is saved and shown.
    assert say("settings.retention_line", "en", percent=90) in text(overview)
    choices = await press(sinau, user, overview, "st:ret")
    assert text(choices) == say("settings.ask_retention", "en")
    assert button_data(choices) == ["st:ret:85", "st:ret:90", "st:ret:95", "st:menu"]
    overview = await press(sinau, user, choices, "st:ret:95")
    assert say("settings.retention_line", "en", percent=95) in text(overview)
    stored = await sinau.services.users.get(user.id)
    assert stored is not None and stored.desired_retention == 0.95

    # A forged choice outside the list changes nothing.
    answers = len(emulator.callback_answers)
    await emulator.forge_callback(user, emulator.chat(user), overview["message_id"], "st:unit:99")
    await emulator.wait_for(lambda: len(emulator.callback_answers) > answers)
    assert (await sinau.services.users.get(user.id)).unit == "Kelurahan Lempongsari"  # type: ignore[union-attr]
    assert failed_requests(emulator) == []
