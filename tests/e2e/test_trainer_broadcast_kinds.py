"""End to end: broadcasts of every content kind, composed by buttons and typed answers — a
lesson from the catalogue (to a cohort, in each learner's language, and to its linked group),
a photo and a document by file_id with their captions (to everyone); drafts cancelled, texts
too long.
"""

from __future__ import annotations

import struct
from typing import Any

from bot.content.render import render_markdown
from bot.sandbox.emulator import BotApiEmulator
from bot.storage.broadcasts import BroadcastRepository
from tests.e2e.harness import Sinau, button_data, buttons
from tests.e2e.learner import text, with_data
from tests.e2e.trainer_screens import (
    failed_requests,
    plain,
    press,
    say,
    send_and_report,
    start_draft,
)
from tests.e2e.trainer_steps import admin_and_trainer, copies, create_cohort, onboard_by_link

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 640, 480)
       + b"\x08\x02\x00\x00\x00" + bytes(4))


async def onboard_english(sinau: Sinau, user: Any, payload: str) -> None:
    """A learner opens the invite link and onboards in English by buttons."""
    await onboard_by_link(sinau, user, payload, lang="en")


async def test_lesson_broadcast_to_cohort_and_its_group(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Karangrejo")
    ani, ben = sinau.user("Ani"), sinau.user("Ben", language_code="en")
    await onboard_by_link(sinau, ani, payload)
    await onboard_english(sinau, ben, payload)
    group = emulator.create_group("Diskusi Karangrejo", members=[trainer, ani, ben])
    await sinau.send(trainer, f"/linkgroup {cohort_id}", chat=group)
    catalogue = sinau.services.catalogue
    course = catalogue.courses[1]
    lesson = course.lessons[0]

    # Pick the lesson by buttons: the question becomes the course list, then the lessons.
    bid, asked = await start_draft(sinau, trainer)
    courses = await press(sinau, trainer, asked, f"bc:lc:{bid}")
    # Nine courses: eight a page, then the page row and "cancel" (bot.handlers.paging).
    assert text(courses) == say("broadcast.pick_course") + "\n\n" + say("paging.page", page=1,
                                                                          pages=2)
    assert buttons(courses)[:8] == [c.title.get("id") for c in catalogue.courses[:8]]
    assert f"bc:pc:{bid}:1" in button_data(courses)
    lessons = await press(sinau, trainer, courses, f"bc:lc:{bid}:{course.key}")
    assert text(lessons) == say("broadcast.pick_lesson", course=course.title.get("id"))
    assert buttons(lessons)[:-1] == [x.title.get("id") for x in course.lessons]
    audience = await press(sinau, trainer, lessons, f"bc:ls:{bid}:{course.key}:0")
    assert text(audience) == say("broadcast.ask_audience")
    assert buttons(audience) == [say("broadcast.btn_everyone"),
                                 say("broadcast.btn_cohort", name="Kelurahan Karangrejo"),
                                 say("schedule.btn_behind", name="Kelurahan Karangrejo"),
                                 say("broadcast.btn_group", name="Kelurahan Karangrejo"),
                                 say("broadcast.btn_cancel")]
    preview = await press(sinau, trainer, audience, f"bc:au:{bid}:c:{cohort_id}")
    assert text(preview) == say(
        "broadcast.preview", id=bid, kind=say("broadcast.kind_lesson"),
        audience=say("broadcast.audience_cohort", name="Kelurahan Karangrejo"), count=2,
        body="") + f"📚 {lesson.title.get('id')}"
    report = await send_and_report(sinau, trainer, preview, bid)
    assert report == say("broadcast.report", id=bid, sent=2, failed=0, blocked=0, uncertain=0,
                         cancelled=0)

    # Each learner reads the lesson's title, course and first card in their own language,
    # with a button that opens the course.
    for learner, lang in ((ani, "id"), (ben, "en")):
        got = sinau.last(learner)
        assert text(got) == say("broadcast.lesson_message", lang, title=lesson.title.get(lang),
                                course=course.title.get(lang),
                                card=plain(render_markdown(lesson.cards[0].get(lang))))
        assert buttons(got) == [say("broadcast.btn_open_lesson", lang)]
        after = await sinau.press(learner, got, data=f"crs:open:{course.key}")
        [opened] = after
        assert course.title.get(lang) in text(opened)
        assert "learn:go" in button_data(opened)
        # The broadcast itself stays readable: the course opens below it.
        assert sinau.message(learner, got["message_id"]) == got
        snapshot = await sinau.services.learning.snapshot(learner.id)
        assert snapshot is not None and snapshot.course_key == course.key

    # The same lesson to the linked group: one message there, pointing at the private chat.
    bid, asked = await start_draft(sinau, trainer)
    courses = await press(sinau, trainer, asked, f"bc:lc:{bid}")
    lessons = await press(sinau, trainer, courses, f"bc:lc:{bid}:{course.key}")
    audience = await press(sinau, trainer, lessons, f"bc:ls:{bid}:{course.key}:0")
    preview = await press(sinau, trainer, audience, f"bc:au:{bid}:g:{cohort_id}")
    assert say("broadcast.audience_group", name="Kelurahan Karangrejo") in text(preview)
    report = await send_and_report(sinau, trainer, preview, bid)
    assert report.splitlines()[1] == "Terkirim: 1"
    posted = [m for m in emulator.messages(group.id) if lesson.title.get("id") in text(m)]
    assert len(posted) == 1
    assert text(posted[0]).endswith(say("broadcast.lesson_hint"))
    assert not button_data(posted[0])
    assert copies(sinau, ani, say("broadcast.lesson_hint")) == 0   # no private copy
    assert failed_requests(emulator) == []


async def test_photo_and_document_broadcasts_to_everyone(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    _cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Lempongsari")
    learners = [sinau.user(name) for name in ("Ani", "Budi", "Citra")]
    for learner in learners:
        await onboard_by_link(sinau, learner, payload)

    # A photo with a caption: every learner gets the same file_id and the caption.
    bid, _asked = await start_draft(sinau, trainer)
    caption = "Jadwal <pelatihan> & materi minggu ini"
    sent = await emulator.send_photo(trainer, PNG, caption=caption)
    await sinau.settle()
    audience = with_data(emulator.messages(trainer.id), "bc:au:")
    preview = await press(sinau, trainer, audience, f"bc:au:{bid}:e")
    assert text(preview) == say(
        "broadcast.preview", id=bid, kind=say("broadcast.kind_photo"),
        audience=say("broadcast.audience_everyone"), count=3, body="",
    ) + f"[{say('broadcast.kind_photo')}] {caption}"
    await send_and_report(sinau, trainer, preview, bid)
    photo_id = sent["photo"][-1]["file_id"]
    for learner in learners:
        got = sinau.last(learner)
        assert got["photo"][-1]["file_id"] == photo_id and got["caption"] == caption

    # A document with a caption, the same way.
    bid, _asked = await start_draft(sinau, trainer)
    sent = await emulator.upload_document(trainer, "jadwal-pelatihan.pdf", b"%PDF-1.4 jadwal",
                                          "application/pdf", caption="Unduh jadwalnya")
    await sinau.settle()
    audience = with_data(emulator.messages(trainer.id), "bc:au:")
    preview = await press(sinau, trainer, audience, f"bc:au:{bid}:e")
    assert f"[{say('broadcast.kind_document')}] Unduh jadwalnya" in text(preview)
    report = await send_and_report(sinau, trainer, preview, bid)
    assert report.splitlines()[1] == "Terkirim: 3"
    for learner in learners:
        got = sinau.last(learner)
        assert got["document"]["file_id"] == sent["document"]["file_id"]
        assert got["document"]["file_name"] == "jadwal-pelatihan.pdf"
        assert got["caption"] == "Unduh jadwalnya"
    stored = await BroadcastRepository(sinau.services.db).get(bid)
    assert stored is not None and stored.state == "done"
    assert (stored.content_kind, stored.file_id) == ("document", sent["document"]["file_id"])
    assert failed_requests(emulator) == []


async def test_drafts_cancelled_and_texts_too_long(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Sampangan")
    ani = sinau.user("Ani")
    await onboard_by_link(sinau, ani, payload)

    # Too long: the draft stays open and takes the next text. Telegram counts the visible
    # text, so 4000 characters with "&" in them (5000 as HTML) are fine.
    bid, _asked = await start_draft(sinau, trainer)
    replies = await sinau.send(trainer, "x" * 4100)
    assert [text(m) for m in replies] == [say("broadcast.too_long", length=4100, limit=4096)]
    long_text = ("Rapat & diskusi. " * 235).strip()
    audience = with_data(await sinau.send(trainer, long_text), "bc:au:")
    preview = await press(sinau, trainer, audience, f"bc:au:{bid}:c:{cohort_id}")
    report = await send_and_report(sinau, trainer, preview, bid)
    assert report.splitlines()[1] == "Terkirim: 1"
    assert text(sinau.last(ani)) == long_text

    bid, _asked = await start_draft(sinau, trainer)
    audience = with_data(await sinau.send(trainer, "Rapat <b>besok</b> & lusa"), "bc:au:")
    # Cancelled at the audience question: the draft is gone, the next text is no broadcast.
    cancelled = await press(sinau, trainer, audience, f"bc:x:{bid}")
    assert text(cancelled) == say("broadcast.cancelled_draft") and not button_data(cancelled)
    stored = await BroadcastRepository(sinau.services.db).get(bid)
    assert stored is not None and stored.state == "cancelled"
    assert stored.text == "Rapat &lt;b&gt;besok&lt;/b&gt; &amp; lusa"
    replies = await sinau.send(trainer, "Halo")
    assert not any("bc:" in " ".join(button_data(m)) for m in replies)

    # Cancelled at once, from the first question; its buttons then do nothing.
    bid, asked = await start_draft(sinau, trainer)
    cancelled = await press(sinau, trainer, asked, f"bc:x:{bid}")
    assert text(cancelled) == say("broadcast.cancelled_draft")
    answers = len(emulator.callback_answers)
    await emulator.forge_callback(trainer, emulator.chat(trainer), asked["message_id"],
                                  f"bc:lc:{bid}")
    await emulator.wait_for(lambda: len(emulator.callback_answers) > answers)
    assert emulator.callback_answers[-1]["text"] == say("common.expired_button")
    assert copies(sinau, ani, "besok") == 0
    assert failed_requests(emulator) == []
