"""Discussions in a plain group: reply chains under an anchor message, and member flooding."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.sandbox.emulator import BotApiEmulator
from bot.storage.discussion import DiscussionRepository
from tests.e2e.discussion_helpers import ID_POSTS, bot_says, last_id, post, text
from tests.e2e.harness import Sinau

StartSinau = Callable[..., Awaitable[Sinau]]


async def test_plain_group_thread_is_a_reply_chain(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    trainer = emulator.add_user("Tari")
    members = [emulator.add_user(name) for name in ["Ani", "Budi", "Citra", "Dewi", "Eko"]]
    sinau = await start_sinau(access={"admin_ids": [trainer.id]})
    group = emulator.create_group("Grup ASN", supergroup=False, members=members,
                                  admins=[trainer], with_bot=False)
    await emulator.add_bot_to_group(group, trainer)
    await emulator.settle()
    welcome = await bot_says(emulator, group, "jadikan saya admin")
    assert len(emulator.messages(group)) == 1, "one welcome, not one per update"
    assert "Sematkan pesan" in text(welcome)

    command = await post(sinau, members[0], "/discuss Pengelolaan sampah di kelurahan", group)
    anchor = await bot_says(emulator, group, "Balas (reply) pesan ini", after=command[
        "message_id"])
    assert "Pengelolaan sampah di kelurahan" in text(anchor)

    # Replies form the thread: directly to the anchor or down a chain of replies.
    p0 = await post(sinau, members[1], ID_POSTS[0], group, reply_to=anchor)
    p1 = await post(sinau, members[2], ID_POSTS[1], group, reply_to=p0)
    p2 = await post(sinau, members[3], ID_POSTS[2], group, reply_to=p1)
    p3 = await post(sinau, members[4], ID_POSTS[3], group, reply_to=anchor)
    await post(sinau, members[0], ID_POSTS[4], group, reply_to=p2)
    # Chatter outside the thread does not count.
    await post(sinau, members[1], "Selamat pagi semua, jangan lupa apel jam delapan ya.", group)

    before = last_id(emulator, group)
    await post(sinau, trainer, "/best", group, reply_to=p2)
    await bot_says(emulator, group, "Jawaban terbaik dari Dewi", after=before)

    before = last_id(emulator, group)
    await post(sinau, members[2], "/summary", group, reply_to=p3)
    summary = text(await bot_says(emulator, group, "Balasan: 5", after=before))
    assert "Peserta: 5" in summary and "Jawaban terbaik: Dewi" in summary

    before = last_id(emulator, group)
    await post(sinau, members[3], "/threads", group)
    listing = await bot_says(emulator, group, "Utas terbuka (1)", after=before)
    assert "5 balasan" in text(listing)
    # A basic group has no message links: the list says where to look instead.
    assert not [e for e in listing.get("entities", []) if e["type"] == "text_link"]
    assert "Cari pesan pembuka utas" in text(listing)

    # A member cannot close it; the trainer can.
    before = last_id(emulator, group)
    await post(sinau, members[0], "/close", group, reply_to=anchor)
    await bot_says(emulator, group, "Hanya pelatih atau admin grup", after=before)
    before = last_id(emulator, group)
    await post(sinau, trainer, "/close", group, reply_to=anchor)
    await bot_says(emulator, group, "Terima kasih atas 5 balasan dari 5 peserta", after=before)
    await post(sinau, members[4], "Masih ada yang mau saya tambahkan tentang bank sampah.",
               group, reply_to=anchor)
    thread_rows = await DiscussionRepository(sinau.services.db).open_threads(group.id)
    assert thread_rows == []
    numbers = await sinau.services.discussion.participation.of_member(members[4].id)
    assert numbers.posts == 1  # the post after closing was not counted


async def test_member_flooding_gets_one_note_then_silence(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    member = emulator.add_user("Budi")
    sinau = await start_sinau()
    group = emulator.create_group("Grup ramai", members=[member], with_bot=True)
    for _ in range(9):
        await emulator.send_text(member, "/threads", chat=group)
    await bot_says(emulator, group, "pelan-pelan")
    await sinau.emu.settle()
    said = [text(m) for m in emulator.messages(group)]
    assert sum("pelan-pelan" in s for s in said) == 1
    assert len(said) == 6  # five answers, one note, then silence


async def test_a_reply_refused_403_in_a_group_leaves_the_member_active(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    """The bot removed from a group as a member writes there: the 403 is the bot's, so the
    member (who never blocked the bot) keeps getting private messages."""
    member = emulator.add_user("Ani")
    sinau = await start_sinau()
    await sinau.send(member, "/start")
    group = emulator.create_group("Grup ASN", supergroup=False, members=[member], with_bot=True)
    emulator.fail_next("sendMessage", 403, "Forbidden: bot was kicked from the group chat")
    await post(sinau, member, "/start", group)
    await sinau.settle()
    stored = await sinau.services.users.get(member.id)
    assert stored is not None and stored.is_active
    assert sinau.services.metrics.unexpected_errors == 0
