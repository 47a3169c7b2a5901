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
                                          "st:nip", "st:jab", "st:inst", "nz:menu"}

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


async def test_nip_jabatan_and_institution_typed_in_settings(sinau: Sinau) -> None:
    """Each kind of NIP mistake gets its own message and stores nothing; a NIP another learner
    holds is refused (nothing overwritten); a good one is stored and shown in full only here."""
    user = sinau.user("Dewi", last_name="Lestari")
    other = sinau.user("Rina")
    for person in (user, other):
        await onboard(sinau, person, "id")
    [overview] = await sinau.send(user, "/settings")
    asked = await press(sinau, user, overview, "st:nip")
    assert text(asked) == say("onboarding.type_nip")
    mistakes = {
        "19850312201001200": "bad_nip_length",        # 17 digits
        "1985031220100120O3": "bad_nip_digits",       # a letter O
        "198513122010012003": "bad_nip_birth_date",   # month 13
        "198503122010132003": "bad_nip_cpns_date",    # CPNS month 13
        "198503122010013003": "bad_nip_sex",          # sex digit 3
        "198503122010012000": "bad_nip_sequence",     # sequence 000
    }
    for typed, problem in mistakes.items():
        replies = await sinau.send(user, typed)
        assert [text(m) for m in replies] == [say(f"onboarding.{problem}")], typed
        stored = await sinau.services.users.get(user.id)
        assert stored is not None and stored.nip is None
    [overview] = await sinau.send(user, "1985 0312 2010 01 2 003")
    assert "198503122010012003" in text(overview)
    stored = await sinau.services.users.get(user.id)
    assert stored is not None and stored.nip == "198503122010012003"

    # Another learner typing the same NIP: told to contact an admin; nothing overwritten.
    [overview] = await sinau.send(other, "/settings")
    await press(sinau, other, overview, "st:nip")
    replies = await sinau.send(other, "198503122010012003")
    assert [text(m) for m in replies] == [say("onboarding.nip_taken")]
    assert (await sinau.services.users.get(other.id)).nip is None  # type: ignore[union-attr]
    assert (await sinau.services.users.get(user.id)).nip == "198503122010012003"  # type: ignore[union-attr]

    # Jabatan and institution, as HR names them.
    [overview] = await sinau.send(user, "/settings")
    asked = await press(sinau, user, overview, "st:jab")
    assert text(asked) == say("onboarding.type_jabatan")
    await sinau.send(user, "Analis Kebijakan Ahli Muda")
    [overview] = await sinau.send(user, "/settings")
    await press(sinau, user, overview, "st:inst")
    [overview] = await sinau.send(user, "Kecamatan Gajahmungkur")
    stored = await sinau.services.users.get(user.id)
    assert stored is not None and stored.jabatan == "Analis Kebijakan Ahli Muda"
    assert stored.institution == "Kecamatan Gajahmungkur"
    assert "Analis Kebijakan Ahli Muda" in text(overview)
