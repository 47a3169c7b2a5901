"""The `sinau content check PATH` and `sinau content schema` commands (output to stdout)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .loader import check_courses
from .schema import json_schema

__all__ = ["run_check", "run_schema"]


def run_check(path: str | Path) -> int:
    """Print every problem as `file:line: message` and a summary; 0 if clean, else 1."""
    problems, courses = check_courses(path)
    out = sys.stdout
    for problem in problems:
        print(problem, file=out)
    if problems:
        files = len({p.file for p in problems})
        print(f"{len(problems)} problem(s) in {files} file(s)", file=out)
        return 1
    lessons = sum(len(c.lessons) for c in courses)
    questions = sum(len(x.quiz) for c in courses for x in c.lessons)
    print(
        f"OK: {len(courses)} course(s), {lessons} lesson(s), {questions} question(s)",
        file=out,
    )
    return 0


def run_schema() -> int:
    """Print the JSON schema of a course pack; always 0."""
    print(json.dumps(json_schema(), ensure_ascii=False, indent=2))
    return 0
