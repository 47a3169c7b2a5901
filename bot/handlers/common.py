"""Commands every user has: /help, and the answers to an unknown command or button."""

from __future__ import annotations

from telegram import Update

from bot.context import SinauContext
from bot.handlers.render import button, keyboard
from bot.i18n import t


async def help_command(update: Update, context: SinauContext) -> None:
    """List the learner commands."""
    if update.effective_message is None:
        return
    from bot.handlers import COMMANDS

    lines = [context.t("dashboard.help_title"), ""]
    lines += [f"/{name} — {context.t(f'commands.{name}')}" for name in COMMANDS]
    await update.effective_message.reply_text("\n".join(lines))


async def unknown_command(update: Update, context: SinauContext) -> None:
    """Point at /help when a command is not known."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(context.t("common.unknown_command"))


async def free_text(update: Update, context: SinauContext) -> None:
    """A private message no question waits for: say what works (buttons, /start, /help)."""
    message = update.effective_message
    user = context.user
    if message is None or user is None or user.onboarding_step is not None:
        return  # a typed answer: the onboarding and settings handler (group 2) takes it
    if not user.onboarded:
        await message.reply_text(context.t("onboarding.start_first"))
        return
    lang = context.lang
    markup = keyboard(
        [button(t(lang, "dashboard.learn"), "learn:go")],
        [button(t(lang, "dashboard.courses"), "crs:list"),
         button(t(lang, "dashboard.progress"), "pg:show")],
    )
    await message.reply_text(context.t("common.free_text"), reply_markup=markup)


async def unknown_button(update: Update, context: SinauContext) -> None:
    """Answer a press no handler claims (forged or from an old version), so it stops spinning."""
    if update.callback_query is not None:
        await update.callback_query.answer(context.t("common.expired_button"))
