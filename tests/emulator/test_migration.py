"""A basic group upgraded to a supergroup: the new chat, the service messages, the 400s."""

from __future__ import annotations

import pytest
import telegram
from telegram.error import ChatMigrated

from bot.sandbox.emulator import BotApiEmulator, DriverError, validate_object

from .conftest import Call

UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"


async def test_upgrade_creates_the_supergroup_and_announces_it(
    emu: BotApiEmulator, api: Call
) -> None:
    admin, member = emu.add_user("Tari"), emu.add_user("Ani")
    group = emu.create_group("Grup ASN", supergroup=False, admins=[admin], members=[member],
                             bot_rights={"can_manage_topics": True})
    new = emu.upgrade_to_supergroup(group, forum=True)

    assert new.id != group.id and str(new.id).startswith("-100")
    assert (new.type, new.title, new.is_forum) == ("supergroup", "Grup ASN", True)
    assert {uid: m.status for uid, m in new.members.items()} == {
        admin.id: "creator", member.id: "member"}
    assert new.bot_member.status == "administrator"
    assert new.bot_member.can("can_manage_topics")
    assert group.migrated_to == new.id

    # check_results validates these updates against the spec's Message type.
    _, body = await api("getUpdates")
    old_note, new_note = (u["message"] for u in body["result"])
    assert old_note["chat"] == {"id": group.id, "type": "group", "title": "Grup ASN"}
    assert old_note["migrate_to_chat_id"] == new.id
    assert old_note["from"]["id"] == admin.id
    assert new_note["chat"] == {"id": new.id, "type": "supergroup", "title": "Grup ASN",
                                "is_forum": True}
    assert new_note["migrate_from_chat_id"] == group.id
    for note in (old_note, new_note):
        validate_object("Message", note)
    assert emu.violations == []


async def test_every_method_naming_the_old_id_fails_with_the_new_id(
    emu: BotApiEmulator, api: Call, bot: telegram.Bot
) -> None:
    admin = emu.add_user("Tari")
    group = emu.create_group("Grup", supergroup=False, admins=[admin])
    _, sent = await api("sendMessage", chat_id=group.id, text="sebelum")
    new = emu.upgrade_to_supergroup(group, announce=False)

    for method, params in [
        ("sendMessage", {"text": "halo"}),
        ("getChat", {}),
        ("getChatMember", {"user_id": admin.id}),
        ("editMessageText", {"message_id": sent["result"]["message_id"], "text": "x"}),
        ("sendChatAction", {"action": "typing"}),
    ]:
        status, body = await api(method, chat_id=group.id, **params)
        assert (status, body["description"]) == (400, UPGRADED), method
        assert body["parameters"] == {"migrate_to_chat_id": new.id}, method
    # python-telegram-bot turns it into ChatMigrated with the new id.
    with pytest.raises(ChatMigrated) as raised:
        await bot.send_message(group.id, "halo")
    assert raised.value.new_chat_id == new.id
    # The supergroup works; refusals to the old id are facts, not malformed requests.
    assert (await api("sendMessage", chat_id=new.id, text="sesudah"))[0] == 200
    assert emu.violations == []
    # Without announce, the bot got no service message.
    _, body = await api("getUpdates")
    assert body["result"] == []


async def test_announcements_can_repeat_in_either_order(emu: BotApiEmulator, api: Call) -> None:
    admin = emu.add_user("Tari")
    group = emu.create_group("Grup", supergroup=False, admins=[admin])
    new = emu.upgrade_to_supergroup(group, announce=False)
    emu.announce_upgrade(group, old_first=False)
    emu.announce_upgrade(group)
    _, body = await api("getUpdates")
    chats = [u["message"]["chat"]["id"] for u in body["result"]]
    assert chats == [new.id, group.id, group.id, new.id]
    # Message ids go on per chat: the supergroup starts its own numbering.
    assert [u["message"]["message_id"] for u in body["result"]
            if u["message"]["chat"]["id"] == new.id] == [1, 2]


async def test_driver_refuses_what_telegram_would_not_allow(emu: BotApiEmulator) -> None:
    admin, member = emu.add_user("Tari"), emu.add_user("Ani")
    group = emu.create_group("Grup", supergroup=False, admins=[admin], members=[member])
    supergroup = emu.create_group("Super", admins=[admin])
    with pytest.raises(DriverError, match="not a basic group"):
        emu.upgrade_to_supergroup(supergroup)
    with pytest.raises(DriverError, match="not an administrator"):
        emu.upgrade_to_supergroup(group, by=member)
    with pytest.raises(DriverError, match="was not upgraded"):
        emu.announce_upgrade(group)
    new = emu.upgrade_to_supergroup(group)
    with pytest.raises(DriverError, match="already upgraded"):
        emu.upgrade_to_supergroup(group)
    # The old group is read-only; members write in the supergroup.
    with pytest.raises(DriverError, match="upgraded"):
        await emu.send_text(member, "halo", chat=group)
    sent = await emu.send_text(member, "halo", chat=new)
    assert sent["chat"]["id"] == new.id


async def test_bot_outside_the_group_sees_nothing(emu: BotApiEmulator, api: Call) -> None:
    admin = emu.add_user("Tari")
    group = emu.create_group("Grup", supergroup=False, admins=[admin], with_bot=False)
    new = emu.upgrade_to_supergroup(group, forum=True)
    assert not new.bot_member.present
    _, body = await api("getUpdates")
    assert body["result"] == []
