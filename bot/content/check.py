"""The `sinau content check PATH` and `sinau content schema` commands (output to stdout)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .loader import check_packs
from .schema import json_schema

__all__ = ["run_check", "run_schema"]


def run_check(path: str | Path) -> int:
    """Print every problem and warning as `file:line: ...` and a summary; 1 on a problem.

    Warnings alone do not fail the check: the packs load.
    """
    checked = check_packs(path)
    problems, warnings, courses = checked.problems, checked.warnings, checked.courses
    out = sys.stdout
    for problem in sorted([*problems, *warnings]):
        print(problem, file=out)
    noted = f", {len(warnings)} warning(s)" if warnings else ""
    if problems:
        files = len({p.file for p in problems})
        print(f"{len(problems)} problem(s) in {files} file(s){noted}", file=out)
        return 1
    lessons = sum(len(c.lessons) for c in courses)
    questions = sum(len(x.quiz) for c in courses for x in c.lessons)
    print(
        f"OK: {len(courses)} course(s), {lessons} lesson(s), {questions} question(s){noted}",
        file=out,
    )
    return 0


def run_schema() -> int:
    """Print the JSON schema of a course pack; always 0."""
    print(json.dumps(json_schema(), ensure_ascii=False, indent=2))
    return 0
