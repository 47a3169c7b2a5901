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
    take_quiz,
    text,
    with_data,
)

# What each language must show, written out (not taken from the catalogues) so a broken
# catalogue or a wrong number fails the test.
EXPECTED = {
    "id": {
        "pick": ["✓ 🇮🇩 Bahasa Indonesia", "🇬🇧 English"],
        "other_unit": "Lainnya…",
        "next": "Lanjut ▶",
        "after_lesson_1": ["1/4 pelajaran", "Akurasi kuis: 2/3, 67%",
                           "Runtunan: 1 hari (terpanjang 1 hari)", "/20 JP", "0,2</b>"],
        "final": ["4/4 pelajaran", "Akurasi kuis: 11/12, 92%",
                  "Runtunan: 2 hari (terpanjang 2 hari)", "0,9</b>", "Sertifikat: 1"],
        "review_due": "1 jatuh tempo",
        "review_done": "✅ Ulasan selesai untuk sekarang. Berikutnya: {date} pukul 00:00.",
        "pdf": "SERTIFIKAT",
        "verify": "milik <b>Sari Rahayu</b> (Kecamatan Gajahmungkur)",
        "jp_pdf": "0,9 JP",
    },
    "en": {
        "pick": ["🇮🇩 Bahasa Indonesia", "✓ 🇬🇧 English"],
        "other_unit": "Other…",
        "next": "Next ▶",
        "after_lesson_1": ["1/4 lessons", "Quiz accuracy: 2/3, 67%",
                           "Day streak: 1 (longest 1)", "/20 JP", "0.2</b>"],
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

    # Onboarding: welcome with the privacy notice, then buttons only.
    welcome, question = await sinau.send(user, "/start")
    assert "Sari Rahayu" in text(welcome) and "/privacy" in text(welcome)
    assert buttons(question) == expect["pick"]
    await sinau.press(user, question, data=f"ob:language:{lang}")
    question = sinau.message(user, question["message_id"])
    assert "Sari Rahayu" in text(question) and button_data(question) == [
        "ob:name:keep", "ob:name:edit"]
    await sinau.press(user, question, data="ob:name:keep")
    question = sinau.message(user, question["message_id"])
    assert buttons(question)[0] == "Kecamatan Gajahmungkur"
    assert buttons(question)[-1] == expect["other_unit"]
    await sinau.press(user, question, data="ob:unit:0")
    question = sinau.message(user, question["message_id"])
    assert "✓ 07:30" in buttons(question)
    after = await sinau.press(user, question, data="ob:time:0730")
    dashboard = with_data(after, "learn:go")
    course = sinau.services.catalogue.courses[0]
    assert course.lessons[0].title.get(lang) in text(dashboard)
    assert button_data(dashboard) == ["learn:go", "crs:list", "rv:go", "pg:show"]
    # /start again: the dashboard, not the questionnaire.
    again = await sinau.send(user, "/start")
    assert len(again) == 1 and button_data(again[0])[0] == "learn:go"

    # Lesson 1 from the dashboard button: page with "Next", read the discussion prompt.
    lesson = course.lessons[0]
    sent = await sinau.press(user, dashboard, data="learn:go")
    card = with_data(sent, "ls:n:")
    assert text(card).startswith(f"{lesson.title.get(lang)} · 1/{len(lesson.cards)}")
    assert buttons(card) == [expect["next"]]
    await sinau.press(user, card, data=data_of(card, "ls:n:"))
    card = sinau.message(user, card["message_id"])
    assert f"· {len(lesson.cards)}/{len(lesson.cards)}" in text(card)
    assert [d.split(":")[1] for d in button_data(card)] == ["q", "d"]
    prompt = await sinau.press(user, card, data=data_of(card, "ls:d:"))
    assert lesson.discussion is not None and lesson.discussion.get(lang) in text(prompt[0])
    # Quiz: right, wrong, right.
    finished = await take_quiz(sinau, user, lesson, card, [True, False, True])
    assert "2/3" in text(finished[0]) and "+10" in text(finished[0])
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
    assert text(review) == expect["review_done"].format(date=format_long_date(day3, lang))

    # The rest of the course, all right: the last lesson brings the certificate.
    for _ in range(len(course.lessons) - 2):
        await do_lesson(sinau, user)
    last = await do_lesson(sinau, user)
    document = next(m for m in last if "document" in m)
    assert "🎉" in text(last[0])
    pdf = PdfReader(io.BytesIO(sinau.emu.file_bytes(document["document"]["file_id"])))
    page = pdf.pages[0].extract_text()
    record = await sinau.services.learning.certificate(
        await sinau.services.users.get(user.id), course.key)  # type: ignore[arg-type]
    assert record is not None and record.code in text(document)
    for fragment in (expect["pdf"], "Sari Rahayu", "Kecamatan Gajahmungkur",
                     course.title.get(lang), record.code, expect["jp_pdf"],
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
    _, question = await sinau.send(user, "/start")
    assert buttons(question)[0].startswith("✓ ")  # Indonesian when nothing is known
    sent = await sinau.send(user, "Hello, I would like to learn about public service please")
    assert buttons(sent[0]) == ["🇮🇩 Bahasa Indonesia", "✓ 🇬🇧 English"]
    assert text(sent[0]) == "Choose your language:"


async def test_courses_and_settings_by_buttons(sinau: Sinau) -> None:
    user = sinau.user("Rina", language_code="id")
    await onboard(sinau, user, "id")
    listing = (await sinau.send(user, "/courses"))[0]
    second = sinau.services.catalogue.courses[1]
    await sinau.press(user, listing, data=f"crs:pick:{second.key}")
    detail = sinau.message(user, listing["message_id"])
    assert second.title.get("id") in text(detail) and "learn:go" in button_data(detail)
    await sinau.press(user, detail, data="crs:back")
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
    assert [text(m) for m in reply] == [str(t("en", "onboarding.start_first"))]
    learner = sinau.user("Sari", language_code="id")
    await onboard(sinau, learner, "id")
    for typed in ("halo", "apa kabar? 🙂"):
        reply = await sinau.send(learner, typed)
        assert [text(m) for m in reply] == [str(t("id", "common.free_text"))]
        assert button_data(reply[0])[0] == "learn:go"
    # Its first button opens the next lesson.
    after = await sinau.press(learner, reply[0], data="learn:go")
    assert any(d.startswith("ls:") for m in after for d in button_data(m))
