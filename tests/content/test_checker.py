"""The pack checker: exact file:line messages, every problem reported, CLI output."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from bot.content import (
    ContentError,
    Problem,
    check_path,
    default_packs_path,
    load_catalogue,
    load_course,
)
from bot.content.check import run_check, run_schema
from bot.content.loader import line_map

ROOT = Path(__file__).parents[2]
BROKEN = Path(__file__).parent / "fixtures" / "broken"
EXAMPLE = ROOT / "docs" / "examples" / "contoh-kursus.toml"
DOC = ROOT / "docs" / "content-format.md"


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("syntax-error", 54, "TOML syntax: Illegal character '\\n'"),
        ("missing-field", 13, "missing required field 'minutes' in lessons[0]"),
        (
            "correct-list",
            52,
            "lessons[0].quiz[1].correct: correct must be ONE option number (counting from 0), "
            "not a list: exactly one option is correct",
        ),
        (
            "correct-out-of-range",
            52,
            "lessons[0].quiz[1].correct: correct = 2 but there are only 2 options "
            "(0 to 1; counting starts at 0)",
        ),
        (
            "duplicate-lesson-key",
            67,
            "lessons[1].key: duplicate lesson key 'pelajaran-satu' (already used by lessons[0])",
        ),
        (
            "duplicate-question-key",
            51,
            "lessons[0].quiz[1].key: duplicate question key 'q1' "
            "(already used by lessons[0].quiz[0])",
        ),
        (
            "too-long-text",
            47,
            "lessons[0].quiz[0].options[1].id: too long, 117 characters (limit 100)",
        ),
        ("missing-english", 22, "lessons[0].cards[0].en: missing English text (en)"),
        ("missing-translation-empty", 20, "lessons[0].title.en: text is empty"),
        ("unknown-key", 52, "unknown field 'hint' in lessons[0].quiz[1] (misspelt?)"),
        (
            "bad-markdown",
            26,
            "lessons[0].cards[0].id: link 'javascript:alert(1)' must start with "
            "http:// or https://",
        ),
        ("too-few-options", 43, "lessons[0].quiz[0].options: has 1 option, needs 2-4"),
    ],
)
def test_broken_fixture(name: str, line: int, message: str) -> None:
    """Each fixture has exactly one problem, reported at the right line."""
    path = BROKEN / f"{name}.toml"
    problems = check_path(path)
    assert [str(p) for p in problems] == [f"{path}:{line}: {message}"]


def test_fixture_lines_point_at_the_culprit() -> None:
    """Sanity check of the fixtures themselves: the reported lines hold the mistake."""
    lines = {p.stem: p.read_text(encoding="utf-8").splitlines() for p in BROKEN.glob("*.toml")}
    assert lines["syntax-error"][53] == 'id = "Pertanyaan dua?'
    assert lines["correct-list"][51] == "correct = [0, 1]"
    assert lines["duplicate-lesson-key"][66] == 'key = "pelajaran-satu"'
    assert lines["duplicate-question-key"][50] == 'key = "q1"'
    assert lines["unknown-key"][51].startswith("hint =")
    assert "javascript:" in lines["bad-markdown"][25]
    assert lines["missing-field"][12] == "[[lessons]]"
    assert lines["missing-english"][21] == "[[lessons.cards]]"


def test_directory_reports_every_file() -> None:
    """Checking the directory reports each fixture's problem, sorted by file."""
    problems = check_path(BROKEN)
    assert len(problems) == len(list(BROKEN.glob("*.toml")))
    assert problems == sorted(problems)


def test_every_problem_in_one_file_is_reported(tmp_path: Path) -> None:
    """Many mistakes in one file are all reported, each at its own line."""
    text = EXAMPLE.read_text(encoding="utf-8")
    edits = [
        ('key = "q2"', 'key = "q1"'),  # duplicate question key, lesson 1
        ("correct = 2", "correct = 3"),  # out of range, lesson 2
        ("minutes = 8", "minutes = 50"),
        ('en = "Serving Residents Kindly"', 'en = "' + "x" * 61 + '"'),
        ('key = "menjelaskan-persyaratan"', 'key = "menyambut-warga"'),
        ('id = "Langsung menyerahkan formulir"', 'id = "<b>Langsung</b>"'),
        ("order = 900", "order = 900\nlevel = 1"),
    ]
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "contoh-kursus.toml"
    path.write_text(text, encoding="utf-8")
    source = text.splitlines()
    problems = check_path(path)
    found = {(source[p.line - 1].split("=")[0].strip(), p.message.split(":")[0]) for p in problems}
    assert found == {
        ("level", "unknown field 'level' in the course (misspelt?)"),
        ("en", "title.en"),
        ("minutes", "lessons[1].minutes"),
        ("key", "lessons[1].key"),
        ("key", "lessons[0].quiz[1].key"),
        ("correct", "lessons[1].quiz[0].correct"),
        ("id", "lessons[0].quiz[0].options[2].id"),
    }
    assert len(problems) == 7


def test_markdown_problem_points_inside_a_multiline_card(tmp_path: Path) -> None:
    """A Markdown problem is reported at its own line inside the card, not at `id =`."""
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "2. Dengarkan sampai selesai, jangan memotong.", "## Dengarkan sampai selesai", 1
    )
    path = tmp_path / "contoh-kursus.toml"
    path.write_text(text, encoding="utf-8")
    [problem] = check_path(path)
    assert text.splitlines()[problem.line - 1] == "## Dengarkan sampai selesai"
    assert "headings (#) are not supported" in problem.message


def test_duplicate_course_keys_across_files(tmp_path: Path) -> None:
    """Two files declaring the same course key: the later file is reported."""
    shutil.copy(EXAMPLE, tmp_path / "contoh-kursus.toml")
    other = tmp_path / "lain.toml"
    other.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert [str(p) for p in check_path(tmp_path)] == [
        f"{other}:3: course key 'contoh-kursus' is already used by contoh-kursus.toml",
        f"{other}:3: course key 'contoh-kursus' must match the file name "
        "(contoh-kursus.toml, not lain.toml)",
    ]
    with pytest.raises(ContentError) as info:
        load_catalogue(tmp_path)
    assert len(info.value.problems) == 2
    assert "already used" in str(info.value)


def test_missing_paths(tmp_path: Path) -> None:
    """An empty directory or a missing path is a problem, not a crash."""
    assert check_path(tmp_path) == [Problem(str(tmp_path), 0, "no course files (*.toml) found")]
    missing = tmp_path / "nope.toml"
    assert check_path(missing) == [Problem(str(missing), 0, "no such file or directory")]


def test_problem_str() -> None:
    """Problems print as file:line: message."""
    assert str(Problem("a.toml", 7, "bad")) == "a.toml:7: bad"


def test_load_course_raises_with_problems() -> None:
    """load_course refuses a broken file and carries the problems."""
    with pytest.raises(ContentError) as info:
        load_course(BROKEN / "duplicate-question-key.toml")
    assert info.value.problems[0].line == 51


def test_line_map_handles_tricky_toml() -> None:
    """Strings that look like TOML, inline tables, dotted keys and arrays map correctly."""
    text = '''# comment [[lessons]]
key = "x" # trailing [comment]
title = { id = "a", en = "b" }
# filler line
description.id = 'literal "with" quotes'
description.en = """
[[lessons]]
key = "not a key"
"""

[[lessons]]
key = 'l1'
sources = [
  "one", # comment
  """two
  lines""",
  'three',
]
[[lessons.quiz]]
key = "q1"
[[lessons.quiz.options]]
id = """a \\""" b"""
[[lessons.quiz.options]]
"en" = "quoted key"
[[lessons]]
key = "l2"
[[lessons.quiz]]
[[lessons.quiz]]
key = "q2"
'''
    data = tomllib.loads(text)
    assert data["lessons"][0]["quiz"][0]["options"][0]["id"] == 'a """ b'
    m = line_map(text)
    assert m.line_of(("key",)) == 2
    assert m.line_of(("title", "en")) == 3
    assert m.line_of(("description", "en")) == 6
    assert m.line_of(("lessons", 0)) == 11
    assert m.line_of(("lessons", 0, "key")) == 12
    assert m.line_of(("lessons", 0, "sources", 1)) == 15
    assert m.line_of(("lessons", 0, "sources", 2)) == 17
    assert m.line_of(("lessons", 0, "quiz", 0, "options", 0, "id")) == 22
    assert m.line_of(("lessons", 0, "quiz", 0, "options", 1, "en")) == 24
    assert m.line_of(("lessons", 1, "key")) == 26
    assert m.line_of(("lessons", 1, "quiz", 1, "key")) == 29
    # Unknown paths fall back to the nearest enclosing table, or line 1.
    assert m.line_of(("lessons", 1, "quiz", 0, "explanation")) == 27
    assert m.line_of(("nothing",)) == 1
    assert m.value_lines[("description", "en")] == 7


def test_example_passes_and_loads() -> None:
    """The example course in docs/examples passes the checker."""
    assert check_path(EXAMPLE) == []
    course = load_course(EXAMPLE)
    assert course.key == "contoh-kursus"
    assert len(course.lessons) >= 2


def test_doc_example_is_the_example_file() -> None:
    """The complete example shown in docs/content-format.md is exactly the example file."""
    doc = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", doc, flags=re.DOTALL)
    full = [b for b in blocks if b.lstrip().startswith("# Contoh kursus")]
    assert len(full) == 1
    assert full[0] == EXAMPLE.read_text(encoding="utf-8")


def test_run_check_output(capsys: pytest.CaptureFixture[str]) -> None:
    """run_check prints problems then a summary, and returns the exit code."""
    assert run_check(BROKEN / "unknown-key.toml") == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{BROKEN / 'unknown-key.toml'}:52: unknown field 'hint' in lessons[0].quiz[1] "
        "(misspelt?)",
        "1 problem(s) in 1 file(s)",
    ]
    assert run_check(EXAMPLE) == 0
    assert capsys.readouterr().out == "OK: 1 course(s), 2 lesson(s), 4 question(s)\n"


def test_run_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """run_schema prints the JSON schema."""
    assert run_schema() == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "Sinau course pack"


def test_shipped_packs_pass() -> None:
    """The packs shipped with the bot load cleanly (the bot cannot use broken packs)."""
    packs = default_packs_path()
    if not any(packs.glob("*.toml")):
        pytest.skip("no packs shipped yet")
    assert [str(p) for p in check_path(packs)] == []
    assert len(load_catalogue()) >= 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("49", "pass_mark = 49, must be between 50 and 100 (percent of the final evaluation)"),
        ("101", "pass_mark = 101, must be between 50 and 100 (percent of the final evaluation)"),
        ('"80"', "pass_mark: must be a whole number, got '80'"),
        ("80.5", "pass_mark: must be a whole number, got 80.5"),
    ],
)
def test_pass_mark_problems(tmp_path: Path, value: str, message: str) -> None:
    """A pass_mark outside 50-100, or not a whole number, is reported at its line."""
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "order = 900", f"order = 900\npass_mark = {value}", 1
    )
    path = tmp_path / "contoh-kursus.toml"
    path.write_text(text, encoding="utf-8")
    assert text.splitlines()[4].startswith("pass_mark =")
    assert [str(p) for p in check_path(path)] == [f"{path}:5: {message}"]


def test_pass_mark_loads(tmp_path: Path) -> None:
    """A pack without pass_mark gets 70; one with pass_mark = 85 gets 85."""
    assert load_course(EXAMPLE).pass_mark == 70
    path = tmp_path / "contoh-kursus.toml"
    path.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("order = 900", "order = 900\npass_mark = 85"),
        encoding="utf-8",
    )
    assert load_course(path).pass_mark == 85
