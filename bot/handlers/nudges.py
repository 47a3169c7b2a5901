"""/pause, /stop_nudges, /resume and the ``nz:`` menu: a learner's own daily nudges."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.handlers.render import button, edit, expired, keyboard, onboarded
from bot.i18n import SafeHtml, t
from bot.scheduling.preferences import PAUSE_CHOICES, ZONES, NudgeStatus
from bot.scheduling.render import date_text, zone_label

_DAYS = ("daily", "weekdays")


def status_line(lang: str, status: NudgeStatus) -> SafeHtml:
    """One line: on (days, time, zone), paused until a date, or stopped."""
    if status.state == "stopped":
        return t(lang, "nudge.status_stopped")
    if status.state == "paused" and status.resumes_on is not None:
        return t(lang, "nudge.status_paused", date=date_text(status.resumes_on, lang))
    return t(lang, "nudge.status_on", days=t(lang, f"nudge.days_{status.days}"),
             time=status.at.strftime("%H:%M"), zone=zone_label(status.zone))


def menu(lang: str, status: NudgeStatus, note: str | None = None
         ) -> tuple[str, InlineKeyboardMarkup]:
    """The nudge menu: status, then pause / days / zone / stop-or-resume buttons."""
    lines = [note] if note else []
    lines += [t(lang, "nudge.menu_title"), status_line(lang, status)]

    def mark(label: str, chosen: bool) -> str:
        return f"✓ {label}" if chosen else label

    on = status.state == "on"
    markup = keyboard(
        [button(t(lang, "nudge.btn_pause", days=n), data("nz", "pause", n))
         for n in PAUSE_CHOICES],
        [button(mark(t(lang, f"nudge.btn_{d}"), status.days == d), data("nz", "days", d))
         for d in _DAYS],
        [button(mark(zone_label(z), status.zone == z), data("nz", "tz", code))
         for code, z in ZONES.items()],
        [button(t(lang, "nudge.btn_stop"), data("nz", "stop")) if on
         else button(t(lang, "nudge.btn_resume"), data("nz", "resume"))],
        [button(t(lang, "settings.back"), data("st", "menu"))],
    )
    return "\n".join(lines), markup


def confirmation(lang: str, action: str, status: NudgeStatus) -> SafeHtml:
    """The short line that confirms what just changed."""
    if action == "pause" and status.resumes_on is not None:
        return t(lang, "nudge.paused", date=date_text(status.resumes_on, lang))
    if action == "stop":
        return t(lang, "nudge.stopped")
    if action == "days":
        return t(lang, "nudge.days_set", days=t(lang, f"nudge.days_{status.days}"))
    if action == "tz":
        return t(lang, "nudge.zone_set", zone=zone_label(status.zone))
    return t(lang, "nudge.resumed", days=t(lang, f"nudge.days_{status.days}"),
             time=status.at.strftime("%H:%M"), zone=zone_label(status.zone))


async def pause_command(update: Update, context: SinauContext) -> None:
    """Ask how many days to pause (1, 3 or 7), by buttons."""
    user = await onboarded(update, context)
    if user is None or update.effective_message is None:
        return
    lang = context.lang
    markup = keyboard(
        [button(t(lang, "nudge.btn_pause", days=n), data("nz", "pause", n))
         for n in PAUSE_CHOICES]
    )
    await update.effective_message.reply_text(t(lang, "nudge.pause_ask"), reply_markup=markup)


async def stop_command(update: Update, context: SinauContext) -> None:
    """Stop the daily nudges until /resume."""
    user = await onboarded(update, context)
    if user is None or update.effective_message is None:
        return
    status = await context.services.nudge_prefs.stop(user.id)
    if status is not None:
        await update.effective_message.reply_text(confirmation(context.lang, "stop", status))


async def resume_command(update: Update, context: SinauContext) -> None:
    """Turn the daily nudges back on (ends a pause, a stop and any back-off)."""
    user = await onboarded(update, context)
    if user is None or update.effective_message is None:
        return
    status = await context.services.nudge_prefs.resume(user.id)
    if status is not None:
        await update.effective_message.reply_text(confirmation(context.lang, "resume", status))


async def on_callback(update: Update, context: SinauContext) -> None:
    """Handle nz:* buttons: show the menu or apply one change, then show the menu again."""
    query = update.callback_query
    user = await onboarded(update, context)
    if query is None or user is None:
        return
    lang, prefs = context.lang, context.services.nudge_prefs
    message = query.message if isinstance(query.message, Message) else None
    # Nudge settings are changed only from the presser's own private chat.
    if message is None or message.chat.id != query.from_user.id:
        await expired(query, lang, now=context.services.clock.now())
        return
    press = parse(query.data, "nz")
    action = press.action if press is not None else ""
    arg = press.arg(0) if press is not None and press.args else None
    if action == "menu":
        status = await prefs.status(user.id)
    elif action == "pause" and arg is not None and int(arg) in PAUSE_CHOICES:
        status = await prefs.pause(user.id, int(arg))
    elif action in ("stop", "resume"):
        status = await (prefs.stop(user.id) if action == "stop" else prefs.resume(user.id))
    elif action == "days" and arg is not None:
        status = await prefs.set_days(user.id, "weekdays" if arg == "weekdays" else "daily")
    elif action == "tz" and arg is not None:
        status = await prefs.set_zone(user.id, arg)
    else:
        await expired(query, lang, now=context.services.clock.now())
        return
    if status is None:
        await expired(query, lang, now=context.services.clock.now())
        return
    await query.answer()
    note = None if action == "menu" else confirmation(lang, action, status)
    text, markup = menu(lang, status, note)
    await edit(query, text, markup)
