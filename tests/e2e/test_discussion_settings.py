"""Per-group discussion settings (who may open threads) and the language of a thread."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.sandbox.emulator import BotApiEmulator
from bot.storage.discussion import DiscussionRepository
from tests.e2e.discussion_helpers import bot_says, last_id, post, text
from tests.e2e.harness import Sinau, button_data

StartSinau = Callable[..., Awaitable[Sinau]]

EN_POSTS = [
    "In my office the queue system works well because citizens can book a time online.",
    "We should publish the service standard on the notice board and on the website too.",
    "Complaints must get an answer quickly, otherwise people stop trusting the office.",
]


async def test_trainers_only_setting_and_thread_language(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    trainer = emulator.add_user("Tari")
    members = [emulator.add_user(name, language_code="en") for name in ["Ann", "Bob", "Cy"]]
    sinau = await start_sinau(access={"admin_ids": [trainer.id]})
    group = emulator.create_group("Mixed group", members=members, admins=[trainer],
                                  with_bot=False)
    await emulator.add_bot_to_group(group, trainer)
    await emulator.settle()
    await bot_says(emulator, group, "jadikan saya admin")

    # A member may not open the settings, nor press their buttons.
    before = last_id(emulator, group)
    await post(sinau, members[0], "/group_settings", group)
    await bot_says(emulator, group, "Hanya pelatih atau admin grup", after=before)
    before = last_id(emulator, group)
    await post(sinau, trainer, "/group_settings", group)
    menu = await bot_says(emulator, group, "Pengaturan diskusi", after=before)
    assert "ds:who:trainers" in button_data(menu)
    await sinau.press(members[0], menu, data="ds:who:trainers", chat=group)
    groups = DiscussionRepository(sinau.services.db)
    assert (await groups.group(group.id)).who_may_open == "members"
    await sinau.press(trainer, menu, data="ds:who:trainers", chat=group)
    assert (await groups.group(group.id)).who_may_open == "trainers"
    assert "Hanya pelatih" in text(sinau.message(trainer, menu["message_id"], chat=group))
    assert all(a.get("callback_query_id") for a in emulator.callback_answers)

    before = last_id(emulator, group)
    await post(sinau, members[0], "/discuss Antrean daring", group)
    await bot_says(emulator, group, "hanya pelatih yang dapat membuka utas", after=before)
    before = last_id(emulator, group)
    await post(sinau, trainer, "/discuss Antrean daring", group)
    anchor = await bot_says(emulator, group, "Antrean daring", after=before)

    # The group's setting is Indonesian, but the thread's posts are English: answers in it
    # follow the thread.
    reply_to = anchor
    for member, words in zip(members, EN_POSTS, strict=True):
        reply_to = await post(sinau, member, words, group, reply_to=reply_to)
    before = last_id(emulator, group)
    await post(sinau, members[1], "/summary", group, reply_to=reply_to)
    summary = text(await bot_says(emulator, group, "Replies: 3", after=before))
    assert "Languages: en 3" in summary
    # Outside the thread the group's language applies.
    before = last_id(emulator, group)
    await post(sinau, members[2], "/threads", group)
    await bot_says(emulator, group, "Utas terbuka (1)", after=before)
