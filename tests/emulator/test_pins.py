"""Pinning: pinChatMessage, unpinChatMessage, unpinAllChatMessages, the pin service message."""

from __future__ import annotations

import telegram

from bot.sandbox.emulator import BotApiEmulator

from .conftest import Call

NO_RIGHTS = (400, "Bad Request: not enough rights to manage pinned messages in the chat")


def _error(reply: tuple[int, dict]) -> tuple[int, str]:
    status, body = reply
    return status, body.get("description", "")


async def _say(api: Call, chat_id: int, text: str) -> int:
    _, body = await api("sendMessage", chat_id=chat_id, text=text)
    return int(body["result"]["message_id"])


async def test_pin_in_a_group_adds_a_service_message_the_bot_receives(
    emu: BotApiEmulator, api: Call
) -> None:
    admin, member = emu.add_user("Tari"), emu.add_user("Ani")
    group = emu.create_group("Grup ASN", supergroup=False, admins=[admin], members=[member])
    anchor = await _say(api, group.id, "Utas: pengelolaan sampah")
    await api("getUpdates", offset=-1)  # start from a clean queue
    before = len(emu.messages(group))

    assert await api("pinChatMessage", chat_id=group.id, message_id=anchor,
                     disable_notification=True) == (200, {"ok": True, "result": True})
    assert emu.pinned(group) == [anchor]

    # The pin's service message is the bot's, in the chat and as a message update; the
    # emulator fixture validates the update against the spec's Update and Message types.
    service = emu.messages(group)[before:]
    assert len(service) == 1 and service[0]["from"]["id"] == emu.bot_user.id
    assert service[0]["pinned_message"]["message_id"] == anchor
    assert service[0]["pinned_message"]["text"] == "Utas: pengelolaan sampah"
    _, body = await api("getUpdates")
    updates = [u["message"] for u in body["result"]]
    assert [u["pinned_message"]["message_id"] for u in updates] == [anchor]
    assert updates[0]["from"]["is_bot"] is True and "text" not in updates[0]

    # getChat shows the newest pin.
    _, chat = await api("getChat", chat_id=group.id)
    assert chat["result"]["pinned_message"]["message_id"] == anchor

    # A member's message can be pinned too; pinning a pinned message changes nothing.
    said = await emu.send_text(member, "Saya setuju", chat=group, reply_to=anchor)
    assert (await api("pinChatMessage", chat_id=group.id, message_id=said["message_id"]))[0] \
        == 200
    count = len(emu.messages(group, from_bot=False))
    assert (await api("pinChatMessage", chat_id=group.id, message_id=anchor))[0] == 200
    assert len(emu.messages(group, from_bot=False)) == count
    pinned_reply = emu.messages(group)[-1]["pinned_message"]
    assert "reply_to_message" not in pinned_reply  # never nested further

    # Unpinning leaves no trace in the chat; without message_id the newest pin goes.
    assert (await api("unpinChatMessage", chat_id=group.id))[0] == 200
    assert emu.pinned(group) == [anchor]
    assert (await api("unpinChatMessage", chat_id=group.id, message_id=anchor))[0] == 200
    assert emu.pinned(group) == []
    assert len(emu.messages(group, from_bot=False)) == count
    _, chat = await api("getChat", chat_id=group.id)
    assert "pinned_message" not in chat["result"]
    assert _error(await api("unpinChatMessage", chat_id=group.id)) == (
        400, "Bad Request: message to unpin not found")
    assert emu.violations == []


async def test_rights_membership_and_missing_messages(emu: BotApiEmulator, api: Call) -> None:
    admin = emu.add_user("Tari")
    weak = emu.create_group("Tanpa hak sematkan", supergroup=False, admins=[admin],
                            bot_rights={"can_pin_messages": False})
    mid = await _say(api, weak.id, "Utas")
    assert _error(await api("pinChatMessage", chat_id=weak.id, message_id=mid)) == NO_RIGHTS
    assert _error(await api("unpinChatMessage", chat_id=weak.id, message_id=mid)) == NO_RIGHTS
    assert _error(await api("unpinAllChatMessages", chat_id=weak.id)) == NO_RIGHTS
    assert emu.pinned(weak) == [] and len(emu.messages(weak)) == 1

    member_bot = emu.create_group("Bot anggota", admins=[admin], bot_is_admin=False)
    mid = await _say(api, member_bot.id, "Utas")
    assert _error(await api("pinChatMessage", chat_id=member_bot.id, message_id=mid)) == (
        NO_RIGHTS)

    outside = emu.create_group("Tanpa bot", admins=[admin], with_bot=False)
    said = await emu.send_text(admin, "halo", chat=outside)
    assert _error(await api("pinChatMessage", chat_id=outside.id,
                            message_id=said["message_id"])) == (
        403, "Forbidden: bot is not a member of the supergroup chat")

    strong = emu.create_group("Hak penuh", admins=[admin])
    assert _error(await api("pinChatMessage", chat_id=strong.id, message_id=999)) == (
        400, "Bad Request: message to pin not found")
    assert _error(await api("unpinChatMessage", chat_id=strong.id, message_id=999)) == (
        400, "Bad Request: message to unpin not found")
    joined = await emu.join_group(strong, emu.add_user("Baru"))
    assert _error(await api("pinChatMessage", chat_id=strong.id,
                            message_id=joined["message_id"])) == (
        400, "Bad Request: a service message can't be pinned")
    # Refusals are facts of the world, not malformed requests...
    assert emu.violations == []
    # ... a request without the required message_id is one.
    assert (await api("pinChatMessage", chat_id=strong.id))[0] == 400
    assert [v.method for v in emu.violations] == ["pinChatMessage"]


async def test_unpin_all_and_deleting_a_pinned_message(emu: BotApiEmulator, api: Call) -> None:
    admin = emu.add_user("Tari")
    group = emu.create_group("Grup", admins=[admin])
    first, second = await _say(api, group.id, "satu"), await _say(api, group.id, "dua")
    for mid in (first, second):
        await api("pinChatMessage", chat_id=group.id, message_id=mid)
    assert emu.pinned(group) == [first, second]
    assert (await api("deleteMessage", chat_id=group.id, message_id=second))[0] == 200
    assert emu.pinned(group) == [first]
    _, chat = await api("getChat", chat_id=group.id)
    assert chat["result"]["pinned_message"]["message_id"] == first
    assert (await api("unpinAllChatMessages", chat_id=group.id))[0] == 200
    assert emu.pinned(group) == []


async def test_private_chats_and_forum_topics(emu: BotApiEmulator, api: Call) -> None:
    sari = emu.add_user("Sari", started=True)
    own = await _say(api, sari.id, "Pengingat harian")
    typed = await emu.send_text(sari, "catatan saya")
    for mid in (own, typed["message_id"]):
        assert (await api("pinChatMessage", chat_id=sari.id, message_id=mid))[0] == 200
    assert emu.pinned(sari) == [own, typed["message_id"]]
    stranger = emu.add_user("Asing")
    assert _error(await api("pinChatMessage", chat_id=stranger.id, message_id=1)) == (
        403, "Forbidden: bot can't initiate conversation with a user")

    owner = emu.add_user("Owner")
    forum = emu.create_group("Forum", forum=True, admins=[owner])
    _, body = await api("createForumTopic", chat_id=forum.id, name="Topik")
    topic = body["result"]["message_thread_id"]
    _, sent = await api("sendMessage", chat_id=forum.id, text="di topik",
                        message_thread_id=topic)
    await api("pinChatMessage", chat_id=forum.id, message_id=sent["result"]["message_id"])
    service = emu.messages(forum)[-1]
    assert service["message_thread_id"] == topic and service["is_topic_message"] is True
    assert emu.violations == []


async def test_ptb_pins_and_unpins(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    admin = emu.add_user("Tari")
    group = emu.create_group("Grup", supergroup=False, admins=[admin])
    sent = await bot.send_message(group.id, "Utas")
    assert await bot.pin_chat_message(group.id, sent.message_id, disable_notification=True)
    updates = await bot.get_updates(timeout=0)
    pin = updates[-1].message
    assert pin is not None and pin.pinned_message is not None
    assert pin.pinned_message.message_id == sent.message_id
    assert pin.from_user is not None and pin.from_user.id == bot.id
    assert await bot.unpin_chat_message(group.id, message_id=sent.message_id)
    assert emu.pinned(group) == []
