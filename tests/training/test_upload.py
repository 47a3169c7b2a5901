"""Course pack upload and versions: validated with the content checker, stored as a draft,
published, tried on one cohort, discarded, restored; every decision recorded.

Runs on both engines (``db``); a second ``CoursePacks`` over the same database plays another
worker (or the process after a restart).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.clock import FixedClock
from bot.content import Catalogue, load_catalogue
from bot.content.catalogue import CatalogueHolder
from bot.learning import progress as prog
from bot.storage import Database
from bot.storage.learning import LearningRepository
from bot.storage.packs import PackRepository
from bot.training.upload import CourseDiff, CoursePacks, check_pack, diff_courses
from tests.conftest import composed
from tests.training.conftest import add_user
from tests.training.pack_variants import (
    BERAKHLAK,
    lesson_keys,
    with_edited_lesson,
    without_lesson,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "docs" / "examples" / "contoh-kursus.toml").read_bytes()
TRAINER = 4242


def _packs(db: Database, clock: FixedClock, *, folder: Path | None = None) -> CoursePacks:
    return CoursePacks(PackRepository(db), CatalogueHolder(load_catalogue()), clock,
                       legacy_folder=folder)


async def _live(packs: CoursePacks, filename: str, content: bytes) -> None:
    """Upload a pack and publish its draft at once."""
    result = await packs.install(filename, content, TRAINER)
    assert result.accepted and result.version is not None, result.problems
    assert await packs.publish(result.version.id, TRAINER) is not None


async def test_an_upload_is_a_draft_until_published(db: Database) -> None:
    clock = FixedClock(datetime(2026, 12, 3, 2, tzinfo=UTC))
    shipped = load_catalogue()
    packs = _packs(db, clock)
    await packs.load_stored()
    result = await packs.install("whatever name (1).toml", EXAMPLE, TRAINER)
    assert result.accepted and result.version is not None
    assert (result.version.course_key, result.version.version, result.version.state) == (
        "contoh-kursus", 1, "draft")
    # Nothing live changed: not in the catalogue, not in the live packs.
    assert packs._catalogue.course("contoh-kursus") is None
    assert await db.fetch_value("SELECT COUNT(*) FROM course_packs") == 0
    screen = await packs.screen("contoh-kursus")
    assert screen is not None and screen.live is None and screen.pending is not None
    assert screen.pending.diff.new_course and screen.previous is None

    decision = await packs.publish(result.version.id, TRAINER)
    assert decision is not None and decision.version == 1
    assert packs._catalogue.course("contoh-kursus") is not None
    assert len(packs._catalogue) == len(shipped) + 1
    row = await db.fetch_one("SELECT course_key, content, uploaded_by FROM course_packs")
    assert row is not None
    assert (row["course_key"], row["content"].encode(), row["uploaded_by"]) == (
        "contoh-kursus", EXAMPLE, TRAINER)
    # A press on the same publish button again changes nothing.
    assert await packs.publish(result.version.id, TRAINER) is None
    # The next upload of the course is version 2, a draft again; the live one stays.
    again = await packs.install("contoh-kursus.toml", EXAMPLE, TRAINER)
    assert again.version is not None and again.version.version == 2
    assert await db.fetch_value("SELECT COUNT(*) FROM course_packs") == 1
    history = await packs.history("contoh-kursus")
    assert [(e.action, e.version, e.done_by) for e in history] == [("publish", 1, TRAINER)]


async def test_another_worker_takes_up_the_pack_on_its_next_refresh(db: Database) -> None:
    clock = FixedClock(datetime(2026, 12, 3, 2, tzinfo=UTC))
    here, there = _packs(db, clock), _packs(db, clock)
    await here.load_stored()
    await there.load_stored()
    assert not await there.refresh()           # nothing changed: no rebuild
    await _live(here, "contoh-kursus.toml", EXAMPLE)
    assert there._catalogue.course("contoh-kursus") is None
    assert await there.refresh()
    course = there._catalogue.course("contoh-kursus")
    assert course is not None
    # A second upload within the same second still changes the version the others compare.
    retitled = EXAMPLE.replace(b'id = "Melayani', b'id = "Edisi Baru Melayani', 1)
    assert retitled != EXAMPLE
    await _live(here, "contoh-kursus.toml", retitled)
    assert await there.refresh()
    updated = there._catalogue.course("contoh-kursus")
    assert updated is not None and updated.title.id.startswith("Edisi Baru")
    # A restore on one worker is live on the others at their next refresh too.
    assert await here.restore("contoh-kursus", TRAINER) is not None
    assert await there.refresh()
    restored = there._catalogue.course("contoh-kursus")
    assert restored is not None and not restored.title.id.startswith("Edisi Baru")
    # A draft changes nothing live: no rebuild anywhere.
    await here.install("contoh-kursus.toml", retitled, TRAINER)
    assert not await there.refresh()
    # A restart: the stored pack loads with the shipped ones.
    restarted = _packs(db, clock)
    await restarted.load_stored()
    assert restarted._catalogue.course("contoh-kursus") is not None


async def test_broken_pack_lists_line_numbered_problems_and_stores_nothing(
    db: Database,
) -> None:
    broken = EXAMPLE.replace(b"order = 900", b'order = "late"')
    packs = _packs(db, FixedClock(datetime(2026, 12, 3, 2, tzinfo=UTC)))
    result = await packs.install("contoh-kursus.toml", broken, TRAINER)
    assert not result.accepted and result.version is None
    assert result.problems and all(p.split(": ", 1)[0].isdigit() for p in result.problems)
    assert any(p.startswith("4: ") for p in result.problems), result.problems
    assert await db.fetch_value("SELECT COUNT(*) FROM course_packs") == 0
    assert await db.fetch_value("SELECT COUNT(*) FROM course_versions") == 0


def test_syntax_error_is_reported_with_its_line() -> None:
    problems, course = check_pack("x.toml", b'key = "a"\n[title\n')
    assert course is None
    assert problems[0].startswith("2: TOML syntax")


async def test_a_pack_that_stopped_loading_is_skipped_not_fatal(db: Database) -> None:
    clock = FixedClock(datetime(2026, 12, 3, 2, tzinfo=UTC))
    await PackRepository(db).save("contoh-kursus", 'key = "contoh-kursus"\n', TRAINER,
                                  clock.now())
    packs = _packs(db, clock)
    await packs.load_stored()
    assert packs._catalogue.course("contoh-kursus") is None
    assert len(packs._catalogue) == len(load_catalogue())


async def test_an_old_packs_folder_is_imported_once(db: Database, tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 12, 3, 2, tzinfo=UTC))
    folder = tmp_path / "packs"
    folder.mkdir()
    (folder / "contoh-kursus.toml").write_bytes(EXAMPLE)
    (folder / "tmpab12cd.part").write_bytes(EXAMPLE[:100])   # a write a kill cut short
    (folder / "rusak.toml").write_bytes(b"key = ")            # broken: not imported
    packs = _packs(db, clock, folder=folder)
    await packs.load_stored()
    assert packs._catalogue.course("contoh-kursus") is not None
    assert not (folder / "tmpab12cd.part").exists()
    assert [r["course_key"] for r in await db.fetch_all("SELECT course_key FROM course_packs")
            ] == ["contoh-kursus"]
    # A newer upload wins over the folder at the next start.
    retitled = EXAMPLE.replace(b'id = "Melayani', b'id = "Baru Melayani', 1)
    await _live(packs, "contoh-kursus.toml", retitled)
    again = _packs(db, clock, folder=folder)
    await again.load_stored()
    course = again._catalogue.course("contoh-kursus")
    assert course is not None and course.title.id.startswith("Baru")
    assert Catalogue.of(list(again._catalogue)).course("contoh-kursus") is not None



# ----------------------------------------------------------------------------- versions

BERAKHLAK_KEYS = lesson_keys(BERAKHLAK)
REMOVED = BERAKHLAK_KEYS[-1]                    # harmonis-dan-kolaboratif
EDITED = BERAKHLAK_KEYS[1]                      # akuntabel-dan-loyal
SHORTER = with_edited_lesson(without_lesson(BERAKHLAK, REMOVED), EDITED)


async def _progress(db: Database, clock: FixedClock, user_id: int, done: list[str],
                    seen: tuple[str, ...] = ()) -> None:
    """A learner who completed ``done`` and opened ``seen`` of the berakhlak course."""
    await add_user(db, user_id, f"Peserta {user_id}", clock)
    records = LearningRepository(db)
    for key in seen:
        await records.see_card(user_id, "berakhlak", key, 0, False, clock.now())
    for key in done:
        await records.see_card(user_id, "berakhlak", key, 1, True, clock.now())
        await records.complete_lesson(user_id, "berakhlak", key, 10, clock.now(),
                                      clock.now().date())


def test_the_diff_names_lessons_by_key() -> None:
    shipped = load_catalogue().course("berakhlak")
    problems, course = check_pack("berakhlak.toml", SHORTER)
    assert course is not None and shipped is not None, problems
    diff = diff_courses(shipped, course)
    assert (diff.added, diff.removed, diff.edited) == ((), (REMOVED,), (EDITED,))
    assert not diff.new_course and diff.changed
    assert CourseDiff.from_json(diff.to_json()) == diff
    # A question changed in a kept lesson counts; the lesson is edited too.
    reworded = BERAKHLAK.replace(b"Seorang warga datang ke loket", b"Seorang ibu datang ke loket")
    _problems, changed = check_pack("berakhlak.toml", reworded)
    assert changed is not None
    again = diff_courses(shipped, changed)
    assert (again.edited, again.questions) == ((BERAKHLAK_KEYS[0],), 1)
    assert not diff_courses(shipped, shipped).changed


async def test_draft_screen_counts_the_learners_it_touches(db: Database) -> None:
    clock = FixedClock(datetime(2026, 12, 3, 2, tzinfo=UTC))
    packs = composed(db, clock).training.uploads
    await packs.load_stored()
    await _progress(db, clock, 1, done=[BERAKHLAK_KEYS[0], REMOVED])   # part-way, loses one
    await _progress(db, clock, 2, done=[], seen=(BERAKHLAK_KEYS[0],))    # part-way
    await _progress(db, clock, 3, done=BERAKHLAK_KEYS)                  # finished, loses one
    result = await packs.install("berakhlak.toml", SHORTER, TRAINER)
    assert result.accepted
    screen = await packs.screen("berakhlak")
    assert screen is not None and screen.pending is not None
    assert screen.live_version == 0 and screen.previous is None   # the shipped pack is live
    assert screen.pending.diff.removed == (REMOVED,)
    affected = screen.pending.affected
    assert (affected.started, affected.part_way, affected.completed_removed) == (3, 2, 2)


async def test_publish_keeps_every_completed_lesson_that_remains(db: Database) -> None:
    clock = FixedClock(datetime(2026, 12, 3, 2, tzinfo=UTC))
    services = composed(db, clock)
    packs = services.training.uploads
    await packs.load_stored()
    await _progress(db, clock, 1, done=[BERAKHLAK_KEYS[0], REMOVED])
    result = await packs.install("berakhlak.toml", SHORTER, TRAINER)
    assert result.version is not None
    await packs.publish(result.version.id, TRAINER)
    course = services.catalogue.course("berakhlak")
    assert course is not None and [x.key for x in course.lessons] == BERAKHLAK_KEYS[:-1]
    rows = await LearningRepository(db).lessons(1, "berakhlak")
    state = prog.course_progress(course, {r.lesson_key: r for r in rows})
    assert (state.done, state.total) == (1, 3)     # A kept, the removed lesson not counted
    # ... but its row stays: restoring the shipped pack counts it again.
    assert {r.lesson_key for r in rows if r.completed} == {BERAKHLAK_KEYS[0], REMOVED}
    decision = await packs.restore("berakhlak", TRAINER)
    assert decision is not None and decision.version == 0
    shipped = services.catalogue.course("berakhlak")
    assert shipped is not None and len(shipped.lessons) == 4
    assert prog.course_progress(shipped, {r.lesson_key: r for r in rows}).done == 2
    assert await db.fetch_value("SELECT COUNT(*) FROM course_packs") == 0


async def test_a_trial_reaches_only_the_cohort_and_costs_nothing_without_one(
    db: Database,
) -> None:
    clock = FixedClock(datetime(2026, 12, 3, 2, tzinfo=UTC))
    services = composed(db, clock)
    packs, cohorts, holder = services.training.uploads, services.training.cohorts, \
        services.catalogue
    await packs.load_stored()
    await add_user(db, TRAINER, "Tari", clock)
    for user_id in (1, 2):
        await add_user(db, user_id, f"Peserta {user_id}", clock)
    trying = await cohorts.create("Petompon", by=TRAINER)
    others = await cohorts.create("Sampangan", by=TRAINER)
    assert (await cohorts.join(trying.invite_code, 1)).outcome == "joined"
    assert (await cohorts.join(others.invite_code, 2)).outcome == "joined"
    # No trial: the scope asks nothing of the database.
    before = db.round_trips
    await packs.scope_to(1)
    assert db.round_trips == before
    result = await packs.install("berakhlak.toml", SHORTER, TRAINER)
    assert result.version is not None
    assert await packs.try_on(result.version.id, trying.id, TRAINER) is not None

    async def lessons_seen_by(user_id: int) -> int:
        await packs.scope_to(user_id)
        course = holder.course("berakhlak")
        holder.use(None)
        assert course is not None
        return len(course.lessons)

    assert await lessons_seen_by(1) == 3          # the member: the draft
    assert await lessons_seen_by(2) == 4          # another cohort's member: the live one
    assert await lessons_seen_by(TRAINER) == 4    # in no cohort
    assert holder.published.course("berakhlak") is not None
    assert len(holder.published.course("berakhlak").lessons) == 4  # type: ignore[union-attr]
    # Another worker takes up the trial on its next refresh.
    there = CoursePacks(PackRepository(db), CatalogueHolder(load_catalogue()), clock)
    await there.load_stored()
    assert set(there._catalogue.trials) == {trying.id}
    # Publishing from the trial: everyone has it, the trial is over.
    assert await packs.publish(result.version.id, TRAINER) is not None
    assert holder.trials == {}
    assert await lessons_seen_by(2) == 3
    assert await there.refresh() and there._catalogue.trials == {}
    assert len(there._catalogue.course("berakhlak").lessons) == 3  # type: ignore[union-attr]
    actions = [(e.action, e.version, e.cohort_name) for e in await packs.history("berakhlak")]
    assert actions == [("publish", 1, None), ("trial", 1, "Petompon")]


async def test_discard_and_restore_are_one_step_and_recorded(db: Database) -> None:
    clock = FixedClock(datetime(2026, 12, 3, 2, tzinfo=UTC))
    packs = composed(db, clock).training.uploads
    await packs.load_stored()
    await add_user(db, TRAINER, "Tari", clock)
    await _live(packs, "contoh-kursus.toml", EXAMPLE)                         # v1
    assert await packs.restore("contoh-kursus", TRAINER) is None   # nothing before v1
    retitled = EXAMPLE.replace(b'id = "Melayani', b'id = "Edisi Baru Melayani', 1)
    await _live(packs, "contoh-kursus.toml", retitled)                        # v2
    dropped = await packs.install("contoh-kursus.toml", EXAMPLE, TRAINER)     # v3, a draft
    assert dropped.version is not None
    # A second draft replaces the first (v3 is discarded, recorded).
    replacing = await packs.install("contoh-kursus.toml", retitled, TRAINER)  # v4
    assert replacing.replaced is not None and replacing.replaced.version == 3
    assert await packs.discard(dropped.version.id, TRAINER) is None        # already gone
    assert replacing.version is not None
    assert await packs.discard(replacing.version.id, TRAINER) is not None
    screen = await packs.screen("contoh-kursus")
    assert screen is not None and screen.pending is None
    assert (screen.live_version, screen.previous) == (2, 1)

    def title() -> str:
        course = packs._catalogue.course("contoh-kursus")
        assert course is not None
        return course.title.id

    assert title().startswith("Edisi Baru")
    restored = await packs.restore("contoh-kursus", TRAINER, live=2)
    assert restored is not None and restored.version == 1
    assert not title().startswith("Edisi Baru")
    # The same restore button pressed again (it named v2 as live) changes nothing.
    assert await packs.restore("contoh-kursus", TRAINER, live=2) is None
    assert not title().startswith("Edisi Baru")
    # Restoring again undoes the restore: the version live before v1 came back was v2.
    screen = await packs.screen("contoh-kursus")
    assert screen is not None and (screen.live_version, screen.previous) == (1, 2)
    # Past versions stay in the database.
    assert await db.fetch_value("SELECT COUNT(*) FROM course_versions") == 4
    history = await packs.history("contoh-kursus")
    assert [(e.action, e.version) for e in history] == [
        ("restore", 1), ("discard", 4), ("discard", 3), ("publish", 2), ("publish", 1)]
    assert all(e.done_by == TRAINER and e.done_by_name == "Tari" for e in history)
    assert CourseDiff.from_json(history[0].summary).changed   # the title came back


async def test_a_trial_scope_belongs_to_the_task_that_set_it() -> None:
    _problems, shorter = check_pack("berakhlak.toml", SHORTER)
    assert shorter is not None
    holder = CatalogueHolder(load_catalogue(), {7: {"berakhlak": shorter}})

    async def lessons(cohorts: list[int]) -> int:
        holder.use(holder.for_cohorts(cohorts))
        await asyncio.sleep(0)             # the other update runs meanwhile
        course = holder.course("berakhlak")
        assert course is not None
        return len(course.lessons)

    assert await asyncio.gather(lessons([7]), lessons([8]), lessons([])) == [3, 4, 4]
    assert len(holder.published.course("berakhlak").lessons) == 4  # type: ignore[union-attr]
    assert holder.course("berakhlak") is holder.published.course("berakhlak")
