"""Pydantic models of a course pack: one TOML file per course (see docs/content-format.md).

Every rule of the format is a validator here, so a `Course` that exists is a valid course.
Validation is strict (TOML has real types: `"3"` is not a number) and rejects unknown keys,
because a misspelt optional key would otherwise be silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .render import markdown_issues, plain_text_issues, render_markdown, visible_length

__all__ = [
    "CARD_MAX",
    "CARD_RENDERED_MAX",
    "COURSE_TITLE_MAX",
    "DESCRIPTION_MAX",
    "DISCUSSION_MAX",
    "EXPLANATION_LINE_FEEDS_MAX",
    "EXPLANATION_MAX",
    "KEY_PATTERN",
    "LESSON_TITLE_MAX",
    "MINUTES_PER_JP",
    "OPTION_MAX",
    "PASS_MARK_DEFAULT",
    "PASS_MARK_MAX",
    "PASS_MARK_MIN",
    "QUESTION_MAX",
    "CardText",
    "Course",
    "CourseTitle",
    "Description",
    "DiscussionText",
    "ExplanationText",
    "LANGUAGES",
    "Lesson",
    "LessonTitle",
    "Localized",
    "OptionText",
    "Question",
    "QuestionText",
    "find_duplicates",
]

#: Stable identifiers: lowercase letters, digits and '-', 2-40 characters.
KEY_PATTERN = r"^[a-z0-9-]{2,40}$"
LANGUAGES = ("id", "en")

COURSE_TITLE_MAX = 60
LESSON_TITLE_MAX = 80
DESCRIPTION_MAX = 300
CARD_MAX = 1200
# A card is one message; Telegram allows 4096 UTF-16 units. Leave room for the lesson
# heading and card counter the bot adds around it.
CARD_RENDERED_MAX = 3500
# Telegram poll limits (characters): question 300, option 100, explanation 200 / 2 line feeds.
QUESTION_MAX = 300
OPTION_MAX = 100
EXPLANATION_MAX = 200
EXPLANATION_LINE_FEEDS_MAX = 2
DISCUSSION_MAX = 300
MINUTES_MIN, MINUTES_MAX = 3, 45
MINUTES_PER_JP = 45  # 1 JP (jam pelajaran) = 45 minutes
# Percent of the final evaluation a learner needs to pass the course.
PASS_MARK_DEFAULT, PASS_MARK_MIN, PASS_MARK_MAX = 70, 50, 100

_CONFIG = ConfigDict(extra="forbid", strict=True, frozen=True, str_strip_whitespace=True)


def _raise_issues(issues: list[Any]) -> None:
    if issues:
        first = issues[0]
        raise PydanticCustomError(
            "markdown",
            "{detail}",
            {"detail": "; ".join(i.message for i in issues), "snippet": first.snippet},
        )


def _plain(text: str) -> str:
    _raise_issues(plain_text_issues(text))
    return text


def _markdown(text: str) -> str:
    _raise_issues(markdown_issues(text))
    rendered = visible_length(render_markdown(text))
    if rendered > CARD_RENDERED_MAX:
        raise PydanticCustomError(
            "card_too_long",
            "card renders to {length} characters, limit is {limit}",
            {"length": rendered, "limit": CARD_RENDERED_MAX},
        )
    return text


def _few_line_feeds(text: str) -> str:
    count = text.count("\n")
    if count > EXPLANATION_LINE_FEEDS_MAX:
        raise PydanticCustomError(
            "too_many_line_feeds",
            "{count} line breaks, at most {limit} are allowed",
            {"count": count, "limit": EXPLANATION_LINE_FEEDS_MAX},
        )
    return text


def _text(max_length: int | None, *, markdown: bool = False) -> Any:
    """The field of a non-empty string with a length limit."""
    return Field(min_length=1, max_length=max_length,
                 description="Markdown subset" if markdown else "plain text")


Key = Annotated[str, Field(pattern=KEY_PATTERN, description="lowercase a-z, 0-9 and '-'")]
AnyText = Annotated[str, _text(None)]
CourseTitleStr = Annotated[str, _text(COURSE_TITLE_MAX), AfterValidator(_plain)]
LessonTitleStr = Annotated[str, _text(LESSON_TITLE_MAX), AfterValidator(_plain)]
DescriptionStr = Annotated[str, _text(DESCRIPTION_MAX), AfterValidator(_plain)]
CardStr = Annotated[str, _text(CARD_MAX, markdown=True), AfterValidator(_markdown)]
QuestionStr = Annotated[str, _text(QUESTION_MAX), AfterValidator(_plain)]
OptionStr = Annotated[str, _text(OPTION_MAX), AfterValidator(_plain)]
ExplanationStr = Annotated[str, _text(EXPLANATION_MAX), AfterValidator(_plain),
                           AfterValidator(_few_line_feeds)]
DiscussionStr = Annotated[str, _text(DISCUSSION_MAX), AfterValidator(_plain)]


class Localized(BaseModel):
    """A text in Bahasa Indonesia (`id`) and English (`en`); both are required and non-empty."""

    model_config = _CONFIG

    id: AnyText
    en: AnyText

    def get(self, lang: str | None) -> str:
        """The text in `lang` ("en", "en-GB", "id", ...); Indonesian for anything else."""
        code = (lang or "").lower().replace("_", "-").split("-")[0]
        return self.en if code == "en" else self.id


class CourseTitle(Localized):
    """Course title, plain text, at most 60 characters per language."""

    id: CourseTitleStr
    en: CourseTitleStr


class LessonTitle(Localized):
    """Lesson title, plain text, at most 80 characters per language."""

    id: LessonTitleStr
    en: LessonTitleStr


class Description(Localized):
    """Course description, plain text, at most 300 characters per language."""

    id: DescriptionStr
    en: DescriptionStr


class CardText(Localized):
    """One card (one phone screen): Markdown subset, at most 1200 characters per language."""

    id: CardStr
    en: CardStr


class QuestionText(Localized):
    """Quiz question (a Telegram poll question): plain text, at most 300 characters."""

    id: QuestionStr
    en: QuestionStr


class OptionText(Localized):
    """Quiz answer option (a poll option): plain text, at most 100 characters."""

    id: OptionStr
    en: OptionStr


class ExplanationText(Localized):
    """Quiz explanation (poll explanation): plain text, at most 200 characters, 2 line breaks."""

    id: ExplanationStr
    en: ExplanationStr


class DiscussionText(Localized):
    """Discussion prompt for the cohort group: plain text, at most 300 characters."""

    id: DiscussionStr
    en: DiscussionStr


def find_duplicates(keys: list[Any]) -> list[tuple[int, Any, int]]:
    """(index, key, index of first use) for every key that already occurred earlier."""
    first: dict[Any, int] = {}
    duplicates = []
    for index, key in enumerate(keys):
        if key in first:
            duplicates.append((index, key, first[key]))
        else:
            first[key] = index
    return duplicates


def _duplicate_error(what: str, field: str, dups: list[tuple[int, Any, int]]) -> None:
    if dups:
        index, key, first = dups[0]
        raise PydanticCustomError(
            "duplicate_key",
            "duplicate {what} key '{key}' ({field}[{index}] repeats {field}[{first}])",
            {"what": what, "key": key, "field": field, "index": index, "first": first},
        )


class Question(BaseModel):
    """A multiple-choice question with exactly one correct option, sent as a quiz poll."""

    model_config = _CONFIG

    key: Key = Field(description="stable id, unique within the lesson, e.g. q1")
    question: QuestionText
    options: list[OptionText] = Field(min_length=2, max_length=4)
    correct: int = Field(ge=0, description="0-based index of the one correct option")
    explanation: ExplanationText

    @field_validator("correct", mode="before")
    @classmethod
    def _single_index(cls, value: Any) -> Any:
        # A list here means the author tried to mark several options as correct.
        if isinstance(value, list | tuple):
            raise PydanticCustomError(
                "one_correct",
                "correct must be ONE option number (counting from 0), not a list: "
                "exactly one option is correct",
            )
        return value

    @model_validator(mode="after")
    def _correct_in_range(self) -> Question:
        if self.correct >= len(self.options):
            raise PydanticCustomError(
                "correct_out_of_range",
                "correct = {correct} but there are only {count} options (0 to {last})",
                {
                    "correct": self.correct,
                    "count": len(self.options),
                    "last": len(self.options) - 1,
                },
            )
        return self

    @property
    def correct_option(self) -> OptionText:
        """The correct option."""
        return self.options[self.correct]


class Lesson(BaseModel):
    """A micro-lesson: 1-3 cards, then a 2-5 question quiz, optionally a discussion prompt."""

    model_config = _CONFIG

    key: Key = Field(description="stable id, unique within the course")
    minutes: int = Field(ge=MINUTES_MIN, le=MINUTES_MAX, description="study time; 45 min = 1 JP")
    title: LessonTitle
    cards: list[CardText] = Field(min_length=1, max_length=3)
    quiz: list[Question] = Field(min_length=2, max_length=5)
    discussion: DiscussionText | None = None
    sources: list[AnyText] = Field(
        description="regulations and documents the lesson relies on; may be empty"
    )

    @model_validator(mode="after")
    def _unique_question_keys(self) -> Lesson:
        _duplicate_error("question", "quiz", find_duplicates([q.key for q in self.quiz]))
        return self

    def question(self, key: str) -> Question | None:
        """The question with this key, or None."""
        return next((q for q in self.quiz if q.key == key), None)


class Course(BaseModel):
    """One course pack (one TOML file): ordered lessons with cards and quizzes."""

    model_config = ConfigDict(**_CONFIG, title="Sinau course pack")

    key: Key = Field(description="stable id, unique across packs; also the file name")
    order: int = Field(description="position in the course list (ascending)")
    tags: list[Key] = Field(description="BerAKHLAK value tags where they fit, may be empty")
    pass_mark: int = Field(
        default=PASS_MARK_DEFAULT,
        ge=PASS_MARK_MIN,
        le=PASS_MARK_MAX,
        description="percent of the final evaluation needed to pass the course",
    )
    title: CourseTitle
    description: Description
    lessons: list[Lesson] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_keys(self) -> Course:
        _duplicate_error("lesson", "lessons", find_duplicates([x.key for x in self.lessons]))
        _duplicate_error("tag", "tags", find_duplicates(list(self.tags)))
        return self

    def lesson(self, key: str) -> Lesson | None:
        """The lesson with this key, or None."""
        return next((x for x in self.lessons if x.key == key), None)

    def lesson_index(self, key: str) -> int | None:
        """0-based position of the lesson with this key, or None."""
        return next((i for i, x in enumerate(self.lessons) if x.key == key), None)

    @property
    def minutes(self) -> int:
        """Total study time of all lessons."""
        return sum(x.minutes for x in self.lessons)

    @property
    def jp(self) -> float:
        """Total study time in JP (jam pelajaran, 45 minutes)."""
        return self.minutes / MINUTES_PER_JP
