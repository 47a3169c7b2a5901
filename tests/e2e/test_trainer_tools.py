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
from telegram.ext import CommandHandler

from bot.handlers import trainer as trainer_tools
from bot.handlers.auth import PROTECTED
from bot.handlers.menus import ADMIN_COMMANDS as ADMIN_MENU
from bot.handlers.menus import TRAINER_COMMANDS as TRAINER_MENU
from bot.sandbox.emulator import BotApiEmulator
from tests.e2e.harness import Sinau, button_data, buttons
from tests.e2e.learner import do_lesson, text
from tests.e2e.trainer_screens import failed_requests, press, say
from tests.e2e.trainer_steps import (
    admin_and_trainer,
    create_cohort,
    grant,
    known_person,
    onboard_by_link,
)

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
    assert "aktif 7 hari terakhir: 2" in report
    accuracy = f"{100 * right / (2 * lesson_size):.1f}".replace(".", ",")
    assert f"Akurasi jawaban pertama: {accuracy}%" in report, report
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
    # JP come from a passed final evaluation (the JP ledger), not from lessons done.
    assert isinstance(table["Ani"][4], int | float) and table["Ani"][4] == 0
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
    assert sinau.services.catalogue.course("contoh-kursus") is None   # a draft until published
    draft = sinau.last(trainer)
    await sinau.press(trainer, draft, data=next(d for d in button_data(draft)
                                                if d.startswith("cv:p:")))
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
                    "/export 1", "/upload", "/linkgroup 1", "/users sari", "/trainers"]
#: Commands for admins only: their refusal names that role, not "trainers".
ADMIN_ONLY = ("/grant", "/revoke", "/users", "/trainers")


async def snapshot(sinau: Sinau) -> dict[str, list[tuple[Any, ...]]]:
    """Every trainer table's rows."""
    db = sinau.services.db
    found = {}
    for table in ("roles", "trainer_invites", "cohorts", "cohort_courses", "cohort_members",
                  "trainer_prompts", "broadcasts", "broadcast_recipients", "cohort_trainers",
                  "user_searches"):
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
    buttons += ["pp:t:0", "pp:p:1:0", f"pp:o:{learner.id}:0:0", f"pp:g:{learner.id}:0:0",
                f"pp:r:{learner.id}:0:0"]
    admin_words = {"pelatih": "admin Sinau", "trainers": "admins only"}
    for user, lang_word in ((learner, "pelatih"), (stranger, "trainers")):
        for command in TRAINER_COMMANDS:
            replies = await sinau.send(user, command)
            word = admin_words[lang_word] if command.startswith(ADMIN_ONLY) else lang_word
            assert replies and word in text(replies[-1]), (command, text(replies[-1]))
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
        assert all((admin_words[lang_word] if a["data"].startswith("pp:") else lang_word)
                   in (a["text"] or "") for a in answers), answers

    assert await snapshot(sinau) == before
    assert sinau.services.catalogue is catalogue_before
    assert await sinau.services.training.roles.role_of(learner.id) == "learner"
    # Every trainer handler is wrapped by the one authorization decorator.
    handlers = [h.callback for h in trainer_tools.feature_handlers()]
    assert all(h in PROTECTED for h in [*handlers, trainer_tools.answer_question])


# ------------------------------------------------------------------ people and roles (issue 15)

NIP_SARI = "198503122010012003"


async def test_admin_finds_people_and_grants_from_the_results(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, admin, trainer = await admin_and_trainer(start_sinau, emulator)
    sari = await known_person(sinau, "Sari", last_name="Dewi", username="sari_dw",
                              nip=NIP_SARI, unit="Kelurahan Bendan Ngisor")
    await known_person(sinau, "Sarip", unit="Kelurahan Petompon")
    await known_person(sinau, "Budi")

    # /users with a part of a name: a page of results, the NIP masked, a button per person.
    [found] = await sinau.send(admin, "/users SAR")
    shown = text(found)
    assert shown.startswith(say("people.results_title", query="SAR", count=2)), shown
    assert "Sari Dewi (@sari_dw) — Kelurahan Bendan Ngisor · peserta · NIP " \
           "1985**********2003" in shown
    assert NIP_SARI not in shown and "Budi" not in shown
    assert buttons(found) == ["1. Sari Dewi", "2. Sarip"]
    assert all(len(d.encode()) <= 64 for d in button_data(found))

    # The card, then "make trainer": the role is granted and the card offers the revoke.
    card = await press(sinau, admin, found, button_data(found)[0])
    assert text(card).startswith("👤 Sari Dewi (@sari_dw)")
    assert "NIP: 1985**********2003" in text(card) and NIP_SARI not in text(card)
    assert buttons(card) == [say("people.btn_grant"), say("people.btn_back")]
    card = await press(sinau, admin, card, button_data(card)[0])
    assert await sinau.services.training.roles.role_of(sari.id) == "trainer"
    assert buttons(card) == [say("people.btn_revoke"), say("people.btn_back")]
    assert emulator.callback_answers[-1]["text"] == say("people.granted", name="Sari Dewi")
    back = await press(sinau, admin, card, button_data(card)[1])
    assert text(back) == shown.replace("peserta · NIP", "pelatih · NIP")

    # /grant without an argument asks who; the typed answer is the search (by NIP digits).
    [asked] = await sinau.send(admin, "/grant")
    assert text(asked) == say("people.grant_ask")
    [found] = await sinau.send(admin, "2003")
    assert buttons(found) == ["1. Sari Dewi"]
    # /trainers lists the staff with the cohorts they run.
    await create_cohort(sinau, trainer, "Kelurahan Bendan")
    [staff] = await sinau.send(admin, "/trainers")
    assert "Admin (@admin_kec) — admin · kelompok: —" in text(staff), text(staff)
    assert "Tari Widya — pelatih · kelompok: Kelurahan Bendan" in text(staff)
    assert "Sari Dewi (@sari_dw) — pelatih · kelompok: —" in text(staff)
    # ... and from a card there, the role is revoked.
    tari = next(d for b, d in zip(buttons(staff), button_data(staff), strict=True)
                if "Sari" in b)
    card = await press(sinau, admin, staff, tari)
    card = await press(sinau, admin, card, button_data(card)[0])
    assert await sinau.services.training.roles.role_of(sari.id) == "learner"
    # Another admin's search is not this one's: its page buttons say it expired.
    other = await sinau.services.training.roles.remember_search("sari", by=trainer.id)
    await emulator.forge_callback(admin, emulator.chat(admin), card["message_id"],
                                  f"pp:p:{other}:0")
    await sinau.settle()
    assert emulator.callback_answers[-1]["text"] == say("people.search_expired")
    # Names and NIPs stay out of groups, even an admin's own /users there.
    group = emulator.create_group("Grup Kecamatan", members=[admin, trainer])
    [reply] = await sinau.send(admin, "/users sari", chat=group)
    assert text(reply) == say("people.private_only")
    assert failed_requests(emulator) == []


async def test_a_trainer_trying_an_admin_command_is_told_it_needs_an_admin(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    learner = await known_person(sinau, "Lina")
    for command in (f"/grant {learner.id}", "/grant", f"/revoke {learner.id}", "/users lina",
                    "/trainers"):
        assert [text(m) for m in await sinau.send(trainer, command)] == [
            say("people.refused_admin")], command
    # A learner trying a trainer command is told it is for trainers.
    assert [text(m) for m in await sinau.send(learner, "/cohort")] == [say("auth.refused")]
    assert await sinau.services.training.roles.role_of(learner.id) == "learner"


async def test_trainer_help_lists_every_registered_staff_command(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, admin, trainer = await admin_and_trainer(start_sinau, emulator)
    assert sinau.app is not None
    guarded: dict[str, set[str]] = {"trainer": set(), "admin": set()}
    for handlers in sinau.app.handlers.values():
        for handler in handlers:
            role = getattr(handler.callback, "required_role", None)
            if isinstance(handler, CommandHandler) and role is not None:
                guarded[role] |= set(handler.commands)
    assert guarded["trainer"] == set(TRAINER_MENU), "add the command to menus.TRAINER_COMMANDS"
    assert guarded["admin"] == set(ADMIN_MENU), "add the command to menus.ADMIN_COMMANDS"
    [help_text] = await sinau.send(trainer, "/trainer")
    listed = re.findall(r"^/(\w+) — ", text(help_text), re.MULTILINE)
    assert listed == list(TRAINER_MENU) and "linkgroup" in listed
    [help_text] = await sinau.send(admin, "/trainer")
    assert re.findall(r"^/(\w+) — ", text(help_text), re.MULTILINE) == [
        *TRAINER_MENU, *ADMIN_MENU]


async def test_cohort_subcommands_in_both_languages(start_sinau: Any,
                                                   emulator: BotApiEmulator) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    for word in ("buat", "create", "baru", "new", "BUAT"):
        card = (await sinau.send(trainer, f"/cohort {word} Kelurahan {word}"))[-1]
        assert text(card).startswith(f"Kelurahan {word} (#"), text(card)
    names = {c.name for c in await sinau.services.training.cohorts.all()}
    assert names == {f"Kelurahan {w}" for w in ("buat", "create", "baru", "new", "BUAT")}
    # An unknown word is not silently ignored: the usage, and nothing created.
    for unknown in ("/cohort bikin Kelurahan Lain", "/cohort 999", "/cohort hapus"):
        assert [text(m) for m in await sinau.send(trainer, unknown)] == [
            say("people.cohort_usage")], unknown
    assert len(await sinau.services.training.cohorts.all()) == 5
    # /cohort <number> opens that cohort's card.
    some = (await sinau.services.training.cohorts.all())[0]
    [card] = await sinau.send(trainer, f"/cohort {some.id}")
    assert text(card).startswith(f"{some.name} (#{some.id})")


async def test_a_member_is_removed_after_a_confirmation(start_sinau: Any,
                                                       emulator: BotApiEmulator) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Lempongsari")
    ani, budi = sinau.user("Ani"), sinau.user("Budi")
    for user in (ani, budi):
        await onboard_by_link(sinau, user, payload)
    [card] = await sinau.send(trainer, f"/cohort {cohort_id}")
    members = await press(sinau, trainer, card, f"ch:m:{cohort_id}:0")
    assert say("people.btn_remove_members") in buttons(members)
    picker = await press(sinau, trainer, members, f"ch:x:{cohort_id}:0")
    assert text(picker) == say("people.remove_pick", name="Kelurahan Lempongsari")
    assert [b.split(" — ")[0] for b in buttons(picker)[:2]] == ["Ani", "Budi"]
    confirm = await press(sinau, trainer, picker, f"ch:xm:{cohort_id}:{ani.id}")
    assert text(confirm).startswith("Keluarkan Ani dari kelompok Kelurahan Lempongsari?")
    # Cancel first: nothing changes.
    await press(sinau, trainer, confirm, f"ch:x:{cohort_id}:0")
    assert len(await sinau.services.training.cohorts.members(cohort_id)) == 2
    confirm = await press(sinau, trainer, confirm, f"ch:xm:{cohort_id}:{ani.id}")
    after = await press(sinau, trainer, confirm, f"ch:xy:{cohort_id}:{ani.id}")
    assert emulator.callback_answers[-1]["text"] == say("people.removed", member="Ani")
    assert text(after).startswith(say("cohort.members_title", name="Kelurahan Lempongsari",
                                      count=1))
    assert [m.user_id for m in await sinau.services.training.cohorts.members(cohort_id)] == [
        budi.id]
    # Ani keeps her account and progress; pressing "remove" again changes nothing.
    assert await sinau.services.users.get(ani.id) is not None
    await emulator.forge_callback(trainer, emulator.chat(trainer), after["message_id"],
                                  f"ch:xy:{cohort_id}:{ani.id}")
    await sinau.settle()
    assert emulator.callback_answers[-1]["text"] == say("people.not_member")
    assert failed_requests(emulator) == []


async def test_relinking_a_group_asks_before_moving_it(start_sinau: Any,
                                                      emulator: BotApiEmulator) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    first, _ = await create_cohort(sinau, trainer, "Kelurahan Bendan")
    second, _ = await create_cohort(sinau, trainer, "Kelurahan Petompon")
    group = emulator.create_group("Grup Diskusi", members=[trainer])
    cohorts = sinau.services.training.cohorts

    async def linked() -> int | None:
        found = await cohorts.for_group(group.id)
        return None if found is None else found.id

    replies = await sinau.send(trainer, f"/linkgroup {first}", chat=group)
    assert text(replies[-1]) == say("cohort.linked", name="Kelurahan Bendan")
    replies = await sinau.send(trainer, f"/linkgroup {first}", chat=group)
    assert text(replies[-1]) == say("people.already_linked", name="Kelurahan Bendan")
    [asked] = await sinau.send(trainer, f"/linkgroup {second}", chat=group)
    assert text(asked).startswith(say("people.relink_ask", current="Kelurahan Bendan",
                                      name="Kelurahan Petompon").splitlines()[0])
    assert button_data(asked) == [f"ch:g:{second}", f"ch:gn:{second}"]
    assert await linked() == first  # nothing moved before the answer
    await sinau.press(trainer, asked, data=f"ch:gn:{second}", chat=group)
    kept = sinau.message(trainer, asked["message_id"], chat=group)
    assert text(kept) == say("people.relink_kept", current="Kelurahan Bendan")
    assert not button_data(kept)
    assert await linked() == first
    [asked] = await sinau.send(trainer, f"/linkgroup {second}", chat=group)
    await sinau.press(trainer, asked, data=f"ch:g:{second}", chat=group)
    moved = sinau.message(trainer, asked["message_id"], chat=group)
    assert text(moved) == say("cohort.linked", name="Kelurahan Petompon")
    assert await linked() == second
    old = await cohorts.get(first)
    assert old is not None and old.group_chat_id is None


async def test_a_limited_trainer_cannot_open_another_trainers_cohort(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, admin, tari = await admin_and_trainer(start_sinau, emulator, limited=True)
    budi = await known_person(sinau, "Budi")
    await grant(sinau, admin, budi)
    own, _ = await create_cohort(sinau, tari, "Kelurahan Bendan")
    theirs, payload = await create_cohort(sinau, budi, "Kelurahan Petompon")
    await onboard_by_link(sinau, sinau.user("Ani"), payload)
    [menu] = await sinau.send(tari, "/cohort")
    assert f"ch:o:{own}" in button_data(menu) and f"ch:o:{theirs}" not in button_data(menu)
    before = await snapshot(sinau)

    # Forged buttons for Budi's cohort: each one refused, clearly, and nothing happens.
    chat = emulator.chat(tari)
    forged = [f"ch:{x}" for x in (f"o:{theirs}", f"m:{theirs}:0", f"c:{theirs}",
                                  f"t:{theirs}:berakhlak", f"d:{theirs}:berakhlak",
                                  f"r:{theirs}", f"a:{theirs}", f"x:{theirs}:0",
                                  f"g:{theirs}", f"k:{theirs}:0")]
    answers_before = len(emulator.callback_answers)
    for data in forged:
        await emulator.forge_callback(tari, chat, menu["message_id"], data)
        await asyncio.sleep(0.15)
    await emulator.wait_for(
        lambda: len(emulator.callback_answers) >= answers_before + len(forged))
    answers = emulator.callback_answers[answers_before:]
    assert [a["text"] for a in answers] == [say("people.not_your_cohort")] * len(forged)
    assert text(sinau.message(tari, menu["message_id"])) == text(menu)
    assert [text(m) for m in await sinau.send(tari, f"/cohort {theirs}")] == [
        say("people.not_your_cohort")]
    group = emulator.create_group("Grup Petompon", members=[tari])
    replies = await sinau.send(tari, f"/linkgroup {theirs}", chat=group)
    assert text(replies[-1]) == say("people.not_your_cohort")
    assert await snapshot(sinau) == before

    # The admin assigns Tari to Budi's cohort from its card: now she may open it.
    [card] = await sinau.send(admin, f"/cohort {theirs}")
    trainers = await press(sinau, admin, card, f"ch:k:{theirs}:0")
    assert buttons(trainers)[:2] == ["▫️ Budi", "▫️ Tari Widya"]
    trainers = await press(sinau, admin, trainers, f"ch:kt:{theirs}:{tari.id}")
    assert "✅ Tari Widya" in buttons(trainers)
    # A trainer cannot assign anyone, even to their own cohort.
    await emulator.forge_callback(tari, chat, menu["message_id"], f"ch:kt:{own}:{budi.id}")
    await emulator.wait_for(lambda: emulator.callback_answers[-1]["text"] == say(
        "people.refused_admin"))
    assert await sinau.services.training.cohorts.trainers(own) == []
    [card] = await sinau.send(tari, f"/cohort {theirs}")
    assert text(card).startswith("Kelurahan Petompon (#")
    assert say("people.card_trainers", names="Tari Widya") in text(card)
    # Revoked, her assignments go with the role.
    await sinau.send(admin, f"/revoke {tari.id}")
    assert await sinau.services.training.cohorts.trainers(theirs) == []


async def test_staff_are_not_throttled_in_groups_while_learners_are(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, admin, trainer = await admin_and_trainer(start_sinau, emulator)
    learner = await known_person(sinau, "Lina")
    group = emulator.create_group("Grup ASN", members=[trainer, learner], admins=[admin],
                                  with_bot=False)
    await emulator.add_bot_to_group(group, admin)
    await sinau.settle()
    slow = say("discussion.slow_down", name="Lina")

    def slowed() -> list[str]:
        return [text(m) for m in emulator.messages(group) if "pelan-pelan" in text(m)]

    # Five commands in 30 seconds and more: the trainer is answered every time.
    for _ in range(6):
        replies = await sinau.send(trainer, "/threads", chat=group)
        assert [text(m) for m in replies] == [say("discussion.no_threads")]
    assert slowed() == []
    for _ in range(6):
        await sinau.send(learner, "/threads", chat=group)
    assert slowed() == [slow]

    # The inbound gate (20 updates in 2 s): staff in a group are not counted, others are.
    dropped = sinau.services.flood.dropped
    for n in range(25):
        await emulator.send_text(trainer, f"Catatan {n}", chat=group)
    await sinau.settle()
    assert sinau.services.flood.dropped == dropped
    for n in range(25):
        await emulator.send_text(learner, f"Catatan {n}", chat=group)
    await sinau.settle()
    assert sinau.services.flood.dropped > dropped
