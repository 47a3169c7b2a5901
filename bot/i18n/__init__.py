"""Message catalogues (``id.toml``, ``en.toml``), ``t()``, and the choice of language."""

from __future__ import annotations

import html
import re
import string
import tomllib
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
_PLACEHOLDER = string.Formatter()


class SafeHtml(str):
    """Text that is already valid Telegram HTML and must not be escaped again."""

    __slots__ = ()


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, str):
            flat[name] = value
        else:
            raise TypeError(f"catalogue entry {name} must be a string")
    return flat


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The flattened catalogue of one language (key → template), read once."""
    if lang not in LANGUAGES:
        raise KeyError(f"unknown language {lang!r}")
    text = (resources.files("bot.i18n") / f"{lang}.toml").read_text(encoding="utf-8")
    return _flatten(tomllib.loads(text))


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a template uses."""
    return {field for _, field, _, _ in _PLACEHOLDER.parse(template) if field}


def _escape(value: Any) -> str:
    if isinstance(value, SafeHtml):
        return str(value)
    return html.escape(str(value), quote=False)


def t(lang: str | None, key: str, **params: Any) -> SafeHtml:
    """The text for ``key`` in ``lang`` with ``params`` HTML-escaped and filled in."""
    table = catalogue(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    template = table[key]
    if not params:
        return SafeHtml(template)
    return SafeHtml(template.format_map({k: _escape(v) for k, v in params.items()}))


def label(lang: str | None, key: str, **params: Any) -> str:
    """The text for ``key`` as plain text, for a button label: Telegram shows labels as they
    are, so "A & B" must not read "A &amp; B" there."""
    return html.unescape(t(lang, key, **params))


def has_key(key: str) -> bool:
    """True when ``key`` exists in the catalogues."""
    return key in catalogue(DEFAULT_LANGUAGE)


def language_from_code(code: str | None) -> str | None:
    """Map Telegram's ``language_code`` to a catalogue language, or None if it says nothing."""
    if not code:
        return None
    base = code.lower().replace("_", "-").split("-")[0]
    if base == "en":
        return "en"
    # Indonesian, and the regional languages whose speakers read Indonesian.
    if base in {"id", "in", "jv", "su", "ms", "mad", "ban"}:
        return "id"
    return None


_MIN_DETECT_LETTERS = 20
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


def detect_language(text: str, *, min_probability: float = 0.80) -> str | None:
    """Guess id/en from free text with langdetect (seeded); None when too short or unsure."""
    if len(_LETTERS.findall(text or "")) < _MIN_DETECT_LETTERS:
        return None
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        guesses = detect_langs(text)
    except LangDetectException:
        return None
    for guess in guesses:
        if guess.prob < min_probability:
            break
        if guess.lang == "en":
            return "en"
        if guess.lang in {"id", "ms", "jv", "su", "tl"}:
            return "id"
    return None


def choose_language(
    chosen: str | None, telegram_code: str | None, text: str | None = None
) -> str:
    """Language by precedence: the learner's setting, Telegram's code, their text, else id."""
    if chosen in LANGUAGES:
        return chosen
    return language_from_code(telegram_code) or detect_language(text or "") or DEFAULT_LANGUAGE
