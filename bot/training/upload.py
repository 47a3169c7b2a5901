"""Course pack upload: validate with the same checker as `sinau content check`, then activate.

An accepted pack is stored in the database (``course_packs``, one row per course key, written
in one statement: a kill leaves the old row or the new one, never half of either) and merged
into a NEW catalogue, which ``CoursePacks`` puts into the catalogue holder in one assignment. A
pack that fails leaves the table and the catalogue as they were. Progress is keyed by (course,
lesson) keys, so an updated course keeps the progress of every lesson whose key remains.

Several workers share one database: each asks every few seconds whether a pack changed
(``refresh``, a query of the keys and upload times) and rebuilds its catalogue when one did, so
a pack uploaded through one worker is live on all of them within a few seconds.

Packs uploaded before they lived in the database sat in a ``packs`` folder beside the SQLite
file; at start they are imported once (a course that already has a row keeps it).
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.clock import Clock
from bot.content.catalogue import Catalogue, CatalogueHolder
from bot.content.loader import check_packs
from bot.content.models import KEY_PATTERN, Course
from bot.storage.packs import PackRepository, StoredPack

logger = logging.getLogger(__name__)

_KEY = re.compile(KEY_PATTERN)


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What happened to an uploaded pack."""

    course: Course | None = None
    is_new: bool = False
    catalogue: Catalogue | None = None
    problems: list[str] = field(default_factory=list)   # 'line: message'
    warnings: list[str] = field(default_factory=list)   # 'line: message', of an accepted pack

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


def _checked_pack(filename: str, content: bytes) -> tuple[list[str], list[str], Course | None]:
    """The problems and warnings ('line: message') of one pack, and its course if it loads."""
    # The file is checked under its course key's name, so the checker's "key must match the
    # file name" rule holds for what we store whatever the trainer called the file.
    key = _key_of(content)
    name = f"{key}.toml" if key else (Path(filename).name or "pack.toml")
    with tempfile.TemporaryDirectory(prefix="sinau-pack-") as scratch:
        path = Path(scratch) / name
        path.write_bytes(content)
        checked = check_packs(path)
    if checked.problems or len(checked.courses) != 1:
        problems = [f"{p.line}: {p.message}" for p in checked.problems]
        return problems or ["1: no course found"], [], None
    return [], [f"{w.line}: {w.message}" for w in checked.warnings], checked.courses[0]


def check_pack(filename: str, content: bytes) -> tuple[list[str], Course | None]:
    """The problems ('line: message') of one pack, or its course when it has none."""
    problems, _warnings, course = _checked_pack(filename, content)
    return problems, course


def merged(base: Catalogue, packs: Iterable[StoredPack]) -> Catalogue:
    """``base`` with the stored packs over it; a pack that no longer loads is skipped."""
    courses = {c.key: c for c in base}
    for pack in packs:
        problems, course = check_pack(f"{pack.course_key}.toml", pack.content.encode("utf-8"))
        if course is None:
            logger.error("stored course pack %s no longer loads: %s", pack.course_key,
                         "; ".join(problems[:3]))
            continue
        courses[course.key] = course
    return Catalogue.of(courses.values())


class CoursePacks:
    """The uploaded packs in force: stores an upload and keeps the live catalogue current."""

    def __init__(self, repo: PackRepository, catalogue: CatalogueHolder, clock: Clock, *,
                 legacy_folder: Path | None = None) -> None:
        self._repo = repo
        self._catalogue = catalogue
        self._clock = clock
        self._base = catalogue.current          # the shipped packs (and content.extra_packs)
        self._legacy = legacy_folder
        self._versions: dict[str, int] | None = None   # what the live catalogue was built from
        self._lock = asyncio.Lock()   # a refresh never puts back the catalogue an upload replaced

    async def load_stored(self) -> None:
        """At start: import an old packs folder, then the stored packs join the catalogue."""
        if self._legacy is not None:
            await self._import(self._legacy)
        await self.refresh()

    async def refresh(self) -> bool:
        """Rebuild the catalogue if a pack changed in the database (another worker's upload)."""
        async with self._lock:
            versions = await self._repo.versions()
            if versions == self._versions:
                return False
            packs = await self._repo.all()
            catalogue = await asyncio.to_thread(merged, self._base, packs)
            self._catalogue.replace(catalogue)
            self._versions = {p.course_key: p.uploaded_at for p in packs}
        if packs:
            logger.info("catalogue: %d course(s), %d uploaded", len(catalogue), len(packs))
        return True

    async def install(self, filename: str, content: bytes, uploaded_by: int) -> UploadResult:
        """Check a pack (off the event loop); if clean, store it and it is live at once."""
        problems, warnings, course = await asyncio.to_thread(_checked_pack, filename, content)
        if course is None:
            return UploadResult(problems=problems)
        async with self._lock:
            await self._repo.save(course.key, content.decode("utf-8"), uploaded_by,
                                  self._clock.now())
            current = {c.key: c for c in self._catalogue.current}
            is_new = course.key not in current
            current[course.key] = course
            catalogue = Catalogue.of(current.values())
            self._catalogue.replace(catalogue)
            self._versions = None   # the next refresh reads the table again (it has this pack)
        logger.info("course pack %s %s", course.key, "added" if is_new else "updated")
        return UploadResult(course=course, is_new=is_new, catalogue=catalogue,
                            warnings=warnings)

    async def _import(self, folder: Path) -> None:
        for name, content in await asyncio.to_thread(_old_folder, folder):
            problems, course = await asyncio.to_thread(check_pack, name, content)
            if course is None:
                logger.error("old uploaded pack %s does not load, not imported: %s",
                             name, "; ".join(problems[:3]))
                continue
            if await self._repo.add_missing(course.key, content.decode("utf-8"),
                                            self._clock.now()):
                logger.info("imported uploaded pack %s into the database", name)


def _old_folder(folder: Path) -> list[tuple[str, bytes]]:
    """The packs of a folder-era upload folder (name, content); half-written files removed."""
    if not folder.is_dir():
        return []
    for leftover in folder.glob("*.part"):   # a write the folder-era uploader had cut short
        leftover.unlink(missing_ok=True)
    return [(path.name, path.read_bytes()) for path in sorted(folder.glob("*.toml"))]
