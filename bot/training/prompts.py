"""Open questions to trainers: what their next text or file answers.

Stored in the database (a restart loses nothing); a set of user ids is mirrored in memory so a
message filter can tell, without a query, whether a message is an answer at all.
"""

from __future__ import annotations

from bot.clock import Clock
from bot.storage.training import Prompt, TrainingRepository


class PromptBook:
    """Ask a trainer for text (a cohort name, a deadline, broadcast content, a course pack)."""

    def __init__(self, repo: TrainingRepository, clock: Clock) -> None:
        self._repo = repo
        self._clock = clock
        self._waiting: set[int] = set()

    async def load(self) -> None:
        """Rebuild the in-memory mirror from the database (at start)."""
        self._waiting = set(await self._repo.prompted_users())

    def waiting(self, user_id: int) -> bool:
        """True when the user's next message answers an open question."""
        return user_id in self._waiting

    async def ask(self, user_id: int, kind: str, ref: str = "") -> None:
        """Open a question (replacing any earlier one)."""
        await self._repo.set_prompt(user_id, kind, ref, self._clock.now())
        self._waiting.add(user_id)

    async def current(self, user_id: int) -> Prompt | None:
        """The open question, if any."""
        return await self._repo.prompt(user_id)

    async def close(self, user_id: int) -> None:
        """Close the open question."""
        await self._repo.clear_prompt(user_id)
        self._waiting.discard(user_id)
