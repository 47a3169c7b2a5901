"""Users and chats: the people and places the bot talks with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.db import Database, Row, epoch_of, from_epoch, to_epoch

# The name a member is listed by (users aliased ``u``): the chosen display name, else the
# Telegram name. An expression, not an alias, so ORDER BY may wrap it on every engine.
MEMBER_NAME = (
    "COALESCE(u.display_name, TRIM(u.first_name || ' ' || COALESCE(u.last_name, '')))"
)


@dataclass(frozen=True, slots=True)
class User:
    """A Telegram user as Sinau knows them."""

    id: int
    first_name: str
    last_name: str | None
    username: str | None
    telegram_language: str | None
    language: str | None
    display_name: str | None
    unit: str | None
    timezone: str
    start_payload: str | None
    onboarding_step: str | None
    onboarded_at: datetime | None
    is_active: bool
    created_at: datetime
    last_seen_at: datetime
    current_course: str | None = None
    nudge_time: str | None = None
    nudge_days: str = "daily"
    desired_retention: float | None = None  # FSRS; None = settings.learning.review_retention
    asked: frozenset[str] = frozenset()  # the late onboarding questions already asked
    nip: str | None = None          # 18 digits, validated (bot.people.nip); unique
    jabatan: str | None = None      # the position, as HR names it
    institution: str | None = None  # instansi / OPD, as HR names it

    @property
    def full_name(self) -> str:
        """First and last name as Telegram gave them."""
        return " ".join(p for p in (self.first_name, self.last_name) if p).strip()

    @property
    def name(self) -> str:
        """The name to show: the chosen display name, else the Telegram name."""
        return self.display_name or self.full_name or str(self.id)

    @property
    def onboarded(self) -> bool:
        """True once the learner finished onboarding."""
        return self.onboarded_at is not None

    @classmethod
    def from_row(cls, row: Row) -> User:
        """Build from a ``users`` row."""
        return cls(
            id=row["id"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            username=row["username"],
            telegram_language=row["telegram_language"],
            language=row["language"],
            display_name=row["display_name"],
            unit=row["unit"],
            timezone=row["timezone"],
            start_payload=row["start_payload"],
            onboarding_step=row["onboarding_step"],
            onboarded_at=from_epoch(row["onboarded_at"]),
            is_active=bool(row["is_active"]),
            created_at=epoch_of(row["created_at"]),
            last_seen_at=epoch_of(row["last_seen_at"]),
            current_course=row["current_course"],
            nudge_time=row["nudge_time"],
            nudge_days=row["nudge_days"] or "daily",
            desired_retention=(None if row["desired_retention"] is None
                               else float(row["desired_retention"])),
            asked=frozenset(filter(None, (row["asked"] or "").split(","))),
            nip=row["nip"],
            jabatan=row["jabatan"],
            institution=row["institution"],
        )


@dataclass(frozen=True, slots=True)
class Chat:
    """A chat the bot is in (private, group, supergroup)."""

    id: int
    type: str
    title: str | None
    is_forum: bool
    language: str | None
    bot_status: str | None

    @classmethod
    def from_row(cls, row: Row) -> Chat:
        """Build from a ``chats`` row."""
        return cls(
            id=row["id"],
            type=row["type"],
            title=row["title"],
            is_forum=bool(row["is_forum"]),
            language=row["language"],
            bot_status=row["bot_status"],
        )


# Profile columns a service may change; anything else is refused, so no caller can smuggle a
# column name into the SQL below.
_PROFILE_COLUMNS = frozenset(
    {"language", "display_name", "unit", "timezone", "start_payload", "onboarding_step",
     "desired_retention", "nip", "jabatan", "institution"}
)


class UserRepository:
    """Reads and writes ``users``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def touch(
        self,
        *,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        telegram_language: str | None,
        timezone: str,
        now: datetime,
    ) -> User:
        """Record that the user was seen (creating them on first contact) and return them.

        A user who writes to the bot can be reached again, so this also re-activates them.
        """
        rows = await self._db.returning(
            """
            INSERT INTO users (id, first_name, last_name, username, telegram_language,
                               timezone, created_at, last_seen_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                first_name = excluded.first_name,
                last_name = excluded.last_name,
                username = excluded.username,
                telegram_language = excluded.telegram_language,
                last_seen_at = excluded.last_seen_at,
                is_active = 1
            RETURNING *
            """,
            (user_id, first_name, last_name, username, telegram_language, timezone,
             to_epoch(now), to_epoch(now)),
        )
        assert rows
        return User.from_row(rows[0])

    async def refresh(self, *, user_id: int, first_name: str, last_name: str | None,
                      username: str | None, telegram_language: str | None,
                      now: datetime) -> User | None:
        """As ``touch`` for a user already known; None (nothing written) for anyone else."""
        rows = await self._db.returning(
            "UPDATE users SET first_name = ?, last_name = ?, username = ?,"
            " telegram_language = ?, last_seen_at = ?, is_active = 1 WHERE id = ? RETURNING *",
            (first_name, last_name, username, telegram_language, to_epoch(now), user_id),
        )
        return User.from_row(rows[0]) if rows else None

    async def get(self, user_id: int) -> User | None:
        """The user with this Telegram id, if known."""
        row = await self._db.fetch_one("SELECT * FROM users WHERE id = ?", (user_id,))
        return None if row is None else User.from_row(row)

    async def update_profile(self, user_id: int, **fields: Any) -> User | None:
        """Change profile columns (language, display_name, unit, timezone, ...)."""
        unknown = set(fields) - _PROFILE_COLUMNS
        if unknown:
            raise ValueError(f"not a profile column: {sorted(unknown)}")
        if not fields:
            return await self.get(user_id)
        assignments = ", ".join(f"{name} = ?" for name in fields)
        rows = await self._db.returning(
            f"UPDATE users SET {assignments} WHERE id = ? RETURNING *",  # noqa: S608
            (*fields.values(), user_id),
        )
        return User.from_row(rows[0]) if rows else None

    async def mark_onboarded(self, user_id: int, now: datetime) -> None:
        """Finish onboarding."""
        await self._db.write(
            "UPDATE users SET onboarding_step = NULL, onboarded_at = COALESCE(onboarded_at, ?)"
            " WHERE id = ?",
            (to_epoch(now), user_id),
        )

    async def mark_asked(self, user_id: int, question: str) -> bool:
        """Record that a late onboarding question was asked; False if it already was.

        One statement, so two workers (or two presses) racing to ask it ask it once.
        """
        rows = await self._db.returning(
            "UPDATE users SET asked = CASE WHEN asked = '' THEN ? ELSE asked || ',' || ? END"
            " WHERE id = ? AND ',' || asked || ',' NOT LIKE ? RETURNING id",
            (question, question, user_id, f"%,{question},%"),
        )
        return bool(rows)

    async def set_active(self, user_id: int, active: bool) -> None:
        """Mark a user reachable (or not, after they blocked the bot)."""
        await self._db.write(
            "UPDATE users SET is_active = ? WHERE id = ?", (int(active), user_id)
        )

    async def count(self) -> int:
        """How many users are known."""
        return int(await self._db.fetch_value("SELECT COUNT(*) FROM users") or 0)

    async def get_many(self, user_ids: list[int]) -> dict[int, User]:
        """The known users among ``user_ids``, by id."""
        if not user_ids:
            return {}
        rows = await self._db.fetch_all(
            f"SELECT * FROM users WHERE {self._db.dialect.in_list('id')}",  # noqa: S608
            (self._db.list_param(user_ids),),
        )
        return {int(r["id"]): User.from_row(r) for r in rows}

    async def search(self, query: str, *, limit: int, offset: int = 0) -> tuple[list[User], int]:
        """People whose name, @username or NIP contains ``query`` (see ``_search_filter``),
        by name: one page of them and how many there are in all."""
        where, params = _search_filter(query)
        if where is None:
            return [], 0
        total = await self._db.fetch_value(
            f"SELECT COUNT(*) FROM users u WHERE ({where})", params)  # noqa: S608
        rows = await self._db.fetch_all(
            f"SELECT u.* FROM users u WHERE ({where})"  # noqa: S608
            f" ORDER BY {self._db.dialect.nocase(MEMBER_NAME)}, u.id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [User.from_row(r) for r in rows], int(total or 0)

    async def save_search(self, user_id: int, query: str, now: datetime) -> int:
        """Remember an admin's search (for its page buttons); its id. Searches older than a
        day are dropped on the way."""
        async with self._db.transaction():
            await self._db.write(
                "DELETE FROM user_searches WHERE user_id = ? AND created_at < ?",
                (user_id, to_epoch(now) - _SEARCH_KEPT_SECONDS),
            )
            rows = await self._db.returning(
                "INSERT INTO user_searches (user_id, query, created_at) VALUES (?, ?, ?)"
                " RETURNING id",
                (user_id, query, to_epoch(now)),
            )
        return int(rows[0]["id"])

    async def saved_search(self, search_id: int, user_id: int) -> str | None:
        """The text of this admin's search ``search_id`` (None: unknown, or someone else's)."""
        value = await self._db.fetch_value(
            "SELECT query FROM user_searches WHERE id = ? AND user_id = ?", (search_id, user_id))
        return None if value is None else str(value)


_SEARCH_KEPT_SECONDS = 24 * 3600
# Every name a person may be looked up by: the chosen display name and the Telegram name.
_SEARCH_NAME = (
    "lower(COALESCE(u.display_name, '') || ' ' || u.first_name || ' '"
    " || COALESCE(u.last_name, ''))"
)


def like_pattern(text: str) -> str:
    """``%text%`` for LIKE ... ESCAPE '\\', with the text's own ``\\``, ``%`` and ``_`` taken
    literally (a search for "50%" or "a_b" means those characters, not wildcards)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search_filter(query: str) -> tuple[str | None, tuple[Any, ...]]:
    """The WHERE clause and parameters of a people search (None: nothing to look for).

    ``@name`` looks in usernames only; digits look in NIPs (any part, so the last four found
    on a printed list do) and match a Telegram id exactly; other text looks in names and
    usernames. Case does not matter: both sides are lower-cased (SQLite's lower() folds
    ASCII only, PostgreSQL's every letter). Only fixed SQL fragments are joined here; the
    typed text travels as parameters.
    """
    text = " ".join(query.split()).lower()
    if text.startswith("@"):
        name = text[1:]
        if not name:
            return None, ()
        return "lower(COALESCE(u.username, '')) LIKE ? ESCAPE '\\'", (like_pattern(name),)
    if not text:
        return None, ()
    digits = text.replace(" ", "").replace(".", "")
    if digits.isascii() and digits.isdigit():
        return ("COALESCE(u.nip, '') LIKE ? ESCAPE '\\' OR u.id = ?",
                (like_pattern(digits), int(digits) if len(digits) <= 15 else -1))
    pattern = like_pattern(text)
    return (f"{_SEARCH_NAME} LIKE ? ESCAPE '\\'"
            " OR lower(COALESCE(u.username, '')) LIKE ? ESCAPE '\\'", (pattern, pattern))


class ChatRepository:
    """Reads and writes ``chats``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert(
        self, *, chat_id: int, type_: str, title: str | None, is_forum: bool, now: datetime
    ) -> Chat:
        """Record a chat (creating it on first sight) and return it."""
        rows = await self._db.returning(
            """
            INSERT INTO chats (id, type, title, is_forum, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                type = excluded.type, title = excluded.title,
                is_forum = excluded.is_forum, updated_at = excluded.updated_at
            RETURNING *
            """,
            (chat_id, type_, title, int(is_forum), to_epoch(now), to_epoch(now)),
        )
        return Chat.from_row(rows[0])

    async def get(self, chat_id: int) -> Chat | None:
        """The chat with this id, if known."""
        row = await self._db.fetch_one("SELECT * FROM chats WHERE id = ?", (chat_id,))
        return None if row is None else Chat.from_row(row)

    async def set_bot_status(self, chat_id: int, status: str, now: datetime) -> None:
        """Remember the bot's membership status in a chat."""
        await self._db.write(
            "UPDATE chats SET bot_status = ?, updated_at = ? WHERE id = ?",
            (status, to_epoch(now), chat_id),
        )

    async def set_language(self, chat_id: int, language: str) -> None:
        """Set a group's language."""
        await self._db.write("UPDATE chats SET language = ? WHERE id = ?", (language, chat_id))
