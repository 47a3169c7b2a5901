"""Inbound flood control: every update is counted as it arrives, before anything else runs.

One person sending many updates (a script, a stuck key, 30 messages a second) gets one short
"slow down" note in their private chat, then silence until they pause; their callback queries
are still answered, silently, so buttons do not spin. Counting happens on arrival (the update
processor's hook) because a chat's updates are handled one after another: counted later, a
flood waiting behind its own paced replies would look slow and never be caught. Group
discussions keep their finer rules (commands and counted posts per member) on the same
counting rule, bot.safety.MemberRate.

Trainers and admins are not counted in groups: running a session they send many commands in a
row, and the group's members should see the answers. The check costs no database round trip
(RoleService.known_staff: a cached set of trainers, refreshed in the background once a minute);
in private chats everyone is counted, staff included, and anyone else is counted everywhere.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.context import SinauContext
from bot.i18n import choose_language, t

logger = logging.getLogger(__name__)


def install(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Count updates on arrival and stop the refused ones first (group -2)."""
    processor = app.update_processor
    if not hasattr(processor, "on_arrival"):
        raise TypeError("flood control needs the per-chat update processor of bot.app")

    def arrived(update: object) -> bool:
        """True to handle the update as usual (the processor's arrival hook)."""
        services = app.bot_data.services
        sender = _sender(update)
        if services is None or sender is None or not isinstance(update, Update):
            return True
        chat = update.effective_chat
        if (chat is not None and chat.type in (chat.GROUP, chat.SUPERGROUP)
                and services.training.roles.known_staff(sender)):
            return True
        return services.flood.arrived(update.update_id, sender)

    processor.on_arrival = arrived
    app.add_handler(TypeHandler(Update, gate), group=-2)


def _sender(update: object) -> int | None:
    """Who an update counts against: a person, not a bot, not the bot's own membership."""
    if not isinstance(update, Update) or update.my_chat_member is not None:
        # The bot's own membership changes are facts to record, not messages to ration.
        return None
    message = update.message
    if message is not None and (message.migrate_to_chat_id or message.migrate_from_chat_id):
        return None  # a group upgraded to a supergroup: Telegram's notice, never a flood
    sender = update.effective_user
    if sender is None or sender.is_bot:
        return None
    return sender.id


async def gate(update: Update, context: SinauContext) -> None:
    """End an update refused on arrival: answer its button silently, say "slow down" once."""
    services = context.services
    decision = services.flood.refused(update.update_id)
    if decision is None:
        return
    sender = update.effective_user
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        chat = update.effective_chat
        if decision.warn and sender is not None and chat is not None and chat.type == chat.PRIVATE:
            known = await services.users.get(sender.id)
            lang = choose_language(known.language if known else None, sender.language_code)
            await context.bot.send_message(chat.id, t(lang, "flood.slow_down"))
    except TelegramError as exc:
        # Best effort: the update is dropped either way.
        logger.info("flood note not delivered: %s", exc)
    raise ApplicationHandlerStop
