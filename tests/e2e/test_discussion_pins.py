"""A thread's anchor is pinned while it is open, in groups without forum topics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.sandbox.emulator import BotApiEmulator, FakeChat, FakeUser
from bot.storage.discussion import DiscussionRepository
from bot.storage.training import TrainingRepository
from tests.e2e.discussion_helpers import ID_POSTS, bot_says, last_id, post, text
from tests.e2e.harness import Sinau
from tests.e2e.learner import data_of, onboard, read_lesson

StartSinau = Callable[..., Awaitable[Sinau]]
PIN_METHODS = ("pinChatMessage", "unpinChatMessage", "unpinAllChatMessages")


def _pin_requests(emulator: BotApiEmulator, chat: FakeChat) -> list[tuple[str, bool]]:
    return [(r.method, r.ok) for r in emulator.requests
            if r.method in PIN_METHODS and r.chat_id in (chat.id, str(chat.id))]


async def _group_with_bot(
    emulator: BotApiEmulator, trainer: FakeUser, members: list[FakeUser], **kwargs: object
) -> FakeChat:
    group = emulator.create_group("Grup ASN", members=members, admins=[trainer],
                                  with_bot=False, **kwargs)  # type: ignore[arg-type]
    await emulator.add_bot_to_group(group, trainer)
    await emulator.settle()
    return group


async def test_discuss_pins_the_anchor_and_close_unpins_it(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    trainer = emulator.add_user("Tari")
    members = [emulator.add_user(name) for name in ["Ani", "Budi", "Citra"]]
    sinau = await start_sinau(access={"admin_ids": [trainer.id]})
    group = await _group_with_bot(emulator, trainer, members, supergroup=False)
    welcome = await bot_says(emulator, group, "jadikan saya admin")
    assert "Sematkan pesan" in text(welcome)

    command = await post(sinau, members[0], "/discuss Antrean daring di kelurahan", group)
    anchor = await bot_says(emulator, group, "Balas (reply) pesan ini",
                            after=command["message_id"])
    await emulator.wait_for(lambda: emulator.pinned(group))
    assert emulator.pinned(group) == [anchor["message_id"]]
    pin = next(r for r in emulator.requests if r.method == "pinChatMessage")
    assert pin.params.get("disable_notification") in (True, "true")
    # The pin's service message reached the bot (a message update from the bot itself)...
    service = [m for m in emulator.messages(group) if "pinned_message" in m]
    assert [m["pinned_message"]["message_id"] for m in service] == [anchor["message_id"]]

    for member, words in zip(members, ID_POSTS, strict=False):
        await post(sinau, member, words, group, reply_to=anchor)
    # ... and was not counted as a post of the thread, nor answered.
    rows = await DiscussionRepository(sinau.services.db).open_threads(group.id)
    assert [row.replies for row in rows] == [3]

    before = last_id(emulator, group)
    await post(sinau, trainer, "/close", group, reply_to=anchor)
    await bot_says(emulator, group, "Terima kasih atas 3 balasan dari 3 peserta", after=before)
    await emulator.wait_for(lambda: not emulator.pinned(group))
    await sinau.emu.settle()
    assert _pin_requests(emulator, group) == [("pinChatMessage", True),
                                              ("unpinChatMessage", True)]
    # Welcome, anchor, the pin's service message, the closing note: nothing else was said.
    assert len(emulator.messages(group)) == 4


async def test_without_the_pin_right_the_thread_works_quietly(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    trainer = emulator.add_user("Tari")
    members = [emulator.add_user(name) for name in ["Ani", "Budi"]]
    sinau = await start_sinau(access={"admin_ids": [trainer.id]})
    group = await _group_with_bot(emulator, trainer, members, supergroup=False,
                                  bot_rights={"can_pin_messages": False})
    await bot_says(emulator, group, "jadikan saya admin")

    command = await post(sinau, members[0], "/discuss Pengaduan warga", group)
    anchor = await bot_says(emulator, group, "Balas (reply) pesan ini",
                            after=command["message_id"])
    await post(sinau, members[1], ID_POSTS[0], group, reply_to=anchor)
    before = last_id(emulator, group)
    await post(sinau, trainer, "/close", group, reply_to=anchor)
    await bot_says(emulator, group, "Terima kasih atas 1 balasan dari 1 peserta", after=before)
    await sinau.emu.settle()

    assert emulator.pinned(group) == []
    # Telegram refused both (not enough rights); a refusal, not a malformed request, and
    # members saw only the welcome, the anchor and the closing note.
    assert _pin_requests(emulator, group) == [("pinChatMessage", False),
                                              ("unpinChatMessage", False)]
    refusals = {r.description for r in emulator.requests if r.method in PIN_METHODS}
    assert refusals == {"Bad Request: not enough rights to manage pinned messages in the chat"}
    assert len(emulator.messages(group)) == 3


async def test_forum_topics_are_never_pinned(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    trainer = emulator.add_user("Tari")
    member = emulator.add_user("Ani")
    sinau = await start_sinau(access={"admin_ids": [trainer.id]})
    group = await _group_with_bot(emulator, trainer, [member], forum=True)
    welcome = await bot_says(emulator, group, "Kelola topik")
    assert "Sematkan" not in text(welcome)  # nothing is pinned in a forum: not asked for

    command = await post(sinau, member, "/discuss Etika pelayanan", group)
    opening = await bot_says(emulator, group, "Etika pelayanan", after=command["message_id"])
    topic = opening["message_thread_id"]
    await post(sinau, member, ID_POSTS[0], group, thread_id=topic)
    before = last_id(emulator, group)
    await post(sinau, trainer, "/close", group, thread_id=topic)
    await bot_says(emulator, group, "Terima kasih atas 1 balasan", after=before, thread=topic)
    await sinau.emu.settle()
    assert group.topics[topic].is_closed
    assert _pin_requests(emulator, group) == [] and emulator.pinned(group) == []


async def test_a_lesson_thread_in_a_plain_supergroup_is_pinned(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    trainer = emulator.add_user("Tari")
    ani = emulator.add_user("Ani")
    sinau = await start_sinau(access={"admin_ids": [trainer.id]})
    group = await _group_with_bot(emulator, trainer, [ani])
    await onboard(sinau, ani, "id")
    training = sinau.services.training
    cohort = await training.cohorts.create("Angkatan 3", by=trainer.id)
    snapshot = await sinau.services.learning.snapshot(ani.id)
    assert snapshot is not None and snapshot.course_key
    await training.cohorts.toggle_course(cohort.id, snapshot.course_key)
    await training.cohorts.link_group(cohort.id, group.id)
    await TrainingRepository(sinau.services.db).add_member(cohort.id, ani.id, sinau.clock.now())

    lesson, card = await read_lesson(sinau, ani)
    await sinau.press(ani, card, data=data_of(card, "ls:d:"))
    await sinau.emu.settle()
    anchors = [m for m in emulator.messages(group) if lesson.title.get("id") in text(m)]
    assert len(anchors) == 1
    assert emulator.pinned(group) == [anchors[0]["message_id"]]
