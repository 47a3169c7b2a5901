"""/start: greet the learner."""

from __future__ import annotations

from telegram import Update

from bot.context import SinauContext


async def start(update: Update, context: SinauContext) -> None:
    """Answer /start with a short welcome in the learner's language."""
    if update.effective_message is None or context.user is None:
        return
    await update.effective_message.reply_text(context.t("start.welcome", name=context.user.name))
