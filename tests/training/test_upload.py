"""Course pack upload: validated with the content checker, stored in the database, merged.

Runs on both engines (``db``); a second ``CoursePacks`` over the same database plays another
worker (or the process after a restart).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.clock import FixedClock
from bot.content import Catalogue, load_catalogue
from bot.content.catalogue import CatalogueHolder
from bot.storage import Database
from bot.storage.packs import PackRepository
from bot.training.upload import CoursePacks, check_pack

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "docs" / "examples" / "contoh-kursus.toml").read_bytes()
TRAINER = 4242


def _packs(db: Database, clock: FixedClock, *, folder: Path | None = None) -> CoursePacks:
    return CoursePacks(PackRepository(db), CatalogueHolder(load_catalogue()), clock,
                       legacy_folder=folder)


async def test_valid_pack_is_stored_under_its_key_and_live(db: Database) -> None:
    clock = FixedClock(datetime(2026, 12, 3, 2, tzinfo=UTC))
    shipped = load_catalogue()
    packs = _packs(db, clock)
    await packs.load_stored()
    result = await packs.install("whatever name (1).toml", EXAMPLE, TRAINER)
    assert result.accepted and result.is_new
    assert result.catalogue is not None
    assert result.catalogue.course("contoh-kursus") is not None
    assert len(result.catalogue) == len(shipped) + 1
    row = await db.fetch_one("SELECT course_key, content, uploaded_by FROM course_packs")
    assert row is not None
    assert (row["course_key"], row["content"].encode(), row["uploaded_by"]) == (
        "contoh-kursus", EXAMPLE, TRAINER)
    # An update of the same course replaces its row; it is not new.
    again = await packs.install("contoh-kursus.toml", EXAMPLE, TRAINER)
    assert again.accepted and not again.is_new
    assert await db.fetch_value("SELECT COUNT(*) FROM course_packs") == 1


async def test_another_worker_takes_up_the_pack_on_its_next_refresh(db: Database) -> None:
    clock = FixedClock(datetime(2026, 12, 3, 2, tzinfo=UTC))
    here, there = _packs(db, clock), _packs(db, clock)
    await here.load_stored()
    await there.load_stored()
    assert not await there.refresh()           # nothing changed: no rebuild
    await here.install("contoh-kursus.toml", EXAMPLE, TRAINER)
    assert there._catalogue.course("contoh-kursus") is None
    assert await there.refresh()
    course = there._catalogue.course("contoh-kursus")
    assert course is not None
    # A second upload within the same second still changes the version the others compare.
    retitled = EXAMPLE.replace(b'id = "Melayani', b'id = "Edisi Baru Melayani', 1)
    assert retitled != EXAMPLE
    await here.install("contoh-kursus.toml", retitled, TRAINER)
    assert await there.refresh()
    updated = there._catalogue.course("contoh-kursus")
    assert updated is not None and updated.title.id.startswith("Edisi Baru")
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
    assert not result.accepted and result.catalogue is None
    assert result.problems and all(p.split(": ", 1)[0].isdigit() for p in result.problems)
    assert any(p.startswith("4: ") for p in result.problems), result.problems
    assert await db.fetch_value("SELECT COUNT(*) FROM course_packs") == 0


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
    await packs.install("contoh-kursus.toml", retitled, TRAINER)
    again = _packs(db, clock, folder=folder)
    await again.load_stored()
    course = again._catalogue.course("contoh-kursus")
    assert course is not None and course.title.id.startswith("Baru")
    assert Catalogue.of(list(again._catalogue)).course("contoh-kursus") is not None
