"""Quiz questions: grading, option letters, and fitting text into Telegram's poll limits."""

from __future__ import annotations

from bot.content.models import Question

LETTERS = "ABCDEFGHIJ"
POLL_QUESTION_MAX = 300
POLL_OPTION_MAX = 100
POLL_EXPLANATION_MAX = 200
POLL_EXPLANATION_LINE_FEEDS = 2


def is_correct(question: Question, option: int) -> bool:
    """True if ``option`` (0-based) is the question's correct option."""
    return option == question.correct


def valid_option(question: Question, option: int) -> bool:
    """True if ``option`` is one of the question's options."""
    return 0 <= option < len(question.options)


def letter(option: int) -> str:
    """'A' for option 0, 'B' for 1, ..."""
    return LETTERS[option]


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, with an ellipsis if it was cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def poll_explanation(text: str) -> str:
    """An explanation that fits a quiz poll: at most 200 characters and 2 line feeds."""
    head, *rest = text.split("\n")
    lines = [head, *rest[:POLL_EXPLANATION_LINE_FEEDS]]
    if len(rest) > POLL_EXPLANATION_LINE_FEEDS:
        lines[-1] = " ".join([lines[-1], *rest[POLL_EXPLANATION_LINE_FEEDS:]])
    return clip("\n".join(lines), POLL_EXPLANATION_MAX)
