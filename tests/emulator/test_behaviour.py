"""World behaviour: recipients, edits, deletes, callbacks, polls, files, forums, commands."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.sandbox.emulator import BotApiEmulator, DriverError

from .conftest import Call

KEYBOARD = {"inline_keyboard": [[{"text": "Ya", "callback_data": "ans:yes"}]]}


@pytest.fixture
def user(emu: BotApiEmulator):
    return emu.add_user("Sari", username="sari", started=True)


async def test_recipient_errors(emu: BotApiEmulator, api: Call) -> None:
    fresh = emu.add_user("Baru")
    status, body = await api("sendMessage", chat_id=fresh.id, text="hi")
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    await emu.send_text(fresh, "/start")
    assert (await api("sendMessage", chat_id=fresh.id, text="hi"))[0] == 200
    emu.block_bot(fresh)
    status, body = await api("sendMessage", chat_id=fresh.id, text="hi")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    emu.unblock_bot(fresh)
    emu.deactivate(fresh)
    status, body = await api("sendMessage", chat_id=fresh.id, text="hi")
    assert (status, body["description"]) == (403, "Forbidden: user is deactivated")
    status, body = await api("sendMessage", chat_id=42, text="hi")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    # These are facts of the world, not malformed requests.
    assert emu.violations == []


async def test_edit_rules(emu: BotApiEmulator, api: Call, user) -> None:
    _, sent = await api("sendMessage", chat_id=user.id, text="satu", reply_markup=KEYBOARD)
    mid = sent["result"]["message_id"]
    status, body = await api(
        "editMessageText", chat_id=user.id, message_id=mid, text="satu", reply_markup=KEYBOARD
    )
    assert status == 400 and body["description"].startswith("Bad Request: message is not modified")
    _, body = await api("editMessageText", chat_id=user.id, message_id=mid, text="dua")
    assert body["result"]["text"] == "dua" and "reply_markup" not in body["result"]
    assert "edit_date" in body["result"]
    status, body = await api("editMessageText", chat_id=user.id, message_id=999, text="x")
    assert body["description"] == "Bad Request: message to edit not found"
    mine = await emu.send_text(user, "punya saya")
    status, body = await api(
        "editMessageText", chat_id=user.id, message_id=mine["message_id"], text="x"
    )
    assert body["description"] == "Bad Request: message can't be edited"
    _, body = await api(
        "editMessageReplyMarkup", chat_id=user.id, message_id=mid, reply_markup=KEYBOARD
    )
    assert body["result"]["reply_markup"] == KEYBOARD
    assert emu.messages(user)[0]["text"] == "dua"


async def test_delete(emu: BotApiEmulator, api: Call, user) -> None:
    _, sent = await api("sendMessage", chat_id=user.id, text="hapus")
    mid = sent["result"]["message_id"]
    assert (await api("deleteMessage", chat_id=user.id, message_id=mid))[1]["result"] is True
    status, body = await api("deleteMessage", chat_id=user.id, message_id=mid)
    assert body["description"] == "Bad Request: message to delete not found"
    assert emu.messages(user) == []


async def test_press_button_only_presses_real_buttons(
    emu: BotApiEmulator, api: Call, user
) -> None:
    _, sent = await api("sendMessage", chat_id=user.id, text="pilih", reply_markup=KEYBOARD)
    msg = sent["result"]
    with pytest.raises(DriverError):
        await emu.press_button(user, msg, data="ans:no")
    with pytest.raises(DriverError):
        await emu.press_button(user, msg, text="Tidak")
    query_id = await emu.press_button(user, msg, text="Ya")
    _, body = await api("getUpdates")
    callback = body["result"][-1]["callback_query"]
    assert callback["id"] == query_id and callback["data"] == "ans:yes"
    assert callback["message"]["text"] == "pilih"
    # After the keyboard is removed the button is gone.
    await api("editMessageText", chat_id=user.id, message_id=msg["message_id"], text="selesai")
    with pytest.raises(DriverError):
        await emu.press_button(user, msg, text="Ya")


async def test_answer_callback_query_rules(emu: BotApiEmulator, api: Call, user) -> None:
    _, sent = await api("sendMessage", chat_id=user.id, text="pilih", reply_markup=KEYBOARD)
    query_id = await emu.press_button(user, sent["result"], data="ans:yes")
    status, body = await api("answerCallbackQuery", callback_query_id=query_id, text="x" * 201)
    assert status == 400
    assert (await api("answerCallbackQuery", callback_query_id=query_id, text="ok"))[0] == 200
    assert emu.callback_answers[-1]["text"] == "ok"
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    status, body = await api("answerCallbackQuery", callback_query_id=query_id)
    assert body["description"] == too_old  # already answered
    late = await emu.forge_callback(user, emu.chat(user), sent["result"]["message_id"], "zzz")
    emu.advance(timedelta(minutes=16))
    assert (await api("answerCallbackQuery", callback_query_id=late))[1]["description"] == too_old
    assert (await api("answerCallbackQuery", callback_query_id="nope"))[1][
        "description"
    ] == too_old


async def test_forge_callback_on_missing_message(emu: BotApiEmulator, api: Call, user) -> None:
    await emu.forge_callback(user, emu.chat(user), 12345, "x" * 200)
    _, body = await api("getUpdates")
    message = body["result"][0]["callback_query"]["message"]
    assert message["date"] == 0  # an InaccessibleMessage


async def test_poll_limits_and_answers(emu: BotApiEmulator, api: Call, user) -> None:
    opts = [{"text": f"opsi {i}"} for i in range(13)]
    status, body = await api("sendPoll", chat_id=user.id, question="Q?", options=opts)
    assert status == 400 and "1-12" in body["description"]
    status, body = await api("sendPoll", chat_id=user.id, question="Q" * 301, options=opts[:2])
    assert body["description"] == "Bad Request: poll question length must not exceed 300"
    status, body = await api(
        "sendPoll", chat_id=user.id, question="Q?", options=[{"text": "x" * 101}, {"text": "y"}]
    )
    assert body["description"] == "Bad Request: poll options length must not exceed 100"
    status, body = await api(
        "sendPoll", chat_id=user.id, question="Q?", options=opts[:2], type="quiz"
    )
    assert status == 400 and "correct_option_ids" in body["description"]
    status, body = await api(
        "sendPoll",
        chat_id=user.id,
        question="Q?",
        options=opts[:2],
        type="quiz",
        correct_option_ids=[0],
        explanation="a\nb\nc\nd",
    )
    assert status == 400 and "line feeds" in body["description"]
    _, body = await api(
        "sendPoll",
        chat_id=user.id,
        question="Q?",
        options=opts[:3],
        type="quiz",
        correct_option_ids=[2],
        is_anonymous=False,
        explanation="<b>karena</b>",
        explanation_parse_mode="HTML",
    )
    poll = body["result"]["poll"]
    assert poll["explanation"] == "karena"
    await emu.answer_poll(user, poll["id"], [1])
    with pytest.raises(DriverError):
        await emu.answer_poll(user, poll["id"], [2])  # quizzes can't be re-voted
    assert emu.polls[poll["id"]].poll["options"][1]["voter_count"] == 1
    _, body = await api("getUpdates")
    answer = body["result"][0]["poll_answer"]
    assert answer["option_ids"] == [1] and answer["user"]["id"] == user.id
    _, stopped = await api(
        "stopPoll", chat_id=user.id, message_id=emu.polls[poll["id"]].message_id
    )
    assert stopped["result"]["is_closed"] is True
    assert emu.violations and all(v.error_code == 400 for v in emu.violations)


async def test_file_upload_download_round_trip(emu: BotApiEmulator, api: Call, user) -> None:
    doc = await emu.upload_document(user, "data.csv", b"a,b\n1,2\n", "text/csv", caption="data")
    file_id = doc["document"]["file_id"]
    _, body = await api("getFile", file_id=file_id)
    path = body["result"]["file_path"]
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.get(f"{emu.url}/file/bot{emu.token}/{path}") as resp:
            assert await resp.read() == b"a,b\n1,2\n"
        async with session.get(f"{emu.url}/file/botWRONG/{path}") as resp:
            assert resp.status == 401
    # Re-sending by file_id works; an unknown id does not.
    assert (await api("sendDocument", chat_id=user.id, document=file_id))[0] == 200
    status, body = await api("sendDocument", chat_id=user.id, document="nope")
    assert body["description"] == "Bad Request: wrong file identifier/HTTP URL specified"
    status, body = await api("sendPhoto", chat_id=user.id, photo=file_id)
    assert body["description"] == "Bad Request: IMAGE_PROCESS_FAILED"


async def test_forum_topics(emu: BotApiEmulator, api: Call) -> None:
    owner = emu.add_user("Owner")
    forum = emu.create_group("Forum", forum=True, admins=[owner])
    status, body = await api("createForumTopic", chat_id=forum.id, name="Topik A")
    topic = body["result"]
    assert topic["message_thread_id"] != 1
    _, sent = await api(
        "sendMessage",
        chat_id=forum.id,
        text="di topik",
        message_thread_id=topic["message_thread_id"],
    )
    assert sent["result"]["is_topic_message"] is True
    for bad in (1, 777):
        status, body = await api("sendMessage", chat_id=forum.id, text="x", message_thread_id=bad)
        assert (status, body["description"]) == (400, "Bad Request: message thread not found")
    assert len(emu.violations) == 2
    assert (
        await api(
            "closeForumTopic", chat_id=forum.id, message_thread_id=topic["message_thread_id"]
        )
    )[0] == 200
    assert (
        await api(
            "reopenForumTopic", chat_id=forum.id, message_thread_id=topic["message_thread_id"]
        )
    )[0] == 200
    assert (
        await api(
            "editForumTopic",
            chat_id=forum.id,
            message_thread_id=topic["message_thread_id"],
            name="Topik B",
        )
    )[0] == 200
    user_topic = emu.create_topic(forum, "Dari pengguna")
    msg = await emu.send_text(owner, "halo", chat=forum, thread_id=user_topic.thread_id)
    assert msg["message_thread_id"] == user_topic.thread_id

    plain = emu.create_group("Biasa", admins=[owner])
    status, body = await api("createForumTopic", chat_id=plain.id, name="x")
    assert body["description"] == "Bad Request: the chat is not a forum"
    weak = emu.create_group(
        "Lemah", forum=True, admins=[owner], bot_rights={"can_manage_topics": False}
    )
    status, body = await api("createForumTopic", chat_id=weak.id, name="x")
    assert body["description"] == "Bad Request: not enough rights to create a topic"
    member_bot = emu.create_group("Anggota", forum=True, admins=[owner], bot_is_admin=False)
    status, body = await api("createForumTopic", chat_id=member_bot.id, name="x")
    assert body["description"] == "Bad Request: not enough rights to create a topic"


async def test_commands_per_scope_and_language(emu: BotApiEmulator, api: Call, user) -> None:
    cmds = [{"command": "start", "description": "Mulai"}]
    assert (await api("setMyCommands", commands=cmds))[0] == 200
    en = [{"command": "start", "description": "Start"}]
    await api("setMyCommands", commands=en, language_code="en")
    scope = {"type": "chat", "chat_id": user.id}
    await api("setMyCommands", commands=cmds + en[:0], scope=scope)
    assert (await api("getMyCommands"))[1]["result"] == cmds
    assert (await api("getMyCommands", language_code="en"))[1]["result"] == en
    assert (await api("getMyCommands", scope={"type": "all_group_chats"}))[1]["result"] == []
    await api("deleteMyCommands", language_code="en")
    assert (await api("getMyCommands", language_code="en"))[1]["result"] == []
    for bad in ("Start", "mulai-belajar", "x" * 33):
        status, _ = await api("setMyCommands", commands=[{"command": bad, "description": "d"}])
        assert status == 400
    status, body = await api("setMyCommands", commands=[{"command": "a"}])
    assert status == 400 and "description" in body["description"]


async def test_group_membership_flow(emu: BotApiEmulator, api: Call) -> None:
    owner, member = emu.add_user("Owner"), emu.add_user("Anggota")
    group = emu.create_group("Kelas", admins=[owner], members=[member], with_bot=False)
    status, body = await api("sendMessage", chat_id=group.id, text="x")
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot is not a member of the supergroup chat",
    )
    await emu.add_bot_to_group(group, owner)
    _, body = await api("getUpdates")
    kinds = [next(k for k in u if k != "update_id") for u in body["result"]]
    assert kinds == ["my_chat_member", "message"]
    assert body["result"][1]["message"]["new_chat_members"][0]["username"] == "sinau_bot"
    _, admins = await api("getChatAdministrators", chat_id=group.id)
    assert {a["status"] for a in admins["result"]} == {"creator", "administrator"}
    _, info = await api("getChatMember", chat_id=group.id, user_id=member.id)
    assert info["result"]["status"] == "member"
    _, chat = await api("getChat", chat_id=group.id)
    assert chat["result"]["title"] == "Kelas"
    assert (await api("leaveChat", chat_id=group.id))[0] == 200
    assert (await api("sendMessage", chat_id=group.id, text="x"))[0] == 403


async def test_privacy_mode_in_groups(emu: BotApiEmulator, api: Call) -> None:
    owner = emu.add_user("Owner")
    group = emu.create_group("Kelas", admins=[owner], bot_is_admin=False)
    await emu.send_text(owner, "obrolan biasa", chat=group)
    await emu.send_text(owner, "/help@other_bot", chat=group)
    await emu.send_text(owner, "/help@sinau_bot", chat=group)
    _, body = await api("getUpdates")
    texts = [u["message"]["text"] for u in body["result"]]
    assert texts == ["/help@sinau_bot"]
    entity = body["result"][0]["message"]["entities"][0]
    assert entity == {"type": "bot_command", "offset": 0, "length": len("/help@sinau_bot")}


async def test_fail_next_injects_errors(emu: BotApiEmulator, api: Call, user) -> None:
    emu.fail_next("sendMessage", 502, "Bad Gateway")
    emu.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    status, body = await api("sendMessage", chat_id=user.id, text="x")
    assert (status, body["description"]) == (502, "Bad Gateway")
    status, body = await api("sendMessage", chat_id=user.id, text="x")
    assert status == 429 and body["parameters"] == {"retry_after": 3}
    assert (await api("sendMessage", chat_id=user.id, text="x"))[0] == 200
    assert emu.violations == [] and emu.flood_429_count == 0
    assert [r.injected for r in emu.requests] == [True, True, False]
    emu.reset_records()
    assert emu.requests == []


async def test_clock_drives_dates(emu: BotApiEmulator, api: Call, user) -> None:
    before = emu.now()
    emu.advance(timedelta(days=3))
    _, body = await api("sendMessage", chat_id=user.id, text="x")
    assert body["result"]["date"] >= int((before + timedelta(days=3)).timestamp())
    with pytest.raises(ValueError):
        emu.advance(timedelta(seconds=-1))
    target = emu.now() + timedelta(days=1)
    emu.set_time(target)
    assert abs((emu.now() - target).total_seconds()) < 1
    with pytest.raises(ValueError):
        emu.set_time(before)
    record = emu.requests[-1]
    assert (record.method, record.ok, record.chat_id) == ("sendMessage", True, user.id)
    assert record.timestamp >= before + timedelta(days=3)


async def test_markdown_is_accepted_loosely(api: Call, user) -> None:
    status, body = await api("sendMessage", chat_id=user.id, text="*a*", parse_mode="MarkdownV2")
    assert status == 200 and body["result"]["text"] == "*a*"
    status, body = await api("sendMessage", chat_id=user.id, text="a", parse_mode="Textile")
    assert (status, body["description"]) == (400, "Bad Request: unsupported parse_mode")


async def test_wait_for_message_and_settle(emu: BotApiEmulator, api: Call, user) -> None:
    import asyncio

    async def later() -> None:
        await asyncio.sleep(0.05)
        await api("sendMessage", chat_id=user.id, text="nanti")

    task = asyncio.create_task(later())
    msg = await emu.wait_for_message(user, predicate=lambda m: m["text"] == "nanti", timeout=2)
    assert msg["text"] == "nanti"
    await task
    with pytest.raises(TimeoutError):
        await emu.wait_for_message(user, timeout=0.1)
    await emu.send_text(user, "belum dibaca")
    with pytest.raises(TimeoutError):
        await emu.settle(quiet=0.05, timeout=0.2)
    _, body = await api("getUpdates")
    await api("getUpdates", offset=body["result"][-1]["update_id"] + 1)
    await emu.settle(quiet=0.05, timeout=2)
