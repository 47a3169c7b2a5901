"""``UserService``: the people the bot knows, as handlers and other services need them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.storage.users import User, UserRepository


class UserService:
    """Record who wrote, read a person, change what they told the bot about themselves."""

    def __init__(self, repo: UserRepository, clock: Clock, *, default_timezone: str,
                 erased: Callable[[int], Awaitable[bool]] | None = None) -> None:
        self._repo = repo
        self._clock = clock
        self._timezone = default_timezone
        # Whether an id was erased and has not started again (PrivacyService.is_erased).
        self._erased = erased

    async def seen(self, *, user_id: int, first_name: str, last_name: str | None,
                   username: str | None, language_code: str | None) -> User | None:
        """Record that the user wrote (creating them on first contact); them, as stored now.

        A user who writes can be reached again, so this also marks them active. Someone who
        was erased is not recorded again (None) until they start afresh (UU 27/2022): only
        when no row exists is the erasure record looked up, so a known user costs one write.
        """
        now = self._clock.now()
        user = await self._repo.refresh(
            user_id=user_id, first_name=first_name, last_name=last_name, username=username,
            telegram_language=language_code, now=now)
        if user is not None:
            return user
        if self._erased is not None and await self._erased(user_id):
            return None
        return await self._repo.touch(
            user_id=user_id, first_name=first_name, last_name=last_name, username=username,
            telegram_language=language_code, timezone=self._timezone, now=now,
        )

    async def get(self, user_id: int) -> User | None:
        """The user with this Telegram id, if known."""
        return await self._repo.get(user_id)

    async def set_active(self, user_id: int, active: bool) -> None:
        """Reachable or not (a 403 means the user blocked the bot)."""
        await self._repo.set_active(user_id, active)

    async def update(self, user_id: int, **fields: Any) -> User | None:
        """Change profile fields (language, display_name, unit, timezone, start_payload,
        onboarding_step); the user as stored now."""
        return await self._repo.update_profile(user_id, **fields)

    async def finish_onboarding(self, user_id: int, now: datetime | None = None) -> None:
        """Mark onboarding done (the first time only)."""
        await self._repo.mark_onboarded(user_id, now or self._clock.now())

    async def mark_asked(self, user_id: int, question: str) -> bool:
        """Record that a late onboarding question was asked; False if it already was."""
        return await self._repo.mark_asked(user_id, question)

    async def count(self) -> int:
        """How many people are known."""
        return await self._repo.count()
