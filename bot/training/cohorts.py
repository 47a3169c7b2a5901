"""Cohorts: named groups of learners with an invite deep link, courses and deadlines."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date
from typing import Literal
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.storage.db import Conflict
from bot.storage.training import Cohort, CohortCourse, Member, TrainingRepository
from bot.training.roles import RoleService, random_code

logger = logging.getLogger(__name__)

COHORT_INVITE_PREFIX = "c_"
NAME_MAX = 64
MEMBERS_PAGE = 20
_PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SPACES = re.compile(r"\s+")
_DATE_RES = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})$"),
)


def invite_link(bot_username: str, payload: str) -> str:
    """https://t.me/<bot>?start=<payload>, checked against Telegram's payload rules."""
    if not _PAYLOAD_RE.match(payload):
        raise ValueError(f"invalid start payload {payload!r}")
    return f"https://t.me/{bot_username}?start={payload}"


def clean_name(text: str) -> str | None:
    """A cohort name of 1-64 characters (whitespace collapsed), else None."""
    name = _SPACES.sub(" ", text or "").strip()
    return name if 0 < len(name) <= NAME_MAX else None


def parse_deadline(text: str) -> date | None:
    """'2026-06-30' or '30-06-2026' (also with / or .) as a date, else None."""
    value = (text or "").strip()
    for pattern in _DATE_RES:
        match = pattern.match(value)
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


@dataclass(frozen=True, slots=True)
class LinkResult:
    """What linking a group to a cohort did: 'linked', 'already' (to this cohort), or
    'elsewhere' (linked to ``current``, another cohort: nothing moved until asked again)."""

    outcome: Literal["linked", "already", "elsewhere"]
    current: Cohort | None = None


class PastDeadline(ValueError):  # noqa: N818 - a refusal, reported as such
    """A deadline before today (in the configured zone) is refused."""


@dataclass(frozen=True, slots=True)
class JoinResult:
    """What opening a cohort link did."""

    outcome: Literal["joined", "already", "invalid", "archived"]
    cohort: Cohort | None = None


class CohortService:
    """Create, list, rename, archive cohorts; assign courses; let learners join by link."""

    def __init__(self, repo: TrainingRepository, clock: Clock, *, roles: RoleService,
                 trainers_own_cohorts: bool = False, zone: ZoneInfo | None = None) -> None:
        self._repo = repo
        self._clock = clock
        self._roles = roles
        self._own_only = trainers_own_cohorts
        self._zone = zone  # the zone deadlines are dates of (locale.timezone; UTC if None)

    async def visible_to(self, user_id: int, *, archived: bool = False) -> list[Cohort]:
        """The active (or archived) cohorts this staff member may see and steer, newest
        first: every cohort for an admin (or when trainers are not limited), else the ones
        the trainer runs (created, or was assigned to by an admin)."""
        if not self._own_only or self._roles.is_admin(user_id):
            return await self._repo.cohorts(archived=archived)
        return await self._repo.cohorts_run_by(user_id, archived=archived)

    async def may_see(self, user_id: int, cohort_id: int) -> bool:
        """True when this staff member may read and steer this cohort (see visible_to; an
        archived cohort they run too, so they can restore it)."""
        if not self._own_only or self._roles.is_admin(user_id):
            return True
        return await self._repo.runs(user_id, cohort_id)

    async def cohorts_run_by(self, user_id: int) -> list[Cohort]:
        """The active cohorts this trainer created or was assigned to, newest first."""
        return await self._repo.cohorts_run_by(user_id)

    async def trainers(self, cohort_id: int) -> list[int]:
        """The trainers an admin assigned to this cohort (its creator runs it anyway)."""
        return await self._repo.assigned_trainers(cohort_id)

    async def toggle_trainer(self, cohort_id: int, trainer_id: int, *, by: int) -> bool:
        """Assign a trainer to the cohort, or remove the assignment; True when now assigned.
        Only trainers can be assigned (admins see every cohort anyway): ValueError else."""
        if await self._roles.role_of(trainer_id) != "trainer":
            raise ValueError(f"user {trainer_id} is not a trainer")
        if await self._repo.unassign_trainer(cohort_id, trainer_id):
            return False
        await self._repo.assign_trainer(cohort_id, trainer_id, by, self._clock.now())
        return True

    @property
    def limited(self) -> bool:
        """True when trainers see only their own cohorts (their "all learners" is then the
        members of those cohorts, bot.training.stats.StatsService.reach)."""
        return self._own_only

    async def create(self, name: str, *, by: int) -> Cohort:
        """A new cohort with a fresh invite code (``name`` must be clean, see clean_name)."""
        for _ in range(5):
            code = COHORT_INVITE_PREFIX + random_code()
            try:
                return await self._repo.create_cohort(name, code, by, self._clock.now())
            except Conflict:
                logger.warning("cohort code collision, drawing again")
        raise RuntimeError("could not draw a unique cohort code")

    async def get(self, cohort_id: int) -> Cohort | None:
        """One cohort, with its member count."""
        return await self._repo.cohort(cohort_id)

    async def all(self, *, archived: bool = False) -> list[Cohort]:
        """Active (or archived) cohorts, newest first."""
        return await self._repo.cohorts(archived=archived)

    async def rename(self, cohort_id: int, name: str) -> bool:
        """Rename; False if the cohort does not exist."""
        return await self._repo.rename_cohort(cohort_id, name)

    async def archive(self, cohort_id: int, archived: bool = True) -> bool:
        """Archive (or restore) a cohort; an archived cohort's link no longer admits anyone."""
        return await self._repo.set_archived(cohort_id, archived)

    async def courses(self, cohort_id: int) -> list[CohortCourse]:
        """Assigned courses with deadlines."""
        return await self._repo.courses(cohort_id)

    async def toggle_course(self, cohort_id: int, course_key: str) -> bool:
        """Assign or unassign a course; True when it is now assigned."""
        return await self._repo.toggle_course(cohort_id, course_key, self._clock.now())

    async def set_deadline(self, cohort_id: int, course_key: str, deadline: date | None) -> None:
        """Assign the course with a deadline (None clears it); ``PastDeadline`` for a date
        before today in the configured zone."""
        if deadline is not None and deadline < self._clock.now().astimezone(
                self._zone or UTC).date():
            raise PastDeadline(deadline.isoformat())
        await self._repo.set_deadline(
            cohort_id, course_key, None if deadline is None else deadline.isoformat(),
            self._clock.now(),
        )

    async def members(self, cohort_id: int, page: int = 0, *,
                      size: int = MEMBERS_PAGE) -> list[Member]:
        """One page of members, by name."""
        return await self._repo.members(cohort_id, limit=size, offset=max(0, page) * size)

    async def member(self, cohort_id: int, user_id: int) -> Member | None:
        """One member of the cohort (None when they are not in it)."""
        return await self._repo.member(cohort_id, user_id)

    async def remove_member(self, cohort_id: int, user_id: int) -> bool:
        """Take a learner out of the cohort; what they learned stays theirs. False when they
        were not a member."""
        return await self._repo.remove_member(cohort_id, user_id)

    async def link_group(self, cohort_id: int, chat_id: int | None) -> bool:
        """Link (or unlink) the cohort's discussion group, moving it from any other cohort."""
        return await self._repo.link_group(cohort_id, chat_id)

    async def link_group_asking(self, cohort_id: int, chat_id: int) -> LinkResult:
        """Link the group unless another cohort has it: then nothing changes and the caller
        asks before moving it (``link_group``)."""
        current = await self._repo.cohort_for_group(chat_id)
        if current is not None and current.id == cohort_id:
            return LinkResult("already", current)
        if current is not None:
            return LinkResult("elsewhere", current)
        await self._repo.link_group(cohort_id, chat_id)
        return LinkResult("linked")

    async def for_group(self, chat_id: int) -> Cohort | None:
        """The cohort linked to a group chat."""
        return await self._repo.cohort_for_group(chat_id)

    async def join(self, code: str, user_id: int) -> JoinResult:
        """Add the learner to the cohort whose invite code this is."""
        if not code.startswith(COHORT_INVITE_PREFIX):
            return JoinResult("invalid")
        cohort = await self._repo.cohort_by_code(code)
        if cohort is None:
            return JoinResult("invalid")
        if cohort.archived:
            return JoinResult("archived", cohort)
        added = await self._repo.add_member(cohort.id, user_id, self._clock.now())
        return JoinResult("joined" if added else "already", cohort)

    async def join_from_payload(self, payload: str | None, user_id: int) -> JoinResult | None:
        """Join by a /start payload if it is a cohort invite (None when it is not one)."""
        if not payload or not payload.startswith(COHORT_INVITE_PREFIX):
            return None
        return await self.join(payload, user_id)

    async def cohorts_of(self, user_id: int) -> list[Cohort]:
        """A learner's active cohorts."""
        return await self._repo.cohorts_of(user_id)
