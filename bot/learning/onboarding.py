"""Onboarding and settings rules: what a name, unit, nudge time and invite payload may be."""

from __future__ import annotations

import re
from datetime import time

NAME_MAX = 64
UNIT_MAX = 80
_PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TIME_RE = re.compile(r"^\s*([01]?\d|2[0-3])[:.]([0-5]\d)\s*$")
_SPACES = re.compile(r"\s+")

# The steps kept in users.onboarding_step. The *_text steps wait for typed text; the st_*
# ones are the same questions asked again from /settings.
STEPS = ("language", "name", "name_text", "unit", "unit_text", "time", "time_text")
SETTINGS_TEXT_STEPS = ("st_name", "st_unit", "st_time")


def valid_payload(payload: str | None) -> str | None:
    """A /start payload worth keeping (1-64 of A-Z a-z 0-9 _ -), else None."""
    if payload and _PAYLOAD_RE.match(payload):
        return payload
    return None


def clean_text(text: str) -> str:
    """Text with runs of whitespace collapsed and the ends trimmed."""
    return _SPACES.sub(" ", text).strip()


def valid_name(text: str) -> str | None:
    """A certificate name of 1-64 characters, else None."""
    name = clean_text(text)
    return name if 0 < len(name) <= NAME_MAX else None


def valid_unit(text: str) -> str | None:
    """A work unit of 1-80 characters, else None."""
    unit = clean_text(text)
    return unit if 0 < len(unit) <= UNIT_MAX else None


def parse_time(text: str) -> str | None:
    """'7:30', '07.30' or '07:30' as 'HH:MM' (00:00-23:59), else None."""
    match = _TIME_RE.match(text)
    if not match:
        return None
    return f"{int(match[1]):02d}:{match[2]}"


def format_time(value: time) -> str:
    """A time as 'HH:MM'."""
    return f"{value.hour:02d}:{value.minute:02d}"
