"""Course pack upload: validate with the same checker as `sinau content check`, then activate.

An accepted pack is written to the uploaded-packs folder next to the database (atomically:
a temporary file, then a rename) and merged into a NEW catalogue, which ``CoursePacks`` puts
into the catalogue holder in one assignment. A pack that fails leaves the folder and the
catalogue as they were. Progress is keyed by (course, lesson) keys, so an updated course keeps
the progress of every lesson whose key remains.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.catalogue import Catalogue, CatalogueHolder
from bot.content.loader import ContentError, check_courses, load_catalogue
from bot.content.models import KEY_PATTERN, Course

logger = logging.getLogger(__name__)

_KEY = re.compile(KEY_PATTERN)


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What happened to an uploaded pack."""

    course: Course | None = None
    is_new: bool = False
    catalogue: Catalogue | None = None
    problems: list[str] = field(default_factory=list)   # 'line: message'

    @property
    def accepted(self) -> bool:
        """True when the pack is live."""
        return self.course is not None


def _key_of(content: bytes) -> str | None:
    """The pack's course key if the TOML parses and the key is well formed."""
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    key = data.get("key")
    return key if isinstance(key, str) and _KEY.match(key) else None


class PackUploader:
    """Checks and installs uploaded course packs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def install(self, filename: str, content: bytes, current: Catalogue) -> UploadResult:
        """Validate ``content``; if clean, store it and return the catalogue with it merged."""
        # The file is checked under its course key's name, so the checker's "key must match the
        # file name" rule holds for what we store whatever the trainer called the file.
        key = _key_of(content)
        name = f"{key}.toml" if key else Path(filename).name
        with tempfile.TemporaryDirectory(prefix="sinau-upload-") as scratch:
            path = Path(scratch) / name
            path.write_bytes(content)
            problems, courses = check_courses(path)
        if problems or len(courses) != 1:
            lines = [f"{p.line}: {p.message}" for p in problems] or ["1: no course found"]
            return UploadResult(problems=lines)
        course = courses[0]
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(temporary, self.folder / f"{course.key}.toml")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        merged = {c.key: c for c in current}
        is_new = course.key not in merged
        merged[course.key] = course
        logger.info("course pack %s %s", course.key, "added" if is_new else "updated")
        return UploadResult(course=course, is_new=is_new, catalogue=Catalogue.of(merged.values()))

    def merge_stored(self, current: Catalogue) -> Catalogue:
        """``current`` plus the packs uploaded earlier (at start); a broken file is skipped."""
        if not self.folder.is_dir():
            return current
        # A pack half-written when the process was killed; one process owns the folder, so at
        # start nothing is being written. The pack it was replacing is still whole.
        for leftover in self.folder.glob("*.part"):
            leftover.unlink(missing_ok=True)
            logger.info("removed %s, an upload interrupted before it was stored", leftover.name)
        merged = {c.key: c for c in current}
        for path in sorted(self.folder.glob("*.toml")):
            try:
                merged.update({c.key: c for c in load_catalogue(path)})
            except ContentError as exc:
                logger.error("uploaded pack %s no longer loads: %s", path.name, exc)
        return Catalogue.of(merged.values())


class CoursePacks:
    """The uploaded packs in force: installs an upload into the live catalogue."""

    def __init__(self, uploader: PackUploader, catalogue: CatalogueHolder) -> None:
        self._uploader = uploader
        self._catalogue = catalogue

    def load_stored(self) -> None:
        """At start: the packs uploaded earlier join the catalogue."""
        self._catalogue.replace(self._uploader.merge_stored(self._catalogue.current))

    async def install(self, filename: str, content: bytes) -> UploadResult:
        """Check and store a pack (off the event loop); if accepted, it is live at once."""
        result = await asyncio.to_thread(self._uploader.install, filename, content,
                                         self._catalogue.current)
        if result.catalogue is not None:
            self._catalogue.replace(result.catalogue)
        return result
