"""End to end: /export's SIASN sheet and JP per person, through the emulator, as a trainer."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

import openpyxl

from bot.i18n import label
from bot.sandbox.emulator import BotApiEmulator
from bot.storage.evaluations import EvaluationRepository
from bot.storage.users import UserRepository
from bot.training.siasn import unit_code
from tests.e2e.harness import Message, Sinau, button_data
from tests.e2e.learner import text, with_data
from tests.e2e.trainer_steps import admin_and_trainer, create_cohort, onboard_by_link

NIP = "199001012015031001"


def documents(messages: list[Message]) -> dict[str, Message]:
    """The documents among ``messages``, by file extension."""
    return {m["document"]["file_name"].rsplit(".", 1)[1]: m for m in messages if "document" in m}


def workbook_rows(emulator: BotApiEmulator, message: Message) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(emulator.file_bytes(
        message["document"]["file_id"])))
    return list(book.active.iter_rows(values_only=True))


def csv_rows(emulator: BotApiEmulator, message: Message) -> list[list[str]]:
    data = emulator.file_bytes(message["document"]["file_id"])
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode(), newline=""), delimiter=";"))


async def world(start_sinau: Any, emulator: BotApiEmulator) -> tuple[Sinau, Any, int, date]:
    """A trainer; a cohort with Ani (NIP, a course passed today) and Budi (no NIP, nothing)."""
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    cohort_id, payload = await create_cohort(sinau, trainer, "Angkatan SIASN")
    ani, budi = sinau.user("Ani"), sinau.user("Budi")
    for user in (ani, budi):
        await onboard_by_link(sinau, user, payload)
    db = sinau.services.db
    await UserRepository(db).update_profile(ani.id, nip=NIP, jabatan="Pengadministrasi")
    today = sinau.services.training.siasn.today()
    await EvaluationRepository(db).record_result(
        ani.id, "berakhlak", score=100, passed=True,
        now=sinau.services.clock.now(), today=today,
        started_on=today - timedelta(days=3), minutes=90)
    return sinau, trainer, cohort_id, today


async def test_siasn_sheet_of_all_learners_then_the_previous_year(
        start_sinau: Any, emulator: BotApiEmulator) -> None:
    sinau, trainer, _cohort_id, today = await world(start_sinau, emulator)
    menu = with_data(await sinau.send(trainer, "/export"), "ex:c:")
    assert {"ex:r:s", "ex:r:j"} <= set(button_data(menu))
    await sinau.press(trainer, menu, data="ex:r:s")
    scopes = sinau.message(trainer, menu["message_id"])
    assert "SIASN" in text(scopes)
    year = today.year
    sent = await sinau.press(trainer, scopes, data=f"ex:a:s:{year}")
    files = documents(sent)
    assert set(files) == {"xlsx", "csv"}
    assert files["xlsx"]["document"]["file_name"] == f"sinau-siasn-semua-{year}.xlsx"
    assert "1 baris" in text(files["xlsx"])
    rows = workbook_rows(emulator, files["xlsx"])
    assert rows[0] == ("NIP", "Nama", "Nama Kursus", "Institusi Penyelenggara", "Jumlah Jam",
                       "Tanggal Kursus", "Tanggal Selesai Kursus", "Tahun Kursus",
                       "Nomor Sertifikat", "Jenis Kursus")
    assert rows[1] == (NIP, "Ani", "Nilai dasar ASN BerAKHLAK",
                       sinau.services.settings.certificates.issuer, 2,
                       datetime.combine(today - timedelta(days=3), datetime.min.time()),
                       datetime.combine(today, datetime.min.time()), year, None, "kursus")
    assert len(rows) == 2  # Budi completed nothing
    assert csv_rows(emulator, files["csv"])[1] == [
        NIP, "Ani", "Nilai dasar ASN BerAKHLAK", sinau.services.settings.certificates.issuer,
        "2,00", (today - timedelta(days=3)).isoformat(), today.isoformat(), str(year), "",
        "kursus"]
    # The CSV carries the previous year; nothing was completed then: said, with the way back.
    assert button_data(files["csv"]) == [f"ex:a:s:{year - 1}"]
    said = await sinau.press(trainer, files["csv"], data=f"ex:a:s:{year - 1}")
    assert not documents(said)
    assert str(year - 1) in text(said[-1]) and button_data(said[-1]) == [f"ex:a:s:{year}"]
    # A year that was not offered is an expired button, not a file.
    before = len(emulator.messages(trainer.id))
    query = await emulator.forge_callback(trainer, emulator.chat(trainer),
                                          files["csv"]["message_id"], f"ex:a:s:{year - 5}")
    await sinau.settle()
    assert len(emulator.messages(trainer.id)) == before
    assert [a["text"] for a in emulator.callback_answers
            if a["callback_query_id"] == query] == [label("id", "common.expired_button")]


async def test_jp_per_person_of_a_cohort_and_siasn_of_a_unit(
        start_sinau: Any, emulator: BotApiEmulator) -> None:
    sinau, trainer, cohort_id, today = await world(start_sinau, emulator)
    year = today.year
    menu = with_data(await sinau.send(trainer, "/export"), "ex:r:j")
    await sinau.press(trainer, menu, data="ex:r:j")
    await sinau.press(trainer, menu, data="ex:k:j:0")
    picker = sinau.message(trainer, menu["message_id"])
    assert f"ex:kc:j:{cohort_id}:{year}" in button_data(picker)
    files = documents(await sinau.press(trainer, picker, data=f"ex:kc:j:{cohort_id}:{year}"))
    rows = workbook_rows(emulator, files["xlsx"])
    assert rows[0] == ("NIP", "Nama", "Unit Kerja", "Jabatan", "Instansi", "Tahun",
                       "Jumlah JP", "Target JP", "Kekurangan JP", "Status")
    # Both are below 20 JP: by name; Budi, without NIP, is there with an empty one.
    assert [(r[0], r[1], r[6], r[8], r[9]) for r in rows[1:]] == [
        (NIP, "Ani", 2, 18, "belum"), (None, "Budi", 0, 20, "belum")]
    assert "2 dari 2" in text(files["xlsx"])
    assert [r[:2] for r in csv_rows(emulator, files["csv"])[1:]] == [[NIP, "Ani"],
                                                                     ["", "Budi"]]

    # SIASN of a unit: the one the invite link asked for (both learners took the first).
    unit = sinau.services.settings.learning.units[0]
    for back in ("ex:r:j", "ex:l:0"):  # « back twice: to the scopes, then to the menu
        await sinau.press(trainer, menu, data=back)
    assert f"ex:c:{cohort_id}" in button_data(sinau.message(trainer, menu["message_id"]))
    await sinau.press(trainer, menu, data="ex:r:s")
    await sinau.press(trainer, menu, data="ex:u:s:0")
    units = sinau.message(trainer, menu["message_id"])
    wanted = f"ex:uc:s:{unit_code(unit)}:{year}"
    assert wanted in button_data(units)
    files = documents(await sinau.press(trainer, units, data=wanted))
    assert [r[1] for r in workbook_rows(emulator, files["xlsx"])[1:]] == ["Ani"]


async def test_export_refuses_groups_and_learners(start_sinau: Any,
                                                  emulator: BotApiEmulator) -> None:
    sinau, trainer, _cohort_id, today = await world(start_sinau, emulator)
    group = emulator.create_group("Diskusi", members=[trainer])
    replies = await sinau.send(trainer, "/export", chat=group)
    assert replies and "chat pribadi" in text(replies[-1])
    assert not documents(replies) and not button_data(replies[-1])
    learner = sinau.user("Lina")
    await sinau.send(learner, "/start")
    replies = await sinau.send(learner, "/export")
    assert "pelatih" in text(replies[-1])
    before = len(emulator.messages(learner.id))
    await emulator.forge_callback(learner, emulator.chat(learner), replies[-1]["message_id"],
                                  f"ex:a:s:{today.year}")
    await sinau.settle()
    assert not documents(emulator.messages(learner.id)[before:])
