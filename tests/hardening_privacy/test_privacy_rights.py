"""Personal data rights end to end: /privacy, /mydata (a JSON file of everything), /deleteme
(confirmed by a button, everything erased but anonymous totals, a later /start starts fresh),
and the registry that keeps a new table with a user column from being forgotten.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.i18n import t
from bot.privacy import registry
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database
from bot.storage.certificates import CertificateRepository
from bot.storage.privacy import PrivacyRepository
from tests.conftest import TEST_TOKEN
from tests.e2e.harness import Sinau, button_data
from tests.e2e.learner import do_lesson, onboard, text, with_data
from tests.hardening_privacy.seed import seed_person

NAME = "Wulandari"


async def test_privacy_notice_says_what_why_how_long_who_in_both_languages(
    sinau: Sinau,
) -> None:
    for lang, heads in (("id", ("Yang disimpan", "Untuk apa", "Berapa lama",
                                "Siapa yang melihat")),
                        ("en", ("What is stored", "Why", "How long", "Who sees it"))):
        user = sinau.user("Rudi", language_code=lang)
        notice = text((await sinau.send(user, "/privacy"))[0])
        for head in heads:
            assert head in notice, (lang, head)
        assert "24" in notice and "/mydata" in notice and "/deleteme" in notice
    # Both commands are in the menu, in both languages.
    calls = [r for r in sinau.emu.requests if r.method == "setMyCommands"
             and "scope" not in r.params]
    for record in calls:
        commands = record.params["commands"]
        commands = json.loads(commands) if isinstance(commands, str) else commands
        names = {c["command"] for c in commands}
        assert {"privacy", "mydata", "deleteme"} <= names


async def test_every_user_column_is_exported_or_excluded_with_a_reason(db: Database) -> None:
    schema = await PrivacyRepository(db).schema()
    # A column that may hold a person's id and has no privacy decision fails here: add it to
    # bot/privacy/registry.py (PERSONAL with an erasure action, or NOT_PERSONAL with a reason).
    assert registry.unclassified(schema) == []
    for column in registry.PERSONAL:
        if db.dialect.name != "postgresql" and column.table in registry.POSTGRES_ONLY_TABLES:
            continue
        assert column.column in schema.get(column.table, []), f"stale entry {column}"
    for table, column in registry.NOT_PERSONAL:
        assert column in schema.get(table, []), f"stale entry {(table, column)}"
    for table in registry.EXCLUDED_TABLES:
        assert table in schema, f"stale exclusion {table}"
        assert not [c for c in schema[table] if registry.looks_personal(table, c)]


async def test_a_new_table_with_a_user_column_is_caught_exported_and_erased(
    db: Database,
) -> None:
    await db.execute("CREATE TABLE learner_notes (id INTEGER PRIMARY KEY, owner_user_id"
                     " INTEGER, note TEXT)")
    schema = await PrivacyRepository(db).schema()
    assert registry.unclassified(schema) == [("learner_notes", "owner_user_id")]
    # Until someone decides, it is exported and its rows are deleted (the safe default).
    assert ("learner_notes", "owner_user_id") in {
        (c.table, c.column) for c in registry.plan(schema)}


def _cells(dump: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str, Any]]:
    return [(table, column, value) for table, rows in dump.items() for row in rows
            for column, value in row.items()]


def _mentions(dump: dict[str, list[dict[str, Any]]], person_id: int,
              name: str) -> list[tuple[str, str, Any]]:
    """Every cell that is the person's id or contains their name."""
    return [(table, column, value) for table, column, value in _cells(dump)
            if value == person_id or (isinstance(value, str) and name in value)]


async def _learner_with_everything(sinau: Sinau) -> tuple[Any, Any]:
    """A learner who onboarded, did a lesson, and has a row in every personal table."""
    user = sinau.user(NAME, language_code="id")
    other = sinau.user("Bambang", language_code="id")
    for person in (user, other):
        await onboard(sinau, person, "id")
        await do_lesson(sinau, person)
    now = sinau.clock.now()
    await seed_person(sinau.services.db, user.id, name=NAME, now=now)
    await seed_person(sinau.services.db, other.id, name="Bambang", now=now)
    return user, other


async def test_mydata_sends_everything_stored_about_the_learner_as_json(sinau: Sinau) -> None:
    user, other = await _learner_with_everything(sinau)
    replies = await sinau.send(user, "/mydata")
    assert len(replies) == 1 and "document" in replies[0], [text(m)[:80] for m in replies]
    document = replies[0]["document"]
    assert document["file_name"].endswith(".json")
    assert text(replies[0]) == t("id", "privacy.mydata_caption")
    raw = sinau.emu.file_bytes(document["file_id"]).decode("utf-8")
    data = json.loads(raw)
    assert data["user_id"] == user.id and data["format"] == "sinau-mydata/1"
    tables = data["tables"]
    # Every personal table has this learner's rows in the file (the seed wrote one in each).
    personal = {c.table for c in registry.PERSONAL}
    if sinau.services.db.dialect.name != "postgresql":
        personal -= registry.POSTGRES_ONLY_TABLES
    assert personal <= {name for name, rows in tables.items() if rows}, personal - set(tables)
    assert tables["users"][0]["display_name"].startswith(NAME)
    assert tables["users"][0]["created_at"].endswith("+00:00")  # times readable, in UTC
    assert any(r["course_key"] == "seed-course" for r in tables["quiz_answers"])
    assert len(tables["quiz_answers"]) > 1  # the real lesson's answers too
    assert tables["cohort_members"] and tables["nudge_schedules"] and tables["roles"]
    # Nobody else's data, and no secret.
    assert str(other.id) not in raw and "Bambang" not in raw
    assert TEST_TOKEN not in raw


async def test_mydata_and_deleteme_refuse_group_chats(sinau: Sinau) -> None:
    user = sinau.user(NAME, language_code="en")
    group = sinau.emu.create_group("Forum", members=[user])
    for command in ("/mydata", "/deleteme"):
        replies = await sinau.send(user, command, chat=group)
        assert [text(m) for m in replies] == [t("en", "privacy.private_only")]
        assert not any("document" in m or button_data(m) for m in replies)


async def test_deleteme_erases_everything_but_anonymous_totals_and_start_is_fresh(
    sinau: Sinau, emulator: BotApiEmulator,
) -> None:
    user, other = await _learner_with_everything(sinau)
    services = sinau.services
    repo = PrivacyRepository(services.db)
    before = await repo.dump()
    assert _mentions(before, user.id, NAME)
    others_before = sorted(map(repr, _mentions(before, other.id, "Bambang")))
    certificate = (await CertificateRepository(services.db).of_user(user.id))[0]

    # Cancel first: nothing happens.
    confirm = (await sinau.send(user, "/deleteme"))[0]
    assert "/mydata" in text(confirm)
    data = button_data(confirm)
    assert data[1] == "pv:keep" and data[0].startswith("pv:del:")
    await sinau.press(user, confirm, data="pv:keep")
    assert text(sinau.message(user, confirm["message_id"])) == t("id", "privacy.kept")
    assert await services.users.get(user.id) is not None

    # Two confirmations shown; the first one pressed: erased.
    confirm = (await sinau.send(user, "/deleteme"))[0]
    spare = (await sinau.send(user, "/deleteme"))[0]
    await sinau.press(user, confirm, data=button_data(confirm)[0])
    assert text(sinau.message(user, confirm["message_id"])) == t("id", "privacy.deleted")
    after = await repo.dump()
    assert _mentions(after, user.id, NAME) == []
    # Everyone else's rows are untouched.
    assert sorted(map(repr, _mentions(after, other.id, "Bambang"))) == others_before
    # The anonymous totals kept what the learner contributed, without them.
    totals = await repo.totals()
    assert totals.erasures == {"request": 1}
    assert totals.certificates == 1 and totals.completions >= 2 and totals.answers >= 2
    # The certificate code no longer verifies anyone.
    reply = text((await sinau.send(other, f"/verify {certificate.code}"))[0])
    assert NAME not in reply and certificate.code in reply

    # The spare confirmation pressed later: answered "your data was erased", and the press
    # records nobody (an erased person stays erased until they start again).
    assert await sinau.press(user, spare, data=button_data(spare)[0]) == []
    assert emulator.callback_answers[-1].get("text") == t("id", "privacy.erased_notice")
    assert await services.users.get(user.id) is None
    assert await repo.totals() == totals

    # A later /start shows the notice; accepting it begins again, from nothing.
    replies = await sinau.send(user, "/start")
    assert replies[0]["text"].startswith("Halo, Wulandari!")
    assert await services.users.get(user.id) is None
    await sinau.press(user, with_data(replies, "ob:go"), data="ob:go")
    fresh = await services.users.get(user.id)
    assert fresh is not None and fresh.created_at >= sinau.clock.now() - timedelta(minutes=1)
    for table in ("quiz_answers", "certificates", "cohort_members"):
        assert await services.db.fetch_value(
            f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user.id,)) == 0, table


async def test_deleted_learner_gets_no_nudge_and_no_broadcast(sinau: Sinau) -> None:
    user, other = await _learner_with_everything(sinau)
    confirm = (await sinau.send(user, "/deleteme"))[0]
    await sinau.press(user, confirm, data=button_data(confirm)[0])
    db = sinau.services.db
    assert await db.fetch_value("SELECT COUNT(*) FROM nudge_schedules WHERE user_id = ?",
                                (user.id,)) == 0
    assert await db.fetch_value("SELECT COUNT(*) FROM broadcast_recipients WHERE chat_id = ?",
                                (user.id,)) == 0
    assert await db.fetch_value("SELECT COUNT(*) FROM cohort_members WHERE user_id = ?",
                                (user.id,)) == 0
    # A broadcast to "everyone" enqueued now does not reach them.
    broadcasts = sinau.services.training.broadcasts
    draft = await broadcasts.new_draft(1, "id")
    await broadcasts.set_text(draft.id, "Halo semua")
    await broadcasts.set_audience(draft.id, "everyone", None)
    count = await broadcasts.confirm(draft.id, at=None, progress_chat_id=other.id,
                                     progress_message_id=None)
    assert count is not None
    assert await db.fetch_value(
        "SELECT COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ? AND chat_id = ?",
        (draft.id, user.id)) == 0
