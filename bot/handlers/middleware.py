"""Bookkeeping for every update: record the user, pick the language, follow server time.

Someone whose data was erased (/deleteme, or the retention purge) is not recorded again
until they start afresh (UU 27/2022): ``context.user`` stays None, ``context.erased`` is set,
and only the way back in passes (/start in a private chat, the onboarding's ``ob:`` buttons,
whose handlers call ``PrivacyService.start_afresh``). Anything else gets one line in private
(a button press: the same line as its answer) and nothing at all elsewhere, since being erased
is personal too; then ApplicationHandlerStop keeps every feature handler from storing them.
"""

from __future__ import annotations

import logging

from telegram import Update, User
from telegram.ext import ApplicationHandlerStop

from bot.context import SinauContext
from bot.i18n import choose_language

logger = logging.getLogger(__name__)


async def track(update: Update, context: SinauContext) -> None:
    """Record who sent the update and set ``context.user`` and ``context.lang``."""
    services = context.services
    services.metrics.updates += 1
    services.catalogue.use(None)   # the published catalogue, unless a trial applies (below)
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
    if user is None:
        await _erased(update, context, sender)
        return
    context.user = user
    context.lang = choose_language(user.language, sender.language_code)
    # A member of a cohort trying a course version reads that version in this update (no
    # query while no trial runs: bot.training.upload).
    await services.training.uploads.scope_to(user.id)


async def _erased(update: Update, context: SinauContext, sender: User) -> None:
    """An erased sender: let the way back in through, else answer in private and stop."""
    context.user = None
    context.erased = True
    context.lang = choose_language(None, sender.language_code)
    # Their update leaves no trace in a cluster's shared inbox either (bot.cluster.inbox).
    context.services.privacy.forget_update(update.update_id)
    if _starts_again(update) or _group_upgrade(update):
        return
    logger.debug("privacy: an update from an erased person was not recorded")
    await _tell(update, context)
    raise ApplicationHandlerStop


def _command(update: Update) -> str | None:
    """The command a new message starts with (``/start@bot x`` is ``/start``), if any."""
    message = update.message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    return message.text.split(maxsplit=1)[0].split("@", 1)[0].lower()


def _starts_again(update: Update) -> bool:
    """/start in a private chat, or an onboarding button: the only ways back in."""
    query = update.callback_query
    if query is not None:
        return (query.data or "").startswith("ob:")
    chat = update.effective_chat
    return chat is not None and chat.type == chat.PRIVATE and _command(update) == "/start"


def _group_upgrade(update: Update) -> bool:
    """A group became a supergroup: Telegram's notice about the group, never stored as theirs.

    Whoever upgraded it, the group's cohort link and settings must follow it to its new id.
    """
    message = update.message
    return message is not None and bool(message.migrate_to_chat_id
                                        or message.migrate_from_chat_id)


async def _tell(update: Update, context: SinauContext) -> None:
    """One line in private (or as a button's answer); nothing where others could see it."""
    query = update.callback_query
    if query is not None:
        await query.answer(context.label("privacy.erased_notice"))
        return
    chat = update.effective_chat
    if update.message is None or chat is None or chat.type != chat.PRIVATE:
        return  # a group message, a poll answer, a membership change: silence
    key = "privacy.mydata_none" if _command(update) == "/mydata" else "privacy.erased_notice"
    await update.message.reply_text(context.t(key))
