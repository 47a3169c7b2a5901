"""Every catalogue text fits a phone screen: at most 700 visible characters, tags stripped."""

from __future__ import annotations

import html
import re

from bot.i18n import LANGUAGES, catalogue

PHONE_SCREEN = 700
_TAG = re.compile(r"<[^<>]*>")


def visible(template: str) -> str:
    """What Telegram shows of a catalogue text (placeholders left as they are)."""
    return html.unescape(_TAG.sub("", template))


def test_every_catalogue_text_fits_a_phone_screen() -> None:
    too_long = {f"{lang}:{key}": len(visible(text))
                for lang in LANGUAGES for key, text in catalogue(lang).items()
                if len(visible(text)) > PHONE_SCREEN}
    assert too_long == {}
