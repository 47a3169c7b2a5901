"""/settings: language, certificate name, work unit, nudge time and days — by buttons."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.context import SinauContext
from bot.handlers.keyboards import language_keyboard, preset_time, time_keyboard, unit_keyboard
from bot.handlers.render import button, edit, expired, keyboard, onboarded
from bot.i18n import LANGUAGES, t
from bot.learning import onboarding as rules
from bot.storage.users import User

BACK = "st:menu"


async def menu(context: SinauContext, user: User,
               saved: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    """The settings overview and its buttons."""
    lang = context.lang
    prefs = await context.services.learning.prefs(user.id)
    default = rules.format_time(context.services.settings.learning.default_nudge_time)
    text = t(lang, "settings.menu", language=t(lang, f"settings.language_{lang}"),
             name=user.name, unit=user.unit or t(lang, "settings.no_unit"),
             time=prefs.nudge_time or default,
             days=t(lang, f"settings.{prefs.nudge_days}"))
    if saved:
        text = f"{t(lang, 'settings.saved')}\n{text}"
    markup = keyboard(
        [button(t(lang, "settings.language"), "st:lang"),
         button(t(lang, "settings.name"), "st:name")],
        [button(t(lang, "settings.unit"), "st:unit"),
         button(t(lang, "settings.time"), "st:time")],
        # Pausing belongs to the nudge module, which handles nz:* buttons.
        [button(t(lang, "settings.pause"), "nz:menu")],
    )
    return text, markup


async def settings_command(update: Update, context: SinauContext) -> None:
    """Show the settings overview."""
    user = await onboarded(update, context)
    if user is None or update.effective_message is None:
        return
    if user.onboarding_step is not None:
        user = await context.services.users.update_profile(user.id, onboarding_step=None) or user
    text, markup = await menu(context, user)
    await update.effective_message.reply_text(text, reply_markup=markup)


def _index(value: str, size: int) -> int | None:
    """``value`` as an index below ``size`` (ASCII digits only), else None."""
    if value.isascii() and value.isdigit() and len(value) <= 4 and int(value) < size:
        return int(value)
    return None


def _back(lang: str) -> list:
    return [button(t(lang, "settings.back"), BACK)]


async def on_callback(update: Update, context: SinauContext) -> None:
    """Handle st:* buttons: open a sub-screen or save a choice, then show the overview."""
    query = update.callback_query
    user = await onboarded(update, context)
    if query is None or user is None:
        return
    parts = (query.data or "").split(":")
    action, value = parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else None
    users, learning, lang = context.services.users, context.services.learning, context.lang
    units = context.services.settings.learning.units
    saved = True
    if len(parts) > 3:
        await expired(query, lang)
        return
    if action == "menu" and value is None:
        saved = False
        if user.onboarding_step is not None:
            user = await users.update_profile(user.id, onboarding_step=None) or user
    elif action == "lang" and value is None:
        await query.answer()
        markup = language_keyboard("st:lang", lang)
        await edit(query, t(lang, "onboarding.ask_language"),
                   keyboard(*markup.inline_keyboard, _back(lang)))
        return
    elif action == "lang" and value in LANGUAGES:
        user = await users.update_profile(user.id, language=value) or user
        context.lang = value
    elif action in ("name", "unit", "time") and value in (None, "custom", "other"):
        await query.answer()
        await _ask(update, context, user, action, value, units)
        return
    elif action == "unit" and value is not None and _index(value, len(units)) is not None:
        user = await users.update_profile(user.id, unit=units[int(value)]) or user
    elif action == "time" and value is not None and (chosen := preset_time(context, value)):
        await learning.set_nudge(user.id, time=chosen)
    elif action == "days" and value in ("daily", "weekdays"):
        await learning.set_nudge(user.id, days=value)
    else:
        await expired(query, lang)
        return
    await query.answer()
    await edit(query, *await menu(context, user, saved=saved))


async def _ask(update: Update, context: SinauContext, user: User, action: str,
               value: str | None, units: list[str]) -> None:
    """Open the sub-screen for ``action`` (or the typing prompt for custom values)."""
    query, lang, users = update.callback_query, context.lang, context.services.users
    assert query is not None
    if action == "name" or value in ("custom", "other"):
        step, prompt = {"name": ("st_name", "onboarding.type_name"),
                        "unit": ("st_unit", "onboarding.type_unit"),
                        "time": ("st_time", "onboarding.type_time")}[action]
        await users.update_profile(user.id, onboarding_step=step)
        await edit(query, t(lang, prompt), keyboard(_back(lang)))
    elif action == "unit":
        markup = unit_keyboard(context, "st:unit", lang)
        await edit(query, t(lang, "onboarding.ask_unit"),
                   keyboard(*markup.inline_keyboard, _back(lang)))
    else:
        prefs = await context.services.learning.prefs(user.id)
        markup = time_keyboard(context, "st:time", lang, prefs.nudge_time)
        days = [button(("✓ " if prefs.nudge_days == d else "") + t(lang, f"settings.days_{d}"),
                       f"st:days:{d}") for d in ("daily", "weekdays")]
        await edit(query, t(lang, "onboarding.ask_time"),
                   keyboard(*markup.inline_keyboard, days, _back(lang)))


async def on_text(update: Update, context: SinauContext) -> None:
    """Typed value for a settings prompt (name, unit or time)."""
    message, user = update.effective_message, context.user
    if message is None or user is None or not message.text:
        return
    users, step = context.services.users, user.onboarding_step
    if step == "st_name":
        name = rules.valid_name(message.text)
        if name is None:
            await message.reply_text(t(context.lang, "onboarding.bad_name"))
            return
        user = await users.update_profile(user.id, display_name=name, onboarding_step=None)
    elif step == "st_unit":
        unit = rules.valid_unit(message.text)
        if unit is None:
            await message.reply_text(t(context.lang, "onboarding.bad_unit"))
            return
        user = await users.update_profile(user.id, unit=unit, onboarding_step=None)
    elif step == "st_time":
        nudge_time = rules.parse_time(message.text)
        if nudge_time is None:
            await message.reply_text(t(context.lang, "onboarding.bad_time"))
            return
        await context.services.learning.set_nudge(user.id, time=nudge_time)
        user = await users.update_profile(user.id, onboarding_step=None)
    if user is not None:
        text, markup = await menu(context, user, saved=True)
        await message.reply_text(text, reply_markup=markup)
