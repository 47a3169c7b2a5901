"""Erasure that stays erased (UU 27/2022): after /deleteme, or the retention purge, nothing
about the person is stored again (no user row, no name, no activity) until they /start and
accept the privacy notice. Meanwhile a command gets one line, a button press the same line as
its answer, and a group message, a poll answer or a membership change nothing at all.

The proof scans every column of every table of the live schema (the engine's own catalogue,
not the privacy registry) for the person's Telegram id, as a number and as text inside any
text or JSON value, and for their first name, last name and username.
"""

from __future__ import annotations

import logging
from datetime import UTC, timedelta
from typing import Any

import pytest

from bot.i18n import t
from bot.sandbox.emulator import BotApiEmulator, FakeChat
from bot.storage import Database
from tests.e2e.harness import Message, Sinau, button_data
from tests.e2e.learner import do_lesson, text, with_data

FIRST, LAST, USERNAME = "Wulandari", "Sasmitaningrum", "wulan_sasmita77"


async def _live_schema(db: Database) -> dict[str, list[str]]:
    """Every table and its columns, read from the engine's catalogue."""
    if db.dialect.name == "postgresql":
        rows = await db.fetch_all(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position")
        schema: dict[str, list[str]] = {}
        for row in rows:
            schema.setdefault(str(row["table_name"]), []).append(str(row["column_name"]))
        return schema
    tables = await db.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return {str(r["name"]): [str(c["name"]) for c in await db.fetch_all(
        f"SELECT name FROM pragma_table_info('{r['name']}')")]  # noqa: S608 - catalogue
        for r in tables}


def _hit(value: Any, person: Any) -> bool:
    """True if a stored value is the person's id or holds their id, names or username."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return value == person.id
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode("utf-8", errors="replace")
    found = str(value)
    return any(clue in found for clue in (str(person.id), FIRST, LAST, USERNAME))


async def traces(db: Database, person: Any) -> list[tuple[str, str, Any]]:
    """Every (table, column, value) anywhere in the database that points at ``person``."""
    schema = await _live_schema(db)
    assert "users" in schema and "privacy_tombstones" in schema, sorted(schema)
    found = []
    for table, columns in schema.items():
        for row in await db.fetch_all(f'SELECT * FROM "{table}"'):  # noqa: S608 - catalogue
            found += [(table, column, row[column]) for column in columns
                      if _hit(row[column], person)]
    return found


def _learner(sinau: Sinau) -> Any:
    return sinau.user(FIRST, last_name=LAST, username=USERNAME, language_code="id")


async def _group_with_bot(sinau: Sinau, *members: Any) -> FakeChat:
    """A supergroup the bot was added to (so it is registered), with ``members``."""
    group = sinau.emu.create_group("Forum Petompon", members=members, with_bot=False)
    await sinau.emu.add_bot_to_group(group, members[0])
    await sinau.settle()
    return group


async def _erase(sinau: Sinau, user: Any) -> None:
    confirm = (await sinau.send(user, "/deleteme"))[0]
    await sinau.press(user, confirm, data=button_data(confirm)[0])
    assert text(sinau.message(user, confirm["message_id"])) == t("id", "privacy.deleted")


async def _start(sinau: Sinau, user: Any) -> list[Message]:
    """/start, then the consent button of the privacy notice (``ob:go``): a learner."""
    welcome = with_data(await sinau.send(user, "/start"), "ob:go")
    return await sinau.press(user, welcome, data="ob:go")


async def _everything_after_erasure(sinau: Sinau, emulator: BotApiEmulator, user: Any,
                                    group: FakeChat, spare: Message | None) -> None:
    """What an erased person may do: each is answered as the rule says, nothing stored."""
    erased = t("id", "privacy.erased_notice")
    # /mydata: there is no data (and no file).
    replies = await sinau.send(user, "/mydata")
    assert [text(m) for m in replies] == [t("id", "privacy.mydata_none")]
    assert not any("document" in m for m in replies)
    # Any other command, or plain text: one line.
    for words in ("/learn", "/settings", "/privacy", "halo, masih ada?"):
        replies = await sinau.send(user, words)
        assert [text(m) for m in replies] == [erased], words
    # A confirmation from before the erasure, and a forged button: the line as the answer.
    if spare is not None:
        assert await sinau.press(user, spare, data=button_data(spare)[0]) == []
        assert emulator.callback_answers[-1].get("text") == erased
    chat = emulator.chat(user)
    await emulator.forge_callback(user, chat, 1, "ls:n:0")
    await sinau.settle()
    assert emulator.callback_answers[-1].get("text") == erased
    # In the group: a message, a /command, joining again. Nothing said there, nothing stored.
    said = len(emulator.messages(group))
    await emulator.send_text(user, "Menurut saya pelayanan harus ramah.", chat=group)
    await emulator.send_text(user, "/threads", chat=group)
    await emulator.leave_group(group, user)
    await emulator.join_group(group, user)
    # A poll answer (a quiz poll that is not theirs any more).
    await emulator.send_update({"poll_answer": {
        "poll_id": "5123456789012345678", "user": user.to_api(), "option_ids": [0],
        "option_persistent_ids": ["0"]}})
    await sinau.settle()
    assert len(emulator.messages(group)) == said


async def test_deleteme_then_nothing_is_stored_until_start_and_consent(
    sinau: Sinau, emulator: BotApiEmulator, caplog: pytest.LogCaptureFixture,
) -> None:
    user, other = _learner(sinau), sinau.user("Bambang")
    await _start(sinau, user)
    await do_lesson(sinau, user)
    await _start(sinau, other)
    group = await _group_with_bot(sinau, other, user)
    await emulator.send_text(user, "Selamat pagi semua", chat=group)
    await sinau.settle()
    db = sinau.services.db
    assert await traces(db, user), "the learner should be stored before the erasure"

    spare = (await sinau.send(user, "/deleteme"))[0]
    await _erase(sinau, user)
    assert await traces(db, user) == []
    assert await sinau.services.privacy.is_erased(user.id)

    with caplog.at_level(logging.DEBUG, logger="bot"):
        await _everything_after_erasure(sinau, emulator, user, group, spare)
    assert await traces(db, user) == []
    assert await sinau.services.users.get(user.id) is None
    # Nor in what the bot logged meanwhile.
    assert not [r.getMessage() for r in caplog.records
                if _hit(r.getMessage(), user) and r.name.startswith("bot")]

    # /start alone records nothing: it shows the notice again.
    welcome = with_data(await sinau.send(user, "/start"), "ob:go")
    assert await traces(db, user) == []
    # Accepting it starts them afresh: a new account, no tombstone, nothing from before.
    await sinau.press(user, welcome, data="ob:go")
    fresh = await sinau.services.users.get(user.id)
    assert fresh is not None and fresh.first_name == FIRST
    assert not await sinau.services.privacy.is_erased(user.id)
    assert await db.fetch_value("SELECT COUNT(*) FROM privacy_tombstones") == 0
    assert await db.fetch_value(
        "SELECT COUNT(*) FROM quiz_answers WHERE user_id = ?", (user.id,)) == 0
    # ... and from now on they are recorded as anyone else.
    replies = await sinau.send(user, "/mydata")
    assert len(replies) == 1 and "document" in replies[0]


async def test_only_a_keyed_hash_and_the_day_are_kept(sinau: Sinau) -> None:
    user = _learner(sinau)
    await _start(sinau, user)
    await _erase(sinau, user)
    db = sinau.services.db
    [tombstone] = await db.fetch_all("SELECT * FROM privacy_tombstones")
    assert set(tombstone.keys()) == {"person_hash", "erased_on", "reason"}
    assert tombstone["reason"] == "request"
    assert len(tombstone["person_hash"]) == 64 and str(user.id) not in tombstone["person_hash"]
    assert tombstone["erased_on"] == sinau.clock.now().astimezone(UTC).date().isoformat()
    # Someone else, never erased, is not "erased"; the key is generated once.
    assert not await sinau.services.privacy.is_erased(user.id + 1)
    assert await db.fetch_value("SELECT COUNT(*) FROM privacy_key") == 1


async def test_retention_purge_leaves_a_tombstone_and_the_next_message_is_not_recorded(
    start_sinau,  # noqa: ANN001
    emulator: BotApiEmulator,
) -> None:
    sinau: Sinau = await start_sinau(privacy={"retention_months": 3})
    assert sinau.app is not None and sinau.app.job_queue is not None
    [job] = sinau.app.job_queue.get_jobs_by_name("privacy-retention")
    user = _learner(sinau)
    await _start(sinau, user)
    emulator.block_bot(user)  # they blocked the bot and went quiet

    await sinau.advance(timedelta(days=100))
    await job.run(sinau.app)
    db = sinau.services.db
    assert await traces(db, user) == []
    assert await sinau.services.privacy.is_erased(user.id)
    assert await db.fetch_value("SELECT reason FROM privacy_tombstones") == "retention"

    # They come back: told in one line, not recorded, until they start afresh.
    emulator.unblock_bot(user)
    assert [text(m) for m in await sinau.send(user, "halo")] == [
        t("id", "privacy.erased_notice")]
    assert [text(m) for m in await sinau.send(user, "/mydata")] == [
        t("id", "privacy.mydata_none")]
    assert await traces(db, user) == []
    await _start(sinau, user)
    assert await sinau.services.users.get(user.id) is not None
    assert not await sinau.services.privacy.is_erased(user.id)
