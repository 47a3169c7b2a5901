"""Course pack upload: validate with the same checker as `sinau content check`, keep it as a
draft, then publish it for everyone, try it on one cohort, or discard it.

An accepted pack becomes the course's next version (``course_versions``), a **draft**: nothing
live changes. The trainer sees what it changes against the live version (``CourseDiff``: lessons
added, removed and edited by their stable keys, questions changed) and how many learners' progress
it touches (counts from storage, no names), then decides:

- **publish**: the version goes into ``course_packs`` (one row per course key, written in one
  statement: a kill leaves the old row or the new one) and into a NEW catalogue, which the
  catalogue holder takes in one assignment;
- **trial**: the members of one cohort get it while everyone else keeps the published one (the
  holder keeps trial courses per cohort; ``scope_to`` makes a learner's update read them);
- **discard**.

A later upload of the same course replaces a pending draft (or ends its trial). Past versions
stay in the database, so ``restore`` puts back, in one step, the version that was live before
the current one (version 0 is the shipped pack). Every publish, trial, discard and restore is
recorded (who, when, which version, the diff it brought) for ``history``.

Progress is keyed by (course, lesson) keys, so an edited lesson keeps what learners did, and a
removed lesson's rows stay in the database: they just stop counting while the lesson is gone
(``bot.learning.progress``) and count again if a restore brings it back.

Several workers share one database: each asks every few seconds whether a live pack or a trial
changed (``refresh``, a query of the keys, upload times and trial ids) and rebuilds its catalogue
when one did, so a decision taken through one worker is live on all of them within seconds.

Packs uploaded before they lived in the database sat in a ``packs`` folder beside the SQLite
file; at start they are imported once (a course that already has a row keeps it).
"""

from __future__ import annotations

import asyncio
import json
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
from bot.storage.packs import (
    PENDING,
    Affected,
    PackRepository,
    StoredPack,
    StoredVersion,
    VersionEvent,
)

logger = logging.getLogger(__name__)

_KEY = re.compile(KEY_PATTERN)


@dataclass(frozen=True, slots=True)
class CourseDiff:
    """What a version changes against another, by stable lesson and question keys."""

    added: tuple[str, ...] = ()     # lesson keys, in the new version's order
    removed: tuple[str, ...] = ()   # lesson keys, in the old version's order
    edited: tuple[str, ...] = ()    # lessons in both whose content changed
    questions: int = 0              # questions added, removed or changed in kept lessons
    new_course: bool = False        # there was no version to compare with
    about: bool = False             # the course's title, description, order, tags or pass mark

    @property
    def changed(self) -> bool:
        """True when any lesson, question or detail of the course differs."""
        return bool(self.added or self.removed or self.edited or self.questions or self.about)

    def to_json(self) -> str:
        """The summary kept with a version and in its history."""
        return json.dumps({"added": list(self.added), "removed": list(self.removed),
                           "edited": list(self.edited), "questions": self.questions,
                           "new_course": self.new_course, "about": self.about},
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> CourseDiff:
        """A stored summary (an empty or older one reads as no change)."""
        try:
            data = json.loads(text or "{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        return cls(tuple(data.get("added", ())), tuple(data.get("removed", ())),
                   tuple(data.get("edited", ())), int(data.get("questions", 0)),
                   bool(data.get("new_course", False)), bool(data.get("about", False)))


def diff_courses(old: Course | None, new: Course) -> CourseDiff:
    """What ``new`` changes against ``old`` (None: a brand-new course)."""
    if old is None:
        return CourseDiff(added=tuple(x.key for x in new.lessons), new_course=True)
    before = {x.key: x for x in old.lessons}
    after = {x.key: x for x in new.lessons}
    questions = 0
    edited = []
    for lesson in new.lessons:
        previous = before.get(lesson.key)
        if previous is None:
            continue
        if previous != lesson:
            edited.append(lesson.key)
        was = {q.key: q for q in previous.quiz}
        now = {q.key: q for q in lesson.quiz}
        questions += len(was.keys() ^ now.keys())
        questions += sum(1 for key in was.keys() & now.keys() if was[key] != now[key])
    about = old.model_dump(exclude={"lessons"}) != new.model_dump(exclude={"lessons"})
    return CourseDiff(added=tuple(x.key for x in new.lessons if x.key not in before),
                      removed=tuple(x.key for x in old.lessons if x.key not in after),
                      edited=tuple(edited), questions=questions, about=about)


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What happened to an uploaded pack: a draft, or the problems that kept it out."""

    course: Course | None = None
    version: StoredVersion | None = None    # the draft it became
    replaced: StoredVersion | None = None   # the pending version of the course it replaced
    problems: list[str] = field(default_factory=list)   # 'line: message'
    warnings: list[str] = field(default_factory=list)   # 'line: message', of an accepted pack

    @property
    def accepted(self) -> bool:
        """True when the pack was stored as a draft."""
        return self.course is not None


@dataclass(frozen=True, slots=True)
class Pending:
    """A version waiting for a decision, with what it would change now."""

    version: StoredVersion
    course: Course
    diff: CourseDiff                # against the live version
    affected: Affected


@dataclass(frozen=True, slots=True)
class VersionScreen:
    """A course's versions: the live one, the pending one, the one a restore brings back."""

    course_key: str
    live: Course | None             # what everyone outside a trial sees (None: not live yet)
    live_version: int               # 0: the shipped pack (or nothing, when ``live`` is None)
    pending: Pending | None
    previous: int | None            # the version ``restore`` makes live (0: the shipped pack)


@dataclass(frozen=True, slots=True)
class Decision:
    """What a publish, trial, discard or restore did: the course, the version, its diff."""

    course_key: str
    version: int
    diff: CourseDiff


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
    """Course versions: drafts, trials, the live packs, restores; keeps the catalogue current."""

    def __init__(self, repo: PackRepository, catalogue: CatalogueHolder, clock: Clock, *,
                 legacy_folder: Path | None = None) -> None:
        self._repo = repo
        self._catalogue = catalogue
        self._clock = clock
        self._base = catalogue.published        # the shipped packs (and content.extra_packs)
        self._legacy = legacy_folder
        # What the live catalogue was built from: (course, 0) → pack upload time and
        # (course, cohort) → trial version id.
        self._versions: dict[tuple[str, int], int] | None = None
        self._lock = asyncio.Lock()   # a refresh never puts back the catalogue a decision replaced
        self._deciding = asyncio.Lock()   # one upload or decision at a time in this process
        self._parsed: dict[int, Course] = {}    # version id → its course (contents never change)

    async def load_stored(self) -> None:
        """At start: import an old packs folder, then the stored packs join the catalogue."""
        if self._legacy is not None:
            await self._import(self._legacy)
        await self.refresh()

    async def refresh(self) -> bool:
        """Rebuild the catalogue if a live pack or a trial changed in the database (another
        worker's decision)."""
        async with self._lock:
            versions = await self._repo.versions()
            if versions == self._versions:
                return False
            packs = await self._repo.all()
            trials = await self._repo.trials()
            catalogue = await asyncio.to_thread(merged, self._base, packs)
            trying: dict[int, dict[str, Course]] = {}
            for version in trials:
                course = await self._course_of(version)
                if course is not None and version.cohort_id is not None:
                    trying.setdefault(version.cohort_id, {})[course.key] = course
            self._catalogue.replace(catalogue, trying)
            self._versions = {(p.course_key, 0): p.uploaded_at for p in packs} | {
                (t.course_key, t.cohort_id or 0): t.id for t in trials}
        if packs or trials:
            logger.info("catalogue: %d course(s), %d uploaded, %d on trial", len(catalogue),
                        len(packs), len(trials))
        return True

    async def scope_to(self, user_id: int) -> None:
        """Let the update being handled read the versions this learner's cohorts are trying.

        Without any trial this costs nothing (no query): everyone reads the published catalogue.
        """
        holder = self._catalogue
        if not holder.trials:
            holder.use(None)
            return
        cohorts = await self._repo.trial_cohorts_of(user_id)
        holder.use(holder.for_cohorts(cohorts) if cohorts else None)

    async def install(self, filename: str, content: bytes, uploaded_by: int) -> UploadResult:
        """Check a pack (off the event loop); if clean, store it as the course's next version,
        a draft: nothing live changes until a trainer decides."""
        problems, warnings, course = await asyncio.to_thread(_checked_pack, filename, content)
        if course is None:
            return UploadResult(problems=problems)
        async with self._deciding:
            diff = diff_courses(self._catalogue.published.course(course.key), course)
            version, replaced = await self._repo.add_draft(
                course.key, content.decode("utf-8"), uploaded_by, self._clock.now(),
                diff.to_json(), json.dumps({"replaced": True}))
            self._parsed[version.id] = course
            if replaced is not None and replaced.state == "trial":
                await self._rebuild()      # the replaced version's trial ended
        logger.info("course pack %s uploaded as draft version %d", course.key, version.version)
        return UploadResult(course=course, version=version, replaced=replaced,
                            warnings=warnings)

    async def screen(self, course_key: str) -> VersionScreen | None:
        """The course's versions (None when it has neither a live nor a pending version)."""
        live = self._catalogue.published.course(course_key)
        sequence = await self._repo.live_sequence(course_key)
        stored = await self._repo.in_state(course_key, PENDING)
        pending = None
        if stored is not None:
            course = await self._course_of(stored)
            if course is not None:
                diff = diff_courses(live, course)
                affected = await self._repo.affected(
                    course_key, [x.key for x in live.lessons] if live else [],
                    list(diff.removed))
                pending = Pending(stored, course, diff, affected)
        if live is None and pending is None:
            return None
        return VersionScreen(course_key, live, sequence[0] if sequence else 0, pending,
                             self._previous(course_key, sequence))

    async def version(self, version_id: int) -> StoredVersion | None:
        """One stored version by id (a button names it)."""
        return await self._repo.version(version_id)

    async def publish(self, version_id: int, by: int) -> Decision | None:
        """Make a pending version live for everyone; None if it is not pending any more."""
        async with self._deciding:
            return await self._publish(version_id, by)

    async def _publish(self, version_id: int, by: int) -> Decision | None:
        version = await self._repo.version(version_id)
        course = await self._course_of(version) if version is not None else None
        if version is None or course is None or version.state not in PENDING:
            return None
        diff = diff_courses(self._catalogue.published.course(course.key), course)
        if not await self._repo.publish(version, by, self._clock.now(), diff.to_json()):
            return None
        await self._rebuild()
        logger.info("course %s version %d published", course.key, version.version)
        return Decision(course.key, version.version, diff)

    async def try_on(self, version_id: int, cohort_id: int, by: int) -> Decision | None:
        """Let one cohort's members have a pending version; None if it is not pending."""
        async with self._deciding:
            return await self._try_on(version_id, cohort_id, by)

    async def _try_on(self, version_id: int, cohort_id: int, by: int) -> Decision | None:
        version = await self._repo.version(version_id)
        course = await self._course_of(version) if version is not None else None
        if version is None or course is None or version.state not in PENDING:
            return None
        diff = diff_courses(self._catalogue.published.course(course.key), course)
        if not await self._repo.start_trial(version, cohort_id, by, self._clock.now(),
                                            diff.to_json()):
            return None
        await self._rebuild()
        logger.info("course %s version %d on trial in cohort %d", course.key, version.version,
                    cohort_id)
        return Decision(course.key, version.version, diff)

    async def discard(self, version_id: int, by: int) -> Decision | None:
        """Drop a pending version (kept in the database, discarded); None if not pending."""
        async with self._deciding:
            return await self._discard(version_id, by)

    async def _discard(self, version_id: int, by: int) -> Decision | None:
        version = await self._repo.version(version_id)
        if version is None or version.state not in PENDING:
            return None
        diff = CourseDiff.from_json(version.summary)
        if not await self._repo.discard(version, by, self._clock.now(), diff.to_json()):
            return None
        if version.state == "trial":
            await self._rebuild()
        return Decision(version.course_key, version.version, diff)

    async def restore(self, course_key: str, by: int, *,
                      live: int | None = None) -> Decision | None:
        """Make the version that was live before the current one live again; None if there
        is none (a course only ever had one version), or if ``live`` is given and is not the
        live version any more (a second press of the same restore button)."""
        async with self._deciding:
            return await self._restore(course_key, by, live)

    async def _restore(self, course_key: str, by: int, live: int | None) -> Decision | None:
        sequence = await self._repo.live_sequence(course_key)
        previous = self._previous(course_key, sequence)
        if previous is None or (live is not None and live != (sequence[0] if sequence else 0)):
            return None
        target = None if previous == 0 else await self._repo.numbered(course_key, previous)
        course = self._base.course(course_key) if target is None else await self._course_of(
            target)
        if course is None:
            return None
        diff = diff_courses(self._catalogue.published.course(course_key), course)
        await self._repo.restore(course_key, target, by, self._clock.now(), diff.to_json())
        await self._rebuild()
        logger.info("course %s restored to version %d", course_key, previous)
        return Decision(course_key, previous, diff)

    async def history(self, course_key: str, limit: int = 15) -> list[VersionEvent]:
        """The course's latest decisions, newest first."""
        return await self._repo.history(course_key, limit)

    async def courses(self) -> list[str]:
        """The keys of the courses that have uploaded versions."""
        return await self._repo.courses()

    def _previous(self, course_key: str, sequence: list[int]) -> int | None:
        """The version live before the current one (0: the shipped pack), from the record."""
        live = sequence[0] if sequence else 0
        earlier = next((v for v in sequence[1:] if v != live), None)
        if earlier is not None:
            return earlier
        return 0 if live != 0 and self._base.course(course_key) is not None else None

    async def _course_of(self, version: StoredVersion) -> Course | None:
        """The course a stored version holds (parsed once; None if it no longer loads)."""
        course = self._parsed.get(version.id)
        if course is None:
            problems, course = await asyncio.to_thread(
                check_pack, f"{version.course_key}.toml", version.content.encode("utf-8"))
            if course is None:
                logger.error("course %s version %d no longer loads: %s", version.course_key,
                             version.version, "; ".join(problems[:3]))
                return None
            self._parsed[version.id] = course
        return course

    async def _rebuild(self) -> None:
        """After a decision here: this worker's catalogue at once (the others on refresh)."""
        async with self._lock:
            self._versions = None
        await self.refresh()

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
