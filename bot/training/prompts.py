"""Open questions to trainers: what their next text or file answers.

Kept in the database only (a restart, or another worker, loses nothing): the private-message
router asks ``current`` when a trainer's message may be an answer.
"""

from __future__ import annotations

from bot.clock import Clock
from bot.storage.training import Prompt, TrainingRepository


class PromptBook:
    """Ask a trainer for text (a cohort name, a deadline, broadcast content, a course pack)."""

    def __init__(self, repo: TrainingRepository, clock: Clock) -> None:
        self._repo = repo
        self._clock = clock

    async def ask(self, user_id: int, kind: str, ref: str = "") -> None:
        """Open a question (replacing any earlier one)."""
        await self._repo.set_prompt(user_id, kind, ref, self._clock.now())

    async def current(self, user_id: int) -> Prompt | None:
        """The open question, if any."""
        return await self._repo.prompt(user_id)

    async def close(self, user_id: int) -> None:
        """Close the open question."""
        await self._repo.clear_prompt(user_id)
