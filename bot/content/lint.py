"""Warnings about valid courses: what the format allows but makes a quiz easy to game.

A warning does not stop a pack from loading. `course_warnings` gives each one with the key
path it is about; the loader turns the path into a line of the TOML file.
"""

from __future__ import annotations

from collections.abc import Iterator

from .models import LANGUAGES, Course, Question

__all__ = ["OPTIONS_ADVISED", "course_warnings", "longest_options", "uniquely_longest_correct"]

#: Fewer options than this make guessing too easy (two options: a coin toss).
OPTIONS_ADVISED = 3

Loc = tuple[str | int, ...]


def longest_options(question: Question, lang: str) -> set[int]:
    """Indices of the options that are longest in `lang` (characters), ties included."""
    lengths = [len(option.get(lang)) for option in question.options]
    longest = max(lengths)
    return {index for index, length in enumerate(lengths) if length == longest}


def uniquely_longest_correct(question: Question, lang: str) -> bool:
    """True when the correct option is longer in `lang` than every other option."""
    return longest_options(question, lang) == {question.correct}


def _questions(course: Course) -> Iterator[tuple[Loc, Question]]:
    for li, lesson in enumerate(course.lessons):
        for qi, question in enumerate(lesson.quiz):
            yield ("lessons", li, "quiz", qi), question


def _where(loc: Loc) -> str:
    _, li, _, qi = loc
    return f"lessons[{li}].quiz[{qi}]"


def course_warnings(course: Course) -> Iterator[tuple[Loc, str]]:
    """(key path, message) of every warning about a course, in file order per kind."""
    questions = list(_questions(course))
    for lang in LANGUAGES:
        telling = [loc for loc, q in questions if uniquely_longest_correct(q, lang)]
        # More than a third: always picking the longest answer beats chance by far.
        if 3 * len(telling) > len(questions):
            yield (
                telling[0],
                f"{_where(telling[0])}: the correct option is the uniquely longest in "
                f"{len(telling)} of {len(questions)} questions ({lang}); a learner who always "
                "picks the longest answer scores without reading: balance the option lengths",
            )
    for loc, question in questions:
        if len(question.options) < OPTIONS_ADVISED:
            yield (
                loc,
                f"{_where(loc)}: only {len(question.options)} options; give "
                f"{OPTIONS_ADVISED} or 4 so that guessing is harder",
            )
