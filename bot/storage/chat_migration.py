"""A basic group upgraded to a supergroup: move what is keyed by the old chat id to the new one.

Telegram gives the supergroup a new id and makes the old group read-only; every send to the
old id fails. One transaction moves the group's state to the new id:

* ``chats``: a row for the new id (kept when the bot already saw the supergroup; language and
  the bot's status are carried over when it has none). The old row stays as the anchor of the
  old group's history, with ``bot_status = 'migrated'`` so no job picks it again.
* ``discussion_groups``: the group's settings move; when the supergroup was registered first
  (the bot saw a message there before the service message), the old group's choices win, as
  they were made by its admins while the new row holds at most a few moments of defaults.
* ``discussion_threads`` / ``discussion_posts`` stay where they are. Their message ids
  (anchors, replies, best answers) are ids in the OLD chat and mean nothing in the new one, and
  the unique (chat, anchor) and (chat, message) keys would collide with the supergroup's own
  ids. They remain the history of the old group; threads still open there are closed, since
  nobody can reply in the old group any more. A lesson's thread is then opened afresh in the
  supergroup (a forum topic when it is a forum) on the next "Diskusi" press or weekly prompt,
  and the weekly prompt's lesson order and the cohort's thread counts still count the old
  group's threads (they follow ``chat_migrations``).
* ``discussion_weekly_prompts``: weeks that were 'sent' or had 'nothing' move, so the
  supergroup does not get a second prompt in a week the old group already had one. 'claimed'
  and 'failed' rows stay with the old id: they describe a send to the old group (one in flight
  fails with ChatMigrated and is marked on the old id), and the supergroup may still get that
  week's prompt.
* ``cohorts.group_chat_id``: links move. A group serves one cohort, so if the supergroup was
  already linked (a trainer ran /linkgroup in it first) that newer link wins and the old one
  is dropped.
* ``broadcast_recipients``: 'pending' rows move (a recipient row already addressed to the new
  id in the same broadcast wins; the duplicate is cancelled). Rows in other states are the
  record of what happened and keep the id they were sent to.

Private chats never migrate, so the sessions, polls and progress messages are not touched.
Every statement is keyed by the old id, so running it again (both service messages arrive, in
any order, maybe twice) moves nothing more and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database, to_epoch

MIGRATED = "migrated"  # chats.bot_status of an upgraded basic group
MIGRATED_SQL = "'migrated'"


@dataclass(frozen=True, slots=True)
class MigrationOutcome:
    """What one application of a group's migration changed."""

    old_chat_id: int
    new_chat_id: int
    first_time: bool  # this call recorded the migration (False: it was known already)
    settings_moved: bool
    threads_closed: int
    weeks_moved: int
    cohorts_moved: int
    recipients_moved: int
    recipients_cancelled: int


class ChatMigrationRepository:
    """Moves a group's rows from its old chat id to its supergroup id; reads the record."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def migrate(
        self, old_chat_id: int, new_chat_id: int, *, type_: str = "supergroup",
        title: str | None = None, is_forum: bool | None = None, now: datetime,
    ) -> MigrationOutcome:
        """Move everything keyed by ``old_chat_id`` to ``new_chat_id`` in one transaction.

        ``title`` / ``is_forum`` describe the supergroup when known (None: keep what is stored,
        else the old group's title and not a forum).
        """
        if old_chat_id == new_chat_id:
            raise ValueError("a chat cannot migrate to itself")
        p: dict[str, object] = {
            "old": old_chat_id, "new": new_chat_id, "type": type_, "title": title,
            "forum": None if is_forum is None else int(is_forum), "now": to_epoch(now),
        }
        d = self._db.dialect
        run = self._db.execute
        async with self._db.transaction():
            first = await run("""
                INSERT INTO chat_migrations (old_chat_id, new_chat_id, migrated_at)
                VALUES (:old, :new, :now) ON CONFLICT (old_chat_id) DO NOTHING
                """, p) == 1
            # Telegram upgrades a group once; should a second id ever come, the latest wins.
            await run("UPDATE chat_migrations SET new_chat_id = :new"
                             " WHERE old_chat_id = :old AND new_chat_id <> :new", p)
            await run("""
                INSERT INTO chats (id, type, title, is_forum, language, bot_status,
                                   created_at, updated_at)
                VALUES (:new, :type,
                        COALESCE(:title, (SELECT title FROM chats WHERE id = :old)),
                        COALESCE(:forum, 0),
                        (SELECT language FROM chats WHERE id = :old),
                        (SELECT NULLIF(bot_status, 'migrated') FROM chats WHERE id = :old),
                        :now, :now)
                ON CONFLICT (id) DO UPDATE SET
                    type = excluded.type,
                    title = COALESCE(:title, chats.title, excluded.title),
                    is_forum = COALESCE(:forum, chats.is_forum),
                    language = COALESCE(chats.language, excluded.language),
                    bot_status = COALESCE(chats.bot_status, excluded.bot_status),
                    updated_at = excluded.updated_at
                """, p)
            await run("UPDATE chats SET bot_status = 'migrated', updated_at = :now"
                      f" WHERE id = :old AND {d.is_distinct('bot_status', MIGRATED_SQL)}", p)
            settings = await run(f"""
                INSERT INTO discussion_groups (chat_id, who_may_open, language,
                                               welcome_sent_at, created_at, updated_at)
                SELECT :new, who_may_open, language, welcome_sent_at, created_at, :now
                FROM discussion_groups WHERE chat_id = :old
                ON CONFLICT (chat_id) DO UPDATE SET
                    who_may_open = excluded.who_may_open,
                    language = COALESCE(excluded.language, discussion_groups.language),
                    welcome_sent_at = COALESCE(discussion_groups.welcome_sent_at,
                                               excluded.welcome_sent_at),
                    created_at = {d.least("discussion_groups.created_at",
                                          "excluded.created_at")},
                    updated_at = excluded.updated_at
                """, p)
            await run("DELETE FROM discussion_groups WHERE chat_id = :old", p)
            closed = await run("""
                UPDATE discussion_threads SET state = 'closed', closed_at = :now
                WHERE chat_id = :old AND state = 'open'
                """, p)
            weeks = await run("""
                INSERT INTO discussion_weekly_prompts (chat_id, iso_week, course_key,
                    lesson_key, thread_id, state, claimed_at, sent_at)
                SELECT :new, iso_week, course_key, lesson_key, thread_id, state, claimed_at,
                       sent_at
                FROM discussion_weekly_prompts
                WHERE chat_id = :old AND state IN ('sent', 'nothing')
                ON CONFLICT (chat_id, iso_week) DO NOTHING
                """, p)
            await run("DELETE FROM discussion_weekly_prompts"
                             " WHERE chat_id = :old AND state IN ('sent', 'nothing')", p)
            cohorts = await run("""
                UPDATE cohorts SET group_chat_id = :new
                WHERE group_chat_id = :old
                  AND NOT EXISTS (SELECT 1 FROM cohorts WHERE group_chat_id = :new)
                """, p)
            await run("UPDATE cohorts SET group_chat_id = NULL"
                             " WHERE group_chat_id = :old", p)
            moved = await run("""
                UPDATE broadcast_recipients SET chat_id = :new, updated_at = :now
                WHERE chat_id = :old AND state = 'pending'
                  AND NOT EXISTS (SELECT 1 FROM broadcast_recipients r
                                  WHERE r.broadcast_id = broadcast_recipients.broadcast_id
                                    AND r.chat_id = :new)
                """, p)
            cancelled = await run("""
                UPDATE broadcast_recipients
                   SET state = 'cancelled', error = 'group upgraded to a supergroup',
                       updated_at = :now
                WHERE chat_id = :old AND state = 'pending'
                """, p)
        return MigrationOutcome(old_chat_id, new_chat_id, first, settings > 0, closed, weeks,
                                cohorts, moved, cancelled)

    async def successor(self, chat_id: int) -> int | None:
        """The supergroup a basic group was upgraded to, if it was."""
        value = await self._db.fetch_value(
            "SELECT new_chat_id FROM chat_migrations WHERE old_chat_id = ?", (chat_id,)
        )
        return None if value is None else int(value)

    async def predecessors(self, chat_id: int) -> list[int]:
        """The basic groups that were upgraded to this supergroup (normally at most one)."""
        rows = await self._db.fetch_all(
            "SELECT old_chat_id FROM chat_migrations WHERE new_chat_id = ? ORDER BY old_chat_id",
            (chat_id,),
        )
        return [int(r["old_chat_id"]) for r in rows]
