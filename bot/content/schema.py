"""JSON schema of a course pack, generated from the models, for editors with TOML support."""

from __future__ import annotations

from typing import Any

from .models import Course

__all__ = ["json_schema"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema() -> dict[str, Any]:
    """The JSON schema of one course pack file (a `Course`)."""
    schema = Course.model_json_schema()
    schema = {"$schema": SCHEMA_DIALECT, **schema}
    schema["description"] = (
        "One Sinau course per TOML file: cards, quizzes and discussion prompts in "
        "Bahasa Indonesia (id) and English (en). Run `sinau content check` for all rules."
    )
    return schema
