"""Keyboards shared by onboarding and /settings: language, work unit, nudge time; and the
late onboarding questions built from them (asked from several handlers)."""

from __future__ import annotations

from dataclasses import replace

from telegram import InlineKeyboardMarkup

from bot.buttons import data
from bot.context import SinauContext
from bot.handlers.paging import Page, paged
from bot.handlers.render import button, keyboard
from bot.i18n import LANGUAGES, t
from bot.learning.onboarding import format_time
from bot.storage.users import User

# Each language's own name, so a learner finds theirs whatever the current language is.
LANGUAGE_LABELS = {"id": "🇮🇩 Bahasa Indonesia", "en": "🇬🇧 English"}


def language_keyboard(area: str, action: str, selected: str) -> InlineKeyboardMarkup:
    """Both languages, the selected one ticked."""
    return keyboard([
        button(("✓ " if code == selected else "") + LANGUAGE_LABELS[code],
               data(area, action, code))
        for code in LANGUAGES
    ])


def unit_keyboard(context: SinauContext, area: str, action: str, lang: str,
                  page: int = 0) -> Page:
    """A page of the configured units, one per row (``<area>:<action>:p:<n>`` turns the
    page), then 'other' on every page."""
    units = context.services.settings.learning.units
    rows = [[button(unit, data(area, action, i))] for i, unit in enumerate(units)]
    shown = paged(rows, page, lambda n: data(area, action, "p", n), lang)
    other = [button(t(lang, "onboarding.unit_other"), data(area, action, "other"))]
    return replace(shown, rows=[*shown.rows, other])


def time_keyboard(context: SinauContext, area: str, action: str, lang: str,
                  selected: str | None) -> InlineKeyboardMarkup:
    """The preset nudge times in one row, then 'another time'."""
    presets = context.services.onboarding.preset_times
    row = [button(("✓ " if p == selected else "") + p, data(area, action, p.replace(":", "")))
           for p in presets]
    return keyboard(row, [button(t(lang, "onboarding.time_custom"),
                                 data(area, action, "custom"))])


def default_time(context: SinauContext) -> str:
    """The configured reminder time, 'HH:MM'."""
    return format_time(context.services.settings.learning.default_nudge_time)


def time_question(context: SinauContext, user: User,
                  key: str = "onboarding.ask_time_tomorrow") -> tuple[str, InlineKeyboardMarkup]:
    """Which reminder time: the presets, another time, or keep the current one."""
    lang = context.lang
    current = user.nudge_time or default_time(context)
    rows = time_keyboard(context, "ob", "time", lang, user.nudge_time).inline_keyboard
    keep = button(t(lang, "onboarding.time_keep", time=current), data("ob", "time", "skip"))
    return t(lang, key), keyboard(*rows, [keep])


def unit_question(context: SinauContext, page: int = 0) -> tuple[str, InlineKeyboardMarkup]:
    """Which work unit (asked when a cohort wants it): a page of the units, another, or
    skip."""
    lang = context.lang
    shown = unit_keyboard(context, "ob", "unit", lang, page)
    skip = button(t(lang, "onboarding.skip"), data("ob", "unit", "skip"))
    return (shown.with_note(t(lang, "onboarding.ask_unit_cohort"), lang),
            keyboard(*shown.rows, [skip]))


def nip_question(lang: str) -> tuple[str, InlineKeyboardMarkup]:
    """The NIP a certificate waits for: type it, or later (in /settings)."""
    return t(lang, "onboarding.ask_nip"), keyboard(
        [button(t(lang, "onboarding.nip_later"), data("ob", "nip", "skip"))])


def name_question(lang: str, user: User) -> tuple[str, InlineKeyboardMarkup]:
    """The certificate name: keep the Telegram name, or type another."""
    return t(lang, "onboarding.ask_name", name=user.name), keyboard(
        [button(t(lang, "onboarding.name_keep"), data("ob", "name", "keep"))],
        [button(t(lang, "onboarding.name_change"), data("ob", "name", "edit"))],
    )
