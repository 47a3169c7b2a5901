"""The learner journey end to end, over HTTP through the emulator, in both languages."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from bot.i18n import t
from bot.learning.certificates import format_long_date
from tests.e2e.harness import Sinau, button_data, buttons
from tests.e2e.learner import (
    ZONE,
    data_of,
    do_lesson,
    morning,
    onboard,
    option_for,
    read_lesson,
    take_evaluation,
    take_quiz,
    text,
    with_data,
)

# What each language must show, written out (not taken from the catalogues) so a broken
# catalogue or a wrong number fails the test.
EXPECTED = {
    "id": {
        "begin": "▶️ Mulai belajar",
        "pick": ["✓ 🇮🇩 Bahasa Indonesia", "🇬🇧 English"],
        "default_time": "07:30 (bawaan)",
        "ask_time": "Besok jam berapa saya ingatkan?",
        "next": "Lanjut ▶",
        "after_lesson_1": ["1/4 pelajaran", "Akurasi kuis: 2/3, 67%",
                           "Runtunan: 1 hari (terpanjang 1 hari)", "/20 JP", "0,0</b>"],
        "final": ["4/4 pelajaran", "Akurasi kuis: 11/12, 92%",
                  "Runtunan: 2 hari (terpanjang 2 hari)", "0,9</b>", "Sertifikat: 1"],
        "review_due": "1 jatuh tempo",
        "review_done": "✅ Ulasan selesai untuk sekarang. Berikutnya: {date} pukul 00:00.",
        "pdf": "SERTIFIKAT",
        "verify": "milik <b>Sari Rahayu</b> (Kecamatan Gajahmungkur)",
        "jp_pdf": "0,9 JP",
    },
    "en": {
        "begin": "▶️ Start learning",
        "pick": ["🇮🇩 Bahasa Indonesia", "✓ 🇬🇧 English"],
        "default_time": "07:30 (the default)",
        "ask_time": "What time shall I remind you tomorrow?",
        "next": "Next ▶",
        "after_lesson_1": ["1/4 lessons", "Quiz accuracy: 2/3, 67%",
                           "Day streak: 1 (longest 1)", "/20 JP", "0.0</b>"],
        "final": ["4/4 lessons", "Quiz accuracy: 11/12, 92%", "Day streak: 2 (longest 2)",
                  "0.9</b>", "Certificates: 1"],
        "review_due": "1 due",
        "review_done": "✅ Reviews done for now. Next one: {date} at 00:00.",
        "pdf": "CERTIFICATE",
        "verify": "belongs to <b>Sari Rahayu</b> (Kecamatan Gajahmungkur)",
        "jp_pdf": "0.9 JP",
    },
}


def _plain(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^<>]*>", "", html_text)).strip()


def html_of(sinau: Sinau, message: dict) -> str:
    """The HTML the bot sent for a message, found in the emulator's request log."""
    for record in reversed(sinau.emu.requests):
        sent = record.params.get("text")
        if record.ok and sent and _plain(str(sent)) == text(message):
            return str(sent)
    raise AssertionError(f"no request produced {text(message)!r}")


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_new_learner_onboards_learns_reviews_and_earns_a_certificate(
    sinau: Sinau, lang: str
) -> None:
    expect = EXPECTED[lang]
    await morning(sinau)
    user = sinau.user("Sari", last_name="Rahayu", language_code=lang)

    # Onboarding: ONE welcome message (privacy notice; language preselected from Telegram).
    sent = await sinau.send(user, "/start")
    assert len(sent) == 1
    welcome = sent[0]
    assert "Sari Rahayu" in text(welcome) and "/privacy" in text(welcome)
    assert buttons(welcome) == [expect["begin"], *expect["pick"]]
    # One tap ("start learning") and the first lesson card is there: no unit, no time asked.
    taps = len(sinau.emu.callback_answers)
    after = await sinau.press(user, welcome, data="ob:go")
    assert len(sinau.emu.callback_answers) - taps == 1
    course = sinau.services.catalogue.courses[0]
    lesson = course.lessons[0]
    card = with_data(after, "ls:n:")
    assert text(card).startswith(f"{lesson.title.get(lang)} · 1/{len(lesson.cards)}")
    assert buttons(card) == [expect["next"]]
    # The welcome now says, in one line, the default reminder time, with a button to change it.
    welcome = sinau.message(user, welcome["message_id"])
    assert expect["default_time"] in text(welcome)
    assert button_data(welcome) == ["ob:time:menu"]
    stored = await sinau.services.users.get(user.id)
    assert stored is not None and stored.onboarded and stored.nudge_time is None
    assert stored.unit is None and stored.language == lang
    # /start again: the dashboard, not the welcome.
    again = await sinau.send(user, "/start")
    assert len(again) == 1 and button_data(again[0]) == ["learn:go", "crs:list", "rv:go",
                                                         "pg:show"]

    # Lesson 1: page with "Next", read the discussion prompt.
    await sinau.press(user, card, data=data_of(card, "ls:n:"))
    card = sinau.message(user, card["message_id"])
    assert f"· {len(lesson.cards)}/{len(lesson.cards)}" in text(card)
    assert [d.split(":")[1] for d in button_data(card)] == ["q", "d"]
    prompt = await sinau.press(user, card, data=data_of(card, "ls:d:"))
    assert lesson.discussion is not None and lesson.discussion.get(lang) in text(prompt[0])
    # Quiz: right, wrong, right.
    finished = await take_quiz(sinau, user, lesson, card, [True, False, True])
    assert "2/3" in text(finished[0]) and "+10" in text(finished[0])
    # After the first lesson, once: "what time tomorrow?" (the default kept is one tap).
    asked = with_data(finished, "ob:time:")
    assert text(asked) == expect["ask_time"]
    assert "ob:time:skip" in button_data(asked) and "ob:time:custom" in button_data(asked)
    await sinau.press(user, asked, data="ob:time:0730")
    assert "07:30" in text(sinau.message(user, asked["message_id"]))
    assert (await sinau.services.learning.prefs(user.id)).nudge_time == "07:30"
    report = (await sinau.send(user, "/progress"))[0]
    for fragment in expect["after_lesson_1"]:
        assert fragment in html_of(sinau, report), (fragment, text(report))

    # The next morning the wrongly answered question is due.
    day2 = await morning(sinau)
    review = with_data(await sinau.send(user, "/review"), "rv:a:")
    assert expect["review_due"] in text(review)
    assert lesson.quiz[1].question.get(lang) in text(review)
    right = option_for(lesson, 1, True)
    await sinau.press(user, review, data=data_of(review, "rv:a:")[:-1] + str(right))
    review = sinau.message(user, review["message_id"])
    assert "✅" in text(review)
    await sinau.press(user, review, data=data_of(review, "rv:n"))
    review = sinau.message(user, review["message_id"])
    day3 = (day2 + timedelta(days=1)).astimezone(ZONE).date()
    done, recall = text(review).split("\n")
    assert done == expect["review_done"].format(date=format_long_date(day3, lang))
    assert recall.startswith("🧠") and "±" in recall  # the course's predicted recall (FSRS)

    # The rest of the course, all right: the last lesson brings the certificate.
    for _ in range(len(course.lessons) - 2):
        await do_lesson(sinau, user)
    # The unit goes on the certificate: set once in /settings (no cohort asked for it).
    menu = (await sinau.send(user, "/settings"))[0]
    await sinau.press(user, menu, data="st:unit")
    await sinau.press(user, menu, data="st:unit:0")
    last = await do_lesson(sinau, user)
    # Every lesson done: the course counts once its final evaluation is passed.
    assert not any("document" in m for m in last)
    assert "ev:s:" in data_of(last[0], "ev:s:")
    last = await take_evaluation(sinau, user, course, last)
    assert "🎉" in text(last[0]) and not any("document" in m for m in last)
    # Before the first certificate: the name to print on it, then the NIP, asked once each.
    name_prompt = with_data(last, "ob:name:")
    assert "Sari Rahayu" in text(name_prompt)
    last = await sinau.press(user, name_prompt, data="ob:name:keep")
    assert "NIP" in text(last[-1]) and not any("document" in m for m in last)
    last = await sinau.send(user, "1985 0312 2010 01 2 003")
    document = next(m for m in last if "document" in m)
    pdf = PdfReader(io.BytesIO(sinau.emu.file_bytes(document["document"]["file_id"])))
    page = pdf.pages[0].extract_text()
    record = await sinau.services.learning.certificate(
        await sinau.services.users.get(user.id), course.key)  # type: ignore[arg-type]
    assert record is not None and record.code in text(document)
    for fragment in (expect["pdf"], "Sari Rahayu", "Kecamatan Gajahmungkur",
                     course.title.get(lang), record.code, expect["jp_pdf"], "198503122010012003",
                     format_long_date(day2.astimezone(ZONE).date(), lang)):
        assert fragment in page, fragment
    verdict = (await sinau.send(user, f"/verify {record.code.lower()}"))[0]
    assert expect["verify"] in html_of(sinau, verdict)

    report = (await sinau.send(user, "/progress"))[0]
    for fragment in expect["final"]:
        assert fragment in html_of(sinau, report), (fragment, text(report))
    # The certificate can be sent again from /progress.
    resent = await sinau.press(user, report, data=f"pg:c:{course.key}")
    assert "document" in resent[0] and record.code in text(resent[0])


async def test_every_answered_callback_and_help(sinau: Sinau) -> None:
    user = sinau.user("Budi", language_code="en")
    await onboard(sinau, user, "en")
    help_text = text((await sinau.send(user, "/help"))[0])
    for command in ("start", "learn", "courses", "review", "progress", "settings", "privacy",
                    "verify", "help"):
        assert f"/{command} — " in help_text
    privacy = text((await sinau.send(user, "/privacy"))[0])
    assert "24 months" in privacy and "trainers" in privacy
    nothing = text((await sinau.send(user, "/review"))[0])
    assert nothing.startswith("Nothing scheduled for review yet")
    # Every callback query the bot received was answered exactly once.
    answered = [a["callback_query_id"] for a in sinau.emu.callback_answers]
    assert len(answered) == len(set(answered)) == 4


async def test_language_is_detected_from_typed_text(sinau: Sinau) -> None:
    user = sinau.user("Alex", language_code=None)
    (welcome,) = await sinau.send(user, "/start")
    assert buttons(welcome)[1].startswith("✓ ")  # Indonesian when nothing is known
    sent = await sinau.send(user, "Hello, I would like to learn about public service please")
    assert buttons(sent[0]) == ["▶️ Start learning", "🇮🇩 Bahasa Indonesia", "✓ 🇬🇧 English"]


async def test_courses_and_settings_by_buttons(sinau: Sinau) -> None:
    user = sinau.user("Rina", language_code="id")
    await onboard(sinau, user, "id")
    listing = (await sinau.send(user, "/courses"))[0]
    second = sinau.services.catalogue.courses[1]
    await sinau.press(user, listing, data=f"crs:pick:{second.key}")
    detail = sinau.message(user, listing["message_id"])
    assert second.title.get("id") in text(detail) and "learn:go" in button_data(detail)
    await sinau.press(user, detail, data="crs:back:0")  # back to the page the course is on
    assert "▶" in text(sinau.message(user, listing["message_id"]))
    lesson, _ = await read_lesson(sinau, user)
    assert lesson.key == second.lessons[0].key

    menu = (await sinau.send(user, "/settings"))[0]
    assert "nz:menu" in button_data(menu)
    await sinau.press(user, menu, data="st:lang")
    await sinau.press(user, menu, data="st:lang:en")
    menu = sinau.message(user, menu["message_id"])
    assert text(menu).startswith("✓ Saved.\n⚙️ Settings")
    await sinau.press(user, menu, data="st:time")
    await sinau.press(user, menu, data="st:days:weekdays")
    await sinau.press(user, menu, data="st:time")
    await sinau.press(user, menu, data="st:time:custom")
    bad = await sinau.send(user, "25:00")
    assert text(bad[0]).startswith("I can't read that time")
    done = await sinau.send(user, "6.45")
    assert "Reminder: 06:45, weekdays (Mon–Fri)" in text(done[0])
    await sinau.press(user, done[0], data="st:unit")
    await sinau.press(user, done[0], data="st:unit:3")
    assert "Unit: Kelurahan Bendungan" in text(sinau.message(user, done[0]["message_id"]))
    prefs = await sinau.services.learning.prefs(user.id)
    assert (prefs.nudge_time, prefs.nudge_days) == ("06:45", "weekdays")
    stored = await sinau.services.users.get(user.id)
    assert stored is not None and stored.language == "en"


async def test_free_text_gets_a_pointer_to_the_buttons_not_silence(sinau: Sinau) -> None:
    stranger = sinau.user("Tamu", language_code="en")
    reply = await sinau.send(stranger, "hello?")
    # A newcomer who types gets the welcome: one tap from learning.
    assert len(reply) == 1 and button_data(reply[0])[0] == "ob:go"
    learner = sinau.user("Sari", language_code="id")
    await onboard(sinau, learner, "id")
    for typed in ("halo", "apa kabar? 🙂"):
        reply = await sinau.send(learner, typed)
        assert [text(m) for m in reply] == [str(t("id", "common.free_text"))]
        assert button_data(reply[0])[0] == "learn:go"
    # Its first button opens the next lesson.
    after = await sinau.press(learner, reply[0], data="learn:go")
    assert any(d.startswith("ls:") for m in after for d in button_data(m))
