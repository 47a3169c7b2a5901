"""Discussion services when a group turns out to be upgraded to a supergroup (ChatMoved)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FixedClock
from bot.discussion.migration import ChatMoved
from bot.discussion.threads import ThreadService
from bot.storage import Database
from bot.storage.users import UserRepository
from tests.discussion.kit import DiscussionKit, discussion_kit
from tests.discussion.test_discussion_services import FakePort, _cohort, _render

# A Monday, 10:00 in Jakarta: the weekly prompt is due.
MONDAY = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
OLD = -400000009
NEW = -1002000000009


class UpgradedPort(FakePort):
    """Telegram after the upgrade: anything addressed to OLD is refused with the new id.

    ``follows`` plays the weekly tick's port: it applies the upgrade itself and reports the
    send as not done instead of raising.
    """

    def __init__(self, ds: DiscussionKit, *, follows: bool = False) -> None:
        super().__init__()
        self.ds = ds
        self.follows = follows
        self.refused: list[int] = []

    async def _check(self, chat_id: int) -> bool:
        if chat_id != OLD:
            return True
        self.refused.append(chat_id)
        if self.follows:
            await self.ds.migrations.apply(OLD, NEW, is_forum=True)
            return False
        raise ChatMoved(OLD, NEW, title="Grup ASN", is_forum=True)

    async def can_manage_topics(self, chat_id: int) -> bool:
        return await self._check(chat_id) and await super().can_manage_topics(chat_id)

    async def create_topic(self, chat_id: int, name: str) -> int | None:
        if not await self._check(chat_id):
            return None
        return await super().create_topic(chat_id, name)

    async def send(self, chat_id: int, text: str, *, topic_id: int | None = None,
                   reply_to: int | None = None) -> int | None:
        if not await self._check(chat_id):
            return None
        return await super().send(chat_id, text, topic_id=topic_id, reply_to=reply_to)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY)


@pytest.fixture
async def ds(db: Database, clock: FixedClock) -> DiscussionKit:
    users = UserRepository(db)
    for uid, name in [(1, "Ani"), (2, "Budi")]:
        await users.touch(user_id=uid, first_name=name, last_name=None, username=None,
                          telegram_language="id", timezone="Asia/Jakarta", now=MONDAY)
    d = discussion_kit(db, clock)
    await d.threads.register_group(OLD, "group", "Grup ASN", False)
    return d


def _discussed(ds: DiscussionKit) -> tuple[str, str]:
    course = next(c for c in ds.prompts.catalogue if any(x.discussion for x in c.lessons))
    lesson = next(x for x in course.lessons if x.discussion)
    return course.key, lesson.key


async def test_thread_opens_in_the_supergroup_at_once(ds: DiscussionKit) -> None:
    port = UpgradedPort(ds)
    chat = await ds.chats.get(OLD)
    assert chat is not None
    result = await ds.threads.open_thread(port, chat, title="Etika", opening_text="Ayo",
                                          opened_by=1)
    assert result.status == "opened" and result.thread is not None
    assert result.thread.chat_id == NEW and result.thread.message_thread_id is not None
    assert port.refused == [OLD] and port.topics == [(NEW, "Etika")]
    assert result.link == f"https://t.me/c/2000000009/{result.thread.message_thread_id}"
    assert await ds.migrations.successor(OLD) == NEW
    assert await ds.repo.group(NEW) is not None


async def test_without_migrations_the_opening_just_fails(ds: DiscussionKit) -> None:
    threads = ThreadService(ds.repo, ds.chats, ds.threads.clock)
    chat = await ds.chats.get(OLD)
    assert chat is not None
    result = await threads.open_thread(UpgradedPort(ds), chat, title="x", opening_text="y",
                                       opened_by=1)
    assert result.status == "failed"
    assert await ds.migrations.successor(OLD) is None


async def test_lesson_button_follows_the_cohort_to_the_supergroup(
    ds: DiscussionKit, db: Database
) -> None:
    course_key, lesson_key = _discussed(ds)
    await _cohort(db, OLD, [course_key], [1, 2])
    port = UpgradedPort(ds)
    first = await ds.prompts.lesson_thread(port, 1, course_key, lesson_key, _render)
    assert first.status == "opened" and first.link is not None
    assert first.link.startswith("https://t.me/c/2000000009/")
    # The cohort now points at the supergroup: the next learner reuses the topic directly.
    second = await ds.prompts.lesson_thread(port, 2, course_key, lesson_key, _render)
    assert (second.status, second.chat_id, second.link) == ("reused", NEW, first.link)
    assert port.refused == [OLD]


async def test_weekly_prompt_after_a_refusal_goes_to_the_supergroup_once(
    ds: DiscussionKit, db: Database
) -> None:
    course_key, _ = _discussed(ds)
    await _cohort(db, OLD, [course_key], [1, 2])
    port = UpgradedPort(ds, follows=True)
    first = await ds.prompts.run_weekly(port, _render)
    assert [(o.chat_id, o.state) for o in first] == [(OLD, "failed")]
    # The tick runs again at once: the group's state has moved, the week is still open there.
    second = await ds.prompts.run_weekly(port, _render)
    assert [(o.chat_id, o.state) for o in second] == [(NEW, "sent")]
    assert await ds.prompts.run_weekly(port, _render) == []
    assert [chat for chat, _ in port.topics] == [NEW]
    assert await ds.repo.week_state(OLD, "2026-W48") == "failed"
    assert await ds.repo.weeks_sent(NEW) == 1


async def test_a_week_sent_before_the_upgrade_is_not_sent_again(
    ds: DiscussionKit, db: Database, clock: FixedClock
) -> None:
    course_key, _ = _discussed(ds)
    await _cohort(db, OLD, [course_key], [1, 2])
    plain = FakePort()
    [before] = await ds.prompts.run_weekly(plain, _render)
    assert (before.chat_id, before.state) == (OLD, "sent")
    outcome = await ds.migrations.apply(OLD, NEW, title="Grup ASN", is_forum=True)
    assert outcome.weeks_moved == 1 and outcome.threads_closed == 1
    assert await ds.prompts.run_weekly(plain, _render) == []
    # Next week the supergroup gets the next lesson, not the first one again.
    clock.advance(timedelta(days=7))
    [after] = await ds.prompts.run_weekly(plain, _render)
    assert (after.chat_id, after.state) == (NEW, "sent")
    assert after.lesson is not None and after.lesson != before.lesson
