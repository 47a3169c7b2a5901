"""A thread's anchor is pinned while the thread is open, in groups without forum topics only."""

from __future__ import annotations

import pytest

from bot.clock import FixedClock
from bot.storage import Database
from bot.storage.users import UserRepository
from tests.discussion.kit import DiscussionKit, discussion_kit
from tests.discussion.test_discussion_services import FORUM, NOW, PLAIN, FakePort


@pytest.fixture
async def ds(db: Database) -> DiscussionKit:
    await UserRepository(db).touch(user_id=1, first_name="Ani", last_name=None, username=None,
                                   telegram_language="id", timezone="Asia/Jakarta", now=NOW)
    d = discussion_kit(db, FixedClock(NOW))
    await d.threads.register_group(FORUM, "supergroup", "Forum ASN", True)
    await d.threads.register_group(PLAIN, "group", "Grup ASN", False)
    return d


async def _open(ds: DiscussionKit, port: FakePort, chat_id: int, **lesson: str):
    chat = await ds.chats.get(chat_id)
    assert chat is not None
    return await ds.threads.open_thread(port, chat, title="Sampah", opening_text="Anchor",
                                        opened_by=1, **lesson)


async def test_plain_group_pins_the_anchor_and_unpins_it_on_close(ds: DiscussionKit) -> None:
    port = FakePort()
    result = await _open(ds, port, PLAIN)
    thread = result.thread
    assert thread is not None and thread.anchor_message_id is not None
    assert result.pinned
    assert port.pins == [("pin", PLAIN, thread.anchor_message_id)]

    assert await ds.threads.close(port, thread, "Ditutup")
    assert port.pins[1:] == [("unpin", PLAIN, thread.anchor_message_id)]
    # Closing twice asks nothing more of Telegram.
    assert not await ds.threads.close(port, thread, "Ditutup")
    assert len(port.pins) == 2


async def test_without_the_right_the_thread_still_opens_and_closes(ds: DiscussionKit) -> None:
    port = FakePort(pin_right=False)
    result = await _open(ds, port, PLAIN)
    assert result.status == "opened" and result.thread is not None
    assert not result.pinned
    assert await ds.threads.close(port, result.thread, "Ditutup")
    assert [kind for kind, _, _ in port.pins] == ["pin", "unpin"]


async def test_forum_topics_are_never_pinned(ds: DiscussionKit) -> None:
    port = FakePort()
    result = await _open(ds, port, FORUM)
    assert result.thread is not None and result.thread.is_topic
    assert not result.pinned
    assert await ds.threads.close(port, result.thread, "Ditutup")
    assert port.pins == []
    assert port.closed == [(FORUM, result.thread.message_thread_id)]


async def test_a_reused_lesson_thread_is_not_pinned_again(ds: DiscussionKit) -> None:
    port = FakePort()
    first = await _open(ds, port, PLAIN, course_key="c", lesson_key="l")
    again = await _open(ds, port, PLAIN, course_key="c", lesson_key="l")
    assert first.pinned and again.status == "reused" and not again.pinned
    assert len(port.pins) == 1


async def test_no_pin_when_the_anchor_was_not_sent(ds: DiscussionKit) -> None:
    class Silent(FakePort):
        async def send(self, chat_id: int, text: str, *, topic_id: int | None = None,
                       reply_to: int | None = None) -> int | None:
            return None

    port = Silent()
    result = await _open(ds, port, PLAIN)
    assert result.status == "failed" and port.pins == []
