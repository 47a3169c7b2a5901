"""The error handler: log without secrets, tell the user briefly, never stop the bot."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import (
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.context import SinauContext
from bot.discussion.migration import ChatMoved

logger = logging.getLogger(__name__)


async def on_error(update: object, context: SinauContext) -> None:
    """Log the exception and, in a private chat, apologise once.

    A press whose handler failed is still answered, so the button stops spinning.
    """
    error = context.error
    await _answer_press(update)
    if isinstance(error, Forbidden):
        # In a private chat the user blocked the bot: stop writing to them until they come
        # back. (In a group it is the bot that was removed, not the member who wrote.)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None and chat.type == "private":
            await context.services.users.set_active(chat.id, False)
        logger.info("forbidden: %s", error)
        return
    if isinstance(error, ChatMigrated | ChatMoved):
        # A reply to a group Telegram has upgraded: follow it, so the next one goes right.
        await _follow_upgrade(update, context, error)
        return
    if isinstance(error, (TimedOut, RetryAfter, NetworkError)):
        logger.warning("network trouble: %s", error)
        return
    services = context.bot_data.services
    if services is not None:
        services.metrics.unexpected_errors += 1
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("unexpected error in update %s", update_id, exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        if update.effective_chat.type != "private":
            return
        try:
            await context.bot.send_message(update.effective_chat.id, context.t("common.error"))
        except Exception:  # noqa: BLE001 - the apology is best effort
            logger.warning("could not send the error notice")


async def _answer_press(update: object) -> None:
    """Answer the press behind a failed update; a press answered already gets a 400, ignored."""
    query = update.callback_query if isinstance(update, Update) else None
    if query is None:
        return
    with contextlib.suppress(TelegramError):
        await query.answer()


async def _follow_upgrade(update: object, context: SinauContext,
                          error: ChatMigrated | ChatMoved) -> None:
    services = context.bot_data.services
    if services is None or services.groups is None:
        return
    try:
        if isinstance(error, ChatMoved):
            await services.groups.apply_moved(error)
        elif isinstance(update, Update) and update.effective_chat is not None:
            await services.groups.follow(update.effective_chat.id, error.new_chat_id)
    except Exception:
        logger.exception("could not follow a group upgrade")
        return
    logger.info("followed a group upgrade: %s", error)
