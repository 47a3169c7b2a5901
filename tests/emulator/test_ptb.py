"""The real python-telegram-bot against the emulator: wire format and parseable results."""

from __future__ import annotations

import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputPollOption, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.sandbox.emulator import BotApiEmulator


async def test_ptb_bot_round_trip(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    emu.flood = None  # many messages to one chat in a row; flood limits are tested elsewhere
    me = await bot.get_me()
    assert me.username == "sinau_bot"
    user = emu.add_user("Sari", last_name="Dewi", username="sari")
    await emu.send_text(user, "/start halo")
    updates = await bot.get_updates(timeout=1, allowed_updates=Update.ALL_TYPES)
    assert updates[0].message.text == "/start halo"
    assert updates[0].message.entities[0].type == "bot_command"

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Lanjut", callback_data="next")]])
    msg = await bot.send_message(
        user.id,
        "<b>Halo</b> &amp; <i>selamat</i>",
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        link_preview_options=telegram.LinkPreviewOptions(is_disabled=True),
        reply_parameters=telegram.ReplyParameters(updates[0].message.message_id),
        protect_content=True,
        disable_notification=True,
    )
    assert msg.text == "Halo & selamat"
    assert [e.type for e in msg.entities] == ["bold", "italic"]
    assert msg.reply_to_message.text == "/start halo"
    edited = await bot.edit_message_text(
        "Baru", chat_id=user.id, message_id=msg.message_id, reply_markup=markup
    )
    assert edited.edit_date is not None
    await emu.press_button(user, msg.message_id, text="Lanjut")
    updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1)
    query = updates[-1].callback_query
    assert query.data == "next" and query.message.text == "Baru"
    assert await query.answer("ok")
    assert await bot.edit_message_reply_markup(user.id, msg.message_id) is not None

    poll_msg = await bot.send_poll(
        user.id,
        "Ibu kota?",
        ["Jakarta", InputPollOption("Nusantara")],
        type="quiz",
        correct_option_ids=[1],
        is_anonymous=False,
        explanation="<i>IKN</i>",
        explanation_parse_mode=ParseMode.HTML,
    )
    await emu.answer_poll(user, poll_msg.poll.id, [0])
    updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1)
    assert updates[0].poll_answer.option_ids == (0,)
    assert updates[1].poll.options[0].voter_count == 1
    stopped = await bot.stop_poll(user.id, poll_msg.message_id)
    assert stopped.is_closed

    doc = await bot.send_document(user.id, b"isi berkas", filename="catatan.txt", caption="cap")
    assert doc.document.file_name == "catatan.txt" and doc.caption == "cap"
    file = await bot.get_file(doc.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"isi berkas"
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x08\x08\x02\x00\x00\x00"
        + b"\x00" * 16
    )
    photo = await bot.send_photo(user.id, png, caption="grafik")
    assert (photo.photo[-1].width, photo.photo[-1].height) == (16, 8)

    await bot.set_my_commands([("start", "Mulai"), ("help", "Bantuan")], language_code="id")
    assert [c.command for c in await bot.get_my_commands(language_code="id")] == ["start", "help"]
    assert (await bot.get_chat(user.id)).first_name == "Sari"
    assert (await bot.get_chat_member(user.id, user.id)).status == "member"
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.send_chat_action(user.id, "typing")
    copy = await bot.copy_message(user.id, user.id, msg.message_id)
    assert copy.message_id > msg.message_id
    forwarded = await bot.forward_message(user.id, user.id, msg.message_id)
    assert forwarded.forward_origin is not None
    assert await bot.delete_message(user.id, msg.message_id)

    owner = emu.add_user("Owner")
    forum = emu.create_group("Forum ASN", forum=True, admins=[owner])
    topic = await bot.create_forum_topic(forum.id, "Diskusi")
    sent = await bot.send_message(
        forum.id, "Selamat datang", message_thread_id=topic.message_thread_id
    )
    assert sent.is_topic_message and sent.message_thread_id == topic.message_thread_id
    assert await bot.close_forum_topic(forum.id, topic.message_thread_id)
    admins = await bot.get_chat_administrators(forum.id)
    assert {a.status for a in admins} == {"creator", "administrator"}
    assert (await bot.get_chat(forum.id)).is_forum

    assert emu.violations == []
    assert all(r.ok for r in emu.requests)


async def test_ptb_application_polling_end_to_end(emu: BotApiEmulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Mulai", callback_data="go")]])
        await update.effective_message.reply_html("<b>Selamat datang</b>", reply_markup=markup)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text("Ayo belajar!")

    app = (
        Application.builder()
        .token(emu.token)
        .base_url(f"{emu.url}/bot")
        .base_file_url(f"{emu.url}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    user = emu.add_user("Sari")
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            await emu.send_text(user, "/start")
            welcome = await emu.wait_for_message(user, timeout=5)
            assert welcome["text"] == "Selamat datang"
            await emu.press_button(user, welcome, text="Mulai")
            await emu.settle(quiet=0.2, timeout=5)
            assert emu.last_message(user)["text"] == "Ayo belajar!"
            assert emu.callback_answers[-1]["data"] == "go"
        finally:
            await app.updater.stop()
            await app.stop()
    assert emu.violations == []


async def test_ptb_media_group_uses_attach_uris(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    user = emu.add_user("Sari", started=True)
    messages = await bot.send_media_group(
        user.id,
        [
            telegram.InputMediaDocument(
                b"satu", filename="1.txt", caption="<b>a</b>", parse_mode=ParseMode.HTML
            ),
            telegram.InputMediaDocument(b"dua", filename="2.txt"),
        ],
    )
    assert [m.document.file_name for m in messages] == ["1.txt", "2.txt"]
    assert messages[0].caption == "a"
    assert messages[0].media_group_id == messages[1].media_group_id
    assert emu.files[messages[1].document.file_id] == b"dua"
