"""End to end: an upload that removes a lesson is a draft with its diff and the learners it
touches; a trial on one cohort reaches its members only; publish, restore; nobody loses a
completed lesson that still exists, and every decision is in the course's history.
"""

from __future__ import annotations

from typing import Any

from bot.content import load_catalogue
from bot.sandbox.emulator import BotApiEmulator
from tests.e2e.harness import Message, Sinau, button_data
from tests.e2e.learner import data_of, do_lesson, text, with_data
from tests.e2e.trainer_steps import admin_and_trainer, create_cohort, onboard_by_link
from tests.training.pack_variants import (
    BERAKHLAK,
    lesson_keys,
    with_edited_lesson,
    without_lesson,
)

KEYS = lesson_keys(BERAKHLAK)
REMOVED, EDITED = KEYS[1], KEYS[2]          # lesson 2 goes, lesson 3 gets a new title
DRAFT = with_edited_lesson(without_lesson(BERAKHLAK, REMOVED), EDITED, " (edisi uji)")
SHIPPED = load_catalogue().course("berakhlak")
assert SHIPPED is not None


def title(key: str) -> str:
    """A shipped berakhlak lesson's Indonesian title."""
    lesson = SHIPPED.lesson(key)  # type: ignore[union-attr]
    assert lesson is not None
    return lesson.title.id


async def lesson_card(sinau: Sinau, user: Any) -> str:
    """The text of the lesson card /learn opens for ``user``."""
    return text(with_data(await sinau.send(user, "/learn"), "ls:"))


async def berakhlak_line(sinau: Sinau, user: Any) -> str:
    """The berakhlak line of the learner's /progress ('… 1/3 pelajaran')."""
    shown = "\n".join(text(m) for m in await sinau.send(user, "/progress"))
    name = SHIPPED.title.id  # type: ignore[union-attr]
    at = shown.index(name)
    return shown[at:at + len(name) + 60]


async def press_data(sinau: Sinau, user: Any, message: Message, prefix: str) -> list[Message]:
    """Press the button of ``message`` whose data starts with ``prefix``."""
    return await sinau.press(user, message, data=data_of(message, prefix))


async def test_draft_trial_publish_restore(start_sinau: Any, emulator: BotApiEmulator) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    trying_id, trying = await create_cohort(sinau, trainer, "Kelurahan Petompon")
    _others_id, others = await create_cohort(sinau, trainer, "Kelurahan Sampangan")
    ani, budi = sinau.user("Ani"), sinau.user("Budi")
    await onboard_by_link(sinau, ani, trying)
    await onboard_by_link(sinau, budi, others)
    for _ in range(2):                          # lessons 1 and 2 (the one the draft removes)
        await do_lesson(sinau, ani)
    await do_lesson(sinau, budi)                # lesson 1
    assert "2/4" in await berakhlak_line(sinau, ani)

    # The upload is a draft: the diff, the learners it touches, nothing live changed.
    await emulator.upload_document(trainer, "berakhlak-baru.toml", DRAFT, "application/toml")
    await emulator.wait_for(lambda: "Draf v1" in text(sinau.last(trainer)), timeout=10)
    screen = sinau.last(trainer)
    shown = text(screen)
    assert f"Pelajaran dihapus (1): {title(REMOVED)}" in shown, shown
    assert f"Pelajaran diubah (1): {title(EDITED)} (edisi uji)" in shown, shown
    assert "di tengah kursus ini: 2" in shown, shown
    assert "1 peserta pernah menyelesaikan pelajaran yang dihapus" in shown, shown
    assert "Ani" not in shown and "Budi" not in shown          # counts, no names
    assert all(len(d.encode()) <= 64 for d in button_data(screen))
    assert len(sinau.services.catalogue.course("berakhlak").lessons) == 4  # type: ignore[union-attr]
    assert title(KEYS[2]) in await lesson_card(sinau, ani)     # still the shipped lesson 3

    # Try it on Petompon: Ani (a member) gets the draft, Budi (Sampangan) the live version.
    await press_data(sinau, trainer, screen, "cv:t:")
    picker_message = sinau.message(trainer, screen["message_id"])
    assert "Kelurahan Sampangan" in str(picker_message["reply_markup"])
    choice = next(d for d in button_data(picker_message) if d.endswith(f":{trying_id}"))
    await sinau.press(trainer, picker_message, data=choice)
    screen = sinau.message(trainer, screen["message_id"])
    assert "uji coba di kelompok Kelurahan Petompon" in text(screen), text(screen)
    assert f"{title(EDITED)} (edisi uji)" in await lesson_card(sinau, ani)
    assert "1/3" in await berakhlak_line(sinau, ani)           # lesson 1 kept, 2 not counted
    assert title(REMOVED) in await lesson_card(sinau, budi)     # the live lesson 2
    assert "1/4" in await berakhlak_line(sinau, budi)

    # Publish from the same screen: everyone has it; Budi keeps lesson 1.
    await press_data(sinau, trainer, screen, "cv:p:")
    screen = sinau.message(trainer, screen["message_id"])
    assert "Versi aktif untuk semua: v1 (3 pelajaran)" in text(screen), text(screen)
    assert f"{title(EDITED)} (edisi uji)" in await lesson_card(sinau, budi)
    assert "1/3" in await berakhlak_line(sinau, budi)

    # Restore in one step: the shipped pack again, and Ani's lesson 2 counts again.
    restored = await sinau.send(trainer, "/restore_course berakhlak")
    assert "Paket bawaan aktif kembali" in text(restored[-1]), text(restored[-1])
    assert "2/4" in await berakhlak_line(sinau, ani)
    assert "1/4" in await berakhlak_line(sinau, budi)
    assert len(sinau.services.catalogue.course("berakhlak").lessons) == 4  # type: ignore[union-attr]

    # The history: who did what, newest first.
    await press_data(sinau, trainer, restored[-1], "cv:h:")
    history = text(sinau.message(trainer, restored[-1]["message_id"]))
    lines = [x for x in history.splitlines() if x.startswith("•")]
    assert len(lines) == 3, history
    assert "paket bawaan dipulihkan oleh Tari" in lines[0]
    assert "v1 diterbitkan oleh Tari" in lines[1]
    assert "v1 diuji coba di kelompok Kelurahan Petompon oleh Tari" in lines[2]

    # The restore button on the version screen undoes the restore: v1 is live again.
    await press_data(sinau, trainer, sinau.message(trainer, restored[-1]["message_id"]), "cv:v:")
    screen = sinau.message(trainer, restored[-1]["message_id"])
    await press_data(sinau, trainer, screen, "cv:r:berakhlak:0")
    assert "Versi aktif untuk semua: v1" in text(sinau.message(trainer, screen["message_id"]))
    assert len(sinau.services.catalogue.course("berakhlak").lessons) == 3  # type: ignore[union-attr]
    assert "1/3" in await berakhlak_line(sinau, ani)

    # A learner is refused every version command.
    for command in ("/versions", "/versions berakhlak", "/restore_course berakhlak"):
        replies = await sinau.send(ani, command)
        assert "pelatih" in text(replies[-1]), (command, text(replies[-1]))
    assert len(sinau.services.catalogue.course("berakhlak").lessons) == 3  # type: ignore[union-attr]
