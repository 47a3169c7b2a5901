"""Authorization for trainer tools: THE one place where roles are checked.

Every trainer command, message handler and callback is wrapped in ``require_role``; anyone
without the role gets a polite refusal in their language that names the role needed (a trainer
trying an admin command is told it is for admins), and nothing else happens.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update

from bot.context import SinauContext
from bot.training.roles import Role

logger = logging.getLogger(__name__)

Handler = Callable[[Update, SinauContext], Coroutine[Any, Any, Any]]

#: Every handler wrapped by ``require_role`` (the authorization test walks this list).
PROTECTED: list[Handler] = []


def require_role(role: Role) -> Callable[[Handler], Handler]:
    """Run the wrapped handler only for users holding ``role`` (admins count as trainers)."""

    def decorate(func: Handler) -> Handler:
        @functools.wraps(func)
        async def guarded(update: Update, context: SinauContext) -> Any:
            sender = update.effective_user
            if sender is not None and not sender.is_bot and await (
                context.services.training.roles.has(sender.id, role)
            ):
                return await func(update, context)
            await refuse(update, context, role)
            return None

        guarded.required_role = role  # type: ignore[attr-defined]
        PROTECTED.append(guarded)
        return guarded

    return decorate


#: The refusal that names each role a command may need.
REFUSALS: dict[Role, str] = {"trainer": "auth.refused", "admin": "people.refused_admin"}


async def refuse(update: Update, context: SinauContext, role: Role = "trainer") -> None:
    """Tell the sender, politely and briefly, which role this needs (trainer or admin)."""
    sender = update.effective_user
    logger.info("refused %s for user %s", _name(update), sender.id if sender else None)
    key = REFUSALS.get(role, "auth.refused")
    query = update.callback_query
    if query is not None:
        await query.answer(context.label(key), show_alert=True)
        return
    message = update.effective_message
    if message is not None:
        await message.reply_text(context.t(key))


def _name(update: Update) -> str:
    if update.callback_query is not None:
        return f"callback {update.callback_query.data!r}"
    message = update.effective_message
    return f"message {message.text!r}" if message is not None and message.text else "update"
