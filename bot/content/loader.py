"""Load course packs into a `Catalogue`, and check them with TOML line numbers.

`check_path` reports every problem it can find as ``file:line: message``; `load_catalogue`
raises `ContentError` (carrying the same problems) unless the packs are clean. `check_packs`
also gives the warnings about valid courses (``file:line: warning: message``, see lint.py):
they never stop a pack from loading.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .catalogue import Catalogue
from .lint import course_warnings
from .models import PASS_MARK_MAX, PASS_MARK_MIN, Course, find_duplicates

__all__ = [
    "Catalogue",
    "ContentError",
    "PackCheck",
    "Problem",
    "check_courses",
    "check_packs",
    "check_path",
    "content_warnings",
    "default_packs_path",
    "line_map",
    "load_catalogue",
    "load_course",
]

Loc = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a pack, printed as ``file:line: message`` (``warning:`` before a warning).

    A warning is advice about a valid course; any other problem stops the pack from loading.
    """

    file: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return f"{self.file}:{self.line}: {kind}{self.message}"


@dataclass(frozen=True)
class PackCheck:
    """What checking a pack file or directory found."""

    problems: list[Problem]   # sorted; the packs load only when this is empty
    warnings: list[Problem]   # sorted; about the valid courses only
    courses: list[Course]


class ContentError(ValueError):
    """Raised when packs cannot be loaded; `problems` lists everything wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(str(p) for p in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) in course packs:\n{lines}{more}")


def default_packs_path() -> Path:
    """Directory of the course packs shipped with the bot (package data of bot.content)."""
    return Path(str(resources.files("bot.content").joinpath("packs")))


# --------------------------------------------------------------------------- TOML line scanner


class _Scanner:
    """Maps key paths such as ("lessons", 2, "quiz", 0, "key") to their line in TOML text.

    tomllib gives no positions, so this re-reads the (already valid) TOML: table headers with
    array-of-tables indices, `key =` lines, dotted keys, inline tables and array elements; it
    skips over all four kinds of strings, so text inside multi-line strings is never mistaken
    for keys.  Paths without a line of their own fall back to the nearest enclosing one.
    """

    _BARE = re.compile(r"[A-Za-z0-9_-]+")

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.lines: dict[Loc, int] = {}
        self.value_lines: dict[Loc, int] = {}  # first line of a string value's content
        self.counts: dict[Loc, int] = {}  # array-of-tables path -> elements seen

    def line(self, pos: int | None = None) -> int:
        return self.s.count("\n", 0, self.i if pos is None else pos) + 1

    def peek(self, n: int = 1) -> str:
        return self.s[self.i : self.i + n]

    def skip_ws(self, newlines: bool = False) -> None:
        while self.i < len(self.s):
            ch = self.s[self.i]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self.i += 1
            elif ch == "#" and newlines:
                self.skip_line()
            else:
                break

    def skip_line(self) -> None:
        end = self.s.find("\n", self.i)
        self.i = len(self.s) if end == -1 else end

    def record(self, path: Loc, line: int) -> None:
        self.lines.setdefault(path, line)

    def key(self) -> list[str]:
        parts: list[str] = []
        while True:
            self.skip_ws()
            ch = self.peek()
            if ch in ('"', "'"):
                start = self.i
                self.string()
                raw = self.s[start : self.i]
                parts.append(tomllib.loads(f"k = {raw}")["k"])
            else:
                m = self._BARE.match(self.s, self.i)
                if not m:
                    raise ValueError(f"key expected at {self.i}")
                parts.append(m.group())
                self.i = m.end()
            self.skip_ws()
            if self.peek() != ".":
                return parts
            self.i += 1

    def string(self) -> None:
        for quote in ('"""', "'''"):
            if self.s.startswith(quote, self.i):
                j = self.i + 3
                while True:
                    k = self.s.find(quote, j)
                    if k == -1:
                        raise ValueError("unterminated string")
                    if quote == '"""' and _escaped(self.s, k):
                        j = k + 1
                        continue
                    # Up to two extra quotes right before the delimiter belong to the string.
                    while self.s.startswith(quote[0], k + 3):
                        k += 1
                    self.i = k + 3
                    return
        quote = self.s[self.i]
        j = self.i + 1
        while True:
            k = self.s.find(quote, j)
            if k == -1:
                raise ValueError("unterminated string")
            if quote == '"' and _escaped(self.s, k):
                j = k + 1
                continue
            self.i = k + 1
            return

    def value(self, path: Loc) -> None:
        self.skip_ws()
        ch = self.peek()
        if ch in ('"', "'"):
            line = self.line()
            triple = self.peek(3) in ('"""', "'''")
            # TOML drops a newline right after the opening triple quote.
            if triple and self.s[self.i + 3 : self.i + 4] in ("\n", "\r"):
                line += 1
            self.value_lines.setdefault(path, line)
            self.string()
        elif ch == "[":
            self.i += 1
            index = 0
            while True:
                self.skip_ws(newlines=True)
                if self.peek() == "]":
                    self.i += 1
                    return
                self.record((*path, index), self.line())
                before = self.i
                self.value((*path, index))
                self._progress(before)
                self.skip_ws(newlines=True)
                if self.peek() == ",":
                    self.i += 1
                index += 1
        elif ch == "{":
            self.i += 1
            while True:
                self.skip_ws()
                if self.peek() == "}":
                    self.i += 1
                    return
                line = self.line()
                sub = (*path, *self.key())
                self.record(sub, line)
                self.skip_ws()
                self.i += 1  # '='
                before = self.i
                self.value(sub)
                self._progress(before)
                self.skip_ws()
                if self.peek() == ",":
                    self.i += 1
        else:
            m = re.compile(r"[^,\]}#\n]*").match(self.s, self.i)
            self.i = m.end() if m else self.i + 1

    def _progress(self, before: int) -> None:
        # Guards against looping forever on text the scanner does not understand.
        if self.i <= before:
            raise ValueError(f"scanner stuck at {self.i}")

    def header(self) -> Loc:
        array = self.s.startswith("[[", self.i)
        line = self.line()
        self.i += 2 if array else 1
        parts = self.key()
        self.skip_ws()
        self.i += 2 if array else 1
        path: list[str | int] = []
        for part in parts[:-1]:
            path.append(part)
            if tuple(path) in self.counts:
                path.append(self.counts[tuple(path)] - 1)
        path.append(parts[-1])
        if array:
            self.record(tuple(path), line)
            index = self.counts.get(tuple(path), 0)
            self.counts[tuple(path)] = index + 1
            path.append(index)
        self.record(tuple(path), line)
        return tuple(path)

    def scan(self) -> None:
        table: Loc = ()
        while self.i < len(self.s):
            self.skip_ws(newlines=True)
            if self.i >= len(self.s):
                break
            if self.peek() == "[":
                table = self.header()
            else:
                line = self.line()
                parts = self.key()
                for n in range(1, len(parts) + 1):
                    self.record((*table, *parts[:n]), line)
                self.skip_ws()
                self.i += 1  # '='
                self.value((*table, *parts))
            self.skip_ws()
            if self.peek() == "#":
                self.skip_line()


def _escaped(s: str, pos: int) -> bool:
    """Whether the character at pos is escaped by an odd number of backslashes."""
    n = 0
    while pos - n - 1 >= 0 and s[pos - n - 1] == "\\":
        n += 1
    return n % 2 == 1


@dataclass
class LineMap:
    """Line numbers of key paths in one TOML source."""

    lines: dict[Loc, int]
    value_lines: dict[Loc, int]

    def line_of(self, loc: Loc) -> int:
        """Line of the longest known prefix of loc (1 if nothing matches)."""
        for n in range(len(loc), 0, -1):
            if loc[:n] in self.lines:
                return self.lines[loc[:n]]
        return 1


def line_map(text: str) -> LineMap:
    """Scan valid TOML text and return where each key path is defined."""
    scanner = _Scanner(text)
    # Best effort: lines found so far stay usable; the rest falls back to line 1.
    with contextlib.suppress(ValueError, IndexError, tomllib.TOMLDecodeError):
        scanner.scan()
    return LineMap(scanner.lines, scanner.value_lines)


# --------------------------------------------------------------------------- checking

_TOML_LINE_RE = re.compile(r"\(at line (\d+), column \d+\)")
_ITEMS = {"lessons": "lessons", "cards": "cards", "quiz": "questions", "options": "options"}


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _message(error: Mapping[str, Any]) -> str:
    """A message for trainers, not programmers, for one pydantic error."""
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    name = loc[-1] if loc else ""
    where = _dotted(loc)
    if kind == "missing":
        if name == "en":
            return f"{where}: missing English text (en)"
        if name == "id":
            return f"{where}: missing Indonesian text (id)"
        return f"missing required field '{name}' in {_dotted(loc[:-1]) or 'the course'}"
    if kind == "extra_forbidden":
        return f"unknown field '{name}' in {_dotted(loc[:-1]) or 'the course'} (misspelt?)"
    if kind == "string_too_short":
        return f"{where}: text is empty"
    if kind == "string_too_long":
        return (
            f"{where}: too long, {len(str(value).strip())} characters "
            f"(limit {ctx.get('max_length')})"
        )
    if kind == "string_pattern_mismatch":
        return (
            f"{where}: {value!r} is not a valid key "
            "(2-40 characters: lowercase a-z, digits 0-9 and '-')"
        )
    if kind in ("too_short", "too_long"):
        what = _ITEMS.get(str(name), "items")
        limits = {
            "cards": "1-3",
            "quiz": "2-5",
            "options": "2-4",
            "lessons": "at least 1",
        }.get(str(name), "a different number")
        count = ctx.get("actual_length")
        noun = what[:-1] if count == 1 else what
        return f"{where}: has {count} {noun}, needs {limits}"
    if kind in ("greater_than_equal", "less_than_equal") and name == "minutes":
        return f"{where}: minutes = {value}, must be between 3 and 45"
    if kind in ("greater_than_equal", "less_than_equal") and name == "pass_mark":
        return (
            f"pass_mark = {value}, must be between {PASS_MARK_MIN} and {PASS_MARK_MAX} "
            "(percent of the final evaluation)"
        )
    if kind == "list_type" and name in _ITEMS:
        table = ".".join(p for p in loc if isinstance(p, str))
        return f"{where}: write each item as [[{table}]] (double brackets)"
    if kind in ("int_type", "string_type", "list_type", "model_type", "dict_type"):
        expected = {
            "int_type": "a whole number",
            "string_type": 'text in quotes ("...")',
            "list_type": "a list [...]",
            "model_type": "a table" if isinstance(name, int) else "a table with id and en",
            "dict_type": "a table",
        }[kind]
        return f"{where}: must be {expected}, got {value!r}"
    return f"{where}: {error['msg']}" if where else error["msg"]


def _line_for(error: Mapping[str, Any], lines: LineMap) -> int:
    loc: Loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    if error["type"] == "markdown" and loc in lines.value_lines:
        # Point at the line inside a multi-line card, not just at its `id =` line.
        raw = error.get("input")
        snippet = ctx.get("snippet", "")
        if isinstance(raw, str) and snippet and snippet in raw:
            return lines.value_lines[loc] + raw[: raw.index(snippet)].count("\n")
    return lines.line_of(loc)


def _list(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def _cross_problems(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    """Rules spanning several items, checked on the raw data so that all are reported.

    The model validators enforce the same rules but stop at the first one, and only once
    everything else in the item is valid.
    """
    lessons = _list(data, "lessons")
    lesson_keys = [x.get("key") if isinstance(x, dict) else None for x in lessons]
    for index, key, first in find_duplicates(lesson_keys):
        if isinstance(key, str):
            yield (
                ("lessons", index, "key"),
                f"lessons[{index}].key: duplicate lesson key '{key}' "
                f"(already used by lessons[{first}])",
            )
    tags = _list(data, "tags")
    for index, tag, _first in find_duplicates([t for t in tags if isinstance(t, str)]):
        yield ("tags", index), f"tags[{index}]: tag '{tag}' is listed twice"
    for li, lesson in enumerate(lessons):
        quiz = _list(lesson, "quiz")
        keys = [q.get("key") if isinstance(q, dict) else None for q in quiz]
        for index, key, first in find_duplicates(keys):
            if isinstance(key, str):
                yield (
                    ("lessons", li, "quiz", index, "key"),
                    f"lessons[{li}].quiz[{index}].key: duplicate question key '{key}' "
                    f"(already used by lessons[{li}].quiz[{first}])",
                )
        for qi, question in enumerate(quiz):
            correct = question.get("correct") if isinstance(question, dict) else None
            options = _list(question, "options")
            if (
                isinstance(correct, int)
                and not isinstance(correct, bool)
                and correct >= 0
                and options
                and correct >= len(options)
            ):
                yield (
                    ("lessons", li, "quiz", qi, "correct"),
                    f"lessons[{li}].quiz[{qi}].correct: correct = {correct} but there are "
                    f"only {len(options)} options "
                    f"(0 to {len(options) - 1}; counting starts at 0)",
                )


_CROSS_TYPES = {"duplicate_key", "correct_out_of_range"}


def content_warnings(course: Course, source: str, label: str = "") -> list[Problem]:
    """The warnings about a valid course read from the TOML text `source` (file `label`)."""
    return _warnings(course, line_map(source), label)


def _warnings(course: Course, lines: LineMap, label: str) -> list[Problem]:
    return sorted(
        Problem(label, lines.line_of(loc), message, warning=True)
        for loc, message in course_warnings(course)
    )


def _check_file(
    path: Path, label: str
) -> tuple[list[Problem], list[Problem], Course | None, dict[str, Any]]:
    """Problems, warnings, the course if valid, and the raw data (for cross-file checks)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(label, 1, f"cannot read file: {exc}")], [], None, {}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_LINE_RE.search(str(exc))
        message = _TOML_LINE_RE.sub("", str(exc)).strip()
        line = int(m.group(1)) if m else 1
        return [Problem(label, line, f"TOML syntax: {message}")], [], None, {}
    lines = line_map(text)
    problems: list[Problem] = []
    course = None
    try:
        course = Course.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            if error["type"] in _CROSS_TYPES:
                continue
            problems.append(Problem(label, _line_for(error, lines), _message(error)))
    for loc, message in _cross_problems(data):
        problems.append(Problem(label, lines.line_of(loc), message))
    key = data.get("key")
    if isinstance(key, str) and key != path.stem:
        problems.append(
            Problem(
                label,
                lines.line_of(("key",)),
                f"course key '{key}' must match the file name ({key}.toml, not {path.name})",
            )
        )
    if problems or course is None:
        return problems, [], None, data
    return problems, _warnings(course, lines, label), course, data


def _files(path: Path) -> tuple[list[Path], list[Problem]]:
    if path.is_dir():
        files = sorted(p for p in path.glob("*.toml") if p.is_file())
        if not files:
            return [], [Problem(str(path), 0, "no course files (*.toml) found")]
        return files, []
    if path.is_file():
        return [path], []
    return [], [Problem(str(path), 0, "no such file or directory")]


def check_packs(path: str | Path) -> PackCheck:
    """All problems, the warnings and the valid courses of a pack file or directory."""
    root = Path(path)
    files, problems = _files(root)
    warnings: list[Problem] = []
    courses: list[Course] = []
    seen: dict[str, str] = {}
    for file in files:
        label = str(file)
        file_problems, file_warnings, course, data = _check_file(file, label)
        problems.extend(file_problems)
        warnings.extend(file_warnings)
        if course is not None:
            courses.append(course)
        key = data.get("key")
        if isinstance(key, str):
            if key in seen:
                line = line_map(file.read_text(encoding="utf-8")).line_of(("key",))
                problems.append(
                    Problem(label, line, f"course key '{key}' is already used by {seen[key]}")
                )
            else:
                seen[key] = file.name
    return PackCheck(sorted(problems), sorted(warnings), courses)


def check_courses(path: str | Path) -> tuple[list[Problem], list[Course]]:
    """All problems (sorted) and the valid courses of a pack file or directory."""
    checked = check_packs(path)
    return checked.problems, checked.courses


def check_path(path: str | Path) -> list[Problem]:
    """Every problem in a pack file or a directory of *.toml packs (empty list when clean)."""
    return check_courses(path)[0]


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load a pack file or directory (default: the shipped packs); raise ContentError if broken."""
    problems, courses = check_courses(default_packs_path() if path is None else path)
    if problems:
        raise ContentError(problems)
    return Catalogue.of(courses)


def load_course(path: str | Path) -> Course:
    """Load and validate one pack file; raise ContentError if it has problems."""
    problems, courses = check_courses(path)
    if problems or len(courses) != 1:
        raise ContentError(problems)
    return courses[0]
