"""/privacy, /mydata and /deleteme: what Sinau stores, a copy of it, and erasing it.

Buttons: ``pv:del:<stamp>`` erases, ``pv:keep`` cancels. ``stamp`` is the epoch second at
which the presser's ``users`` row was created, so a confirmation shown before an earlier
erasure (or to someone else) never erases the fresh account behind it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import InputFile, Message, Update

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.handlers.menus import clear_staff_menu
from bot.handlers.render import button, edit, expired, keyboard

logger = logging.getLogger(__name__)

# A confirmation button older than this is stale: ask again.
CONFIRM_WINDOW = timedelta(minutes=15)


def _stamp(user: Any) -> int:
    """The epoch second the account was created: what a confirmation button names."""
    return int(user.created_at.timestamp())


async def privacy_command(update: Update, context: SinauContext) -> None:
    """Show the privacy notice."""
    if update.effective_message is None:
        return
    months = context.services.settings.privacy.retention_months
    await update.effective_message.reply_text(context.t("privacy.notice", months=months))


async def _private(update: Update, context: SinauContext) -> Message | None:
    """The command's message if it came in a private chat; elsewhere say so and None."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or context.user is None:
        return None
    if chat.type != "private" or chat.id != context.user.id:
        # Personal data is never shown, nor erasure offered, where others can see it.
        await message.reply_text(context.t("privacy.private_only"))
        return None
    return message


async def mydata_command(update: Update, context: SinauContext) -> None:
    """Send the learner a JSON file with everything stored about them."""
    message = await _private(update, context)
    if message is None or context.user is None:
        return
    data = await context.services.privacy.export_json(context.user.id)
    await message.reply_document(
        InputFile(data, filename=f"sinau-data-{context.user.id}.json"),
        caption=context.t("privacy.mydata_caption"),
    )


async def deleteme_command(update: Update, context: SinauContext) -> None:
    """Ask the learner to confirm the erasure of all their data."""
    message = await _private(update, context)
    user = context.user
    if message is None or user is None:
        return
    await message.reply_text(
        context.t("privacy.confirm"),
        reply_markup=keyboard(
            [button(context.t("privacy.btn_delete"), data("pv", "del", _stamp(user)))],
            [button(context.t("privacy.btn_keep"), data("pv", "keep"))]),
    )


async def on_callback(update: Update, context: SinauContext) -> None:
    """Handle the erasure confirmation (pv:del:<stamp>) or its cancellation (pv:keep)."""
    query, user = update.callback_query, context.user
    if query is None or user is None:
        return
    message = query.message if isinstance(query.message, Message) else None
    press = parse(query.data, "pv")
    now = context.services.clock.now()
    if (message is None or message.chat.type != "private" or message.chat.id != user.id
            or query.from_user.id != user.id
            or now - message.date > CONFIRM_WINDOW):
        await expired(query, context.lang)
        return
    if press is not None and press.action == "keep":
        await query.answer()
        await edit(query, context.t("privacy.kept"), None)
        return
    if press is None or press.number(0) != _stamp(user):
        await expired(query, context.lang)
        return
    services = context.services
    was_trainer = await services.training.roles.role_of(user.id) == "trainer"
    await services.privacy.erase(user.id)
    context.user = None
    if was_trainer:
        await clear_staff_menu(context.bot, user.id)
    await query.answer()
    await edit(query, context.t("privacy.deleted"), None)
