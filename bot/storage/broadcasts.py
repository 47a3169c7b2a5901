"""Broadcasts and their recipients: one row per recipient with a delivery state.

States of a recipient: pending → sending (written BEFORE the request) → sent (with the message
id) | failed | blocked. A row still 'sending' when the process starts again may or may not have
arrived; it becomes 'uncertain' and is reported, never resent. Cancelling turns the remaining
'pending' rows into 'cancelled'.
"""

from __future__ import annotations

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

    @classmethod
    def from_row(cls, row: Row) -> Broadcast:
        """Build from a ``broadcasts`` row."""
        return cls(
            id=row["id"], created_by=row["created_by"], lang=row["lang"],
            audience_kind=row["audience_kind"], audience_ref=row["audience_ref"],
            content_kind=row["content_kind"], text=row["text"], course_key=row["course_key"],
            lesson_key=row["lesson_key"], file_id=row["file_id"], state=row["state"],
            scheduled_at=from_epoch(row["scheduled_at"]),
            progress_chat_id=row["progress_chat_id"],
            progress_message_id=row["progress_message_id"],
            uncertain_reported=bool(row["uncertain_reported"]),
        )


@dataclass(frozen=True, slots=True)
class Recipient:
    """A recipient still to be sent to, with what is needed to address them."""

    chat_id: int
    user_id: int | None
    language: str | None
    telegram_language: str | None


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

    async def set_audience(self, broadcast_id: int, kind: str, ref: int | None) -> bool:
        """Set who a draft goes to; False if it is no longer a draft."""
        return await self._db.execute(
            "UPDATE broadcasts SET audience_kind = ?, audience_ref = ?"
            " WHERE id = ? AND state = 'draft'",
            (kind, ref, broadcast_id),
        ) == 1

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
        progress_message_id: int | None, now: datetime,
    ) -> int | None:
        """Freeze the recipients and leave the draft state (sending, or scheduled).

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

    async def start_due(self, now: datetime) -> list[int]:
        """Scheduled broadcasts whose time has come switch to sending; their ids."""
        rows = await self._db.returning(
            "UPDATE broadcasts SET state = 'sending', started_at = ?"
            " WHERE state = 'scheduled' AND scheduled_at <= ? RETURNING id",
            (to_epoch(now), to_epoch(now)),
        )
        return sorted(int(r["id"]) for r in rows)

    async def ids_in_state(self, state: str) -> list[int]:
        """Broadcasts in one state, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT id FROM broadcasts WHERE state = ? ORDER BY id", (state,)
        )
        return [int(r["id"]) for r in rows]

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

    async def pending(self, broadcast_id: int, limit: int) -> list[Recipient]:
        """The next pending recipients (with their languages, for per-learner rendering)."""
        rows = await self._db.fetch_all(
            "SELECT r.chat_id, r.user_id, u.language, u.telegram_language"
            " FROM broadcast_recipients r LEFT JOIN users u ON u.id = r.user_id"
            " WHERE r.broadcast_id = ? AND r.state = 'pending' ORDER BY r.chat_id LIMIT ?",
            (broadcast_id, limit),
        )
        return [Recipient(r["chat_id"], r["user_id"], r["language"], r["telegram_language"])
                for r in rows]

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
