"""Group discussions: group settings, threads, posts and the weekly prompt ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database, Row, epoch_of, to_epoch


@dataclass(frozen=True, slots=True)
class GroupSettings:
    """How a group runs its discussions."""

    chat_id: int
    who_may_open: str  # 'members' | 'trainers'
    language: str | None
    welcome_sent: bool

    @classmethod
    def from_row(cls, row: Row) -> GroupSettings:
        """Build from a ``discussion_groups`` row."""
        return cls(row["chat_id"], row["who_may_open"], row["language"],
                   row["welcome_sent_at"] is not None)


@dataclass(frozen=True, slots=True)
class Thread:
    """A discussion thread: a forum topic, or a reply chain under the bot's anchor message."""

    id: int
    chat_id: int
    message_thread_id: int | None
    anchor_message_id: int | None
    title: str
    course_key: str | None
    lesson_key: str | None
    opened_by: int | None
    state: str
    best_message_id: int | None
    created_at: datetime
    last_activity_at: datetime

    @property
    def is_open(self) -> bool:
        """True until a trainer closes it."""
        return self.state == "open"

    @property
    def is_topic(self) -> bool:
        """True for a forum topic."""
        return self.message_thread_id is not None

    @classmethod
    def from_row(cls, row: Row) -> Thread:
        """Build from a ``discussion_threads`` row."""
        return cls(
            id=row["id"], chat_id=row["chat_id"], message_thread_id=row["message_thread_id"],
            anchor_message_id=row["anchor_message_id"], title=row["title"],
            course_key=row["course_key"], lesson_key=row["lesson_key"],
            opened_by=row["opened_by"], state=row["state"],
            best_message_id=row["best_message_id"],
            created_at=epoch_of(row["created_at"]),
            last_activity_at=epoch_of(row["last_activity_at"]),
        )


@dataclass(frozen=True, slots=True)
class Post:
    """One member message inside a thread."""

    thread_id: int
    chat_id: int
    message_id: int
    user_id: int
    reply_to_message_id: int | None
    language: str | None


@dataclass(frozen=True, slots=True)
class ThreadRow:
    """A thread with its reply count, for lists."""

    thread: Thread
    replies: int
    participants: int


@dataclass(frozen=True, slots=True)
class Contributor:
    """A member and how many posts they wrote in a thread."""

    user_id: int
    name: str
    posts: int


@dataclass(frozen=True, slots=True)
class CohortParticipation:
    """What a cohort's members did in discussions, and the threads of its group."""

    posts: int
    posters: int
    best_answers: int
    threads: int
    open_threads: int


@dataclass(frozen=True, slots=True)
class MemberParticipation:
    """What one member did in discussions, over all groups."""

    threads_opened: int
    posts: int
    threads_joined: int
    best_answers: int


_THREAD = "SELECT * FROM discussion_threads"


def _name(display: str | None, first: str | None, last: str | None, user_id: int) -> str:
    full = " ".join(x for x in (first, last) if x).strip()
    return display or full or str(user_id)


class DiscussionRepository:
    """Reads and writes the ``discussion_*`` tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ groups
    async def ensure_group(self, chat_id: int, now: datetime) -> GroupSettings:
        """The group's settings, created with defaults on first sight (the chat row must exist)."""
        await self._db.write(
            "INSERT INTO discussion_groups (chat_id, created_at, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (chat_id) DO NOTHING",
            (chat_id, to_epoch(now), to_epoch(now)),
        )
        group = await self.group(chat_id)
        assert group is not None
        return group

    async def save_settings(self, chat_id: int, now: datetime, *,
                            who_may_open: str | None = None,
                            language: str | None = None) -> GroupSettings:
        """Change the group's settings (registering it first if needed); them, as stored."""
        if who_may_open not in (None, "members", "trainers"):
            raise ValueError(who_may_open)
        async with self._db.transaction():
            await self._db.write(
                "INSERT INTO discussion_groups (chat_id, created_at, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (chat_id) DO NOTHING",
                (chat_id, to_epoch(now), to_epoch(now)),
            )
            rows = await self._db.returning(
                "UPDATE discussion_groups SET who_may_open = COALESCE(?, who_may_open),"
                " language = COALESCE(?, language), updated_at = ? WHERE chat_id = ?"
                " RETURNING *",
                (who_may_open, language, to_epoch(now), chat_id),
            )
        return GroupSettings.from_row(rows[0])

    async def group(self, chat_id: int) -> GroupSettings | None:
        """The group's settings, if the group is registered."""
        row = await self._db.fetch_one(
            "SELECT * FROM discussion_groups WHERE chat_id = ?", (chat_id,)
        )
        return None if row is None else GroupSettings.from_row(row)

    async def claim_welcome(self, chat_id: int, now: datetime) -> bool:
        """True exactly once per group: the caller then sends the welcome."""
        changed = await self._db.execute(
            "UPDATE discussion_groups SET welcome_sent_at = ?, updated_at = ?"
            " WHERE chat_id = ? AND welcome_sent_at IS NULL",
            (to_epoch(now), to_epoch(now), chat_id),
        )
        return changed == 1

    async def set_who_may_open(self, chat_id: int, who: str, now: datetime) -> None:
        """'members' or 'trainers'."""
        if who not in ("members", "trainers"):
            raise ValueError(who)
        await self._db.write(
            "UPDATE discussion_groups SET who_may_open = ?, updated_at = ? WHERE chat_id = ?",
            (who, to_epoch(now), chat_id),
        )

    async def set_language(self, chat_id: int, language: str, now: datetime) -> None:
        """The group's language ('id' or 'en')."""
        await self._db.write(
            "UPDATE discussion_groups SET language = ?, updated_at = ? WHERE chat_id = ?",
            (language, to_epoch(now), chat_id),
        )

    # ----------------------------------------------------------------- threads
    async def create_thread(
        self, *, chat_id: int, title: str, message_thread_id: int | None,
        anchor_message_id: int | None, course_key: str | None, lesson_key: str | None,
        opened_by: int | None, now: datetime,
    ) -> Thread:
        """Record a newly opened thread."""
        rows = await self._db.returning(
            """
            INSERT INTO discussion_threads
                (chat_id, message_thread_id, anchor_message_id, title, course_key,
                 lesson_key, opened_by, created_at, last_activity_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            RETURNING *
            """,
            (chat_id, message_thread_id, anchor_message_id, title, course_key, lesson_key,
             opened_by, to_epoch(now), to_epoch(now)),
        )
        return Thread.from_row(rows[0])

    async def thread(self, thread_id: int) -> Thread | None:
        """The thread with this id."""
        row = await self._db.fetch_one(f"{_THREAD} WHERE id = ?", (thread_id,))
        return None if row is None else Thread.from_row(row)

    async def thread_by_topic(self, chat_id: int, topic_id: int) -> Thread | None:
        """The thread that is this forum topic."""
        row = await self._db.fetch_one(
            f"{_THREAD} WHERE chat_id = ? AND message_thread_id = ?", (chat_id, topic_id)
        )
        return None if row is None else Thread.from_row(row)

    async def thread_of_message(self, chat_id: int, message_id: int) -> Thread | None:
        """The thread whose anchor, or one of whose recorded posts, is this message."""
        row = await self._db.fetch_one(
            f"""{_THREAD} WHERE chat_id = ? AND anchor_message_id = ?
                UNION ALL
                SELECT t.* FROM discussion_posts p JOIN discussion_threads t ON t.id = p.thread_id
                WHERE p.chat_id = ? AND p.message_id = ?
                LIMIT 1""",
            (chat_id, message_id, chat_id, message_id),
        )
        return None if row is None else Thread.from_row(row)

    async def lesson_thread(self, chat_id: int, course_key: str, lesson_key: str) -> Thread | None:
        """The thread of a lesson in a group, if one was opened."""
        row = await self._db.fetch_one(
            f"{_THREAD} WHERE chat_id = ? AND course_key = ? AND lesson_key = ?",
            (chat_id, course_key, lesson_key),
        )
        return None if row is None else Thread.from_row(row)

    async def lessons_with_threads(self, chat_id: int) -> set[tuple[str, str]]:
        """(course_key, lesson_key) of every lesson that already has a thread in the group.

        A supergroup counts the threads of the basic group it was upgraded from (migration
        007): the weekly prompt goes on with the course instead of starting it again.
        """
        rows = await self._db.fetch_all(
            "SELECT course_key, lesson_key FROM discussion_threads"
            " WHERE lesson_key IS NOT NULL AND (chat_id = :c OR chat_id IN"
            " (SELECT old_chat_id FROM chat_migrations WHERE new_chat_id = :c))",
            {"c": chat_id},
        )
        return {(r["course_key"], r["lesson_key"]) for r in rows}

    async def open_threads(self, chat_id: int, limit: int = 10) -> list[ThreadRow]:
        """Open threads of a group, most recently active first, with reply counts."""
        rows = await self._db.fetch_all(
            """
            SELECT t.*, COUNT(p.id) AS replies, COUNT(DISTINCT p.user_id) AS participants
            FROM discussion_threads t
            LEFT JOIN discussion_posts p ON p.thread_id = t.id
            WHERE t.chat_id = ? AND t.state = 'open'
            GROUP BY t.id
            ORDER BY t.last_activity_at DESC, t.id DESC
            LIMIT ?
            """,
            (chat_id, limit),
        )
        return [ThreadRow(Thread.from_row(r), r["replies"], r["participants"]) for r in rows]

    async def count_open(self, chat_id: int) -> int:
        """How many threads are open in the group."""
        return int(await self._db.fetch_value(
            "SELECT COUNT(*) FROM discussion_threads WHERE chat_id = ? AND state = 'open'",
            (chat_id,),
        ) or 0)

    async def set_best(self, thread_id: int, message_id: int) -> None:
        """Mark a post as the thread's best answer (replacing an earlier choice)."""
        await self._db.execute(
            "UPDATE discussion_threads SET best_message_id = ? WHERE id = ?",
            (message_id, thread_id),
        )

    async def close(self, thread_id: int, now: datetime) -> bool:
        """Close an open thread; False if it was already closed."""
        changed = await self._db.execute(
            "UPDATE discussion_threads SET state = 'closed', closed_at = ?"
            " WHERE id = ? AND state = 'open'",
            (to_epoch(now), thread_id),
        )
        return changed == 1

    # ------------------------------------------------------------------- posts
    async def add_post(
        self, *, thread_id: int, chat_id: int, message_id: int, user_id: int,
        reply_to_message_id: int | None, text: str | None, language: str | None,
        now: datetime,
    ) -> bool:
        """Record a post (once per message) and the thread's activity; True if it was new."""
        greatest = self._db.dialect.greatest
        async with self._db.transaction():
            added = await self._db.execute(
                """
                INSERT INTO discussion_posts (thread_id, chat_id, message_id, user_id,
                    reply_to_message_id, text, language, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (chat_id, message_id) DO NOTHING
                """,
                (thread_id, chat_id, message_id, user_id, reply_to_message_id, text, language,
                 to_epoch(now)),
            ) == 1
            if added:
                await self._db.write(
                    "UPDATE discussion_threads SET"
                    f" last_activity_at = {greatest('last_activity_at', '?')}"  # noqa: S608
                    " WHERE id = ?",
                    (to_epoch(now), thread_id),
                )
        return added

    async def post(self, chat_id: int, message_id: int) -> Post | None:
        """A recorded post by its message id."""
        row = await self._db.fetch_one(
            "SELECT * FROM discussion_posts WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        if row is None:
            return None
        return Post(row["thread_id"], row["chat_id"], row["message_id"], row["user_id"],
                    row["reply_to_message_id"], row["language"])

    async def language_counts(self, thread_id: int) -> dict[str, int]:
        """How many posts of the thread were detected in each language."""
        rows = await self._db.fetch_all(
            "SELECT language, COUNT(*) AS n FROM discussion_posts"
            " WHERE thread_id = ? AND language IS NOT NULL GROUP BY language",
            (thread_id,),
        )
        return {r["language"]: r["n"] for r in rows}

    async def post_counts(self, thread_id: int) -> tuple[int, int]:
        """(posts, distinct participants) of a thread."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) AS n, COUNT(DISTINCT user_id) AS people FROM discussion_posts"
            " WHERE thread_id = ?",
            (thread_id,),
        )
        assert row is not None
        return row["n"], row["people"]

    async def top_contributors(self, thread_id: int, limit: int = 3) -> list[Contributor]:
        """The members with the most posts in a thread."""
        rows = await self._db.fetch_all(
            """
            SELECT p.user_id, COUNT(*) AS n, u.display_name, u.first_name, u.last_name
            FROM discussion_posts p LEFT JOIN users u ON u.id = p.user_id
            WHERE p.thread_id = ?
            GROUP BY p.user_id, u.display_name, u.first_name, u.last_name
            ORDER BY n DESC, MIN(p.message_id)
            LIMIT ?
            """,
            (thread_id, limit),
        )
        return [
            Contributor(r["user_id"],
                        _name(r["display_name"], r["first_name"], r["last_name"], r["user_id"]),
                        r["n"])
            for r in rows
        ]

    async def member_name(self, user_id: int) -> str:
        """The name to show for a member (display name, else Telegram name, else the id)."""
        row = await self._db.fetch_one(
            "SELECT display_name, first_name, last_name FROM users WHERE id = ?", (user_id,)
        )
        if row is None:
            return str(user_id)
        return _name(row["display_name"], row["first_name"], row["last_name"], user_id)

    async def participation(self, user_id: int) -> MemberParticipation:
        """One member's discussion numbers over all groups."""
        row = await self._db.fetch_one(
            """
            SELECT
              (SELECT COUNT(*) FROM discussion_threads WHERE opened_by = :u) AS opened,
              (SELECT COUNT(*) FROM discussion_posts WHERE user_id = :u) AS posts,
              (SELECT COUNT(DISTINCT thread_id) FROM discussion_posts WHERE user_id = :u)
                  AS joined,
              (SELECT COUNT(*) FROM discussion_threads t JOIN discussion_posts p
                   ON p.chat_id = t.chat_id AND p.message_id = t.best_message_id
               WHERE p.user_id = :u) AS best
            """,
            {"u": user_id},
        )
        assert row is not None
        return MemberParticipation(row["opened"], row["posts"], row["joined"], row["best"])

    async def cohort_participation(self, cohort_id: int) -> CohortParticipation:
        """Posts and best answers of a cohort's members; threads of its linked group."""
        row = await self._db.fetch_one(
            """
            WITH m AS (SELECT user_id FROM cohort_members WHERE cohort_id = :c),
                 g0 AS (SELECT group_chat_id AS chat_id FROM cohorts WHERE id = :c),
                 -- the group's threads from before Telegram upgraded it (migration 007)
                 g AS (SELECT chat_id FROM g0 UNION SELECT old_chat_id FROM chat_migrations
                       WHERE new_chat_id IN (SELECT chat_id FROM g0))
            SELECT
              (SELECT COUNT(*) FROM discussion_posts
               WHERE user_id IN (SELECT user_id FROM m)) AS posts,
              (SELECT COUNT(DISTINCT user_id) FROM discussion_posts
               WHERE user_id IN (SELECT user_id FROM m)) AS posters,
              (SELECT COUNT(*) FROM discussion_threads t JOIN discussion_posts p
                   ON p.chat_id = t.chat_id AND p.message_id = t.best_message_id
               WHERE p.user_id IN (SELECT user_id FROM m)) AS best,
              (SELECT COUNT(*) FROM discussion_threads
               WHERE chat_id IN (SELECT chat_id FROM g)) AS threads,
              (SELECT COUNT(*) FROM discussion_threads
               WHERE chat_id IN (SELECT chat_id FROM g) AND state = 'open') AS open_threads
            """,
            {"c": cohort_id},
        )
        assert row is not None
        return CohortParticipation(row["posts"], row["posters"], row["best"], row["threads"],
                                   row["open_threads"])

    async def participation_of(self, user_ids: list[int]) -> dict[int, MemberParticipation]:
        """Discussion numbers for several members (a cohort), zero rows included."""
        return {uid: await self.participation(uid) for uid in user_ids}

    # ------------------------------------------------------------ weekly ledger
    async def claim_week(self, chat_id: int, iso_week: str, now: datetime) -> bool:
        """Claim the group's weekly prompt for this ISO week; False if already claimed."""
        return await self._db.execute(
            "INSERT INTO discussion_weekly_prompts (chat_id, iso_week, claimed_at)"
            " VALUES (?, ?, ?) ON CONFLICT (chat_id, iso_week) DO NOTHING",
            (chat_id, iso_week, to_epoch(now)),
        ) == 1

    async def mark_week(
        self, chat_id: int, iso_week: str, state: str, now: datetime, *,
        thread_id: int | None = None, course_key: str | None = None,
        lesson_key: str | None = None,
    ) -> None:
        """Record how the week's prompt ended: sent, failed or nothing to prompt."""
        await self._db.write(
            "UPDATE discussion_weekly_prompts SET state = ?, sent_at = ?, thread_id = ?,"
            " course_key = ?, lesson_key = ? WHERE chat_id = ? AND iso_week = ?",
            (state, to_epoch(now) if state == "sent" else None, thread_id, course_key,
             lesson_key, chat_id, iso_week),
        )

    async def week_state(self, chat_id: int, iso_week: str) -> str | None:
        """The ledger state of a group's week, or None if unclaimed."""
        value = await self._db.fetch_value(
            "SELECT state FROM discussion_weekly_prompts WHERE chat_id = ? AND iso_week = ?",
            (chat_id, iso_week),
        )
        return None if value is None else str(value)

    async def weeks_sent(self, chat_id: int) -> int:
        """How many weekly prompts went out in a group."""
        return int(await self._db.fetch_value(
            "SELECT COUNT(*) FROM discussion_weekly_prompts WHERE chat_id = ? AND state = 'sent'",
            (chat_id,),
        ) or 0)

    async def registered_groups(self) -> list[int]:
        """Every registered group where the bot is still a member."""
        rows = await self._db.fetch_all(
            "SELECT g.chat_id FROM discussion_groups g JOIN chats c ON c.id = g.chat_id"
            " WHERE COALESCE(c.bot_status, 'member') IN ('member', 'administrator', 'creator')"
            " ORDER BY g.chat_id"
        )
        return [r["chat_id"] for r in rows]

    # ------------------------------------------------- cohorts (migration 004)
    async def linked_groups(self) -> list[int]:
        """Groups linked to an active cohort, where the bot is still a member."""
        rows = await self._db.fetch_all(
            """
            SELECT DISTINCT co.group_chat_id AS chat_id
            FROM cohorts co
            JOIN discussion_groups g ON g.chat_id = co.group_chat_id
            JOIN chats c ON c.id = co.group_chat_id
            WHERE co.archived = 0
              AND COALESCE(c.bot_status, 'member') IN ('member', 'administrator', 'creator')
            ORDER BY co.group_chat_id
            """
        )
        return [r["chat_id"] for r in rows]

    async def group_courses(self, chat_id: int) -> list[str]:
        """The course keys of the active cohorts linked to a group."""
        rows = await self._db.fetch_all(
            """
            SELECT DISTINCT cc.course_key FROM cohorts co
            JOIN cohort_courses cc ON cc.cohort_id = co.id
            WHERE co.group_chat_id = ? AND co.archived = 0 AND cc.active = 1
            """,
            (chat_id,),
        )
        return [r["course_key"] for r in rows]

    async def member_groups(self, user_id: int) -> list[tuple[int, list[str]]]:
        """The groups of a member's active cohorts with their course keys, newest cohort first."""
        courses = self._db.dialect.text_agg("course_key", " ")
        rows = await self._db.fetch_all(
            f"""
            SELECT co.id, co.group_chat_id,
                   (SELECT {courses} FROM cohort_courses
                    WHERE cohort_id = co.id AND active = 1) AS courses
            FROM cohort_members m JOIN cohorts co ON co.id = m.cohort_id
            WHERE m.user_id = ? AND co.archived = 0 AND co.group_chat_id IS NOT NULL
            ORDER BY co.id DESC
            """,  # noqa: S608 - dialect builders only
            (user_id,),
        )
        return [(r["group_chat_id"], (r["courses"] or "").split()) for r in rows]
