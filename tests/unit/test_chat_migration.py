"""Storage: a basic group upgraded to a supergroup moves its state to the new chat id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.storage import Database
from bot.storage.broadcasts import BroadcastRepository
from bot.storage.chat_migration import ChatMigrationRepository
from bot.storage.discussion import DiscussionRepository
from bot.storage.training import TrainingRepository
from bot.storage.users import ChatRepository, UserRepository

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
OLD = -400000007
NEW = -1002000000007
ANI, BUDI, TRAINER = 11, 12, 99


async def _rows(db: Database, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await db.fetch_all(sql, params)]


async def _broadcast(db: Database, cohort_id: int) -> int:
    """A broadcast to the cohort's group, enqueued: one pending row for the group."""
    repo = BroadcastRepository(db)
    draft = await repo.new_draft(TRAINER, "id", NOW)
    await repo.set_content(draft.id, "text", text="Halo grup")
    await repo.set_audience(draft.id, "group", cohort_id)
    assert await repo.enqueue(draft.id, scheduled_at=None, progress_chat_id=TRAINER,
                              progress_message_id=None, now=NOW) == 1
    return draft.id


@pytest.fixture
async def group(db: Database) -> dict[str, int]:
    """A registered basic group with settings, threads, posts, weekly rows, a cohort link."""
    users = UserRepository(db)
    for uid, name in [(ANI, "Ani"), (BUDI, "Budi"), (TRAINER, "Tari")]:
        await users.touch(user_id=uid, first_name=name, last_name=None, username=None,
                          telegram_language="id", timezone="Asia/Jakarta", now=NOW)
    await ChatRepository(db).upsert(chat_id=OLD, type_="group", title="Grup ASN",
                                    is_forum=False, now=NOW)
    await ChatRepository(db).set_bot_status(OLD, "administrator", NOW)
    ds = DiscussionRepository(db)
    await ds.ensure_group(OLD, NOW)
    await ds.set_who_may_open(OLD, "trainers", NOW)
    await ds.set_language(OLD, "en", NOW)
    assert await ds.claim_welcome(OLD, NOW)
    lesson = await ds.create_thread(chat_id=OLD, title="Etika", message_thread_id=None,
                                    anchor_message_id=5, course_key="c", lesson_key="l1",
                                    opened_by=ANI, now=NOW)
    closed = await ds.create_thread(chat_id=OLD, title="Lama", message_thread_id=None,
                                    anchor_message_id=3, course_key=None, lesson_key=None,
                                    opened_by=BUDI, now=NOW)
    assert await ds.close(closed.id, NOW)
    await ds.add_post(thread_id=lesson.id, chat_id=OLD, message_id=6, user_id=BUDI,
                      reply_to_message_id=5, text=None, language="id", now=NOW)
    await ds.set_best(lesson.id, 6)
    for week, state in [("2026-W45", "nothing"), ("2026-W46", "failed"),
                        ("2026-W47", "sent"), ("2026-W48", "claimed")]:
        assert await ds.claim_week(OLD, week, NOW)
        if state != "claimed":
            await ds.mark_week(OLD, week, state, NOW, thread_id=lesson.id)
    training = TrainingRepository(db)
    cohort = await training.create_cohort("Angkatan 1", "c_AAAAAAAAAA", TRAINER, NOW)
    await training.toggle_course(cohort.id, "c", NOW)
    await training.add_member(cohort.id, BUDI, NOW)
    assert await training.link_group(cohort.id, OLD)
    broadcast = await _broadcast(db, cohort.id)
    return {"cohort": cohort.id, "lesson_thread": lesson.id, "closed_thread": closed.id,
            "broadcast": broadcast}


async def test_upgrade_moves_the_group_state(db: Database, group: dict[str, int]) -> None:
    repo = ChatMigrationRepository(db)
    outcome = await repo.migrate(OLD, NEW, title="Grup ASN", is_forum=True, now=LATER)
    assert outcome.first_time and outcome.settings_moved
    assert (outcome.threads_closed, outcome.weeks_moved, outcome.cohorts_moved,
            outcome.recipients_moved, outcome.recipients_cancelled) == (1, 2, 1, 1, 0)
    assert await repo.successor(OLD) == NEW and await repo.predecessors(NEW) == [OLD]

    chats = ChatRepository(db)
    new, old = await chats.get(NEW), await chats.get(OLD)
    assert new is not None and old is not None
    assert (new.type, new.title, new.is_forum, new.language, new.bot_status) == (
        "supergroup", "Grup ASN", True, None, "administrator")
    assert old.bot_status == "migrated"  # kept for the old group's history, out of every job

    ds = DiscussionRepository(db)
    settings = await ds.group(NEW)
    assert settings is not None
    assert (settings.who_may_open, settings.language, settings.welcome_sent) == (
        "trainers", "en", True)
    assert await ds.group(OLD) is None
    assert await ds.registered_groups() == [NEW]
    assert await ds.linked_groups() == [NEW]

    # Threads and posts stay in the chat their message ids belong to; the open one is closed.
    lesson = await ds.thread(group["lesson_thread"])
    assert lesson is not None and lesson.chat_id == OLD and not lesson.is_open
    assert await ds.post(OLD, 6) is not None
    assert await ds.lesson_thread(NEW, "c", "l1") is None  # opened afresh in the supergroup
    # ... but the weekly prompt's order and the cohort's figures still count them.
    assert await ds.lessons_with_threads(NEW) == {("c", "l1")}
    figures = await ds.cohort_participation(group["cohort"])
    assert (figures.threads, figures.open_threads, figures.best_answers) == (2, 0, 1)
    assert (await ds.participation(BUDI)).best_answers == 1

    assert await _rows(db, "SELECT chat_id, iso_week, state FROM discussion_weekly_prompts"
                           " ORDER BY iso_week") == [
        (NEW, "2026-W45", "nothing"), (OLD, "2026-W46", "failed"),
        (NEW, "2026-W47", "sent"), (OLD, "2026-W48", "claimed")]
    assert await ds.weeks_sent(NEW) == 1

    cohort = await TrainingRepository(db).cohort(group["cohort"])
    assert cohort is not None and cohort.group_chat_id == NEW
    assert await _rows(db, "SELECT chat_id, state FROM broadcast_recipients") == [
        (NEW, "pending")]
    pending = await BroadcastRepository(db).pending(group["broadcast"], 10)
    assert [r.chat_id for r in pending] == [NEW]
    assert await db.integrity_problems() == []


async def test_upgrade_twice_in_any_order_changes_nothing_more(
    db: Database, group: dict[str, int]
) -> None:
    repo = ChatMigrationRepository(db)
    # The old group's message first: only the new id is known, not what the chat is.
    first = await repo.migrate(OLD, NEW, now=NOW)
    assert first.first_time
    snapshot = await _rows(db, "SELECT * FROM chats WHERE id = ?", NEW)
    assert snapshot[0][1:4] == ("supergroup", "Grup ASN", 0)
    # Then the supergroup's own message, which says it is a forum; then both again.
    second = await repo.migrate(OLD, NEW, title="Grup ASN (forum)", is_forum=True, now=LATER)
    again = await repo.migrate(OLD, NEW, now=LATER)
    for outcome in (second, again):
        assert not outcome.first_time and not outcome.settings_moved
        assert (outcome.threads_closed, outcome.weeks_moved, outcome.cohorts_moved,
                outcome.recipients_moved, outcome.recipients_cancelled) == (0, 0, 0, 0, 0)
    new = await ChatRepository(db).get(NEW)
    assert new is not None and new.is_forum and new.title == "Grup ASN (forum)"
    settings = await DiscussionRepository(db).group(NEW)
    assert settings is not None and settings.who_may_open == "trainers"
    assert await _rows(db, "SELECT * FROM chat_migrations") == [(OLD, NEW, int(NOW.timestamp()))]


async def test_supergroup_already_known_keeps_its_own_rows(
    db: Database, group: dict[str, int]
) -> None:
    """The bot saw the supergroup first: a thread, this week's prompt and a newer cohort link."""
    chats, ds, training = ChatRepository(db), DiscussionRepository(db), TrainingRepository(db)
    await chats.upsert(chat_id=NEW, type_="supergroup", title="Grup ASN Baru", is_forum=True,
                       now=NOW)
    await ds.ensure_group(NEW, NOW)  # defaults: members, no language, no welcome
    topic = await ds.create_thread(chat_id=NEW, title="Baru", message_thread_id=6,
                                   anchor_message_id=7, course_key="c", lesson_key="l2",
                                   opened_by=ANI, now=NOW)
    assert await ds.claim_week(NEW, "2026-W47", NOW)
    await ds.mark_week(NEW, "2026-W47", "sent", NOW, thread_id=topic.id)
    other = await training.create_cohort("Angkatan 2", "c_BBBBBBBBBB", TRAINER, NOW)
    await training.link_group(other.id, NEW)
    # One broadcast that already addresses both ids.
    broadcasts = BroadcastRepository(db)
    await db.execute("INSERT INTO broadcast_recipients (broadcast_id, chat_id, updated_at)"
                     " VALUES (?, ?, 0)", (group["broadcast"], NEW))

    outcome = await ChatMigrationRepository(db).migrate(OLD, NEW, now=LATER)

    assert outcome.first_time and outcome.settings_moved
    new = await chats.get(NEW)
    assert new is not None and (new.title, new.is_forum) == ("Grup ASN Baru", True)
    settings = await ds.group(NEW)
    assert settings is not None
    assert (settings.who_may_open, settings.language, settings.welcome_sent) == (
        "trainers", "en", True)
    assert (await ds.thread(topic.id)) == topic  # untouched
    assert await ds.lessons_with_threads(NEW) == {("c", "l1"), ("c", "l2")}
    # This week the supergroup already had its prompt: the old group's row gives way.
    assert await _rows(db, "SELECT chat_id, state, thread_id FROM discussion_weekly_prompts"
                           " WHERE iso_week = '2026-W47'") == [(NEW, "sent", topic.id)]
    # A group serves one cohort: the link made in the supergroup is the newer choice.
    first = await training.cohort(group["cohort"])
    second = await training.cohort(other.id)
    assert first is not None and first.group_chat_id is None
    assert second is not None and second.group_chat_id == NEW
    assert await _rows(db, "SELECT chat_id, state FROM broadcast_recipients"
                           " ORDER BY chat_id") == [(NEW, "pending"), (OLD, "cancelled")]
    assert [r.chat_id for r in await broadcasts.pending(group["broadcast"], 10)] == [NEW]
    assert await db.integrity_problems() == []


async def test_unknown_group_and_bad_input(db: Database) -> None:
    repo = ChatMigrationRepository(db)
    with pytest.raises(ValueError, match="itself"):
        await repo.migrate(NEW, NEW, now=NOW)
    # A group the bot never registered: the record and the supergroup's row, nothing else.
    outcome = await repo.migrate(OLD, NEW, now=NOW)
    assert outcome.first_time and not outcome.settings_moved
    assert await repo.successor(OLD) == NEW and await repo.successor(NEW) is None
    new = await ChatRepository(db).get(NEW)
    assert new is not None and (new.type, new.title, new.is_forum) == ("supergroup", None, False)
    assert await ChatRepository(db).get(OLD) is None
