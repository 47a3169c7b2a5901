"""A cohort's basic group is upgraded to a forum supergroup: the bot follows it to the new id.

Telegram gives the supergroup a new chat id and refuses every request naming the old one. The
bot learns of it from the two service messages, or, when it missed them, from the refusal of
its next request (ChatMigrated); either way the cohort link, the group's settings and pending
broadcasts move, and threads, prompts and broadcasts go to the supergroup.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from typing import Any

from bot.content.models import Lesson
from bot.sandbox.emulator import BotApiEmulator, FakeChat
from bot.storage.discussion import DiscussionRepository
from tests.e2e.discussion_helpers import bot_says, text
from tests.e2e.harness import Message, Sinau
from tests.e2e.learner import ZONE, data_of, read_lesson
from tests.e2e.test_trainer_broadcast import compose, wait_report
from tests.e2e.trainer_steps import create_cohort, onboard_by_link

StartSinau = Callable[..., Awaitable[Sinau]]


class Setup:
    """A trainer, a learner in the trainer's cohort, and the cohort's basic group."""

    sinau: Sinau
    trainer: Any
    ani: Any
    group: FakeChat
    cohort_id: int
    course_key: str


async def _setup(start_sinau: StartSinau, emulator: BotApiEmulator, *, weekly: bool) -> Setup:
    """Monday 08:00, before the weekly prompt is due (when ``weekly``, it is due at 09:00)."""
    s = Setup()
    s.trainer, s.ani = emulator.add_user("Tari"), emulator.add_user("Ani")
    overrides: dict[str, Any] = (
        {"nudges": {"tick_seconds": 0.2}} if weekly else {"discussion": {"weekly_prompt": False}})
    s.sinau = await start_sinau(access={"admin_ids": [s.trainer.id]}, **overrides)
    await _next_monday(s.sinau, time(8, 0))
    await s.sinau.send(s.trainer, "/start")
    s.group = emulator.create_group("Angkatan 3", supergroup=False, members=[s.ani],
                                    admins=[s.trainer], with_bot=False)
    await emulator.add_bot_to_group(s.group, s.trainer)
    s.cohort_id, payload = await create_cohort(s.sinau, s.trainer, "Angkatan 3")
    await onboard_by_link(s.sinau, s.ani, payload)
    snapshot = await s.sinau.services.learning.snapshot(s.ani.id)
    assert snapshot is not None and snapshot.course_key
    s.course_key = snapshot.course_key
    await s.sinau.services.training.cohorts.toggle_course(s.cohort_id, s.course_key)
    linked = await s.sinau.send(s.trainer, f"/linkgroup {s.cohort_id}", chat=s.group)
    assert any("Angkatan 3" in text(m) for m in linked), [text(m) for m in linked]
    return s


async def _group_of(s: Setup) -> int | None:
    cohort = await s.sinau.services.training.cohorts.get(s.cohort_id)
    assert cohort is not None
    return cohort.group_chat_id


async def _discuss_lesson(s: Setup) -> tuple[Lesson, Message, Message]:
    """Ani opens her lesson and presses its "Diskusi" button; the lesson, card and answer."""
    lesson, card = await read_lesson(s.sinau, s.ani)
    return lesson, card, await _press_discuss(s, card)


async def _press_discuss(s: Setup, card: Message) -> Message:
    shown = await s.sinau.press(s.ani, card, data=data_of(card, "ls:d:"))
    return shown[-1]


def _link(message: Message) -> str:
    [url] = [e["url"] for e in message.get("entities", []) if e["type"] == "text_link"]
    return str(url)


def _bot_topic(chat: FakeChat, name: str) -> int:
    [topic] = [t.thread_id for t in chat.topics.values() if t.created_by_bot and t.name == name]
    return topic


def _to(emulator: BotApiEmulator, chat: FakeChat, since: int) -> list[Any]:
    """Requests naming ``chat`` made after request number ``since``."""
    return [r for r in emulator.requests[since:] if str(r.chat_id) == str(chat.id)]


async def _next_monday(sinau: Sinau, at: time) -> None:
    local = sinau.clock.now().astimezone(ZONE)
    monday = local.date() + timedelta(days=7 - local.weekday())
    await sinau.advance_to(datetime.combine(monday, at, tzinfo=ZONE))


def _discussed(s: Setup) -> list[Lesson]:
    """The lessons of the cohort's course that have a discussion prompt, in order."""
    course = s.sinau.services.catalogue.course(s.course_key)
    assert course is not None
    return [x for x in course.lessons if x.discussion is not None]


def _broadcast_id(preview: Message) -> int:
    found = re.search(r"#(\d+)", text(preview))
    assert found is not None
    return int(found[1])


async def test_announced_upgrade_moves_threads_prompts_and_broadcasts(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    s = await _setup(start_sinau, emulator, weekly=True)
    lesson, card, before = await _discuss_lesson(s)
    title = lesson.title.get("id")
    assert "cari pesannya" in text(before)  # a basic group has no links: a reply chain
    [anchor] = [m for m in emulator.messages(s.group) if title in text(m)]

    new = emulator.upgrade_to_supergroup(s.group, forum=True)
    await s.sinau.settle()
    since = len(emulator.requests)
    assert await _group_of(s) == new.id
    old_thread = await DiscussionRepository(s.sinau.services.db).thread_of_message(
        s.group.id, anchor["message_id"])
    assert old_thread is not None and not old_thread.is_open  # history, closed

    # The lesson's button opens a forum topic in the supergroup.
    internal = str(new.id).removeprefix("-100")
    after = await _press_discuss(s, card)
    topic = _bot_topic(new, title)
    assert _link(after) == f"https://t.me/c/{internal}/{topic}"
    assert lesson.discussion is not None
    assert lesson.discussion.get("id") in text(await bot_says(emulator, new, title,
                                                               thread=topic))
    # /discuss in the supergroup: a topic too (the group's settings came along).
    await s.sinau.send(s.ani, "/discuss Antrean daring", chat=new)
    opening = await bot_says(emulator, new, "Antrean daring")
    assert opening["message_thread_id"] == _bot_topic(new, "Antrean daring")

    # A broadcast to the cohort's group reaches the supergroup.
    preview = await compose(s.sinau, s.trainer, "Pengumuman untuk grup", f"g:{s.cohort_id}")
    broadcast_id = _broadcast_id(preview)
    await s.sinau.press(s.trainer, preview, data=f"bc:go:{broadcast_id}")
    report = await wait_report(s.sinau, s.trainer, broadcast_id)
    assert "Terkirim: 1" in report, report
    await bot_says(emulator, new, "Pengumuman untuk grup")

    # The weekly prompt goes on with the course, in the supergroup.
    first, weekly_lesson = _discussed(s)[:2]
    assert first.key == lesson.key
    weekly = weekly_lesson.title.get("id")
    await _next_monday(s.sinau, time(9, 5))
    prompt = await bot_says(emulator, new, weekly)
    assert prompt["message_thread_id"] == _bot_topic(new, weekly)
    await s.sinau.settle()

    assert _to(emulator, s.group, since) == []  # nothing more went to the old id
    # The old group ends with the anchor (and the service message of its pin).
    later = [m for m in emulator.messages(s.group) if m["message_id"] > anchor["message_id"]]
    assert [m["pinned_message"]["message_id"] for m in later] == [anchor["message_id"]]


async def test_missed_announcement_learned_from_a_broadcast_refusal(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    s = await _setup(start_sinau, emulator, weekly=False)
    new = emulator.upgrade_to_supergroup(s.group, forum=True, announce=False)
    since = len(emulator.requests)

    preview = await compose(s.sinau, s.trainer, "Jadwal pelatihan", f"g:{s.cohort_id}")
    broadcast_id = _broadcast_id(preview)
    await s.sinau.press(s.trainer, preview, data=f"bc:go:{broadcast_id}")
    report = await wait_report(s.sinau, s.trainer, broadcast_id)
    assert "Terkirim: 1" in report and "Gagal: 0" in report, report
    await bot_says(emulator, new, "Jadwal pelatihan")
    # One refused request told the bot; the group followed, and the lesson opens a topic.
    assert [(r.method, r.ok) for r in _to(emulator, s.group, since)] == [("sendMessage", False)]
    assert await _group_of(s) == new.id
    lesson, _, after = await _discuss_lesson(s)
    topic = _bot_topic(new, lesson.title.get("id"))
    assert _link(after).endswith(f"/{topic}")
    assert len(_to(emulator, s.group, since)) == 1


async def test_missed_announcement_learned_when_opening_a_thread(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    s = await _setup(start_sinau, emulator, weekly=False)
    new = emulator.upgrade_to_supergroup(s.group, forum=True, announce=False)
    since = len(emulator.requests)
    # The first press is refused in the old group and the thread opens in the supergroup.
    lesson, _, after = await _discuss_lesson(s)
    topic = _bot_topic(new, lesson.title.get("id"))
    assert _link(after).endswith(f"/{topic}")
    assert [(r.method, r.ok) for r in _to(emulator, s.group, since)] == [("sendMessage", False)]
    assert await _group_of(s) == new.id


async def test_missed_announcement_learned_by_the_weekly_prompt(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    s = await _setup(start_sinau, emulator, weekly=True)
    new = emulator.upgrade_to_supergroup(s.group, forum=True, announce=False)
    since = len(emulator.requests)
    first = _discussed(s)[0].title.get("id")
    await _next_monday(s.sinau, time(9, 5))
    prompt = await bot_says(emulator, new, first)
    assert prompt["message_thread_id"] == _bot_topic(new, first)
    await s.sinau.settle()
    assert [(r.method, r.ok) for r in _to(emulator, s.group, since)] == [("sendMessage", False)]
    repo = DiscussionRepository(s.sinau.services.db)
    assert await repo.weeks_sent(new.id) == 1 and await _group_of(s) == new.id


async def test_a_reply_refused_as_migrated_moves_the_group_too(
    start_sinau: StartSinau, emulator: BotApiEmulator,
) -> None:
    """A command from the old group arrives late (sent just before the upgrade); the reply is
    refused with migrate_to_chat_id, and the error handler follows the group."""
    s = await _setup(start_sinau, emulator, weekly=False)
    new = emulator.upgrade_to_supergroup(s.group, forum=True, announce=False)
    await emulator.send_update({"message": {
        "message_id": 9001, "date": int(emulator.now().timestamp()),
        "chat": {"id": s.group.id, "type": "group", "title": s.group.title},
        "from": {"id": s.trainer.id, "is_bot": False, "first_name": s.trainer.first_name},
        "text": "/threads", "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
    }})
    await s.sinau.settle()
    assert await _group_of(s) == new.id
    assert s.sinau.services.metrics.unexpected_errors == 0
    # The trainer who wrote is not taken for someone who blocked the bot.
    trainer = await s.sinau.services.users.get(s.trainer.id)
    assert trainer is not None and trainer.is_active
