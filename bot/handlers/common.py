"""Every user's basics: /help, an unknown command or button, and the private-message router.

A private message that is not a command answers, in this order of precedence: a trainer's
open question (a cohort name, broadcast content, a course pack), a .toml course pack sent
without one, the welcome again for a newcomer who has not tapped "start learning", a question
onboarding or /settings waits to have typed; otherwise it gets a short pointer to the
buttons. What waits is read from the database at each message, so it survives restarts and is
the same on every worker.
"""

from __future__ import annotations

from telegram import Update

from bot.buttons import data
from bot.context import SinauContext
from bot.handlers import onboarding, settings
from bot.handlers.menus import COMMANDS
from bot.handlers.render import button, expired, keyboard
from bot.i18n import t
from bot.learning.onboarding import SETTINGS_TEXT_STEPS


async def help_command(update: Update, context: SinauContext) -> None:
    """List the learner commands."""
    if update.effective_message is None:
        return
    lines = [context.t("dashboard.help_title"), ""]
    lines += [f"/{name} — {context.t(f'commands.{name}')}" for name in COMMANDS]
    await update.effective_message.reply_text("\n".join(lines))


async def unknown_command(update: Update, context: SinauContext) -> None:
    """Point at /help when a command is not known."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(context.t("common.unknown_command"))


async def private_message(update: Update, context: SinauContext) -> None:
    """A private message that is not a command: route it to whatever waits for it."""
    from bot.handlers import trainer, upload

    message, user = update.effective_message, context.user
    if message is None or user is None:
        return
    if await trainer.answer_prompt(update, context):
        return
    document = message.document
    if document is not None and (document.file_name or "").lower().endswith(".toml"):
        await upload.on_document(update, context)
        return
    if not user.onboarded:
        # A newcomer who typed instead of tapping: the welcome again (one tap to learning).
        await onboarding.resend_welcome(update, context, user)
        return
    step = user.onboarding_step
    if step is not None:
        if message.text:
            if step in SETTINGS_TEXT_STEPS:
                await settings.on_text(update, context)
            else:
                await onboarding.on_text(update, context)
        return  # a sticker or photo while a typed answer waits: the question stays open
    lang = context.lang
    markup = keyboard(
        [button(t(lang, "dashboard.learn"), data("learn", "go"))],
        [button(t(lang, "dashboard.courses"), data("crs", "list")),
         button(t(lang, "dashboard.progress"), data("pg", "show"))],
    )
    await message.reply_text(context.t("common.free_text"), reply_markup=markup)


async def unknown_button(update: Update, context: SinauContext) -> None:
    """Answer a press no handler claims (forged or from an old version), so it stops spinning;
    a known learner's button from an old version gets the way back (``render.expired``)."""
    if update.callback_query is not None:
        now = context.services.clock.now() if context.user is not None else None
        await expired(update.callback_query, context.lang, now=now)
