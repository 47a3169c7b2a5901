"""End to end: /stats by lesson with who is behind and the hardest questions, /export's progress
sheet for all learners; in a group both answer one line and name nobody."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import openpyxl

from bot.i18n import label, t
from bot.sandbox.emulator import BotApiEmulator
from tests.e2e.harness import Sinau, button_data
from tests.e2e.learner import do_lesson, text, with_data
from tests.e2e.trainer_steps import admin_and_trainer, create_cohort, learners_join


def plain(markup: str) -> str:
    """Text as the emulator shows it (tags stripped)."""
    return re.sub(r"<[^>]+>", "", markup)


async def cohort_with_a_deadline(start_sinau: Any, emulator: BotApiEmulator
                                 ) -> tuple[Sinau, Any, int, list[Any]]:
    """Six learners join; BerAKHLAK is due in ten days. Five do its first lesson, all with the
    first question wrong and the others right; the sixth does nothing."""
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Sampangan")
    learners = await learners_join(sinau, payload, 6, prefix="Warga")
    training = sinau.services.training
    await training.cohorts.set_deadline(cohort_id, "berakhlak",
                                        training.stats.today() + timedelta(days=10))
    size = len(sinau.services.catalogue.courses[0].lessons[0].quiz)
    for user in learners[:5]:
        await do_lesson(sinau, user, [False] + [True] * (size - 1))
    return sinau, trainer, cohort_id, learners


async def test_stats_list_who_is_behind_and_only_hard_questions(
        start_sinau: Any, emulator: BotApiEmulator) -> None:
    sinau, trainer, cohort_id, learners = await cohort_with_a_deadline(start_sinau, emulator)
    # Half-way to the deadline: two of four lessons expected; one done is within the slack.
    await sinau.advance(timedelta(days=5))
    sent = await sinau.send(trainer, f"/stats {cohort_id}")
    said = [text(m) for m in sent]
    report = next(s for s in said if "Statistik Kelurahan Sampangan" in s)
    assert "Nilai dasar ASN BerAKHLAK: 5/24 (21%)" in report, report
    assert "1 anggota tertinggal" in report
    behind = next(s for s in said if s.startswith("⏰"))
    assert learners[5].first_name in behind
    assert not any(u.first_name in behind for u in learners[:5])
    # The first question: five first answers, none right. The others were all right: not hard.
    first = sinau.services.catalogue.courses[0].lessons[0].quiz[0]
    assert f"1. {first.question.id[:40]}" in report and "0% benar (5 jawaban)" in report
    assert "\n2. " not in report
    assert any("photo" in m for m in sent)  # the lesson-progress chart

    # Later: 80 % of the time gone, 3.2 lessons expected; all six are behind, a page of them.
    await sinau.advance(timedelta(days=3))
    sent = await sinau.send(trainer, f"/stats {cohort_id}")
    behind = next(text(m) for m in sent if text(m).startswith("⏰"))
    assert all(u.first_name in behind for u in learners)
    assert "(6 anggota)" in behind


async def test_export_progress_of_all_learners(start_sinau: Any,
                                               emulator: BotApiEmulator) -> None:
    sinau, trainer, _cohort_id, learners = await cohort_with_a_deadline(start_sinau, emulator)
    year = sinau.services.training.siasn.years()[0]
    menu = with_data(await sinau.send(trainer, "/export"), "ex:r:p")
    await sinau.press(trainer, menu, data="ex:r:p")
    scopes = sinau.message(trainer, menu["message_id"])
    assert "Progres belajar" in text(scopes)
    assert f"ex:a:p:{year}" in button_data(scopes)
    sent = await sinau.press(trainer, scopes, data=f"ex:a:p:{year}")
    files = {m["document"]["file_name"]: m for m in sent if "document" in m}
    assert set(files) == {f"sinau-progres-semua-{year}.xlsx", f"sinau-progres-semua-{year}.csv"}
    book = openpyxl.load_workbook(io.BytesIO(emulator.file_bytes(
        files[f"sinau-progres-semua-{year}.xlsx"]["document"]["file_id"])))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][4] == f"JP {year}"
    table = {row[0]: row for row in rows[1:]}
    assert {u.first_name for u in learners} <= set(table)
    assert table[learners[0].first_name][3] == 1 and table[learners[5].first_name][3] == 0
    assert table[learners[0].first_name][4] == 0  # no evaluation passed: no JP yet


async def test_stats_and_export_in_a_group_say_one_line_and_name_nobody(
        start_sinau: Any, emulator: BotApiEmulator) -> None:
    sinau, trainer, cohort_id, learners = await cohort_with_a_deadline(start_sinau, emulator)
    member = sinau.user("Gina")
    group = emulator.create_group("Diskusi Sampangan", members=[trainer, member])
    await sinau.settle()
    pointer = plain(str(t("id", "reports.private_only", bot=emulator.bot_username)))
    for command in (f"/stats {cohort_id}", "/stats", f"/export {cohort_id}", "/export"):
        before = len(emulator.messages(group))
        private_before = len(emulator.messages(trainer))
        await sinau.send(trainer, command, chat=group)
        new = emulator.messages(group)[before:]
        assert [text(m) for m in new] == [pointer], command
        assert "\n" not in pointer
        assert not any({"document", "photo"} & set(m) for m in new)
        assert not any(u.first_name in text(m) for m in new for u in learners)
        assert len(emulator.messages(trainer)) == private_before  # nothing sent privately
    # The pointer links to the private chat with the bot.
    link = emulator.messages(group)[-1].get("entities", [])
    assert any(e.get("url") == f"https://t.me/{emulator.bot_username}" for e in link), link


async def test_a_limited_trainer_exports_only_their_cohorts_members(
        start_sinau: Any, emulator: BotApiEmulator) -> None:
    sinau, admin, trainer = await admin_and_trainer(start_sinau, emulator, limited=True)
    _own, own_payload = await create_cohort(sinau, trainer, "Kelurahan Tari")
    other_id, other_payload = await create_cohort(sinau, admin, "Kelurahan Lain")
    (mine,) = await learners_join(sinau, own_payload, 1, prefix="Milik")
    (theirs,) = await learners_join(sinau, other_payload, 1, prefix="Lain")
    year = sinau.services.training.siasn.years()[0]

    sent = await sinau.send(trainer, "/export")
    menu = with_data(sent, "ex:r:p")
    assert not any(f"ex:c:{other_id}" in button_data(m) for m in sent)
    await sinau.press(trainer, menu, data="ex:r:p")
    files = [m for m in await sinau.press(trainer, menu, data=f"ex:a:p:{year}")
             if "document" in m]
    xlsx = next(m for m in files if m["document"]["file_name"].endswith(".xlsx"))
    book = openpyxl.load_workbook(io.BytesIO(emulator.file_bytes(xlsx["document"]["file_id"])))
    names = [row[0] for row in list(book.active.iter_rows(values_only=True))[1:]]
    assert names == [mine.first_name]
    # Another trainer's cohort, forged: an expired button, no file.
    before = len(emulator.messages(trainer.id))
    query = await emulator.forge_callback(trainer, emulator.chat(trainer), menu["message_id"],
                                          f"ex:kc:p:{other_id}:{year}")
    await sinau.settle()
    assert len(emulator.messages(trainer.id)) == before
    assert [a["text"] for a in emulator.callback_answers
            if a["callback_query_id"] == query] == [label("id", "common.expired_button")]
    # /stats of it shows the trainer's own cohorts to pick from, not its figures.
    said = " ".join(text(m) for m in await sinau.send(trainer, f"/stats {other_id}"))
    assert "Kelurahan Lain" not in said and theirs.first_name not in said
    # The admin's "all learners" has both.
    admin_menu = with_data(await sinau.send(admin, "/export"), "ex:r:p")
    await sinau.press(admin, admin_menu, data="ex:r:p")
    admin_files = [m for m in await sinau.press(admin, admin_menu, data=f"ex:a:p:{year}")
                   if "document" in m]
    admin_xlsx = next(m for m in admin_files if m["document"]["file_name"].endswith(".xlsx"))
    rows = list(openpyxl.load_workbook(io.BytesIO(emulator.file_bytes(
        admin_xlsx["document"]["file_id"]))).active.iter_rows(values_only=True))
    assert {mine.first_name, theirs.first_name} <= {row[0] for row in rows[1:]}


async def test_many_behind_come_in_pages(start_sinau: Any, emulator: BotApiEmulator) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Besar")
    learners = await learners_join(sinau, payload, 16, prefix="Anggota")
    training = sinau.services.training
    # Due today, nothing done: everyone is behind.
    await training.cohorts.set_deadline(cohort_id, "berakhlak", training.stats.today())
    sent = await sinau.send(trainer, f"/stats {cohort_id}")
    page = with_data(sent, "ts:b:")
    assert text(page).startswith("⏰") and "(16 anggota)" in text(page)
    assert "Halaman 1/2" in text(page)
    names = [u.first_name for u in learners]  # "Anggota 00" .. "Anggota 15", by name
    assert all(n in text(page) for n in names[:15]) and names[15] not in text(page)
    assert button_data(page) == [f"ts:b:{cohort_id}:1"]
    await sinau.press(trainer, page, data=f"ts:b:{cohort_id}:1")
    second = sinau.message(trainer, page["message_id"])
    assert names[15] in text(second) and names[0] not in text(second)
    assert "Halaman 2/2" in text(second)
    assert button_data(second) == [f"ts:b:{cohort_id}:0"]
