"""Discussion groups: the Telegram port, registration and welcome, settings, post tracking.

Everything the bot posts in a group is short and goes through the Application's rate limiter
(20 messages a minute per group); members who flood get one short note, then silence.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    ChatMember,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError
from telegram.ext import Application, ExtBot

from bot.content.models import Course, Lesson
from bot.context import SinauContext
from bot.delivery.models import OutgoingMessage, Sender
from bot.discussion.migration import ChatMoved
from bot.handlers import migration
from bot.i18n import LANGUAGES, SafeHtml, t
from bot.storage.discussion import GroupSettings

logger = logging.getLogger(__name__)

WEEKLY_JOB = "discussion-weekly"

_PRESENT = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}
_MANAGERS = {ChatMember.ADMINISTRATOR, ChatMember.OWNER}


Follow = Callable[[int, int], Awaitable[object]]


class TelegramPort:
    """The ``GroupPort`` of the discussion services, over the bot (or the bulk sender).

    A group found upgraded to a supergroup (ChatMigrated): without ``follow`` the port raises
    ``ChatMoved`` and the thread service applies the upgrade and opens the thread in the
    supergroup at once. With ``follow`` (the weekly tick) the port applies it itself and
    reports the send as not done; the tick then runs again for the new id, so the week's
    ledger row of the old group records that nothing went out there.
    """

    def __init__(self, bot: ExtBot[None], sender: Sender | None = None, *,
                 follow: Follow | None = None) -> None:
        self._bot = bot
        self._sender = sender
        self._follow = follow
        self.moved: dict[int, int] = {}  # old chat id -> supergroup id, seen by this port

    async def _moved(self, chat_id: int, new_chat_id: int) -> None:
        """Record an upgrade; raise ChatMoved unless this port follows it itself."""
        self.moved[chat_id] = new_chat_id
        if self._follow is not None:
            await self._follow(chat_id, new_chat_id)
            return
        info = await migration.describe(self._bot, new_chat_id)
        raise ChatMoved(chat_id, new_chat_id, type_=info.type, title=info.title,
                        is_forum=info.is_forum)

    async def can_manage_topics(self, chat_id: int) -> bool:
        """Ask Telegram whether the bot holds can_manage_topics in the chat."""
        try:
            member = await self._bot.get_chat_member(chat_id, self._bot.id)
        except ChatMigrated as exc:
            await self._moved(chat_id, int(exc.new_chat_id))
            return False
        except TelegramError as exc:
            logger.warning("getChatMember in %s failed: %s", chat_id, exc)
            return False
        if member.status == ChatMember.OWNER:
            return True
        return member.status == ChatMember.ADMINISTRATOR and bool(
            getattr(member, "can_manage_topics", False)
        )

    async def create_topic(self, chat_id: int, name: str) -> int | None:
        """Create a forum topic; None when Telegram refuses (e.g. the right was just removed)."""
        try:
            topic = await self._bot.create_forum_topic(chat_id, name)
        except ChatMigrated as exc:
            await self._moved(chat_id, int(exc.new_chat_id))
            return None
        except BadRequest as exc:
            logger.warning("createForumTopic in %s refused: %s", chat_id, exc)
            return None
        return topic.message_thread_id

    async def send(
        self, chat_id: int, text: str, *, topic_id: int | None = None,
        reply_to: int | None = None,
    ) -> int | None:
        """Send ``text``; the General topic (id 1) is never named, it is the default."""
        thread = topic_id if topic_id not in (None, 1) else None
        if self._sender is not None and reply_to is None:
            # Not followed by the sender: a thread's anchor must be recorded in its own chat.
            result = await self._sender.send(OutgoingMessage(
                chat_id, text, kind="discussion", message_thread_id=thread,
                follow_migration=False))
            if result.migrated_to is not None:
                await self._moved(chat_id, result.migrated_to)
            return result.message_id if result.sent else None
        reply = (ReplyParameters(reply_to, allow_sending_without_reply=True)
                 if reply_to is not None else None)
        try:
            message = await self._bot.send_message(
                chat_id, text, message_thread_id=thread, reply_parameters=reply
            )
        except ChatMigrated as exc:
            await self._moved(chat_id, int(exc.new_chat_id))
            return None
        except (BadRequest, Forbidden) as exc:
            logger.warning("send to group %s failed: %s", chat_id, exc)
            return None
        return message.message_id

    async def close_topic(self, chat_id: int, topic_id: int) -> bool:
        """Close a forum topic."""
        try:
            return bool(await self._bot.close_forum_topic(chat_id, topic_id))
        except ChatMigrated as exc:
            await self._moved(chat_id, int(exc.new_chat_id))
            return False
        except BadRequest as exc:
            logger.warning("closeForumTopic in %s refused: %s", chat_id, exc)
            return False

    async def pin(self, chat_id: int, message_id: int) -> bool:
        """Pin quietly; False when refused (the bot lacks can_pin_messages, most often)."""
        # Trying is the rights check: one request, answered when it matters; a cached
        # getChatMember answer would go stale whenever an admin changes the bot's rights.
        return await self._pin_call("pinChatMessage", self._bot.pin_chat_message(
            chat_id, message_id, disable_notification=True), chat_id)

    async def unpin(self, chat_id: int, message_id: int) -> bool:
        """Unpin; False when refused (e.g. the bot never had the right to pin it)."""
        return await self._pin_call("unpinChatMessage", self._bot.unpin_chat_message(
            chat_id, message_id=message_id), chat_id)

    @staticmethod
    async def _pin_call(method: str, call: Awaitable[bool], chat_id: int) -> bool:
        try:
            return bool(await call)
        except (BadRequest, Forbidden, ChatMigrated) as exc:
            # Usually "not enough rights to manage pinned messages": pinning is optional.
            logger.info("%s in %s not done: %s", method, chat_id, exc)
        except TelegramError as exc:
            logger.warning("%s in %s failed: %s", method, chat_id, exc)
        return False

def port(context: SinauContext) -> TelegramPort:
    """The port for interactive replies (they go before bulk traffic in the limiter)."""
    return TelegramPort(context.bot)


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
    if not await ds.repo.claim_welcome(chat_id, context.services.clock.now()):
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
                              callback_data="ds:who:members"),
         InlineKeyboardButton(mark(who == "trainers", t(lang, "discussion.who_trainers")),
                              callback_data="ds:who:trainers")],
        [InlineKeyboardButton(mark(language == "id", "Bahasa Indonesia"),
                              callback_data="ds:lang:id"),
         InlineKeyboardButton(mark(language == "en", "English"), callback_data="ds:lang:en")],
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
    now = context.services.clock.now()
    await ds.repo.ensure_group(message.chat_id, now)
    if action == "who":
        await ds.repo.set_who_may_open(message.chat_id, value, now)
    else:
        await ds.repo.set_language(message.chat_id, value, now)
    group = await ds.repo.group(message.chat_id)
    assert group is not None
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


# ---------------------------------------------------------------- prompts
def render_prompt(lang: str, course: Course, lesson: Lesson, is_forum: bool
                  ) -> tuple[str, str]:
    """The title and opening text of a lesson's thread."""
    assert lesson.discussion is not None
    title = lesson.title.get(lang)
    how = t(lang, "discussion.how_topic" if is_forum else "discussion.how_reply")
    text = t(lang, "discussion.lesson_opening", title=title, course=course.title.get(lang),
             prompt=lesson.discussion.get(lang), how=how)
    return title, text


async def weekly_prompt_job(context: SinauContext) -> None:
    """The periodic tick: send the weekly prompt to the groups whose week is due."""
    services = context.bot_data.services
    if services is None:
        return

    async def follow(old_chat_id: int, new_chat_id: int) -> None:
        await migration.follow(context.bot, services, old_chat_id, new_chat_id)

    prompts = services.discussion.prompts
    # Through the bulk sender: the same paced path as every other bulk message.
    group_port = TelegramPort(context.bot, services.sender, follow=follow)
    outcomes = await prompts.run_weekly(group_port, render_prompt)
    if group_port.moved:
        # A group turned out to be upgraded: its state has moved, so run once more for it.
        outcomes += await prompts.run_weekly(
            TelegramPort(context.bot, services.sender, follow=follow), render_prompt)
    for outcome in outcomes:
        logger.info("weekly prompt %s in %s: %s", outcome.iso_week, outcome.chat_id,
                    outcome.state)


async def install(app: Application[Any, SinauContext, Any, Any, Any, Any]) -> None:
    """post_init: the group command menu and the weekly prompt tick."""
    from bot.handlers import GROUP_COMMANDS

    # The bulk sender's ChatMigrated errors move an upgraded group's state too.
    migration.install(app)
    scope = BotCommandScopeAllGroupChats()
    for lang in (None, *LANGUAGES):
        commands = [BotCommand(name, t(lang or "id", f"commands.{name}"))
                    for name in GROUP_COMMANDS]
        await app.bot.set_my_commands(commands, scope=scope, language_code=lang)
    settings = app.bot_data.settings
    if settings is None or not settings.discussion.weekly_prompt or app.job_queue is None:
        return
    tick = settings.nudges.tick_seconds
    app.job_queue.run_repeating(
        weekly_prompt_job, interval=tick, first=min(tick, 1.0), name=WEEKLY_JOB,
        # The ledger decides what is due, so a late tick is still right: never drop it, and
        # after a stall run it once.
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )
