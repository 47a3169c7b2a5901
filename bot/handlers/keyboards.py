"""Keyboards shared by onboarding and /settings: language, work unit, nudge time."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.context import SinauContext
from bot.handlers.render import button, keyboard
from bot.i18n import LANGUAGES, t
from bot.learning.onboarding import format_time

# Each language's own name, so a learner finds theirs whatever the current language is.
LANGUAGE_LABELS = {"id": "🇮🇩 Bahasa Indonesia", "en": "🇬🇧 English"}


def language_keyboard(prefix: str, selected: str) -> InlineKeyboardMarkup:
    """Both languages, the selected one ticked."""
    return keyboard([
        button(("✓ " if code == selected else "") + LANGUAGE_LABELS[code], f"{prefix}:{code}")
        for code in LANGUAGES
    ])


def unit_keyboard(context: SinauContext, prefix: str, lang: str) -> InlineKeyboardMarkup:
    """The configured units, one per row, then 'other'."""
    units = context.services.settings.learning.units
    rows = [[button(unit, f"{prefix}:{i}")] for i, unit in enumerate(units)]
    rows.append([button(t(lang, "onboarding.unit_other"), f"{prefix}:other")])
    return keyboard(*rows)


def preset_times(context: SinauContext) -> list[str]:
    """The configured nudge times as 'HH:MM'."""
    return [format_time(x) for x in context.services.settings.learning.nudge_times]


def time_keyboard(context: SinauContext, prefix: str, lang: str,
                  selected: str | None) -> InlineKeyboardMarkup:
    """The preset nudge times in one row, then 'another time'."""
    row = [button(("✓ " if p == selected else "") + p, f"{prefix}:{p.replace(':', '')}")
           for p in preset_times(context)]
    return keyboard(row, [button(t(lang, "onboarding.time_custom"), f"{prefix}:custom")])


def preset_time(context: SinauContext, value: str) -> str | None:
    """'0730' as '07:30' if it is one of the preset times (callback data has no ':')."""
    candidate = f"{value[:2]}:{value[2:]}" if len(value) == 4 else ""
    return candidate if candidate in preset_times(context) else None
