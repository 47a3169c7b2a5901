"""Thread summaries: replies, participants, top contributors, languages, last activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.discussion import Contributor, DiscussionRepository, Thread


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    """What /summary shows about one thread."""

    thread: Thread
    replies: int
    participants: int
    top: list[Contributor]
    languages: dict[str, int]  # detected language -> posts; posts too short to judge left out
    last_activity: datetime
    best_by: str | None  # the name of the best answer's author, if one is marked


def majority_language(counts: dict[str, int]) -> str | None:
    """The language with the most posts; None when there is none or a tie."""
    if not counts:
        return None
    ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


async def summarize(repo: DiscussionRepository, thread: Thread, top: int = 3) -> ThreadSummary:
    """Collect the numbers of a thread."""
    replies, participants = await repo.post_counts(thread.id)
    contributors = await repo.top_contributors(thread.id, top)
    best_by = None
    if thread.best_message_id is not None:
        post = await repo.post(thread.chat_id, thread.best_message_id)
        if post is not None:
            best_by = await repo.member_name(post.user_id)
    return ThreadSummary(
        thread=thread,
        replies=replies,
        participants=participants,
        top=contributors,
        languages=await repo.language_counts(thread.id),
        last_activity=thread.last_activity_at,
        best_by=best_by,
    )
