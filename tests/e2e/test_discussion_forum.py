"""Discussions in a forum supergroup: topics, replies, best answer, close, /threads, /summary."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.sandbox.emulator import BotApiEmulator
from bot.storage.discussion import DiscussionRepository
from bot.storage.training import TrainingRepository
from tests.e2e.discussion_helpers import ID_POSTS, bot_says, last_id, post, text
from tests.e2e.harness import Sinau
from tests.e2e.learner import onboard

StartSinau = Callable[..., Awaitable[Sinau]]


def _urls(message: dict[str, Any]) -> list[str]:
    return [e["url"] for e in message.get("entities", []) if e.get("type") == "text_link"]


async def test_forum_thread_from_open_to_close(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    trainer = emulator.add_user("Tari")
    names = ["Ani", "Budi", "Citra <&>", "Dewi", "Eko"]
    members = [emulator.add_user(name) for name in names]
    sinau = await start_sinau(access={"admin_ids": [trainer.id]})
    for member in members:
        await onboard(sinau, member, "id")

    group = emulator.create_group("Forum ASN Gajahmungkur", forum=True,
                                  members=members, admins=[trainer], with_bot=False)
    await emulator.add_bot_to_group(group, trainer)
    await emulator.settle()
    welcome = await bot_says(emulator, group, "Kelola topik")
    assert "/discuss" in text(welcome)

    # A member opens a thread: the bot creates a topic and posts the prompt in it.
    before = last_id(emulator, group)
    await post(sinau, members[0], "/discuss Etika <pelayanan> & publik", group)
    opening = await bot_says(emulator, group, "Etika <pelayanan> & publik", after=before)
    topics = [tp for tp in group.topics.values() if tp.created_by_bot]
    assert [tp.name for tp in topics] == ["Etika <pelayanan> & publik"]
    topic = topics[0].thread_id
    assert topic != 1 and opening["message_thread_id"] == topic

    # Five members reply inside the topic.
    posts = [await post(sinau, m, words, group, thread_id=topic)
             for m, words in zip(members, ID_POSTS, strict=True)]

    # The trainer marks Citra's answer as the best one.
    before = last_id(emulator, group)
    await post(sinau, trainer, "/best", group, thread_id=topic, reply_to=posts[2])
    best = await bot_says(emulator, group, "Jawaban terbaik dari Citra <&>", after=before,
                          thread=topic)
    assert best["reply_to_message"]["message_id"] == posts[2]["message_id"]

    # /summary inside the topic.
    before = last_id(emulator, group)
    await post(sinau, members[1], "/summary", group, thread_id=topic)
    summary = text(await bot_says(emulator, group, "Balasan: 5", after=before, thread=topic))
    assert "Peserta: 5" in summary
    assert "Bahasa: id 5" in summary
    assert "Jawaban terbaik: Citra <&>" in summary

    # /threads in the General topic lists it with its reply count and link.
    before = last_id(emulator, group)
    await post(sinau, members[3], "/threads", group)
    listing = await bot_says(emulator, group, "Utas terbuka (1)", after=before)
    assert "message_thread_id" not in listing  # General: never thread id 1
    assert "5 balasan" in text(listing)
    internal = str(group.id).removeprefix("-100")
    assert _urls(listing) == [f"https://t.me/c/{internal}/{topic}"]

    # The trainer closes it: a closing note, then the topic is closed.
    before = last_id(emulator, group)
    await post(sinau, trainer, "/close", group, thread_id=topic)
    await bot_says(emulator, group, "Utas ditutup", after=before, thread=topic)
    await emulator.wait_for(lambda: group.topics[topic].is_closed)
    before = last_id(emulator, group)
    await post(sinau, members[4], "/threads", group)
    await bot_says(emulator, group, "Belum ada utas terbuka", after=before)

    # Participation shows in the learners' /progress.
    shown = await sinau.send(members[2], "/progress")
    assert any("Diskusi: 1 balasan di 1 utas, 0 utas dibuka, 1 jawaban terbaik" in text(m)
               for m in shown)
    shown = await sinau.send(members[0], "/progress")
    assert any("1 utas dibuka" in text(m) for m in shown)
    numbers = await sinau.services.discussion.participation.of_member(members[3].id)
    assert (numbers.posts, numbers.threads_joined) == (1, 1)

    # ... and in the trainer's /stats of their cohort.
    training = sinau.services.training
    cohort = await training.cohorts.create("Angkatan Forum", by=trainer.id)
    for member in members:
        await TrainingRepository(sinau.services.db).add_member(
            cohort.id, member.id, sinau.clock.now())
    await training.cohorts.link_group(cohort.id, group.id)
    shown = await sinau.send(trainer, f"/stats {cohort.id}")
    assert any("Diskusi: 5 balasan dari 5 anggota, 1 jawaban terbaik; utas di grup: 1 (0 terbuka)"
               in text(m) for m in shown), [text(m) for m in shown]


async def test_forum_without_manage_topics_explains(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    member = emulator.add_user("Ani")
    admin = emulator.add_user("Tari")
    sinau = await start_sinau()
    group = emulator.create_group("Forum tanpa hak", forum=True, members=[member],
                                  admins=[admin], with_bot=False,
                                  bot_rights={"can_manage_topics": False})
    await emulator.add_bot_to_group(group, admin)
    await emulator.settle()
    await bot_says(emulator, group, "Kelola topik")
    before = last_id(emulator, group)
    await post(sinau, member, "/discuss Topik baru", group)
    note = await bot_says(emulator, group, "belum bisa membuat topik", after=before)
    assert "Kelola topik" in text(note)
    assert not any(tp.created_by_bot for tp in group.topics.values())
    assert await DiscussionRepository(sinau.services.db).count_open(group.id) == 0
    # Nothing failed on the Telegram side: the bot asked instead of trying.
    assert not [r for r in emulator.requests if r.method == "createForumTopic"]
