"""The one place where handlers are registered. Order matters: read the group comments."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler, TypeHandler, filters

from bot.handlers import common, errors, middleware, onboarding
from bot.handlers import trainer as trainer_tools

# Commands in Telegram's menu, in menu order; each has "commands.<name>" in the catalogues.
COMMANDS: tuple[str, ...] = ("start", "help")


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add every handler to ``app`` in the order they must run."""
    # Group -1: bookkeeping every update passes through first (who, which language, clock).
    # It never answers, so the feature handlers in group 0 still see the update.
    app.add_handler(TypeHandler(Update, middleware.track), group=-1)

    # Group 0: features. The first matching handler wins.
    # Trainer tools first: a trainer's answer to an open question (a cohort name, broadcast
    # content, a course pack) must win over the learners' free-text handlers.
    app.add_handlers(trainer_tools.early_handlers(app))
    app.add_handlers(
        [
            CommandHandler("start", onboarding.start),
            CommandHandler("help", common.help_command),
        ]
    )

    # Trainer tools: commands and buttons, every one guarded by handlers.auth.require_role.
    app.add_handlers(trainer_tools.feature_handlers())

    # Still group 0, last: a command nobody handled, in a private chat, gets a hint.
    app.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, common.unknown_command)
    )

    # Group 1: after onboarding answered /start, act on a trainer or cohort invite payload.
    app.add_handlers(trainer_tools.late_handlers(), group=1)

    app.add_error_handler(errors.on_error)
