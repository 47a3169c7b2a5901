"""Participation: record the posts members write in threads, and count them per member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.discussion.threads import ThreadService
from bot.i18n import detect_language
from bot.safety.rate import MemberRate
from bot.storage.discussion import (
    CohortParticipation,
    DiscussionRepository,
    MemberParticipation,
    Thread,
)


@dataclass(frozen=True, slots=True)
class Recorded:
    """The outcome of seeing a member's message in a group."""

    thread: Thread | None  # the thread it belongs to (None: not part of any thread)
    counted: bool  # recorded as a new post
    throttled: bool = False  # over the member's post rate: not counted
    warn: bool = False  # first throttled post in a while: the handler may say so once


class ParticipationService:
    """Records posts in threads and reports a member's discussion numbers."""

    def __init__(self, repo: DiscussionRepository, threads: ThreadService, *,
                 store_text: bool, posts_per_minute: int = 10) -> None:
        self._repo = repo
        self.threads = threads
        self.store_text = store_text
        clock = threads.clock
        self.post_rate = MemberRate(posts_per_minute, timedelta(minutes=1),
                                    timedelta(minutes=5), clock.now)

    async def record(
        self, *, chat_id: int, message_id: int, user_id: int, topic_id: int | None,
        is_topic: bool, reply_to: int | None, text: str | None,
    ) -> Recorded:
        """Record a member's message if it belongs to an open thread."""
        thread = await self.threads.find(chat_id, topic_id=topic_id, is_topic=is_topic,
                                         reply_to=reply_to)
        if thread is None or not thread.is_open:
            return Recorded(thread, False)
        allowed, warn = self.post_rate.hit(chat_id, user_id)
        if not allowed:
            return Recorded(thread, False, throttled=True, warn=warn)
        # Detection runs on the text even when the text itself is not kept.
        language = detect_language(text) if text else None
        added = await self._repo.add_post(
            thread_id=thread.id, chat_id=chat_id, message_id=message_id, user_id=user_id,
            reply_to_message_id=reply_to, text=text if self.store_text else None,
            language=language, now=self.threads.clock.now(),
        )
        return Recorded(thread, added)

    async def of_member(self, user_id: int) -> MemberParticipation:
        """Threads opened, posts, threads joined and best answers of one member."""
        return await self._repo.participation(user_id)

    async def of_members(self, user_ids: list[int]) -> dict[int, MemberParticipation]:
        """The same numbers for several members (a cohort's /stats)."""
        return await self._repo.participation_of(user_ids)

    async def of_cohort(self, cohort_id: int) -> CohortParticipation:
        """A cohort's discussion figures for the trainer's /stats."""
        return await self._repo.cohort_participation(cohort_id)
