"""Checker warnings: allowed, printed as file:line: warning: ..., never stopping a pack."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.content import Question, check_path, default_packs_path, load_course
from bot.content.catalogue import Catalogue, CatalogueHolder
from bot.content.check import run_check
from bot.content.lint import longest_options, uniquely_longest_correct
from bot.content.loader import check_packs, content_warnings
from bot.storage import Database
from bot.storage.packs import PackRepository
from bot.training.upload import CoursePacks

FIXTURES = Path(__file__).parent / "fixtures"
WARNINGS = FIXTURES / "warnings"
LONGEST = WARNINGS / "longest-correct.toml"
TWO_OPTIONS = WARNINGS / "two-options.toml"
EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "contoh-kursus.toml"

LONGEST_WARNING = (
    f"{LONGEST}:49: warning: lessons[0].quiz[1]: the correct option is the uniquely longest "
    "in 2 of 3 questions (id); a learner who always picks the longest answer scores without "
    "reading: balance the option lengths"
)
TWO_OPTIONS_WARNING = (
    f"{TWO_OPTIONS}:46: warning: lessons[0].quiz[1]: only 2 options; give 3 or 4 so that "
    "guessing is harder"
)


def _question(options: list[tuple[str, str]], correct: int) -> Question:
    return Question.model_validate({
        "key": "q1",
        "question": {"id": "Tanya?", "en": "Ask?"},
        "options": [{"id": i, "en": e} for i, e in options],
        "correct": correct,
        "explanation": {"id": "Karena.", "en": "Because."},
    })


def test_longest_options_counts_characters_per_language_ties_included() -> None:
    """The longest options of each language, by characters (é is one), ties included."""
    q = _question([("ééé", "a"), ("abc", "abcd"), ("ab", "wxyz")], correct=1)
    assert longest_options(q, "id") == {0, 1}
    assert longest_options(q, "en") == {1, 2}
    assert not uniquely_longest_correct(q, "id")
    assert not uniquely_longest_correct(q, "en")
    q = _question([("a", "a"), ("abc", "ab")], correct=1)
    assert longest_options(q, "id") == {1}
    assert uniquely_longest_correct(q, "id") and uniquely_longest_correct(q, "en")


def test_longest_correct_in_more_than_a_third_of_the_questions() -> None:
    """One warning per language over the threshold, at the first such question's line."""
    checked = check_packs(LONGEST)
    assert checked.problems == []
    assert [str(w) for w in checked.warnings] == [LONGEST_WARNING]
    # Exactly a third (English: 1 of 3) is not warned about; the line is the question's.
    lines = LONGEST.read_text(encoding="utf-8").splitlines()
    assert lines[48] == "[[lessons.quiz]]" and lines[49] == 'key = "q2"'


def test_two_options_warning() -> None:
    """A question with two options is warned about at its own line."""
    [warning] = check_packs(TWO_OPTIONS).warnings
    assert str(warning) == TWO_OPTIONS_WARNING
    assert warning.warning
    assert TWO_OPTIONS.read_text(encoding="utf-8").splitlines()[46] == 'key = "q2"'


def test_warnings_do_not_stop_a_pack() -> None:
    """A pack with warnings only is clean for check_path and loads."""
    assert check_path(WARNINGS) == []
    assert load_course(TWO_OPTIONS).key == "two-options"


def test_content_warnings_of_a_loaded_course() -> None:
    """content_warnings gives the same warnings for a course and its source."""
    course = load_course(LONGEST)
    source = LONGEST.read_text(encoding="utf-8")
    assert [str(w) for w in content_warnings(course, source, str(LONGEST))] == [LONGEST_WARNING]


def test_a_broken_file_gets_problems_not_warnings(tmp_path: Path) -> None:
    """Warnings come once a file has no problems (errors hide them, as in the docs)."""
    broken = tmp_path / "two-options.toml"
    broken.write_text(TWO_OPTIONS.read_text(encoding="utf-8") + "\nlevel = 1\n")
    checked = check_packs(broken)
    assert len(checked.problems) == 1 and checked.warnings == []


def test_run_check_prints_warnings_and_passes(capsys: pytest.CaptureFixture[str]) -> None:
    """Warnings are printed in file order, counted in the summary, and the exit code is 0."""
    assert run_check(WARNINGS) == 0
    assert capsys.readouterr().out.splitlines() == [
        LONGEST_WARNING,
        TWO_OPTIONS_WARNING,
        "OK: 2 course(s), 2 lesson(s), 5 question(s), 2 warning(s)",
    ]


def test_run_check_with_problems_counts_warnings_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a problem the exit code is 1; the summary names the warnings as well."""
    shutil.copy(TWO_OPTIONS, tmp_path / "two-options.toml")
    shutil.copy(FIXTURES / "broken" / "unknown-key.toml", tmp_path / "unknown-key.toml")
    assert run_check(tmp_path) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{tmp_path / 'two-options.toml'}:46: warning: ")
    assert out[1].startswith(f"{tmp_path / 'unknown-key.toml'}:52: unknown field 'hint'")
    assert out[2] == "1 problem(s) in 1 file(s), 1 warning(s)"


def test_shipped_packs_and_example_give_no_warnings() -> None:
    """The shipped packs and the documented example are balanced: no warning."""
    for path in (default_packs_path(), EXAMPLE):
        checked = check_packs(path)
        assert checked.problems == []
        assert [str(w) for w in checked.warnings] == []


async def test_upload_result_carries_the_warnings(db: Database) -> None:
    """An accepted upload is a draft and lists its warnings as 'line: message'."""
    clock = FixedClock(datetime(2026, 12, 3, 2, tzinfo=UTC))
    packs = CoursePacks(PackRepository(db), CatalogueHolder(Catalogue.of([])), clock)
    result = await packs.install("anything.toml", TWO_OPTIONS.read_bytes(), 1)
    assert result.accepted
    assert result.warnings == [
        "46: lessons[0].quiz[1]: only 2 options; give 3 or 4 so that guessing is harder"
    ]
    clean = await packs.install("contoh-kursus.toml", EXAMPLE.read_bytes(), 1)
    assert clean.accepted and clean.warnings == []
