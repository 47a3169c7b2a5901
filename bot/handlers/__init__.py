"""The one place where handlers are registered. Order matters: read the group comments."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler, TypeHandler, filters

from bot.handlers import common, errors, middleware, onboarding

# Commands in Telegram's menu, in menu order; each has "commands.<name>" in the catalogues.
COMMANDS: tuple[str, ...] = ("start", "help")


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add every handler to ``app`` in the order they must run."""
    # Group -1: bookkeeping every update passes through first (who, which language, clock).
    # It never answers, so the feature handlers in group 0 still see the update.
    app.add_handler(TypeHandler(Update, middleware.track), group=-1)

    # Group 0: features. The first matching handler wins.
    app.add_handlers(
        [
            CommandHandler("start", onboarding.start),
            CommandHandler("help", common.help_command),
        ]
    )

    # Still group 0, last: a command nobody handled, in a private chat, gets a hint.
    app.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, common.unknown_command)
    )

    app.add_error_handler(errors.on_error)
