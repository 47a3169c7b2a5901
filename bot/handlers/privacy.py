"""/privacy: what Sinau stores, why, for how long, and who sees it."""

from __future__ import annotations

from telegram import Update

from bot.context import SinauContext


async def privacy_command(update: Update, context: SinauContext) -> None:
    """Show the privacy notice."""
    if update.effective_message is None:
        return
    months = context.services.settings.privacy.retention_months
    await update.effective_message.reply_text(context.t("privacy.notice", months=months))
