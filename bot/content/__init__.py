"""Course content: pack models, loading and checking, and the Markdown → Telegram HTML renderer.

Nothing here imports telegram: the content layer is plain data and text.
"""

from .catalogue import Catalogue, CatalogueHolder
from .loader import (
    ContentError,
    Problem,
    check_path,
    default_packs_path,
    load_catalogue,
    load_course,
)
from .models import Course, Lesson, Localized, Question
from .render import render_markdown, split_html, visible_length

__all__ = [
    "Catalogue",
    "CatalogueHolder",
    "ContentError",
    "Course",
    "Lesson",
    "Localized",
    "Problem",
    "Question",
    "check_path",
    "default_packs_path",
    "load_catalogue",
    "load_course",
    "render_markdown",
    "split_html",
    "visible_length",
]
