"""The error handler: log without secrets, tell the user briefly, never stop the bot."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from bot.context import SinauContext

logger = logging.getLogger(__name__)


async def on_error(update: object, context: SinauContext) -> None:
    """Log the exception and, in a private chat, apologise once."""
    error = context.error
    if isinstance(error, Forbidden):
        # The user blocked the bot: stop writing to them until they come back.
        if isinstance(update, Update) and update.effective_user is not None:
            await context.services.users.set_active(update.effective_user.id, False)
        logger.info("forbidden: %s", error)
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
