"""Trainer basics: /grant, /revoke, /trainer, invite deep links, /linkgroup, per-chat menus."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, filters

from bot.context import SinauContext
from bot.handlers.auth import require_role
from bot.i18n import LANGUAGES, t
from bot.storage.users import User
from bot.training.cohorts import COHORT_INVITE_PREFIX, invite_link
from bot.training.roles import TRAINER_INVITE_PREFIX

logger = logging.getLogger(__name__)

#: Commands of trainers and admins, shown in their own chat's menu (not in the learners' menu).
TRAINER_COMMANDS: tuple[str, ...] = ("trainer", "cohort", "broadcast", "stats", "export", "upload")
ADMIN_COMMANDS: tuple[str, ...] = ("grant", "revoke")


class AwaitingAnswer(filters.MessageFilter):
    """Matches messages from a trainer whose next message answers an open question."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        super().__init__(name="AwaitingAnswer")
        self._app = app

    def filter(self, message: Message) -> bool:
        """True when the sender has an open prompt (checked in memory, no query)."""
        services = self._app.bot_data.services
        sender = message.from_user
        return (
            services is not None
            and sender is not None
            and services.training.prompts.waiting(sender.id)
        )


def _args(context: SinauContext) -> list[str]:
    return list(context.args or [])


def _target_id(update: Update, context: SinauContext) -> int | None:
    """The user a /grant or /revoke is about: the replied-to message's author, or an id."""
    message = update.effective_message
    if message is not None and message.reply_to_message is not None:
        author = message.reply_to_message.from_user
        if author is not None and not author.is_bot:
            return author.id
    args = _args(context)
    if len(args) == 1 and args[0].lstrip("-").isdigit():
        return int(args[0])
    return None


@require_role("admin")
async def grant(update: Update, context: SinauContext) -> None:
    """Make a user trainer (reply to their message, give their id, or /grant link)."""
    message = update.effective_message
    sender = update.effective_user
    if message is None or sender is None:
        return
    roles = context.services.training.roles
    if _args(context) == ["link"]:
        code = await roles.new_trainer_invite(by=sender.id)
        await message.reply_text(
            context.t("trainer.invite_link", link=invite_link(context.bot.username, code))
        )
        return
    target = _target_id(update, context)
    if target is None:
        await message.reply_text(context.t("trainer.grant_usage"))
        return
    known = await context.services.users.get(target)
    result = await roles.grant_trainer(target, by=sender.id, known=known is not None)
    if result.outcome == "unknown":
        await message.reply_text(context.t("trainer.unknown_user", id=target))
        return
    name = known.name if known else str(target)
    key = "trainer.granted" if result.outcome == "granted" else "trainer.already"
    await message.reply_text(context.t(key, name=name))
    if result.outcome == "granted":
        await set_staff_menu(context.bot, target, "trainer")


@require_role("admin")
async def revoke(update: Update, context: SinauContext) -> None:
    """Take the trainer role away (reply to their message or give their id)."""
    message = update.effective_message
    if message is None:
        return
    target = _target_id(update, context)
    if target is None:
        await message.reply_text(context.t("trainer.revoke_usage"))
        return
    roles = context.services.training.roles
    if roles.is_admin(target):
        await message.reply_text(context.t("trainer.revoke_admin"))
        return
    revoked = await roles.revoke_trainer(target)
    known = await context.services.users.get(target)
    name = known.name if known else str(target)
    await message.reply_text(context.t("trainer.revoked" if revoked else "trainer.not_trainer",
                                       name=name))
    if revoked:
        await clear_staff_menu(context.bot, target)


@require_role("trainer")
async def trainer_help(update: Update, context: SinauContext) -> None:
    """List the trainer commands (and the admin ones for admins)."""
    message = update.effective_message
    sender = update.effective_user
    if message is None or sender is None:
        return
    names = list(TRAINER_COMMANDS)
    if context.services.training.roles.is_admin(sender.id):
        names += ADMIN_COMMANDS
    lines = [context.t("trainer.help_title")]
    lines += [f"/{name} — {context.t(f'commands.{name}')}" for name in names]
    await message.reply_text("\n".join(lines))


async def deep_link(update: Update, context: SinauContext) -> None:
    """/start t_… (trainer invite) and /start c_… (cohort invite) after onboarding's /start."""
    message = update.effective_message
    user = context.user
    args = _args(context)
    if message is None or user is None or not args:
        return
    payload = args[0]
    training = context.services.training
    if payload.startswith(TRAINER_INVITE_PREFIX):
        if await training.roles.has(user.id, "trainer"):
            await message.reply_text(context.t("trainer.already_you"))
        elif await training.roles.redeem_trainer_invite(payload, user.id):
            await message.reply_text(context.t("trainer.welcome"))
            await set_staff_menu(context.bot, user.id, "trainer")
        else:
            await message.reply_text(context.t("trainer.invite_invalid"))
        return
    if payload.startswith(COHORT_INVITE_PREFIX) and user.onboarded:
        # Onboarding's /start already ran the onboarding hooks, which joined the learner;
        # report that outcome (or join now if the hooks did not run). A learner still
        # onboarding joins when onboarding finishes, and is told then (joined_note).
        cohorts = training.cohorts
        result = cohorts.take_unreported(user.id) or await cohorts.join(payload, user.id)
        await message.reply_text(_join_text(context.lang, result))


def joined_note(services: Any, user_id: int, lang: str) -> str | None:
    """What the cohort invite a learner came with did, once (shown when onboarding ends)."""
    result = services.training.cohorts.take_unreported(user_id)
    return None if result is None else _join_text(lang, result)


def _join_text(lang: str, result: Any) -> str:
    name = result.cohort.name if result.cohort else ""
    return t(lang, f"cohort.join_{result.outcome}", name=name)


async def join_after_onboarding(services: Any, user: User) -> None:
    """Onboarding hook: a learner who came through a cohort link joins it now."""
    result = await services.training.cohorts.join_from_payload(user.start_payload, user.id)
    if result is not None:
        logger.info("learner %s: cohort invite -> %s", user.id, result.outcome)


@require_role("trainer")
async def link_group(update: Update, context: SinauContext) -> None:
    """/linkgroup <cohort id> in a group: link the group to the cohort (for discussions)."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    if chat.type not in ("group", "supergroup"):
        await message.reply_text(context.t("cohort.link_in_group"))
        return
    args = _args(context)
    cohorts = context.services.training.cohorts
    cohort = await cohorts.get(int(args[0])) if len(args) == 1 and args[0].isdigit() else None
    if cohort is None or cohort.archived:
        await message.reply_text(context.t("cohort.link_usage"))
        return
    await cohorts.link_group(cohort.id, chat.id)
    await message.reply_text(context.t("cohort.linked", name=cohort.name))


def staff_commands(lang: str, role: str) -> list[BotCommand]:
    """The menu of a trainer or admin: the learner commands plus theirs."""
    from bot.handlers import COMMANDS

    names = [*COMMANDS, *TRAINER_COMMANDS, *(ADMIN_COMMANDS if role == "admin" else ())]
    return [BotCommand(name, t(lang, f"commands.{name}")) for name in names]


async def set_staff_menu(bot: Any, user_id: int, role: str) -> None:
    """Show the trainer commands in this user's private chat menu, in both languages."""
    scope = BotCommandScopeChat(user_id)
    try:
        await bot.set_my_commands(staff_commands("id", role), scope=scope)
        for lang in LANGUAGES:
            await bot.set_my_commands(staff_commands(lang, role), scope=scope,
                                      language_code=lang)
    except TelegramError as exc:
        logger.info("could not set the staff menu for %s: %s", user_id, exc)


async def clear_staff_menu(bot: Any, user_id: int) -> None:
    """Back to the learners' menu after a revoke."""
    scope = BotCommandScopeChat(user_id)
    try:
        await bot.delete_my_commands(scope=scope)
        for lang in LANGUAGES:
            await bot.delete_my_commands(scope=scope, language_code=lang)
    except TelegramError as exc:
        logger.info("could not clear the staff menu for %s: %s", user_id, exc)


async def install(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """post_init: uploaded packs, prompts, the onboarding hook, broadcasts, staff menus."""
    from bot.handlers import broadcast_delivery, upload

    services = app.bot_data.services
    training = services.training
    upload.swap_catalogue(services, upload.uploader(services).merge_stored(services.catalogue))
    await training.prompts.load()
    training.stats.use_catalogue(lambda: services.catalogue)
    await broadcast_delivery.install(app)

    async def hook(user: User) -> None:
        await join_after_onboarding(services, user)

    learning = getattr(services, "learning", None)
    if learning is not None:
        learning.onboarding_hooks.append(hook)
    for user_id in await training.roles.staff_ids():
        known = await services.users.get(user_id)
        if known is not None and known.is_active:
            await set_staff_menu(app.bot, user_id, await training.roles.role_of(user_id))


@require_role("trainer")
async def answer_prompt(update: Update, context: SinauContext) -> None:
    """A trainer's text or file that answers the open question (see PromptBook)."""
    from bot.handlers import broadcast, cohorts, upload

    sender = update.effective_user
    if sender is None:
        return
    prompt = await context.services.training.prompts.current(sender.id)
    if prompt is None:
        return
    if prompt.kind.startswith("cohort_"):
        if update.effective_message is None or not update.effective_message.text:
            return
        await cohorts.answer_text(update, context, prompt.kind, prompt.ref)
    elif prompt.kind == "bc_content":
        await broadcast.answer_content(update, context, prompt.ref)
    elif prompt.kind == "upload":
        await upload.answer_file(update, context)
    else:
        return
    # The message answered the trainer's question: a pending onboarding or settings question
    # (group 2) must not take it as a name, unit or time as well.
    raise ApplicationHandlerStop


def early_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> list[Any]:
    """Group 0, first: answers to open trainer questions win over learner free-text handlers."""
    from telegram.ext import MessageHandler

    content = (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL
    return [MessageHandler(filters.ChatType.PRIVATE & AwaitingAnswer(app) & content,
                           answer_prompt)]


def feature_handlers() -> list[Any]:
    """Group 0: the trainer commands and buttons (every one guarded by require_role)."""
    from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler

    from bot.handlers import broadcast, cohorts, stats, upload

    return [
        CommandHandler("grant", grant),
        CommandHandler("revoke", revoke),
        CommandHandler("trainer", trainer_help),
        CommandHandler("linkgroup", link_group),
        CommandHandler("cohort", cohorts.cohort_command),
        CallbackQueryHandler(cohorts.on_button, pattern=r"^ch:"),
        CommandHandler("stats", stats.stats_command),
        CallbackQueryHandler(stats.on_stats_button, pattern=r"^ts:"),
        CommandHandler("export", stats.export_command),
        CallbackQueryHandler(stats.on_export_button, pattern=r"^ex:"),
        CommandHandler("broadcast", broadcast.broadcast_command),
        CallbackQueryHandler(broadcast.on_button, pattern=r"^bc:"),
        CommandHandler("upload", upload.upload_command),
        MessageHandler(filters.ChatType.PRIVATE & filters.Document.FileExtension("toml"),
                       upload.on_document),
    ]


def late_handlers() -> list[Any]:
    """After group 0 answered /start: act on trainer and cohort invite payloads."""
    from telegram.ext import CommandHandler

    return [CommandHandler("start", deep_link, filters.Regex(r"^/start(@\w+)? +[ct]_"))]
