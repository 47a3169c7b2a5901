"""/settings: language, certificate name, work unit, nudge time and days, review recall target
— by buttons."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.handlers.keyboards import language_keyboard, time_keyboard, unit_keyboard
from bot.handlers.paging import shows
from bot.handlers.render import button, edit, expired, keyboard, onboarded
from bot.i18n import LANGUAGES, SafeHtml, t
from bot.learning.onboarding import format_time
from bot.learning.review import RETENTION_CHOICES
from bot.storage.users import User


def menu(context: SinauContext, user: User,
         saved: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    """The settings overview and its buttons."""
    lang = context.lang
    default = format_time(context.services.settings.learning.default_nudge_time)
    text = t(lang, "settings.menu", language=t(lang, f"settings.language_{lang}"),
             name=user.name, unit=user.unit or t(lang, "settings.no_unit"),
             time=user.nudge_time or default,
             days=t(lang, f"settings.{user.nudge_days}"))
    retention = t(lang, "settings.retention_line",
                  percent=round(context.services.learning.retention(user) * 100))
    missing = t(lang, "settings.no_unit")
    # The learner's own private chat (/settings is private only): the full NIP is theirs.
    identity = t(lang, "settings.identity", nip=user.nip or missing,
                 jabatan=user.jabatan or missing, institution=user.institution or missing)
    text = SafeHtml(f"{text}\n{identity}\n{retention}")
    if saved:
        text = SafeHtml(f"{t(lang, 'settings.saved')}\n{text}")
    markup = keyboard(
        [button(t(lang, "settings.language"), data("st", "lang")),
         button(t(lang, "settings.name"), data("st", "name"))],
        [button(t(lang, "settings.unit"), data("st", "unit")),
         button(t(lang, "settings.time"), data("st", "time"))],
        [button(t(lang, "settings.nip"), data("st", "nip")),
         button(t(lang, "settings.jabatan"), data("st", "jab")),
         button(t(lang, "settings.institution"), data("st", "inst"))],
        [button(t(lang, "settings.retention"), data("st", "ret"))],
        # Pausing belongs to the nudge module, which handles nz:* buttons.
        [button(t(lang, "settings.pause"), data("nz", "menu"))],
    )
    return text, markup


def retention_screen(context: SinauContext, user: User) -> tuple[str, InlineKeyboardMarkup]:
    """The desired-retention choice (85 / 90 / 95 %) with its one-line trade-off."""
    lang, learning = context.lang, context.services.learning
    current = round(learning.retention(user) * 100)
    default = round(context.services.settings.learning.review_retention * 100)
    row = []
    for choice in RETENTION_CHOICES:
        percent = round(choice * 100)
        key = "settings.retention_default" if percent == default else "settings.retention_choice"
        mark = "✓ " if percent == current else ""
        row.append(button(mark + t(lang, key, percent=percent), data("st", "ret", percent)))
    return t(lang, "settings.ask_retention"), keyboard(row, _back(lang))


async def settings_command(update: Update, context: SinauContext) -> None:
    """Show the settings overview."""
    user = await onboarded(update, context)
    if user is None or update.effective_message is None:
        return
    user = await context.services.onboarding.cancel_question(user)
    text, markup = menu(context, user)
    await update.effective_message.reply_text(text, reply_markup=markup)


#: /settings buttons that ask for typed text: the NIP, the position and the institution.
_TYPED = {"nip": "nip", "jab": "jabatan", "inst": "institution"}


def _back(lang: str) -> list[InlineKeyboardButton]:
    return [button(t(lang, "settings.back"), data("st", "menu"))]


async def on_callback(update: Update, context: SinauContext) -> None:
    """Handle st:* buttons: open a sub-screen or save a choice, then show the overview."""
    query = update.callback_query
    user = await onboarded(update, context)
    if query is None or user is None:
        return
    press, lang = parse(query.data, "st"), context.lang
    services = context.services
    users, learning, units = services.users, services.learning, services.onboarding.units
    if press is None:
        await expired(query, lang, now=services.clock.now())
        return
    if press.action == "unit" and len(press) == 2:
        await _unit_page(query, context, press.number(1))
        return
    value = press.arg(0) if press.args else None
    action = press.action
    saved = True
    if action == "menu":
        saved = False
        user = await services.onboarding.cancel_question(user)
    elif action == "lang" and value is None:
        await query.answer()
        markup = language_keyboard("st", "lang", lang)
        await edit(query, t(lang, "onboarding.ask_language"),
                   keyboard(*markup.inline_keyboard, _back(lang)))
        return
    elif action == "lang" and value in LANGUAGES:
        user = await users.update(user.id, language=value) or user
        context.lang = value
    elif action in _TYPED and value is None:
        await query.answer()
        what = _TYPED[action]
        await services.onboarding.ask_again(user, what)
        await edit(query, t(lang, f"onboarding.type_{what}"), keyboard(_back(lang)))
        return
    elif action in ("name", "unit", "time") and value in (None, "custom", "other"):
        await query.answer()
        await _ask(update, context, user, action, value)
        return
    elif action == "unit" and value is not None and int(value) < len(units):
        user = await users.update(user.id, unit=units[int(value)]) or user
    elif action == "time" and value is not None and (chosen := services.onboarding.preset(
            value)):
        await learning.set_nudge(user.id, time=chosen)
        user = await users.get(user.id) or user
    elif action == "days" and value is not None:
        await learning.set_nudge(user.id, days=value)
        user = await users.get(user.id) or user
    elif action == "ret" and value is None:
        await query.answer()
        await edit(query, *retention_screen(context, user))
        return
    elif action == "ret" and value is not None and value.isdigit() and (
            updated := await learning.set_retention(user, int(value))):
        user = updated
    else:
        await expired(query, lang, now=services.clock.now())
        return
    await query.answer()
    await edit(query, *menu(context, user, saved=saved))


def _unit_screen(context: SinauContext, page: int = 0) -> tuple[str, InlineKeyboardMarkup]:
    """Which work unit: a page of the units, another one, back to the overview."""
    lang = context.lang
    shown = unit_keyboard(context, "st", "unit", lang, page)
    return (shown.with_note(t(lang, "onboarding.ask_unit"), lang),
            keyboard(*shown.rows, _back(lang)))


async def _unit_page(query: CallbackQuery, context: SinauContext, page: int) -> None:
    """st:unit:p:<n>: another page of the units, in place of the one on the message."""
    if not shows(query, "st:unit:"):
        await expired(query, context.lang, now=context.services.clock.now())
        return
    await query.answer()
    await edit(query, *_unit_screen(context, page))


async def _ask(update: Update, context: SinauContext, user: User, action: str,
               value: str | None) -> None:
    """Open the sub-screen for ``action`` (or the typing prompt for custom values)."""
    query, lang = update.callback_query, context.lang
    assert query is not None
    if action == "name" or value in ("custom", "other"):
        prompt = {"name": "onboarding.type_name", "unit": "onboarding.type_unit",
                  "time": "onboarding.type_time"}[action]
        await context.services.onboarding.ask_again(user, action)
        await edit(query, t(lang, prompt), keyboard(_back(lang)))
    elif action == "unit":
        await edit(query, *_unit_screen(context))
    else:
        markup = time_keyboard(context, "st", "time", lang, user.nudge_time)
        days = [button(("✓ " if user.nudge_days == d else "") + t(lang, f"settings.days_{d}"),
                       data("st", "days", d)) for d in ("daily", "weekdays")]
        await edit(query, t(lang, "onboarding.ask_time"),
                   keyboard(*markup.inline_keyboard, days, _back(lang)))


async def on_text(update: Update, context: SinauContext) -> bool:
    """A typed name, unit or time for a /settings question; False when none waits."""
    message, user = update.effective_message, context.user
    if not isinstance(message, Message) or user is None or not message.text:
        return False
    step = await context.services.onboarding.typed(user, message.text)
    if step is None:
        return False
    if step.problem is not None:
        await message.reply_text(t(context.lang, f"onboarding.{step.problem}"))
        return True
    text, markup = menu(context, step.user, saved=True)
    await message.reply_text(text, reply_markup=markup)
    if step.what in ("name", "nip"):
        # A passed course's certificate may have waited for this.
        from bot.handlers.evaluation import deliver_waiting

        await deliver_waiting(context, message.chat_id, step.user, ask_next=False)
    return True
