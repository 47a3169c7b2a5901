"""The course pack models: every rule of the format, lookups and the JSON schema."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.content import Catalogue, Course, Localized, default_packs_path, load_catalogue
from bot.content.models import CardText, ExplanationText, Question
from bot.content.schema import json_schema


def text(id_: str = "Teks", en: str = "Text") -> dict[str, str]:
    """A bilingual text."""
    return {"id": id_, "en": en}


def question(key: str = "q1", correct: int = 0) -> dict[str, Any]:
    """A valid quiz question."""
    return {
        "key": key,
        "question": text("Tanya?", "Ask?"),
        "options": [text("Ya", "Yes"), text("Tidak", "No")],
        "correct": correct,
        "explanation": text("Karena.", "Because."),
    }


def lesson(key: str = "pelajaran-satu") -> dict[str, Any]:
    """A valid lesson."""
    return {
        "key": key,
        "minutes": 5,
        "title": text("Judul", "Title"),
        "cards": [text("Kartu **satu**.", "Card **one**.")],
        "quiz": [question("q1"), question("q2", 1)],
        "sources": [],
    }


def course(key: str = "kursus-uji", order: int = 1) -> dict[str, Any]:
    """A valid course."""
    return {
        "key": key,
        "order": order,
        "tags": ["kompeten"],
        "title": text("Kursus", "Course"),
        "description": text("Tentang apa.", "What about."),
        "lessons": [lesson("pelajaran-satu"), lesson("pelajaran-dua")],
    }


def errors(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """(loc, type) of every validation error of a course."""
    with pytest.raises(ValidationError) as info:
        Course.model_validate(data)
    return [(tuple(e["loc"]), e["type"]) for e in info.value.errors()]


def edited(edit: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    """A copy of the valid course changed by `edit`."""
    data = copy.deepcopy(course())
    edit(data)
    return data


def test_valid_course() -> None:
    """A valid course loads, strips whitespace and computes its study time."""
    data = course()
    data["lessons"][0]["title"] = text("  Judul  ", "Title\n")
    c = Course.model_validate(data)
    assert c.lessons[0].title.id == "Judul"
    assert c.lessons[0].title.en == "Title"
    assert c.minutes == 10
    assert c.jp == pytest.approx(10 / 45)
    assert c.lesson("pelajaran-dua") is c.lessons[1]
    assert c.lesson_index("pelajaran-dua") == 1
    assert c.lesson("nope") is None
    assert c.lessons[0].question("q2").correct_option.en == "No"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("id", "Halo"), ("en", "Hello"), ("en-GB", "Hello"), ("EN_us", "Hello"), ("jv", "Halo"),
     (None, "Halo"), ("", "Halo")],
)  # fmt: skip
def test_localized_get(lang: str | None, expected: str) -> None:
    """get() picks English for en-*, Indonesian otherwise."""
    assert Localized(id="Halo", en="Hello").get(lang) == expected


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.update(key="Kursus_Uji"), [(("key",), "string_pattern_mismatch")]),
        (lambda d: d.update(key="k"), [(("key",), "string_pattern_mismatch")]),
        (lambda d: d.update(order="1"), [(("order",), "int_type")]),
        (lambda d: d.update(pass_mark=49), [(("pass_mark",), "greater_than_equal")]),
        (lambda d: d.update(pass_mark=101), [(("pass_mark",), "less_than_equal")]),
        (lambda d: d.update(pass_mark="80"), [(("pass_mark",), "int_type")]),
        (lambda d: d.update(pass_mark=80.0), [(("pass_mark",), "int_type")]),
        (lambda d: d.update(pass_mark=True), [(("pass_mark",), "int_type")]),
        (lambda d: d.update(extra=1), [(("extra",), "extra_forbidden")]),
        (lambda d: d.pop("description"), [(("description",), "missing")]),
        (lambda d: d.update(lessons=[]), [(("lessons",), "too_short")]),
        (lambda d: d.update(tags=["kompeten", "kompeten"]), [((), "duplicate_key")]),
        (lambda d: d["title"].update(id="x" * 61), [(("title", "id"), "string_too_long")]),
        (lambda d: d["title"].pop("en"), [(("title", "en"), "missing")]),
        (lambda d: d["title"].update(en="   "), [(("title", "en"), "string_too_short")]),
        (lambda d: d["title"].update(en="**Bold**"), [(("title", "en"), "markdown")]),
        (
            lambda d: d["description"].update(id="x" * 301),
            [(("description", "id"), "string_too_long")],
        ),
        (lambda d: d["lessons"][1].update(key="pelajaran-satu"), [((), "duplicate_key")]),
        (
            lambda d: d["lessons"][0].update(minutes=2),
            [(("lessons", 0, "minutes"), "greater_than_equal")],
        ),
        (
            lambda d: d["lessons"][0].update(minutes=46),
            [(("lessons", 0, "minutes"), "less_than_equal")],
        ),
        (
            lambda d: d["lessons"][0].update(minutes=True),
            [(("lessons", 0, "minutes"), "int_type")],
        ),
        (lambda d: d["lessons"][0].pop("sources"), [(("lessons", 0, "sources"), "missing")]),
        (
            lambda d: d["lessons"][0]["title"].update(en="x" * 81),
            [(("lessons", 0, "title", "en"), "string_too_long")],
        ),
        (lambda d: d["lessons"][0].update(cards=[]), [(("lessons", 0, "cards"), "too_short")]),
        (
            lambda d: d["lessons"][0].update(cards=[text()] * 4),
            [(("lessons", 0, "cards"), "too_long")],
        ),
        (
            lambda d: d["lessons"][0]["cards"][0].update(en="x" * 1201),
            [(("lessons", 0, "cards", 0, "en"), "string_too_long")],
        ),
        (
            lambda d: d["lessons"][0]["cards"][0].update(en="# Judul"),
            [(("lessons", 0, "cards", 0, "en"), "markdown")],
        ),
        (
            lambda d: d["lessons"][0].update(quiz=[question()]),
            [(("lessons", 0, "quiz"), "too_short")],
        ),
        (
            lambda d: d["lessons"][0].update(quiz=[question(f"q{i}") for i in range(6)]),
            [(("lessons", 0, "quiz"), "too_long")],
        ),
        (
            lambda d: d["lessons"][0]["quiz"][1].update(key="q1"),
            [(("lessons", 0), "duplicate_key")],
        ),
        (
            lambda d: d["lessons"][0]["quiz"][0].update(correct=2),
            [(("lessons", 0, "quiz", 0), "correct_out_of_range")],
        ),
        (
            lambda d: d["lessons"][0]["quiz"][0].update(correct=-1),
            [(("lessons", 0, "quiz", 0, "correct"), "greater_than_equal")],
        ),
        (
            lambda d: d["lessons"][0]["quiz"][0].update(correct=[0, 1]),
            [(("lessons", 0, "quiz", 0, "correct"), "one_correct")],
        ),
        (
            lambda d: d["lessons"][0]["quiz"][0].update(options=[text()]),
            [(("lessons", 0, "quiz", 0, "options"), "too_short")],
        ),
        (
            lambda d: d["lessons"][0]["quiz"][0].update(options=[text()] * 5),
            [(("lessons", 0, "quiz", 0, "options"), "too_long")],
        ),
        (
            lambda d: d["lessons"][0]["quiz"][0]["options"][1].update(id="x" * 101),
            [(("lessons", 0, "quiz", 0, "options", 1, "id"), "string_too_long")],
        ),
        (
            lambda d: d["lessons"][0]["quiz"][0]["question"].update(id="x" * 301),
            [(("lessons", 0, "quiz", 0, "question", "id"), "string_too_long")],
        ),
        (
            lambda d: d["lessons"][0]["quiz"][0]["explanation"].update(id="x" * 201),
            [(("lessons", 0, "quiz", 0, "explanation", "id"), "string_too_long")],
        ),
        (
            lambda d: d["lessons"][0]["quiz"][0]["explanation"].update(en="a\nb\nc\nd"),
            [(("lessons", 0, "quiz", 0, "explanation", "en"), "too_many_line_feeds")],
        ),
        (
            lambda d: d["lessons"][0].update(discussion=text("x" * 301)),
            [(("lessons", 0, "discussion", "id"), "string_too_long")],
        ),
        (
            lambda d: d["lessons"][0].update(discussion={"id": "Diskusi"}),
            [(("lessons", 0, "discussion", "en"), "missing")],
        ),
    ],
)
def test_rules(edit: Callable[[dict[str, Any]], object], expected: list[Any]) -> None:
    """Each rule of the format is enforced by the models."""
    assert errors(edited(edit)) == expected


def test_limits_are_inclusive() -> None:
    """Texts exactly at the limits are accepted; two line feeds in an explanation are fine."""
    data = course()
    data["title"] = text("x" * 60, "y" * 60)
    data["lessons"][0]["cards"] = [text("k" * 1200, "c" * 1200)] * 3
    data["lessons"][0]["minutes"] = 45
    data["lessons"][1]["minutes"] = 3
    q = data["lessons"][0]["quiz"][0]
    q["options"] = [text("o" * 100, "p" * 100)] * 4
    q["correct"] = 3
    q["question"] = text("q" * 300, "r" * 300)
    q["explanation"] = text("e" * 198 + "\n\n", "a\nb\nc")
    data["lessons"][0]["quiz"] = [question(f"q{i}") for i in range(4)] + [q | {"key": "q9"}]
    data["lessons"][0]["discussion"] = text("d" * 300, "e" * 300)
    Course.model_validate(data)


@pytest.mark.parametrize(("pass_mark", "expected"), [(None, 70), (50, 50), (100, 100)])
def test_pass_mark(pass_mark: int | None, expected: int) -> None:
    """pass_mark is optional (70 percent by default); 50 and 100 are allowed."""
    data = course() if pass_mark is None else course() | {"pass_mark": pass_mark}
    assert Course.model_validate(data).pass_mark == expected


def test_limits_count_characters_not_bytes() -> None:
    """Poll and card limits count characters, so Indonesian and emoji text is not penalised."""
    ExplanationText(id="é" * 200, en="😀" * 200)
    CardText(id="é" * 1200, en="ok")


def test_question_alone() -> None:
    """A Question validates on its own as well."""
    q = Question.model_validate(question(correct=1))
    assert q.correct_option.id == "Tidak"


def test_models_are_frozen() -> None:
    """Loaded content cannot be changed by accident."""
    c = Course.model_validate(course())
    with pytest.raises(ValidationError):
        c.key = "other"  # type: ignore[misc]


def test_catalogue_lookups() -> None:
    """The catalogue is ordered and finds courses, lessons and questions by key."""
    b = Course.model_validate(course("kursus-b", order=1))
    a = Course.model_validate(course("kursus-a", order=1))
    first = Course.model_validate(course("kursus-z", order=0))
    cat = Catalogue.of([b, a, first])
    assert [c.key for c in cat] == ["kursus-z", "kursus-a", "kursus-b"]
    assert len(cat) == 3
    assert cat.course("kursus-a") is a
    assert cat.course("nope") is None
    assert cat.lesson("kursus-a", "pelajaran-dua") is a.lessons[1]
    assert cat.lesson("nope", "pelajaran-dua") is None
    assert cat.question("kursus-a", "pelajaran-dua", "q2") is a.lessons[1].quiz[1]
    assert cat.question("kursus-a", "pelajaran-dua", "q9") is None
    assert cat.lessons_total("kursus-a") == 2
    assert cat.lessons_total("nope") == 0
    assert cat.next_lesson("kursus-a", None) is a.lessons[0]
    assert cat.next_lesson("kursus-a", "pelajaran-satu") is a.lessons[1]
    assert cat.next_lesson("kursus-a", "pelajaran-dua") is None
    assert cat.next_lesson("nope", None) is None


def test_json_schema() -> None:
    """The schema forbids unknown keys and carries the limits, for editors."""
    schema = json_schema()
    json.dumps(schema)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"key", "order", "tags", "title", "description", "lessons"}
    defs = schema["$defs"]
    assert all(d.get("additionalProperties") is False for d in defs.values())
    assert defs["OptionText"]["properties"]["en"]["maxLength"] == 100
    assert defs["Lesson"]["properties"]["cards"]["maxItems"] == 3
    assert defs["Question"]["properties"]["options"]["minItems"] == 2
    assert schema["properties"]["pass_mark"] == {
        "default": 70,
        "description": "percent of the final evaluation needed to pass the course",
        "maximum": 100,
        "minimum": 50,
        "title": "Pass Mark",
        "type": "integer",
    }


def test_default_packs_path_is_package_data() -> None:
    """The shipped packs live inside the bot.content package."""
    path = default_packs_path()
    assert path == Path(__file__).parents[2] / "bot" / "content" / "packs"


def test_load_catalogue_reads_a_directory(tmp_path: Path) -> None:
    """load_catalogue loads every *.toml in a directory."""
    example = Path(__file__).parents[2] / "docs" / "examples" / "contoh-kursus.toml"
    (tmp_path / "contoh-kursus.toml").write_text(example.read_text(encoding="utf-8"))
    cat = load_catalogue(tmp_path)
    assert [c.key for c in cat] == ["contoh-kursus"]
    assert cat.lessons_total("contoh-kursus") == 2
