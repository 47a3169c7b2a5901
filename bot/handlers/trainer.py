"""Trainer basics: /grant, /revoke, /trainer, /linkgroup, and answers to open questions."""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.buttons import data
from bot.context import SinauContext
from bot.handlers import people
from bot.handlers.auth import require_role
from bot.handlers.menus import (
    ADMIN_COMMANDS,
    TRAINER_COMMANDS,
    clear_staff_menu,
    describe,
    set_staff_menu,
)
from bot.training.cohorts import invite_link

logger = logging.getLogger(__name__)


def _args(context: SinauContext) -> list[str]:
    return list(context.args or [])


def _number(text: str) -> int | None:
    """An id typed as plain digits (a leading - for a group), short enough for any id column;
    None for anything else ("²", a 30-digit number, a name)."""
    digits = text.removeprefix("-")
    if digits.isascii() and digits.isdigit() and len(digits) <= 15:
        return int(text)
    return None


def _target_id(update: Update, context: SinauContext) -> int | None:
    """The user a /grant or /revoke is about: the replied-to message's author, or an id."""
    message = update.effective_message
    if message is not None and message.reply_to_message is not None:
        author = message.reply_to_message.from_user
        if author is not None and not author.is_bot:
            return author.id
    args = _args(context)
    return _number(args[0]) if len(args) == 1 else None


@require_role("admin")
async def grant(update: Update, context: SinauContext) -> None:
    """Make a user trainer (reply to their message, give their id, search by name, or link)."""
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
        chat = update.effective_chat
        if chat is None or chat.type != chat.PRIVATE:
            await message.reply_text(context.t("trainer.grant_usage"))
        elif _args(context):  # a name, an @username or a NIP: the search's results
            await people.show_results(update, context, " ".join(_args(context)))
        else:
            await people.ask_search(update, context, "people.grant_ask")
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
    lines: list[str] = [context.t("trainer.help_title")]
    lines += [f"/{name} — {html.escape(describe(context.lang, name), quote=False)}"
              for name in names]
    await message.reply_text("\n".join(lines))


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
    number = _number(args[0]) if len(args) == 1 else None
    cohort = await cohorts.get(number) if number is not None and number > 0 else None
    if cohort is None or cohort.archived:
        await message.reply_text(context.t("cohort.link_usage"))
        return
    sender = update.effective_user
    if sender is None or not await cohorts.may_see(sender.id, cohort.id):
        await message.reply_text(context.t("people.not_your_cohort"))
        return
    result = await cohorts.link_group_asking(cohort.id, chat.id)
    if result.outcome == "elsewhere" and result.current is not None:
        # Moving a group takes it from another cohort's discussions: ask first.
        await message.reply_text(
            context.t("people.relink_ask", current=result.current.name, name=cohort.name),
            reply_markup=InlineKeyboardMarkup([[
                InlineKeyboardButton(context.label("people.btn_move"),
                                     callback_data=data("ch", "g", cohort.id)),
                InlineKeyboardButton(context.label("people.btn_keep"),
                                     callback_data=data("ch", "gn", cohort.id)),
            ]]))
        return
    key = "people.already_linked" if result.outcome == "already" else "cohort.linked"
    await message.reply_text(context.t(key, name=cohort.name))


async def answer_prompt(update: Update, context: SinauContext) -> bool:
    """A private message from someone with an open trainer question answers it; False when
    no question is open for them (the message goes elsewhere)."""
    sender = update.effective_user
    if sender is None or await context.services.training.prompts.current(sender.id) is None:
        return False
    await answer_question(update, context)
    return True


@require_role("trainer")
async def answer_question(update: Update, context: SinauContext) -> None:
    """A trainer's text or file that answers the open question (see PromptBook)."""
    from bot.handlers import broadcast, cohorts, upload

    sender, message = update.effective_user, update.effective_message
    if sender is None or message is None:
        return
    prompt = await context.services.training.prompts.current(sender.id)
    if prompt is None:
        return
    if prompt.kind.startswith("cohort_"):
        if message.text:  # a question that wants text: a sticker or photo answers nothing
            await cohorts.answer_text(update, context, prompt.kind, prompt.ref)
    elif prompt.kind.startswith("bc_"):
        await broadcast.answer_prompt(update, context, prompt.kind, prompt.ref)
    elif prompt.kind == "upload":
        await upload.answer_file(update, context)
    elif prompt.kind == people.SEARCH_PROMPT:
        await people.answer_search(update, context)


def feature_handlers() -> list[Any]:
    """Group 0: the trainer commands and buttons (every one guarded by require_role)."""
    from telegram.ext import CallbackQueryHandler, CommandHandler

    from bot.handlers import broadcast, broadcast_schedule, cohorts, stats, upload

    return [
        CommandHandler("grant", grant),
        CommandHandler("revoke", revoke),
        CommandHandler("users", people.users_command),
        CommandHandler("trainers", people.trainers_command),
        CallbackQueryHandler(people.on_button, pattern=r"^pp:"),
        CommandHandler("trainer", trainer_help),
        CommandHandler("linkgroup", link_group),
        CommandHandler("cohort", cohorts.cohort_command),
        CallbackQueryHandler(cohorts.on_button, pattern=r"^ch:"),
        CommandHandler("stats", stats.stats_command),
        CallbackQueryHandler(stats.on_stats_button, pattern=r"^ts:"),
        CommandHandler("export", stats.export_command),
        CallbackQueryHandler(stats.on_export_button, pattern=r"^ex:"),
        CommandHandler("broadcast", broadcast.broadcast_command),
        CommandHandler("scheduled", broadcast_schedule.scheduled_command),
        CallbackQueryHandler(broadcast.on_button, pattern=r"^bc:"),
        CommandHandler("upload", upload.upload_command),
        CommandHandler("versions", upload.versions_command),
        CommandHandler("restore_course", upload.restore_command),
        CallbackQueryHandler(upload.on_button, pattern=r"^cv:"),
    ]
