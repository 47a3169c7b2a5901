"""Keyboards shared by onboarding and /settings: language, work unit, nudge time."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.buttons import data
from bot.context import SinauContext
from bot.handlers.render import button, keyboard
from bot.i18n import LANGUAGES, t

# Each language's own name, so a learner finds theirs whatever the current language is.
LANGUAGE_LABELS = {"id": "🇮🇩 Bahasa Indonesia", "en": "🇬🇧 English"}


def language_keyboard(area: str, action: str, selected: str) -> InlineKeyboardMarkup:
    """Both languages, the selected one ticked."""
    return keyboard([
        button(("✓ " if code == selected else "") + LANGUAGE_LABELS[code],
               data(area, action, code))
        for code in LANGUAGES
    ])


def unit_keyboard(context: SinauContext, area: str, action: str,
                  lang: str) -> InlineKeyboardMarkup:
    """The configured units, one per row, then 'other'."""
    units = context.services.settings.learning.units
    rows = [[button(unit, data(area, action, i))] for i, unit in enumerate(units)]
    rows.append([button(t(lang, "onboarding.unit_other"), data(area, action, "other"))])
    return keyboard(*rows)


def time_keyboard(context: SinauContext, area: str, action: str, lang: str,
                  selected: str | None) -> InlineKeyboardMarkup:
    """The preset nudge times in one row, then 'another time'."""
    presets = context.services.onboarding.preset_times
    row = [button(("✓ " if p == selected else "") + p, data(area, action, p.replace(":", "")))
           for p in presets]
    return keyboard(row, [button(t(lang, "onboarding.time_custom"),
                                 data(area, action, "custom"))])
