"""/start: the onboarding questionnaire (buttons first), then the learner's dashboard."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.context import SinauContext
from bot.handlers import settings as settings_handlers
from bot.handlers.keyboards import language_keyboard, preset_time, time_keyboard, unit_keyboard
from bot.handlers.render import button, dashboard, edit, expired, keyboard
from bot.handlers.trainer import joined_note
from bot.i18n import LANGUAGES, choose_language, detect_language, t
from bot.learning import onboarding as rules
from bot.storage.users import User


async def send_dashboard(update: Update, context: SinauContext, user: User) -> None:
    """Send the learner's dashboard to the current chat."""
    snap = await context.services.learning.snapshot(user.id)
    if snap is None or update.effective_chat is None:
        return
    text, markup = dashboard(context.lang, user.name, snap)
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


async def start(update: Update, context: SinauContext) -> None:
    """Welcome a new learner into onboarding, or show an onboarded one their dashboard."""
    message, user = update.effective_message, context.user
    if message is None or user is None or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        await message.reply_text(t(context.lang, "start.welcome", name=user.name))
        return
    users = context.services.users
    payload = rules.valid_payload(context.args[0] if context.args else None)
    if payload is not None:
        user = await users.update_profile(user.id, start_payload=payload) or user
    if user.onboarded:
        if payload is not None:
            await context.services.learning.run_onboarding_hooks(user)
        await send_dashboard(update, context, user)
        return
    user = await users.update_profile(user.id, onboarding_step="language") or user
    lang = context.lang
    await message.reply_text(
        f"{t(lang, 'onboarding.welcome', name=user.name)}\n\n{t(lang, 'onboarding.privacy')}"
    )
    await message.reply_text(t(lang, "onboarding.ask_language"),
                             reply_markup=language_keyboard("ob:language", lang))


def _ask_name(lang: str, user: User) -> tuple[str, InlineKeyboardMarkup]:
    return t(lang, "onboarding.ask_name", name=user.name), keyboard(
        [button(t(lang, "onboarding.name_keep"), "ob:name:keep")],
        [button(t(lang, "onboarding.name_change"), "ob:name:edit")],
    )


async def on_callback(update: Update, context: SinauContext) -> None:
    """Handle an onboarding button (ob:<step>:<value>) if it belongs to the current step."""
    query, user = update.callback_query, context.user
    if query is None or user is None:
        return
    parts = (query.data or "").split(":")
    if (len(parts) != 3 or user.onboarded or user.onboarding_step != parts[1]
            or query.from_user.id != user.id):
        await expired(query, context.lang)
        return
    step, value = parts[1], parts[2]
    users = context.services.users
    if step == "language" and value in LANGUAGES:
        user = await users.update_profile(user.id, language=value, onboarding_step="name") or user
        context.lang = value
        await query.answer()
        await edit(query, *_ask_name(value, user))
    elif step == "name" and value in ("keep", "edit"):
        await query.answer()
        if value == "keep":
            name = rules.valid_name(user.name) or user.name[: rules.NAME_MAX]
            await users.update_profile(user.id, display_name=name, onboarding_step="unit")
            await edit(query, t(context.lang, "onboarding.ask_unit"),
                       unit_keyboard(context, "ob:unit", context.lang))
        else:
            await users.update_profile(user.id, onboarding_step="name_text")
            await edit(query, t(context.lang, "onboarding.type_name"), None)
    elif step == "unit" and (value == "other" or (value.isascii() and value.isdigit())):
        units = context.services.settings.learning.units
        if value == "other":
            await query.answer()
            await users.update_profile(user.id, onboarding_step="unit_text")
            await edit(query, t(context.lang, "onboarding.type_unit"), None)
        elif int(value) < len(units):
            await query.answer()
            await users.update_profile(user.id, unit=units[int(value)], onboarding_step="time")
            await edit(query, *_ask_time(context))
        else:
            await expired(query, context.lang)
    elif step == "time" and value == "custom":
        await query.answer()
        await users.update_profile(user.id, onboarding_step="time_text")
        await edit(query, t(context.lang, "onboarding.type_time"), None)
    elif step == "time" and (chosen := preset_time(context, value)) is not None:
        await query.answer()
        await _finish(update, context, user, chosen, query_to_edit=True)
    else:
        await expired(query, context.lang)


def _ask_time(context: SinauContext) -> tuple[str, InlineKeyboardMarkup]:
    default = rules.format_time(context.services.settings.learning.default_nudge_time)
    return (t(context.lang, "onboarding.ask_time"),
            time_keyboard(context, "ob:time", context.lang, default))


async def _finish(update: Update, context: SinauContext, user: User, nudge_time: str, *,
                  query_to_edit: bool) -> None:
    user = await context.services.learning.finish_onboarding(user, nudge_time)
    text = t(context.lang, "onboarding.done", name=user.name, time=nudge_time)
    joined = joined_note(context.services, user.id, context.lang)  # came with a cohort link
    if joined is not None:
        text = f"{text}\n\n{joined}"
    if query_to_edit and update.callback_query is not None:
        await edit(update.callback_query, text, None)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)
    await send_dashboard(update, context, user)


async def on_text(update: Update, context: SinauContext) -> None:
    """Private text while a questionnaire step waits for typing; otherwise do nothing."""
    message, user = update.effective_message, context.user
    if message is None or user is None or not message.text or user.onboarding_step is None:
        return
    step = user.onboarding_step
    if step in rules.SETTINGS_TEXT_STEPS:
        await settings_handlers.on_text(update, context)
        return
    if user.onboarded:
        return
    users = context.services.users
    text = message.text
    if step == "language":
        guess = detect_language(text) or choose_language(None, user.telegram_language)
        context.lang = guess
        await message.reply_text(t(guess, "onboarding.ask_language"),
                                 reply_markup=language_keyboard("ob:language", guess))
    elif step in ("name", "name_text"):
        name = rules.valid_name(text)
        if name is None:
            await message.reply_text(t(context.lang, "onboarding.bad_name"))
            return
        await users.update_profile(user.id, display_name=name, onboarding_step="unit")
        await message.reply_text(t(context.lang, "onboarding.ask_unit"),
                                 reply_markup=unit_keyboard(context, "ob:unit", context.lang))
    elif step in ("unit", "unit_text"):
        unit = rules.valid_unit(text)
        if unit is None:
            await message.reply_text(t(context.lang, "onboarding.bad_unit"))
            return
        await users.update_profile(user.id, unit=unit, onboarding_step="time")
        question, markup = _ask_time(context)
        await message.reply_text(question, reply_markup=markup)
    elif step in ("time", "time_text"):
        nudge_time = rules.parse_time(text)
        if nudge_time is None:
            await message.reply_text(t(context.lang, "onboarding.bad_time"))
            return
        await _finish(update, context, user, nudge_time, query_to_edit=False)
