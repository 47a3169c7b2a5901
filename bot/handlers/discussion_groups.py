"""Discussion groups: registration and welcome, settings, post tracking.

Everything the bot posts in a group is short and goes through the Application's rate limiter
(20 messages a minute per group); members who flood get one short note, then silence.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    ChatMember,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest, TelegramError

from bot.buttons import data
from bot.context import SinauContext
from bot.delivery.groups import TelegramPort
from bot.i18n import SafeHtml, t
from bot.storage.discussion import GroupSettings

logger = logging.getLogger(__name__)

WEEKLY_JOB = "discussion-weekly"

_PRESENT = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}
_MANAGERS = {ChatMember.ADMINISTRATOR, ChatMember.OWNER}


def port(context: SinauContext) -> TelegramPort:
    """The port for interactive replies (they go before bulk traffic in the limiter)."""
    found = context.services.group_port
    assert found is not None, "the services were composed without a bot"
    return found


def topic_of(message: Message) -> int | None:
    """The forum topic a message was posted in (None for General and plain groups)."""
    if message.is_topic_message and message.message_thread_id not in (None, 1):
        return message.message_thread_id
    return None


async def is_manager(context: SinauContext, chat_id: int, user_id: int) -> bool:
    """Trainers (admins included) everywhere, and the administrators of this group."""
    services = context.services
    if user_id in services.settings.access.admin_ids:
        return True
    if await services.training.roles.has(user_id, "trainer"):
        return True
    if chat_id >= 0:
        return False
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status in _MANAGERS


async def register(update: Update, context: SinauContext) -> GroupSettings | None:
    """Record the group of this update (quietly); None outside groups."""
    chat = update.effective_chat
    if chat is None or chat.type not in (chat.GROUP, chat.SUPERGROUP):
        return None
    return await context.services.discussion.threads.register_group(
        chat.id, chat.type, chat.title, bool(chat.is_forum)
    )


async def throttled(update: Update, context: SinauContext, lang: str) -> bool:
    """True when the member sent too many commands: say so once, then stay silent."""
    message, sender = update.effective_message, update.effective_user
    if message is None or sender is None:
        return True
    if await context.services.training.roles.is_staff(sender.id):
        return False  # trainers and admins run the group's sessions: never throttled
    allowed, warn = context.services.discussion.commands.hit(message.chat_id, sender.id)
    if warn:
        await port(context).send(
            message.chat_id, t(lang, "discussion.slow_down", name=_name(context, sender)),
            topic_id=topic_of(message), reply_to=message.message_id,
        )
    return not allowed


def _name(context: SinauContext, sender: Any) -> str:
    if context.user is not None and context.user.id == sender.id:
        return context.user.name
    return str(sender.first_name or sender.id)


# ------------------------------------------------------------------ registration
async def _welcome(context: SinauContext, chat_id: int, is_forum: bool) -> None:
    ds = context.services.discussion
    if not await ds.threads.claim_welcome(chat_id):
        return
    lang = await ds.threads.group_language(chat_id)
    rights = t(lang, "discussion.rights_forum" if is_forum else "discussion.rights_group")
    await port(context).send(chat_id, t(lang, "discussion.welcome", rights=rights))


async def bot_membership(update: Update, context: SinauContext) -> None:
    """The bot was added to, promoted in or removed from a group."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type not in (change.chat.GROUP, change.chat.SUPERGROUP):
        return
    chat, new = change.chat, change.new_chat_member.status
    ds = context.services.discussion
    if new not in _PRESENT:
        await ds.threads.bot_left(chat.id, new)
        return
    await ds.threads.register_group(chat.id, chat.type, chat.title, bool(chat.is_forum))
    await ds.threads.bot_status(chat.id, new)
    if change.old_chat_member.status not in _PRESENT:
        await _welcome(context, chat.id, bool(chat.is_forum))


async def bot_added(update: Update, context: SinauContext) -> None:
    """A new_chat_members message that includes the bot: register and welcome (once)."""
    message = update.effective_message
    if message is None or not any(u.id == context.bot.id for u in message.new_chat_members):
        return
    await register(update, context)
    await _welcome(context, message.chat_id, bool(message.chat.is_forum))


# --------------------------------------------------------------------- settings
def _settings_view(lang: str, group: GroupSettings) -> tuple[SafeHtml, InlineKeyboardMarkup]:
    def mark(on: bool, text: str) -> str:
        return f"✓ {text}" if on else text

    who = group.who_may_open
    language = group.language or "id"
    keyboard = InlineKeyboardMarkup([
        [InlineKeyboardButton(mark(who == "members", t(lang, "discussion.who_members")),
                              callback_data=data("ds", "who", "members")),
         InlineKeyboardButton(mark(who == "trainers", t(lang, "discussion.who_trainers")),
                              callback_data=data("ds", "who", "trainers"))],
        [InlineKeyboardButton(mark(language == "id", "Bahasa Indonesia"),
                              callback_data=data("ds", "lang", "id")),
         InlineKeyboardButton(mark(language == "en", "English"),
                              callback_data=data("ds", "lang", "en"))],
    ])
    text = t(lang, "discussion.settings", who=t(lang, f"discussion.who_{who}"),
             language="Bahasa Indonesia" if language == "id" else "English")
    return text, keyboard


async def group_settings(update: Update, context: SinauContext) -> None:
    """/group_settings in a group: who may open threads, and the group's language."""
    message, sender = update.effective_message, update.effective_user
    group = await register(update, context)
    if message is None or sender is None:
        return
    if group is None:
        await message.reply_text(context.t("discussion.only_in_group"))
        return
    lang = await context.services.discussion.threads.group_language(message.chat_id)
    if await throttled(update, context, lang):
        return
    if not await is_manager(context, message.chat_id, sender.id):
        await port(context).send(message.chat_id, t(lang, "discussion.managers_only"),
                                 topic_id=topic_of(message), reply_to=message.message_id)
        return
    text, keyboard = _settings_view(lang, group)
    await message.reply_text(text, reply_markup=keyboard,
                             message_thread_id=topic_of(message))


async def settings_pressed(update: Update, context: SinauContext, action: str,
                           value: str) -> None:
    """A press on the /group_settings menu, re-checked against the presser's rights."""
    query = update.callback_query
    assert query is not None
    message = query.message
    valid = (action == "who" and value in ("members", "trainers")) or (
        action == "lang" and value in ("id", "en"))
    if not isinstance(message, Message) or message.chat_id >= 0 or not valid:
        await query.answer(context.t("common.expired_button"))
        return
    ds = context.services.discussion
    if not await is_manager(context, message.chat_id, query.from_user.id):
        await query.answer(context.t("discussion.managers_only"), show_alert=True)
        return
    if action == "who":
        group = await ds.threads.set_who_may_open(message.chat_id, value)
    else:
        group = await ds.threads.set_language(message.chat_id, value)
    lang = await ds.threads.group_language(message.chat_id)
    text, keyboard = _settings_view(lang, group)
    await query.answer(t(lang, "discussion.saved"))
    try:
        await message.edit_text(text, reply_markup=keyboard)
    except BadRequest as exc:  # pressing the current choice again changes nothing
        if "not modified" not in str(exc):
            raise


# ------------------------------------------------------------------ tracking
async def track_post(update: Update, context: SinauContext) -> None:
    """A member's message in a group: count it if it belongs to an open thread."""
    message, sender = update.effective_message, update.effective_user
    if message is None or sender is None or sender.is_bot:
        return
    reply = message.reply_to_message
    outcome = await context.services.discussion.participation.record(
        chat_id=message.chat_id, message_id=message.message_id, user_id=sender.id,
        topic_id=topic_of(message), is_topic=bool(message.is_topic_message),
        reply_to=reply.message_id if reply is not None else None,
        text=message.text or message.caption,
    )
    if outcome.warn and outcome.thread is not None:
        lang = await context.services.discussion.threads.thread_language(outcome.thread)
        await port(context).send(
            message.chat_id, t(lang, "discussion.slow_down", name=_name(context, sender)),
            topic_id=topic_of(message), reply_to=message.message_id,
        )
