"""Quiz questions: grading, option letters, and fitting text into Telegram's poll limits."""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence

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


def new_seed() -> int:
    """A fresh seed for a session's option orders (never 0: 0 means pack order)."""
    return secrets.randbelow(2**31 - 1) + 1


def option_order(question: Question, seed: int) -> tuple[int, ...]:
    """The order a session with ``seed`` shows a question's options in (option ids).

    Drawn from the seed and the question's key, so the same session shows the same order
    every time it redraws the message, and another session (another learner, a retake)
    draws another. Seed 0 keeps the pack order (sessions from before shuffling).
    """
    ids = list(range(len(question.options)))
    if seed:
        random.Random(f"{seed}:{question.key}").shuffle(ids)
    return tuple(ids)


def balanced_orders(questions: Sequence[Question], rng: random.Random) -> list[tuple[int, ...]]:
    """Option orders for a test whose correct answers are spread over every position.

    The correct option of the i-th question goes to position ``(start + i) mod n``, the
    others in random order: someone who always presses the same position gets at most
    about one question in n right, whatever the draw, instead of a chance of a lucky run.
    """
    start = rng.randrange(12)
    orders = []
    for index, question in enumerate(questions):
        others = [i for i in range(len(question.options)) if i != question.correct]
        rng.shuffle(others)
        others.insert((start + index) % len(question.options), question.correct)
        orders.append(tuple(others))
    return orders


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
