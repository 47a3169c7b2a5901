"""JP (jam pelajaran): credited lesson minutes over the minutes in one JP."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def jp_value(minutes: int, minutes_per_jp: int) -> Decimal:
    """Minutes as JP, rounded half-up to one decimal (100 min / 45 = 2.2)."""
    if minutes_per_jp <= 0:
        raise ValueError("minutes_per_jp must be positive")
    return (Decimal(minutes) / Decimal(minutes_per_jp)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def format_decimal(value: Decimal, lang: str) -> str:
    """One decimal with the language's separator: '2,2' in Indonesian, '2.2' in English."""
    text = f"{value:.1f}"
    return text if lang == "en" else text.replace(".", ",")


def format_jp(minutes: int, minutes_per_jp: int, lang: str) -> str:
    """Minutes shown as JP in ``lang``, e.g. '2,2'."""
    return format_decimal(jp_value(minutes, minutes_per_jp), lang)
