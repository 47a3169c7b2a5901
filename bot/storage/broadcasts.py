"""Broadcasts and their recipients: one row per recipient with a delivery state.

States of a recipient: pending → sending (written BEFORE the request) → sent (with the message
id) | failed | blocked. A row still 'sending' when the process starts again may or may not have
arrived; it becomes 'uncertain' and is reported, never resent. Cancelling turns the remaining
'pending' rows into 'cancelled'. A pending row reached in the recipient's quiet hours is held
(``held_until``): it stays pending and is not offered again before that moment.

The stragglers' audience ('behind') is stored as a 'cohort' audience with ``audience_course``
set (migration 016 says why); ``Broadcast.audience_kind`` reads it back as 'behind'. Its
recipients are not a query of this module: the service resolves them when sending starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database, Row, from_epoch, to_epoch

RECIPIENT_STATES = ("pending", "sending", "sent", "failed", "blocked", "uncertain", "cancelled")


@dataclass(frozen=True, slots=True)
class Broadcast:
    """One broadcast: draft, scheduled, sending, done or cancelled."""

    id: int
    created_by: int
    lang: str
    audience_kind: str | None
    audience_ref: int | None
    content_kind: str | None
    text: str | None
    course_key: str | None
    lesson_key: str | None
    file_id: str | None
    state: str
    scheduled_at: datetime | None
    progress_chat_id: int | None
    progress_message_id: int | None
    uncertain_reported: bool
    urgent: bool = False
    audience_course: str | None = None  # the course of the stragglers' audience

    @classmethod
    def from_row(cls, row: Row) -> Broadcast:
        """Build from a ``broadcasts`` row."""
        course = row["audience_course"]
        return cls(
            id=row["id"], created_by=row["created_by"], lang=row["lang"],
            audience_kind="behind" if course is not None else row["audience_kind"],
            audience_ref=row["audience_ref"],
            content_kind=row["content_kind"], text=row["text"], course_key=row["course_key"],
            lesson_key=row["lesson_key"], file_id=row["file_id"], state=row["state"],
            scheduled_at=from_epoch(row["scheduled_at"]),
            progress_chat_id=row["progress_chat_id"],
            progress_message_id=row["progress_message_id"],
            uncertain_reported=bool(row["uncertain_reported"]),
            urgent=bool(row["urgent"]), audience_course=course,
        )


@dataclass(frozen=True, slots=True)
class Recipient:
    """A recipient still to be sent to, with what is needed to address them."""

    chat_id: int
    user_id: int | None
    language: str | None
    telegram_language: str | None
    timezone: str | None = None  # the learner's zone; None for a group



# Who an audience reaches; {ref} is the cohort id. Inactive learners (who blocked the bot) are
# left out: Telegram would refuse them anyway.
_AUDIENCE_SQL = {
    # Every audience takes one parameter (the cohort id); "everyone" ignores it.
    "everyone": "SELECT u.id AS chat_id, u.id AS user_id FROM users u"
                " WHERE u.is_active = 1 AND u.onboarded_at IS NOT NULL"
                " AND CAST(? AS BIGINT) IS NOT NULL",
    "cohort": "SELECT u.id AS chat_id, u.id AS user_id FROM cohort_members m"
              " JOIN users u ON u.id = m.user_id WHERE m.cohort_id = ? AND u.is_active = 1",
    "group": "SELECT c.group_chat_id AS chat_id, CAST(NULL AS BIGINT) AS user_id FROM cohorts c"
             " WHERE c.id = ? AND c.group_chat_id IS NOT NULL",
}


class BroadcastRepository:
    """Reads and writes ``broadcasts`` and ``broadcast_recipients``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, broadcast_id: int) -> Broadcast | None:
        """One broadcast."""
        row = await self._db.fetch_one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return None if row is None else Broadcast.from_row(row)

    async def new_draft(self, created_by: int, lang: str, now: datetime) -> Broadcast:
        """A fresh draft; the trainer's earlier unfinished draft is dropped."""
        async with self._db.transaction():
            await self._db.write(
                "DELETE FROM broadcasts WHERE created_by = ? AND state = 'draft'", (created_by,)
            )
            rows = await self._db.returning(
                "INSERT INTO broadcasts (created_by, lang, created_at) VALUES (?, ?, ?)"
                " RETURNING *",
                (created_by, lang, to_epoch(now)),
            )
        return Broadcast.from_row(rows[0])

    async def set_content(
        self, broadcast_id: int, kind: str, *, text: str | None = None,
        course_key: str | None = None, lesson_key: str | None = None,
        file_id: str | None = None,
    ) -> bool:
        """Set what a draft sends; False if it is no longer a draft."""
        return await self._db.execute(
            "UPDATE broadcasts SET content_kind = ?, text = ?, course_key = ?, lesson_key = ?,"
            " file_id = ? WHERE id = ? AND state = 'draft'",
            (kind, text, course_key, lesson_key, file_id, broadcast_id),
        ) == 1

    async def set_audience(self, broadcast_id: int, kind: str, ref: int | None,
                           course_key: str | None = None) -> bool:
        """Set who a draft goes to ('behind': the cohort ``ref``'s members behind on
        ``course_key``); False if it is no longer a draft."""
        stored = "cohort" if kind == "behind" else kind
        return await self._db.execute(
            "UPDATE broadcasts SET audience_kind = ?, audience_ref = ?, audience_course = ?"
            " WHERE id = ? AND state = 'draft'",
            (stored, ref, course_key if kind == "behind" else None, broadcast_id),
        ) == 1

    async def set_urgent(self, broadcast_id: int, urgent: bool) -> bool:
        """Mark a draft urgent (it goes through quiet hours) or not; False if not a draft."""
        return await self._db.execute(
            "UPDATE broadcasts SET urgent = ? WHERE id = ? AND state = 'draft'",
            (int(urgent), broadcast_id),
        ) == 1

    async def reschedule(self, broadcast_id: int, at: datetime) -> bool:
        """Move a scheduled broadcast to another time; False once it started (or ended)."""
        return await self._db.execute(
            "UPDATE broadcasts SET scheduled_at = ? WHERE id = ? AND state = 'scheduled'",
            (to_epoch(at), broadcast_id),
        ) == 1

    async def set_scheduled_text(self, broadcast_id: int, html_text: str | None) -> bool:
        """Replace the text (or caption) of a scheduled broadcast; False once it started, or
        when its content is a lesson."""
        return await self._db.execute(
            "UPDATE broadcasts SET text = ? WHERE id = ? AND state = 'scheduled'"
            " AND content_kind IN ('text', 'photo', 'document')",
            (html_text, broadcast_id),
        ) == 1

    async def upcoming(self, created_by: int | None, limit: int,
                       offset: int = 0) -> list[Broadcast]:
        """Scheduled and sending broadcasts (of one trainer, or everyone's for None), the
        soonest first, ``limit`` of them from ``offset``."""
        rows = await self._db.fetch_all(
            "SELECT * FROM broadcasts WHERE state IN ('scheduled', 'sending')"
            " AND (created_by = ? OR CAST(? AS BIGINT) IS NULL)"
            " ORDER BY COALESCE(scheduled_at, started_at), id LIMIT ? OFFSET ?",
            (created_by or 0, created_by, limit, offset),
        )
        return [Broadcast.from_row(r) for r in rows]

    async def recipient_count(self, broadcast_id: int) -> int:
        """How many recipient rows a broadcast has (frozen at confirmation or at its start)."""
        value = await self._db.fetch_value(
            "SELECT COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ?", (broadcast_id,)
        )
        return int(value or 0)

    async def audience_size(self, kind: str, ref: int | None) -> int:
        """How many recipients an audience has right now."""
        sql = _AUDIENCE_SQL[kind]
        value = await self._db.fetch_value(
            f"SELECT COUNT(*) FROM ({sql}) AS audience",  # noqa: S608
            (ref if ref is not None else 0,),
        )
        return int(value or 0)

    async def enqueue(
        self, broadcast_id: int, *, scheduled_at: datetime | None, progress_chat_id: int,
        progress_message_id: int | None, now: datetime, user_ids: Sequence[int] | None = None,
    ) -> int | None:
        """Freeze the recipients and leave the draft state (sending, or scheduled).

        ``user_ids`` are the recipients of an audience this module cannot query (the
        stragglers), given by the service; the active ones among them are taken.
        Returns the number of recipients, or None when the broadcast was not a complete draft
        (a second press of "send" finds it already enqueued and changes nothing).
        """
        async with self._db.transaction():
            rows = await self._db.returning(
                "UPDATE broadcasts SET state = ?, scheduled_at = ?, progress_chat_id = ?,"
                " progress_message_id = ?, started_at = ? WHERE id = ? AND state = 'draft'"
                " AND content_kind IS NOT NULL AND audience_kind IS NOT NULL"
                " RETURNING audience_kind, audience_ref",
                ("scheduled" if scheduled_at else "sending",
                 to_epoch(scheduled_at) if scheduled_at else None, progress_chat_id,
                 progress_message_id, None if scheduled_at else to_epoch(now), broadcast_id),
            )
            if not rows:
                return None
            if user_ids is not None:
                return await self._add_users(broadcast_id, user_ids, now)
            sql = _AUDIENCE_SQL[rows[0]["audience_kind"]]
            ref = rows[0]["audience_ref"]
            return await self._db.execute(
                "INSERT INTO broadcast_recipients (broadcast_id, chat_id, user_id, updated_at)"
                f" SELECT ?, chat_id, user_id, ? FROM ({sql}) AS audience WHERE true"  # noqa: S608
                " ON CONFLICT (broadcast_id, chat_id) DO NOTHING",
                (broadcast_id, to_epoch(now), ref if ref is not None else 0),
            )

    async def set_progress_message(self, broadcast_id: int, chat_id: int,
                                   message_id: int) -> None:
        """Remember the trainer's progress message (edited while sending)."""
        await self._db.write(
            "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
            (chat_id, message_id, broadcast_id),
        )

    async def _add_users(self, broadcast_id: int, user_ids: Sequence[int],
                         now: datetime) -> int:
        """Recipient rows for the active users among ``user_ids``; how many were added."""
        if not user_ids:
            return 0
        return await self._db.execute(
            "INSERT INTO broadcast_recipients (broadcast_id, chat_id, user_id, updated_at)"
            " SELECT ?, u.id, u.id, ? FROM users u"
            f" WHERE {self._db.dialect.in_list('u.id')} AND u.is_active = 1"
            " ON CONFLICT (broadcast_id, chat_id) DO NOTHING",
            (broadcast_id, to_epoch(now), self._db.list_param(sorted(set(user_ids)))),
        )

    async def due(self, now: datetime) -> list[Broadcast]:
        """Scheduled broadcasts whose time has come, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM broadcasts WHERE state = 'scheduled' AND scheduled_at <= ?"
            " ORDER BY scheduled_at, id",
            (to_epoch(now),),
        )
        return [Broadcast.from_row(r) for r in rows]

    async def start(self, broadcast_id: int, now: datetime,
                    user_ids: Sequence[int] | None = None) -> bool:
        """scheduled → sending, with the recipients ``user_ids`` when the audience is resolved
        only now (one unit of work); False when it was not scheduled any more."""
        async with self._db.transaction():
            started = await self._db.returning(
                "UPDATE broadcasts SET state = 'sending', started_at = ?"
                " WHERE id = ? AND state = 'scheduled' RETURNING id",
                (to_epoch(now), broadcast_id),
            )
            if started and user_ids is not None:
                await self._add_users(broadcast_id, user_ids, now)
        return bool(started)

    async def ids_in_state(self, state: str) -> list[int]:
        """Broadcasts in one state, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT id FROM broadcasts WHERE state = ? ORDER BY id", (state,)
        )
        return [int(r["id"]) for r in rows]

    async def ids_to_run(self, now: datetime) -> list[int]:
        """Sending broadcasts with work now: a pending row not held past ``now``, or no
        pending row at all (to finish). One whose every pending row waits out quiet hours
        is left alone until the first of them is due."""
        rows = await self._db.fetch_all(
            "SELECT b.id FROM broadcasts b WHERE b.state = 'sending' AND ("
            " EXISTS (SELECT 1 FROM broadcast_recipients r WHERE r.broadcast_id = b.id"
            "  AND r.state = 'pending' AND (r.held_until IS NULL OR r.held_until <= ?))"
            " OR NOT EXISTS (SELECT 1 FROM broadcast_recipients r WHERE r.broadcast_id = b.id"
            "  AND r.state = 'pending')) ORDER BY b.id",
            (to_epoch(now),),
        )
        return [int(r["id"]) for r in rows]

    async def hold(self, broadcast_id: int, holds: Sequence[tuple[int, datetime]],
                   now: datetime) -> None:
        """Pending rows (chat id, until) wait out the recipient's quiet hours."""
        await self._db.execute_many(
            "UPDATE broadcast_recipients SET held_until = ?, updated_at = ?"
            " WHERE broadcast_id = ? AND chat_id = ? AND state = 'pending'",
            [(to_epoch(until), to_epoch(now), broadcast_id, chat_id)
             for chat_id, until in holds],
        )

    async def held(self, broadcast_id: int, now: datetime) -> int:
        """Pending rows waiting out quiet hours at ``now``."""
        value = await self._db.fetch_value(
            "SELECT COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ?"
            " AND state = 'pending' AND held_until > ?",
            (broadcast_id, to_epoch(now)),
        )
        return int(value or 0)

    async def recover_interrupted(self, now: datetime) -> dict[int, int]:
        """At start: rows left 'sending' by a crash become 'uncertain'; count per broadcast."""
        async with self._db.transaction():
            rows = await self._db.returning(
                "UPDATE broadcast_recipients SET state = 'uncertain', updated_at = ?"
                " WHERE state = 'sending' RETURNING broadcast_id",
                (to_epoch(now),),
            )
            counted: dict[int, int] = {}
            for row in rows:
                counted[row["broadcast_id"]] = counted.get(row["broadcast_id"], 0) + 1
            if counted:
                marks = ",".join("?" * len(counted))
                await self._db.write(
                    f"UPDATE broadcasts SET uncertain_reported = 0 WHERE id IN ({marks})",  # noqa: S608
                    tuple(counted),
                )
        return counted

    async def mark_uncertain_reported(self, broadcast_id: int) -> None:
        """The trainer was told about the uncertain rows."""
        await self._db.write(
            "UPDATE broadcasts SET uncertain_reported = 1 WHERE id = ?", (broadcast_id,)
        )

    async def pending(self, broadcast_id: int, limit: int,
                      now: datetime | None = None) -> list[Recipient]:
        """The next pending recipients (with their languages and zones, for per-learner
        rendering and quiet hours); with ``now``, only those not held past it."""
        rows = await self._db.fetch_all(
            "SELECT r.chat_id, r.user_id, u.language, u.telegram_language, u.timezone"
            " FROM broadcast_recipients r LEFT JOIN users u ON u.id = r.user_id"
            " WHERE r.broadcast_id = ? AND r.state = 'pending'"
            " AND (CAST(? AS BIGINT) IS NULL OR r.held_until IS NULL OR r.held_until <= ?)"
            " ORDER BY r.chat_id LIMIT ?",
            (broadcast_id, to_epoch(now) if now else None, to_epoch(now) if now else 0, limit),
        )
        return [Recipient(r["chat_id"], r["user_id"], r["language"], r["telegram_language"],
                          r["timezone"]) for r in rows]

    async def claim(self, broadcast_id: int, chat_id: int, now: datetime) -> bool:
        """pending → sending, before the request; False if the row was not pending."""
        return await self._db.execute(
            "UPDATE broadcast_recipients SET state = 'sending', updated_at = ?"
            " WHERE broadcast_id = ? AND chat_id = ? AND state = 'pending'",
            (to_epoch(now), broadcast_id, chat_id),
        ) == 1

    async def unclaim(self, broadcast_id: int, chat_id: int, now: datetime) -> None:
        """sending → pending: the request was never made (stopped while it waited)."""
        await self._db.write(
            "UPDATE broadcast_recipients SET state = 'pending', updated_at = ?"
            " WHERE broadcast_id = ? AND chat_id = ? AND state = 'sending'",
            (to_epoch(now), broadcast_id, chat_id),
        )

    async def settle(self, broadcast_id: int, chat_id: int, state: str, *,
                     message_id: int | None, error: str | None, now: datetime) -> None:
        """sending → sent / failed / blocked / uncertain, after the request."""
        await self._db.write(
            "UPDATE broadcast_recipients SET state = ?, message_id = ?, error = ?,"
            " updated_at = ? WHERE broadcast_id = ? AND chat_id = ? AND state = 'sending'",
            (state, message_id, error, to_epoch(now), broadcast_id, chat_id),
        )

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        """Recipients per state (every state present, zero when none)."""
        rows = await self._db.fetch_all(
            "SELECT state, COUNT(*) AS n FROM broadcast_recipients WHERE broadcast_id = ?"
            " GROUP BY state",
            (broadcast_id,),
        )
        counted = dict.fromkeys(RECIPIENT_STATES, 0)
        counted.update({r["state"]: int(r["n"]) for r in rows})
        return counted

    async def finish(self, broadcast_id: int, now: datetime) -> bool:
        """sending → done; False if it was not sending (e.g. cancelled meanwhile)."""
        return await self._db.execute(
            "UPDATE broadcasts SET state = 'done', finished_at = ?"
            " WHERE id = ? AND state = 'sending'",
            (to_epoch(now), broadcast_id),
        ) == 1

    async def cancel(self, broadcast_id: int, now: datetime) -> bool:
        """Stop a draft, scheduled or sending broadcast; pending rows become 'cancelled'."""
        async with self._db.transaction():
            changed = await self._db.execute(
                "UPDATE broadcasts SET state = 'cancelled', finished_at = ?"
                " WHERE id = ? AND state IN ('draft', 'scheduled', 'sending')",
                (to_epoch(now), broadcast_id),
            ) == 1
            if changed:
                await self._db.write(
                    "UPDATE broadcast_recipients SET state = 'cancelled', updated_at = ?"
                    " WHERE broadcast_id = ? AND state = 'pending'",
                    (to_epoch(now), broadcast_id),
                )
        return changed
