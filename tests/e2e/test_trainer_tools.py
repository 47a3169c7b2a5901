"""End to end: /stats and /export match the learners' activity; course packs are uploaded;
every trainer command and button is refused to learners and strangers, changing nothing.
"""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from typing import Any

import openpyxl

from bot.handlers import trainer as trainer_tools
from bot.handlers.auth import PROTECTED
from bot.sandbox.emulator import BotApiEmulator
from tests.e2e.harness import Sinau
from tests.e2e.learner import do_lesson, text
from tests.e2e.trainer_steps import admin_and_trainer, create_cohort, onboard_by_link

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PACK = (ROOT / "docs" / "examples" / "contoh-kursus.toml").read_bytes()


async def last_saying(sinau: Sinau, user: Any, words: str) -> str:
    """Wait until the latest bot message in the user's chat contains ``words``; its text."""
    await sinau.emu.wait_for(lambda: words in text(sinau.last(user)), timeout=10)
    return text(sinau.last(user))


def sent_files(sinau: Sinau, user: Any, kind: str) -> list[dict[str, Any]]:
    """The bot messages in the user's chat carrying a ``kind`` ('photo' or 'document')."""
    return [m for m in sinau.emu.messages(user.id) if kind in m]


async def test_stats_and_export_match_activity(start_sinau: Any,
                                               emulator: BotApiEmulator) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Petompon 2026")
    ani, budi, citra = (sinau.user(n) for n in ("Ani", "Budi", "Citra"))
    for user in (ani, budi, citra):
        await onboard_by_link(sinau, user, payload)
    await do_lesson(sinau, ani)                                  # all right
    lesson_size = len(sinau.services.catalogue.courses[0].lessons[0].quiz)
    await do_lesson(sinau, budi, [False] + [True] * (lesson_size - 1))
    right = 2 * lesson_size - 1

    await sinau.send(trainer, f"/stats {cohort_id}")
    report = next(text(m) for m in sinau.emu.messages(trainer.id)
                  if "Statistik Kelurahan Petompon" in text(m))
    assert "Anggota: 3" in report
    assert "Aktif 7 hari terakhir: 2" in report
    accuracy = f"{100 * right / (2 * lesson_size):.1f}".replace(".", ",")
    assert f"Akurasi kuis rata-rata: {accuracy}%" in report, report
    photo = await emulator.wait_for(lambda: sent_files(sinau, trainer, "photo"))
    png = emulator.file_bytes(photo[-1]["photo"][-1]["file_id"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    stats = await sinau.services.training.stats.cohort_stats(cohort_id)
    assert (stats.members, stats.active_7d, stats.answers) == (3, 2, 2 * lesson_size)

    await sinau.send(trainer, f"/export {cohort_id}")
    documents = await emulator.wait_for(
        lambda: len(sent_files(sinau, trainer, "document")) >= 2 and
        sent_files(sinau, trainer, "document"))
    by_name = {d["document"]["file_name"].rsplit(".", 1)[1]: d for d in documents}
    workbook = openpyxl.load_workbook(io.BytesIO(
        emulator.file_bytes(by_name["xlsx"]["document"]["file_id"])))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Nama", "Unit kerja", "Kursus selesai")
    table = {row[0]: row for row in rows[1:]}
    assert set(table) == {"Ani", "Budi", "Citra"}
    assert table["Ani"][3] == 1 and table["Citra"][3] == 0       # lessons completed
    assert isinstance(table["Ani"][4], int | float) and table["Ani"][4] > 0   # JP
    assert table["Ani"][5] == 100 and table["Citra"][5] is None  # accuracy
    assert table["Ani"][6] is not None and table["Citra"][6] is None
    assert table["Ani"][6].year >= 2025                          # a date cell
    csv_bytes = emulator.file_bytes(by_name["csv"]["document"]["file_id"])
    assert csv_bytes.startswith(b"\xef\xbb\xbfNama,Unit kerja,")


async def test_course_pack_upload(start_sinau: Any, emulator: BotApiEmulator) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    await emulator.upload_document(trainer, "kursus-baru.toml", EXAMPLE_PACK,
                                   "application/toml")
    await last_saying(sinau, trainer, "Kursus baru")
    assert sinau.services.catalogue.course("contoh-kursus") is not None
    assert sinau.services.learning.catalogue.course("contoh-kursus") is not None

    broken = EXAMPLE_PACK.replace(b"order = 900", b"order = \"x\"").replace(
        b'key = "contoh-kursus"', b'key = "contoh-kursus"\nunknown = 1')
    await emulator.upload_document(trainer, "contoh-kursus.toml", broken, "application/toml")
    answer = await last_saying(sinau, trainer, "tidak diterima")
    assert re.search(r"^\d+: ", answer, re.MULTILINE), answer
    assert sinau.services.catalogue.course("contoh-kursus") is not None  # old one still live

    await sinau.send(trainer, "/upload")
    await emulator.upload_document(trainer, "laporan.pdf", b"%PDF-1.4", "application/pdf")
    await last_saying(sinau, trainer, "bukan paket kursus")

    # Accepted packs survive a restart.
    await sinau.restart()
    assert sinau.services.catalogue.course("contoh-kursus") is not None


TRAINER_COMMANDS = ["/grant 1", "/grant link", "/revoke 1", "/trainer", "/cohort",
                    "/cohort new Curang", "/broadcast", "/stats", "/stats 1", "/export",
                    "/export 1", "/upload", "/linkgroup 1"]


async def snapshot(sinau: Sinau) -> dict[str, list[tuple[Any, ...]]]:
    """Every trainer table's rows."""
    db = sinau.services.db
    found = {}
    for table in ("roles", "trainer_invites", "cohorts", "cohort_courses", "cohort_members",
                  "trainer_prompts", "broadcasts", "broadcast_recipients"):
        found[table] = [tuple(r) for r in await db.fetch_all(f"SELECT * FROM {table}")]  # noqa: S608
    return found


async def test_learners_and_strangers_are_refused_everything(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Sampangan")
    learner = sinau.user("Lina")
    await onboard_by_link(sinau, learner, payload)
    stranger = emulator.add_user("Asing", language_code="en")
    group = emulator.create_group("Diskusi", members=[learner, stranger])
    before = await snapshot(sinau)
    catalogue_before = sinau.services.catalogue

    buttons = [f"ch:{x}" for x in ("l", "n", f"o:{cohort_id}", f"r:{cohort_id}",
                                  f"a:{cohort_id}", f"u:{cohort_id}", f"c:{cohort_id}",
                                  f"t:{cohort_id}:berakhlak", f"d:{cohort_id}:berakhlak",
                                  f"m:{cohort_id}:0")]
    buttons += [f"ts:{x}:{cohort_id}" for x in ("c", "w", "p")] + [f"ex:c:{cohort_id}"]
    buttons += [f"bc:{x}" for x in ("lc:1", "lc:1:berakhlak", "ls:1:berakhlak:0", "au:1:e",
                                    f"au:1:c:{cohort_id}", "go:1", "sc:1:h", "sc:1:m", "x:1")]
    for user, lang_word in ((learner, "pelatih"), (stranger, "trainers")):
        for command in TRAINER_COMMANDS:
            replies = await sinau.send(user, command)
            assert replies and lang_word in text(replies[-1]), (command, text(replies[-1]))
        replies = await sinau.send(user, "/linkgroup 1", chat=group)
        assert lang_word in text(replies[-1])
        await emulator.upload_document(user, "x.toml", EXAMPLE_PACK, "application/toml")
        await last_saying(sinau, user, lang_word)
        chat = emulator.chat(user)
        answers_before = len(emulator.callback_answers)
        for data in buttons:
            await emulator.forge_callback(user, chat, 1, data)
            # At a person's pace: a burst of 20 presses in 2 s would meet the inbound flood
            # gate (bot/safety/flood.py), which answers silently instead of refusing politely.
            await asyncio.sleep(0.15)
        await emulator.wait_for(
            lambda n=answers_before: len(emulator.callback_answers) >= n + len(buttons))
        answers = emulator.callback_answers[answers_before:]
        assert [a["data"] for a in answers] == buttons
        assert all(lang_word in (a["text"] or "") for a in answers), answers

    assert await snapshot(sinau) == before
    assert sinau.services.catalogue is catalogue_before
    assert await sinau.services.training.roles.role_of(learner.id) == "learner"
    # Every trainer handler is wrapped by the one authorization decorator.
    handlers = [h.callback for h in trainer_tools.feature_handlers()]
    assert all(h in PROTECTED for h in [*handlers, trainer_tools.answer_question])
