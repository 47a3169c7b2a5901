"""Where a person's data lives: every column that holds a Telegram user id, and what erasure
does with it.

The export and the erasure walk the live schema, not a hand-kept list of tables: any column
that looks like a user id (``user_id``, ``*_user_id``, ``*_by``) or a chat id (``*chat_id``)
must be classified here, either as personal (with an erasure action) or as not personal (with
the reason). A test fails when a migration adds such a column without a decision, and at run
time an unclassified user column is still exported and its rows deleted (the safe default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Erase(Enum):
    """What erasing a person does to a column that holds their id."""

    DELETE = "delete"   # delete the rows (the row is about the person)
    NULL = "null"       # keep the row, forget who (the row belongs to a group or the bot)
    ZERO = "zero"       # as NULL, for NOT NULL columns: 0 is "someone who was erased"


@dataclass(frozen=True, slots=True)
class PersonalColumn:
    """A column holding a person's Telegram id (a user id, or a private chat's id)."""

    table: str
    column: str
    erase: Erase


# In erasure order: children before parents, `users` last. A private chat's id equals its
# user's id, so the chat columns of private-chat rows are personal too.
PERSONAL: tuple[PersonalColumn, ...] = (
    PersonalColumn("quiz_polls", "user_id", Erase.DELETE),
    PersonalColumn("quiz_polls", "chat_id", Erase.DELETE),
    PersonalColumn("learning_sessions", "user_id", Erase.DELETE),
    PersonalColumn("learning_sessions", "chat_id", Erase.DELETE),
    PersonalColumn("lesson_progress", "user_id", Erase.DELETE),
    PersonalColumn("quiz_answers", "user_id", Erase.DELETE),
    PersonalColumn("review_items", "user_id", Erase.DELETE),
    PersonalColumn("review_logs", "user_id", Erase.DELETE),
    PersonalColumn("activity_days", "user_id", Erase.DELETE),
    # Certificates are deleted, not kept as "revoked": the code would still tell a verifier
    # that this person once held it. /verify answers "not found"; the learner is told first.
    PersonalColumn("certificates", "user_id", Erase.DELETE),
    # A certificate another admin revoked keeps its revocation, not who revoked it.
    PersonalColumn("certificates", "revoked_by", Erase.ZERO),
    PersonalColumn("evaluation_answers", "user_id", Erase.DELETE),
    PersonalColumn("evaluation_attempts", "user_id", Erase.DELETE),
    PersonalColumn("evaluation_attempts", "chat_id", Erase.DELETE),
    PersonalColumn("course_results", "user_id", Erase.DELETE),
    PersonalColumn("deadline_reminders", "user_id", Erase.DELETE),
    PersonalColumn("nudge_ledger", "user_id", Erase.DELETE),
    PersonalColumn("nudge_schedules", "user_id", Erase.DELETE),
    PersonalColumn("cohort_members", "user_id", Erase.DELETE),
    PersonalColumn("trainer_prompts", "user_id", Erase.DELETE),
    # A trainer's cohort assignments and an admin's user searches die with them; an
    # assignment another admin made stays, by nobody.
    PersonalColumn("cohort_trainers", "user_id", Erase.DELETE),
    PersonalColumn("cohort_trainers", "assigned_by", Erase.ZERO),
    PersonalColumn("user_searches", "user_id", Erase.DELETE),
    PersonalColumn("roles", "user_id", Erase.DELETE),
    PersonalColumn("roles", "granted_by", Erase.ZERO),
    # Invites the person created die with them; one they redeemed stays used, by nobody.
    PersonalColumn("trainer_invites", "created_by", Erase.DELETE),
    PersonalColumn("trainer_invites", "used_by", Erase.NULL),
    # Cohorts and broadcasts belong to the organisation: they stay, their author is forgotten.
    PersonalColumn("cohorts", "created_by", Erase.ZERO),
    PersonalColumn("broadcasts", "created_by", Erase.ZERO),
    PersonalColumn("broadcasts", "progress_chat_id", Erase.NULL),
    # Pending rows deleted = no broadcast reaches the person any more.
    PersonalColumn("broadcast_recipients", "user_id", Erase.DELETE),
    PersonalColumn("broadcast_recipients", "chat_id", Erase.DELETE),
    PersonalColumn("discussion_posts", "user_id", Erase.DELETE),
    PersonalColumn("discussion_threads", "opened_by", Erase.NULL),
    # Uploaded course packs belong to the organisation; who uploaded one is forgotten.
    PersonalColumn("course_packs", "uploaded_by", Erase.ZERO),
    PersonalColumn("course_versions", "uploaded_by", Erase.ZERO),
    PersonalColumn("course_version_events", "done_by", Erase.ZERO),
    # PostgreSQL only: updates waiting in the shared inbox (their text and names) and the
    # rate limiter's record of the last minute of sends to the person's private chat (the
    # bot writes private chats there by pseudonym, bot.delivery.shared; the entries still
    # catch a row written with the id in clear).
    PersonalColumn("inbox", "chat_id", Erase.DELETE),
    PersonalColumn("flood_sends", "chat_id", Erase.DELETE),
    PersonalColumn("flood_chats", "chat_id", Erase.DELETE),
    PersonalColumn("chats", "id", Erase.DELETE),
    PersonalColumn("users", "id", Erase.DELETE),
)

#: Tables only the PostgreSQL schema has (bot.cluster): the registry's entries for them do
#: nothing on SQLite.
POSTGRES_ONLY_TABLES = frozenset({"inbox", "flood_sends", "flood_chats"})

# Columns that look like ids of people but are not, with the reason.
NOT_PERSONAL: dict[tuple[str, str], str] = {
    ("cohorts", "group_chat_id"): "the cohort's discussion group (a group chat, not a person)",
    ("discussion_groups", "chat_id"): "a group chat's settings",
    ("discussion_threads", "chat_id"): "the group a thread lives in",
    ("discussion_posts", "chat_id"): "the group a post was made in (the row goes with user_id)",
    ("discussion_weekly_prompts", "chat_id"): "the group a weekly prompt went to",
    ("chat_migrations", "old_chat_id"): "a basic group upgraded to a supergroup",
    ("chat_migrations", "new_chat_id"): "the supergroup a basic group became",
}

# Whole tables left out of the export and the erasure, with the reason.
EXCLUDED_TABLES: dict[str, str] = {
    "privacy_question_totals": "anonymous totals, no user id",
    "privacy_lesson_totals": "anonymous totals, no user id",
    "privacy_course_totals": "anonymous totals, no user id",
    "privacy_erasures": "anonymous counts of erasures per month",
    # What honouring an erasure needs (UU 27/2022): HMAC-SHA256 of each erased id under the
    # key below, the day and why; no id in clear. It only answers "was this id erased?".
    "privacy_tombstones": "keyed hashes of erased ids, so they are not recorded again",
    "privacy_key": "the random key of the tombstones' hashes (one row, no person)",
    "delivery_stats": "anonymous delivery counters per day",
}

_USERISH = re.compile(r"^(?:.*_)?user_id$|_by$")
_CHATISH = re.compile(r"chat_id$")
# Tables whose primary key `id` is a person's (or a private chat's) Telegram id.
_ID_TABLES = frozenset({"users", "chats"})


def looks_personal(table: str, column: str) -> bool:
    """True for a column that by its name may hold a person's Telegram id."""
    return (bool(_USERISH.search(column)) or bool(_CHATISH.search(column))
            or (column == "id" and table in _ID_TABLES))


def unclassified(schema: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Columns of ``schema`` that look personal but are classified nowhere (must be empty)."""
    known = {(c.table, c.column) for c in PERSONAL} | set(NOT_PERSONAL)
    return sorted(
        (table, column)
        for table, columns in schema.items() if table not in EXCLUDED_TABLES
        for column in columns
        if looks_personal(table, column) and (table, column) not in known
    )


def plan(schema: dict[str, list[str]]) -> list[PersonalColumn]:
    """The personal columns present in ``schema``, in erasure order.

    An unclassified user column (a table added without a decision) is included with DELETE,
    before the registry's entries: forgetting a person beats keeping them by mistake.
    """
    present = [c for c in PERSONAL if c.column in schema.get(c.table, ())]
    extra = [PersonalColumn(table, column, Erase.DELETE)
             for table, column in unclassified(schema) if _USERISH.search(column)]
    return extra + present
