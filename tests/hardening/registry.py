"""What the bot registers, read from the Application itself (commands and callback prefixes)."""

from __future__ import annotations

import re
from typing import Any

from telegram.ext import CallbackQueryHandler, CommandHandler


def registered_commands(app: Any) -> set[str]:
    """Every command some CommandHandler of ``app`` answers, in any group."""
    return {
        command
        for handlers in app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }


def registered_patterns(app: Any) -> set[str]:
    """The pattern of every CallbackQueryHandler of ``app`` (None: catch-all)."""
    found: set[str] = set()
    for handlers in app.handlers.values():
        for handler in handlers:
            if isinstance(handler, CallbackQueryHandler):
                pattern = handler.pattern
                if isinstance(pattern, re.Pattern):
                    pattern = pattern.pattern
                found.add(str(pattern) if pattern is not None else "*")
    return found


def literal_prefix(pattern: str) -> str:
    """The fixed start of a callback pattern like ``^qz:`` or ``^learn:go$``."""
    return pattern.removeprefix("^").removesuffix("$")
