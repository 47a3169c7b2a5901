"""Roles: admins come from the settings, trainers are granted by admins, everyone else learns."""

from __future__ import annotations

import asyncio
import logging
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from bot.clock import Clock
from bot.people.nip import mask
from bot.storage.training import Cohort, TrainingRepository
from bot.storage.users import User, UserRepository

logger = logging.getLogger(__name__)

Role = Literal["admin", "trainer", "learner"]
_RANK: dict[str, int] = {"learner": 0, "trainer": 1, "admin": 2}
CODE_ALPHABET = string.ascii_letters + string.digits
TRAINER_INVITE_PREFIX = "t_"
#: People on one page of a search or of the staff list (a phone screen of buttons).
PEOPLE_PAGE = 8
#: How old the cached set of trainers may get before a cheap check (one per group message,
#: see ``known_staff``) refreshes it; a grant or revoke on this worker updates it at once.
STAFF_TTL = timedelta(seconds=60)


def random_code(length: int = 10) -> str:
    """``length`` random characters of A-Z a-z 0-9 (secrets, so codes are not guessable)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def at_least(role: Role, needed: Role) -> bool:
    """True when ``role`` includes the rights of ``needed`` (admin ⊃ trainer ⊃ learner)."""
    return _RANK[role] >= _RANK[needed]


def masked_nip(nip: str | None) -> str | None:
    """A NIP for lists and cards outside the person's own chat (bot.people.nip.mask: the
    middle hidden), None when there is none."""
    return mask(nip) if nip else None


@dataclass(frozen=True, slots=True)
class Person:
    """Someone as an admin sees them in a search or the staff list: never the full NIP."""

    user: User
    role: Role
    nip: str | None  # masked, see masked_nip
    cohorts: tuple[Cohort, ...] = ()  # the active cohorts they run (trainers and admins)

    @property
    def id(self) -> int:
        """The Telegram user id."""
        return self.user.id


@dataclass(frozen=True, slots=True)
class PeoplePage:
    """One page of people (a search's results or the staff list) and where it is."""

    people: list[Person]
    total: int
    page: int  # 0-based, clamped into range
    pages: int
    first: int = field(default=1)  # the list number of the page's first person


@dataclass(frozen=True, slots=True)
class GrantResult:
    """What a /grant did: 'granted', 'already' (trainer or admin before) or 'unknown' user."""

    outcome: Literal["granted", "already", "unknown"]
    user_id: int


class RoleService:
    """Who may do what."""

    def __init__(self, repo: TrainingRepository, admin_ids: Iterable[int], clock: Clock, *,
                 users: UserRepository) -> None:
        self._repo = repo
        self._users = users
        self._admins = frozenset(admin_ids)
        self._clock = clock
        # The trainers as of the last look (see known_staff); None until the first one.
        self._trainers: frozenset[int] = frozenset()
        self._trainers_at: datetime | None = None
        self._refreshing: asyncio.Task[frozenset[int]] | None = None

    def is_admin(self, user_id: int) -> bool:
        """True for the administrators named in the settings."""
        return user_id in self._admins

    async def role_of(self, user_id: int) -> Role:
        """The user's effective role."""
        if user_id in self._admins:
            return "admin"
        return "trainer" if await self._repo.role(user_id) == "trainer" else "learner"

    async def has(self, user_id: int, needed: Role) -> bool:
        """True when the user holds ``needed`` or a higher role."""
        return at_least(await self.role_of(user_id), needed)

    async def grant_trainer(self, user_id: int, *, by: int, known: bool) -> GrantResult:
        """Make a known user trainer (``known``: the bot has seen them)."""
        if not known:
            return GrantResult("unknown", user_id)
        if user_id in self._admins:
            return GrantResult("already", user_id)
        granted = await self._repo.grant(user_id, "trainer", by, self._clock.now())
        self._trainers |= {user_id}
        return GrantResult("granted" if granted else "already", user_id)

    async def revoke_trainer(self, user_id: int) -> bool:
        """Take the trainer role away (admins stay admins) with their cohort assignments;
        True if it was held."""
        self._trainers -= {user_id}
        return await self._repo.revoke(user_id)

    async def new_trainer_invite(self, *, by: int) -> str:
        """A fresh one-time /start payload that makes its first opener a trainer."""
        code = TRAINER_INVITE_PREFIX + random_code()
        await self._repo.add_invite(code, by, self._clock.now())
        return code

    async def redeem_trainer_invite(self, code: str, user_id: int) -> bool:
        """Consume the invite for ``user_id``; False when it is unknown or already used."""
        return await self._repo.redeem_invite(code, user_id, self._clock.now()) is not None

    async def staff_ids(self) -> list[int]:
        """Admins and trainers (for the per-chat command menus); refreshes the cached set."""
        return sorted(self._admins | await self.refresh_staff())

    # ------------------------------------------------------------ the cheap staff check

    async def refresh_staff(self) -> frozenset[int]:
        """Read the trainers again into the cache ``known_staff`` answers from."""
        trainers = frozenset(await self._repo.trainer_ids())
        self._trainers, self._trainers_at = trainers, self._clock.now()
        return trainers

    def known_staff(self, user_id: int) -> bool:
        """True for an admin or a trainer, without waiting for the database: for checks on
        every message (the flood gates in groups). Trainers come from a cache at most
        STAFF_TTL old (a grant or revoke here updates it at once); a stale cache still
        answers and is refreshed in the background."""
        if user_id in self._admins:
            return True
        at = self._trainers_at
        if at is None or self._clock.now() - at >= STAFF_TTL:
            self._refresh_soon()
        return user_id in self._trainers

    async def is_staff(self, user_id: int) -> bool:
        """As ``known_staff``, refreshing a stale cache first (one read per STAFF_TTL)."""
        at = self._trainers_at
        if user_id not in self._admins and (at is None or self._clock.now() - at >= STAFF_TTL):
            await self.refresh_staff()
        return self.known_staff(user_id)

    def _refresh_soon(self) -> None:
        if self._refreshing is not None and not self._refreshing.done():
            return
        try:
            self._refreshing = asyncio.get_running_loop().create_task(self.refresh_staff())
        except RuntimeError:  # no event loop (a synchronous caller): the next check refreshes
            return
        self._refreshing.add_done_callback(_log_failure)

    # ------------------------------------------------------------ finding people

    async def search(self, query: str, page: int = 0) -> PeoplePage:
        """People whose name, @username or NIP contains ``query``, by name, PEOPLE_PAGE a
        page (a page past the end shows the last one). Erased people are not found: erasure
        removes them from ``users``."""
        page = max(0, page)
        people, total = await self._users.search(query, limit=PEOPLE_PAGE,
                                                 offset=page * PEOPLE_PAGE)
        pages = max(1, -(-total // PEOPLE_PAGE))
        if not people and total and page >= pages:
            page = pages - 1
            people, total = await self._users.search(query, limit=PEOPLE_PAGE,
                                                     offset=page * PEOPLE_PAGE)
        trainers = await self.refresh_staff()
        found = [self._person(user, trainers) for user in people]
        return PeoplePage(found, total, page, pages, page * PEOPLE_PAGE + 1)

    async def remember_search(self, query: str, *, by: int) -> int:
        """Keep an admin's search for its result buttons; its id."""
        return await self._users.save_search(by, query, self._clock.now())

    async def saved_search(self, search_id: int, *, by: int) -> str | None:
        """The text of this admin's earlier search (None: not theirs, or dropped)."""
        return await self._users.saved_search(search_id, by)

    async def person(self, user_id: int) -> Person | None:
        """One known person with their role, masked NIP and the cohorts they run."""
        user = await self._users.get(user_id)
        if user is None:
            return None
        person = self._person(user, await self.refresh_staff())
        if person.role == "learner":
            return person
        cohorts = tuple(c for runner, c in await self._repo.runners() if runner == user_id)
        return Person(person.user, person.role, person.nip, cohorts)

    async def staff(self, page: int = 0) -> PeoplePage:
        """The trainers and the admins known to the bot, admins first, then by name, with
        the cohorts each runs; PEOPLE_PAGE a page."""
        trainers = await self.refresh_staff()
        known = await self._users.get_many(sorted(self._admins | trainers))
        runs: dict[int, list[Cohort]] = {}
        for runner, cohort in await self._repo.runners():
            runs.setdefault(runner, []).append(cohort)
        people = sorted(
            (Person(user, self._person(user, trainers).role, masked_nip(user.nip),
                    tuple(runs.get(uid, ()))) for uid, user in known.items()),
            key=lambda p: (p.role != "admin", p.user.name.casefold(), p.id),
        )
        pages = max(1, -(-len(people) // PEOPLE_PAGE))
        page = min(max(0, page), pages - 1)
        start = page * PEOPLE_PAGE
        return PeoplePage(people[start:start + PEOPLE_PAGE], len(people), page, pages,
                          start + 1)

    async def trainers(self) -> list[Person]:
        """The trainers known to the bot (not the admins), by name."""
        trainers = await self.refresh_staff()
        known = await self._users.get_many(sorted(trainers))
        return sorted((Person(u, "trainer", masked_nip(u.nip)) for u in known.values()),
                      key=lambda p: (p.user.name.casefold(), p.id))

    async def names(self, user_ids: list[int]) -> list[str]:
        """The names of these people, in this order (their id for someone not known)."""
        known = await self._users.get_many(user_ids)
        return [known[i].name if i in known else str(i) for i in user_ids]

    def _person(self, user: User, trainers: frozenset[int]) -> Person:
        role: Role = ("admin" if user.id in self._admins
                      else "trainer" if user.id in trainers else "learner")
        return Person(user, role, masked_nip(user.nip))


def _log_failure(task: asyncio.Task[frozenset[int]]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("could not refresh the staff cache", exc_info=task.exception())
