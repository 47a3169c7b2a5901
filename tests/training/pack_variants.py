"""Versions of a shipped course pack for the course-version tests: a lesson removed, one edited."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BERAKHLAK = (ROOT / "bot" / "content" / "packs" / "berakhlak.toml").read_bytes()
LESSON = b"\n[[lessons]]\n"


def lesson_keys(content: bytes) -> list[str]:
    """The lesson keys of a pack, in order (each lesson block starts with its key)."""
    return [block.split(b'key = "', 1)[1].split(b'"', 1)[0].decode()
            for block in content.split(LESSON)[1:]]


def without_lesson(content: bytes, key: str) -> bytes:
    """The pack with the lesson ``key`` left out."""
    head, *blocks = content.split(LESSON)
    kept = [b for b in blocks if not b.startswith(f'key = "{key}"'.encode())]
    assert len(kept) == len(blocks) - 1, key
    return LESSON.join([head, *kept])


def with_edited_lesson(content: bytes, key: str, marker: str = " (diperbarui)") -> bytes:
    """The pack with the lesson ``key``'s Indonesian title changed."""
    head, *blocks = content.split(LESSON)
    for index, block in enumerate(blocks):
        if block.startswith(f'key = "{key}"'.encode()):
            title = block.split(b"[lessons.title]\nid = \"", 1)
            end = title[1].index(b'"')
            blocks[index] = (title[0] + b"[lessons.title]\nid = \"" + title[1][:end]
                             + marker.encode() + title[1][end:])
            return LESSON.join([head, *blocks])
    raise KeyError(key)
