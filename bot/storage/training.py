"""Trainer tools storage: roles, trainer invites, cohorts and their members, trainer prompts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database, Row, epoch_of, to_epoch
from bot.storage.users import MEMBER_NAME


@dataclass(frozen=True, slots=True)
class Cohort:
    """A group of learners a trainer follows together."""

    id: int
    name: str
    invite_code: str
    created_by: int
    archived: bool
    group_chat_id: int | None
    created_at: datetime
    members: int = 0

    @classmethod
    def from_row(cls, row: Row) -> Cohort:
        """Build from a ``cohorts`` row (with an optional ``members`` count column)."""
        keys = row.keys()
        return cls(
            id=row["id"],
            name=row["name"],
            invite_code=row["invite_code"],
            created_by=row["created_by"],
            archived=bool(row["archived"]),
            group_chat_id=row["group_chat_id"],
            created_at=epoch_of(row["created_at"]),
            members=int(row["members"]) if "members" in keys else 0,
        )


@dataclass(frozen=True, slots=True)
class CohortCourse:
    """A course on a cohort's path: its optional deadline (local date 'YYYY-MM-DD'), its place
    in the path and when it was assigned (None for courses assigned before that was kept)."""

    course_key: str
    deadline: str | None
    position: int = 0
    assigned_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Row) -> CohortCourse:
        """Build from a ``cohort_courses`` row."""
        assigned = row["assigned_at"]
        return cls(row["course_key"], row["deadline"], int(row["position"]),
                   None if assigned is None else epoch_of(assigned))


@dataclass(frozen=True, slots=True)
class Member:
    """A cohort member as the trainer sees them."""

    user_id: int
    name: str
    unit: str | None
    joined_at: datetime
    is_active: bool


@dataclass(frozen=True, slots=True)
class Prompt:
    """What a trainer's next message answers."""

    user_id: int
    kind: str
    ref: str


_COHORT_COLUMNS = (
    "c.id, c.name, c.invite_code, c.created_by, c.archived, c.group_chat_id, c.created_at"
)
# "Cohort ``c`` is run by the trainer given twice as parameters": they created it, or an
# admin assigned them to it.
_RUN_BY = (
    "(c.created_by = ? OR EXISTS (SELECT 1 FROM cohort_trainers t"
    " WHERE t.cohort_id = c.id AND t.user_id = ?))"
)


class TrainingRepository:
    """Reads and writes roles, trainer invites, cohorts, members and prompts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ roles

    async def role(self, user_id: int) -> str | None:
        """The stored role of a user ('trainer'), or None."""
        value = await self._db.fetch_value("SELECT role FROM roles WHERE user_id = ?", (user_id,))
        return None if value is None else str(value)

    async def grant(self, user_id: int, role: str, granted_by: int, now: datetime) -> bool:
        """Give ``role``; False when the user already had it."""
        changed = await self._db.execute(
            "INSERT INTO roles (user_id, role, granted_by, granted_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO NOTHING",
            (user_id, role, granted_by, to_epoch(now)),
        )
        return changed == 1

    async def revoke(self, user_id: int) -> bool:
        """Take the stored role away (and the cohorts assigned to them); False when there was
        none."""
        async with self._db.transaction():
            await self._db.write("DELETE FROM cohort_trainers WHERE user_id = ?", (user_id,))
            return await self._db.execute(
                "DELETE FROM roles WHERE user_id = ?", (user_id,)) == 1

    async def trainer_ids(self) -> list[int]:
        """Everyone with a stored trainer role."""
        rows = await self._db.fetch_all("SELECT user_id FROM roles WHERE role = 'trainer'")
        return [int(r["user_id"]) for r in rows]

    async def add_invite(self, code: str, created_by: int, now: datetime) -> None:
        """Store a fresh one-time trainer invite."""
        await self._db.write(
            "INSERT INTO trainer_invites (code, created_by, created_at) VALUES (?, ?, ?)",
            (code, created_by, to_epoch(now)),
        )

    async def redeem_invite(self, code: str, user_id: int, now: datetime) -> int | None:
        """Consume an unused invite and grant the trainer role; the inviter's id, else None."""
        async with self._db.transaction():
            rows = await self._db.returning(
                "UPDATE trainer_invites SET used_by = ?, used_at = ?"
                " WHERE code = ? AND used_by IS NULL RETURNING created_by",
                (user_id, to_epoch(now), code),
            )
            if not rows:
                return None
            await self._db.write(
                "INSERT INTO roles (user_id, role, granted_by, granted_at)"
                " VALUES (?, 'trainer', ?, ?) ON CONFLICT (user_id) DO NOTHING",
                (user_id, rows[0]["created_by"], to_epoch(now)),
            )
        return int(rows[0]["created_by"])

    # ------------------------------------------------------------------ cohorts

    async def create_cohort(self, name: str, code: str, created_by: int, now: datetime) -> Cohort:
        """Insert a cohort (``Conflict`` on a code collision, so the caller draws again)."""
        rows = await self._db.returning(
            "INSERT INTO cohorts (name, invite_code, created_by, created_at)"
            " VALUES (?, ?, ?, ?) RETURNING *",
            (name, code, created_by, to_epoch(now)),
        )
        return Cohort.from_row(rows[0])

    async def cohort(self, cohort_id: int) -> Cohort | None:
        """One cohort with its member count."""
        row = await self._db.fetch_one(
            f"SELECT {_COHORT_COLUMNS}, (SELECT COUNT(*) FROM cohort_members m"
            " WHERE m.cohort_id = c.id) AS members FROM cohorts c WHERE c.id = ?",
            (cohort_id,),
        )
        return None if row is None else Cohort.from_row(row)

    async def cohort_by_code(self, code: str) -> Cohort | None:
        """The cohort whose invite code this is."""
        row = await self._db.fetch_one(
            f"SELECT {_COHORT_COLUMNS} FROM cohorts c WHERE c.invite_code = ?", (code,)
        )
        return None if row is None else Cohort.from_row(row)

    async def cohorts(self, *, archived: bool = False) -> list[Cohort]:
        """Cohorts (active ones by default), newest first, with member counts."""
        rows = await self._db.fetch_all(
            f"SELECT {_COHORT_COLUMNS}, COUNT(m.user_id) AS members FROM cohorts c"
            " LEFT JOIN cohort_members m ON m.cohort_id = c.id WHERE c.archived = ?"
            " GROUP BY c.id ORDER BY c.created_at DESC, c.id DESC",
            (int(archived),),
        )
        return [Cohort.from_row(r) for r in rows]

    async def cohorts_run_by(self, user_id: int, *, archived: bool = False) -> list[Cohort]:
        """Active (or archived) cohorts this trainer created or was assigned to, newest first,
        with member counts."""
        rows = await self._db.fetch_all(
            f"SELECT {_COHORT_COLUMNS}, COUNT(m.user_id) AS members FROM cohorts c"
            " LEFT JOIN cohort_members m ON m.cohort_id = c.id"
            f" WHERE c.archived = ? AND {_RUN_BY}"
            " GROUP BY c.id ORDER BY c.created_at DESC, c.id DESC",
            (int(archived), user_id, user_id),
        )
        return [Cohort.from_row(r) for r in rows]

    async def runs(self, user_id: int, cohort_id: int) -> bool:
        """True when this trainer created the cohort or was assigned to it (archived too)."""
        return await self._db.fetch_value(
            f"SELECT 1 FROM cohorts c WHERE c.id = ? AND {_RUN_BY}",  # noqa: S608
            (cohort_id, user_id, user_id),
        ) is not None

    async def assign_trainer(self, cohort_id: int, user_id: int, by: int,
                             now: datetime) -> bool:
        """Assign a trainer to a cohort; False when they already were."""
        return await self._db.execute(
            "INSERT INTO cohort_trainers (cohort_id, user_id, assigned_by, assigned_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (cohort_id, user_id) DO NOTHING",
            (cohort_id, user_id, by, to_epoch(now)),
        ) == 1

    async def unassign_trainer(self, cohort_id: int, user_id: int) -> bool:
        """Remove a trainer's assignment to a cohort; False when there was none."""
        return await self._db.execute(
            "DELETE FROM cohort_trainers WHERE cohort_id = ? AND user_id = ?",
            (cohort_id, user_id),
        ) == 1

    async def assigned_trainers(self, cohort_id: int) -> list[int]:
        """The trainers an admin assigned to this cohort, in the order they were assigned."""
        rows = await self._db.fetch_all(
            "SELECT user_id FROM cohort_trainers WHERE cohort_id = ?"
            " ORDER BY assigned_at, user_id",
            (cohort_id,),
        )
        return [int(r["user_id"]) for r in rows]

    async def runners(self) -> list[tuple[int, Cohort]]:
        """(trainer, cohort) for every active cohort and each one who created it or was
        assigned to it, by cohort name."""
        rows = await self._db.fetch_all(
            f"SELECT r.user_id AS runner, {_COHORT_COLUMNS} FROM cohorts c JOIN"
            " (SELECT id AS cohort_id, created_by AS user_id FROM cohorts"
            " UNION SELECT cohort_id, user_id FROM cohort_trainers) r ON r.cohort_id = c.id"
            f" WHERE c.archived = 0 ORDER BY {self._db.dialect.nocase('c.name')}, c.id",  # noqa: S608
        )
        return [(int(r["runner"]), Cohort.from_row(r)) for r in rows]

    async def rename_cohort(self, cohort_id: int, name: str) -> bool:
        """Change the name; False if there is no such cohort."""
        return await self._db.execute(
            "UPDATE cohorts SET name = ? WHERE id = ?", (name, cohort_id)
        ) == 1

    async def set_archived(self, cohort_id: int, archived: bool) -> bool:
        """Archive (or restore) a cohort; its invite link stops (or resumes) working."""
        return await self._db.execute(
            "UPDATE cohorts SET archived = ? WHERE id = ?", (int(archived), cohort_id)
        ) == 1

    async def link_group(self, cohort_id: int, chat_id: int | None) -> bool:
        """Link the cohort to a group chat (None unlinks); a group serves one cohort."""
        async with self._db.transaction():
            if chat_id is not None:
                await self._db.write(
                    "UPDATE cohorts SET group_chat_id = NULL WHERE group_chat_id = ?", (chat_id,)
                )
            return await self._db.execute(
                "UPDATE cohorts SET group_chat_id = ? WHERE id = ?", (chat_id, cohort_id)
            ) == 1

    async def cohort_for_group(self, chat_id: int) -> Cohort | None:
        """The cohort linked to a group chat."""
        row = await self._db.fetch_one(
            f"SELECT {_COHORT_COLUMNS} FROM cohorts c WHERE c.group_chat_id = ?", (chat_id,)
        )
        return None if row is None else Cohort.from_row(row)

    async def courses(self, cohort_id: int) -> list[CohortCourse]:
        """The courses assigned to a cohort, in the cohort's order (its members' path)."""
        rows = await self._db.fetch_all(
            "SELECT course_key, deadline, position, assigned_at FROM cohort_courses"
            " WHERE cohort_id = ? AND active = 1 ORDER BY position, course_key",
            (cohort_id,),
        )
        return [CohortCourse.from_row(r) for r in rows]

    async def toggle_course(self, cohort_id: int, course_key: str, now: datetime) -> bool:
        """Assign the course if it was not, else unassign it; True when now assigned.

        Unassigning keeps the row (inactive) so its deadline returns with it; assigning puts
        the course at the end of the cohort's path."""
        async with self._db.transaction():
            if await self._db.execute(
                "UPDATE cohort_courses SET active = 0"
                " WHERE cohort_id = ? AND course_key = ? AND active = 1",
                (cohort_id, course_key),
            ):
                return False
            await self._assign(cohort_id, course_key, now)
        return True

    async def set_deadline(self, cohort_id: int, course_key: str, deadline: str | None,
                           now: datetime) -> None:
        """Assign the course (if needed) with this deadline (None removes the deadline)."""
        async with self._db.transaction():
            await self._assign(cohort_id, course_key, now)
            await self._db.write(
                "UPDATE cohort_courses SET deadline = ? WHERE cohort_id = ? AND course_key = ?",
                (deadline, cohort_id, course_key),
            )

    async def _assign(self, cohort_id: int, course_key: str, now: datetime) -> None:
        """Make the course active in the cohort (at the end of its path if it was not)."""
        await self._db.write(
            "INSERT INTO cohort_courses (cohort_id, course_key, position, assigned_at, active)"
            " VALUES (?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM cohort_courses"
            " WHERE cohort_id = ?), ?, 1)"
            " ON CONFLICT (cohort_id, course_key) DO UPDATE SET active = 1,"
            " position = CASE WHEN cohort_courses.active = 1 THEN cohort_courses.position"
            " ELSE excluded.position END,"
            " assigned_at = COALESCE(cohort_courses.assigned_at, excluded.assigned_at)",
            (cohort_id, course_key, cohort_id, to_epoch(now)),
        )

    # ------------------------------------------------------------------ members

    async def add_member(self, cohort_id: int, user_id: int, now: datetime) -> bool:
        """Add a learner; False when they were already a member."""
        return await self._db.execute(
            "INSERT INTO cohort_members (cohort_id, user_id, joined_at) VALUES (?, ?, ?)"
            " ON CONFLICT (cohort_id, user_id) DO NOTHING",
            (cohort_id, user_id, to_epoch(now)),
        ) == 1

    async def remove_member(self, cohort_id: int, user_id: int) -> bool:
        """Take a learner out of a cohort (their learning stays theirs); False if not in it."""
        return await self._db.execute(
            "DELETE FROM cohort_members WHERE cohort_id = ? AND user_id = ?",
            (cohort_id, user_id),
        ) == 1

    async def member(self, cohort_id: int, user_id: int) -> Member | None:
        """One member of a cohort, or None when they are not in it."""
        row = await self._db.fetch_one(
            f"SELECT u.id, {MEMBER_NAME} AS name, u.unit, u.is_active, m.joined_at"
            " FROM cohort_members m JOIN users u ON u.id = m.user_id"
            " WHERE m.cohort_id = ? AND m.user_id = ?",  # noqa: S608
            (cohort_id, user_id),
        )
        return None if row is None else Member(
            row["id"], row["name"], row["unit"], epoch_of(row["joined_at"]),
            bool(row["is_active"]))

    async def members(self, cohort_id: int, *, limit: int, offset: int = 0) -> list[Member]:
        """A page of members, by name."""
        rows = await self._db.fetch_all(
            f"SELECT u.id, {MEMBER_NAME} AS name, u.unit, u.is_active, m.joined_at"
            " FROM cohort_members m JOIN users u ON u.id = m.user_id WHERE m.cohort_id = ?"
            f" ORDER BY {self._db.dialect.nocase(MEMBER_NAME)}, u.id LIMIT ? OFFSET ?",  # noqa: S608
            (cohort_id, limit, offset),
        )
        return [
            Member(r["id"], r["name"], r["unit"], epoch_of(r["joined_at"]), bool(r["is_active"]))
            for r in rows
        ]

    async def cohorts_of(self, user_id: int) -> list[Cohort]:
        """The active cohorts a learner belongs to."""
        rows = await self._db.fetch_all(
            f"SELECT {_COHORT_COLUMNS} FROM cohorts c JOIN cohort_members m"
            " ON m.cohort_id = c.id WHERE m.user_id = ? AND c.archived = 0 ORDER BY c.id",
            (user_id,),
        )
        return [Cohort.from_row(r) for r in rows]

    # ------------------------------------------------------------------ prompts

    async def set_prompt(self, user_id: int, kind: str, ref: str, now: datetime) -> None:
        """Remember what the trainer's next message answers (replacing any earlier question)."""
        await self._db.write(
            "INSERT INTO trainer_prompts (user_id, kind, ref, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind, ref = excluded.ref,"
            " created_at = excluded.created_at",
            (user_id, kind, ref, to_epoch(now)),
        )

    async def prompt(self, user_id: int) -> Prompt | None:
        """The open question for this trainer, if any."""
        row = await self._db.fetch_one(
            "SELECT user_id, kind, ref FROM trainer_prompts WHERE user_id = ?", (user_id,)
        )
        return None if row is None else Prompt(row["user_id"], row["kind"], row["ref"])

    async def clear_prompt(self, user_id: int) -> None:
        """Forget the open question."""
        await self._db.write("DELETE FROM trainer_prompts WHERE user_id = ?", (user_id,))
