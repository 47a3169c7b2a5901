"""Roles: admins come from the settings, trainers are granted by admins, everyone else learns."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.clock import Clock
from bot.storage.training import TrainingRepository

Role = Literal["admin", "trainer", "learner"]
_RANK: dict[str, int] = {"learner": 0, "trainer": 1, "admin": 2}
CODE_ALPHABET = string.ascii_letters + string.digits
TRAINER_INVITE_PREFIX = "t_"


def random_code(length: int = 10) -> str:
    """``length`` random characters of A-Z a-z 0-9 (secrets, so codes are not guessable)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def at_least(role: Role, needed: Role) -> bool:
    """True when ``role`` includes the rights of ``needed`` (admin ⊃ trainer ⊃ learner)."""
    return _RANK[role] >= _RANK[needed]


@dataclass(frozen=True, slots=True)
class GrantResult:
    """What a /grant did: 'granted', 'already' (trainer or admin before) or 'unknown' user."""

    outcome: Literal["granted", "already", "unknown"]
    user_id: int


class RoleService:
    """Who may do what."""

    def __init__(self, repo: TrainingRepository, admin_ids: Iterable[int], clock: Clock) -> None:
        self._repo = repo
        self._admins = frozenset(admin_ids)
        self._clock = clock

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
        return GrantResult("granted" if granted else "already", user_id)

    async def revoke_trainer(self, user_id: int) -> bool:
        """Take the trainer role away (admins stay admins); True if it was held."""
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
        """Admins and trainers (for the per-chat command menus)."""
        return sorted(self._admins | set(await self._repo.trainer_ids()))
