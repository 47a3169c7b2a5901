"""Bookkeeping for every update: record the user, pick the language, follow server time."""

from __future__ import annotations

from telegram import Update

from bot.context import SinauContext
from bot.i18n import choose_language


async def track(update: Update, context: SinauContext) -> None:
    """Record who sent the update and set ``context.user`` and ``context.lang``."""
    services = context.services
    services.metrics.updates += 1
    message = update.effective_message
    if message is not None and message.date is not None:
        # Telegram's timestamps are the reference; follow them if ours lag behind.
        services.clock.follow(message.date)
    sender = update.effective_user
    if sender is None or sender.is_bot:
        context.lang = services.settings.locale.default_language
        return
    user = await services.users.seen(
        user_id=sender.id,
        first_name=sender.first_name or "",
        last_name=sender.last_name,
        username=sender.username,
        language_code=sender.language_code,
    )
    context.user = user
    context.lang = choose_language(user.language, sender.language_code)
