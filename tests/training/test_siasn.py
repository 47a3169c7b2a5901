"""The SIASN sheet and JP per person: scopes, years, revocation, on both engines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.storage import Database
from bot.storage.siasn import RecordRepository, Scope
from bot.training.service import TrainingServices
from bot.training.siasn import JpRow, SiasnRow, unit_code
from tests.training.siasn_world import (
    CITRA_NIP,
    FORMULA_NAME,
    OUTSIDER_NIP,
    SARI_NIP,
    World,
    seed,
)

ISSUER = "Kecamatan Gajahmungkur, Kota Semarang"  # settings.certificates.issuer's default
BENDAN = "Kelurahan Bendan Ngisor"


@pytest.fixture
async def world(db: Database, clock: FixedClock, training: TrainingServices) -> World:
    """The seeded learners (tests/training/siasn_world.py)."""
    return await seed(db, clock, training)


def formula_row() -> SiasnRow:
    return SiasnRow("", FORMULA_NAME, "Nilai dasar ASN BerAKHLAK", ISSUER, Decimal("0.89"),
                    date(2026, 1, 15), date(2026, 1, 15), 2026, "", "kursus", "course")


def outsider_row() -> SiasnRow:
    return SiasnRow(OUTSIDER_NIP, "Outsider", "Nilai dasar ASN BerAKHLAK", ISSUER,
                    Decimal("20.00"), date(2026, 2, 2), date(2026, 2, 2), 2026, "", "kursus",
                    "course")


def sari_rows() -> list[SiasnRow]:
    return [
        SiasnRow(SARI_NIP, "Sari", "Nilai dasar ASN BerAKHLAK", "BKPSDM Kota Semarang",
                 Decimal("0.89"), date(2026, 2, 1), date(2026, 2, 10), 2026, "SNU-AAAA-0001",
                 "kursus", "course"),
        SiasnRow(SARI_NIP, "Sari", "Pelayanan publik prima", ISSUER, Decimal("1.16"),
                 date(2026, 2, 20), date(2026, 3, 1), 2026, "", "kursus", "course"),
    ]


async def test_siasn_rows_of_everyone_this_year(training: TrainingServices,
                                                world: World) -> None:
    rows = await training.siasn.course_rows(Scope.everyone(), 2026)
    # By name (the formula name sorts first), then date; the revoked course and Citra's
    # failed attempt are not there; a learner without NIP has an empty one.
    assert rows == [formula_row(), outsider_row(), *sari_rows()]


async def test_siasn_rows_of_a_unit_a_cohort_and_last_year(training: TrainingServices,
                                                           world: World) -> None:
    siasn = training.siasn
    assert await siasn.course_rows(Scope.of_unit(BENDAN), 2026) == [outsider_row(),
                                                                    *sari_rows()]
    assert await siasn.course_rows(Scope.of_unit("+Karangrejo"), 2026) == [formula_row()]
    assert await siasn.course_rows(Scope.of_unit("Kelurahan Lain"), 2026) == []
    assert await siasn.course_rows(Scope.of_cohort(world.cohort_id), 2026) == [
        formula_row(), *sari_rows()]
    assert await siasn.course_rows(Scope.of_cohort(world.cohort_id + 99), 2026) == []
    last_year = await siasn.course_rows(Scope.everyone(), 2025)
    assert [(r.nama, r.nama_kursus, r.tanggal_selesai, r.tahun) for r in last_year] == [
        ("Sari", "Komunikasi efektif", date(2025, 12, 20), 2025)]
    assert await siasn.course_rows(Scope.everyone(), 2024) == []


def jp(nip: str, name: str, unit: str, jabatan: str, institution: str, value: str,
       year: int = 2026) -> JpRow:
    return JpRow(nip, name, unit, jabatan, institution, year, Decimal(value), 20)


async def test_jp_per_person_puts_those_below_the_target_first(
        training: TrainingServices, world: World) -> None:
    rows = await training.siasn.jp_rows(Scope.everyone(), 2026)
    assert rows == [
        jp("", FORMULA_NAME, "+Karangrejo", "", "", "0.89"),
        jp(CITRA_NIP, "Citra", "", "-Staf", "", "0.00"),
        jp(SARI_NIP, "Sari", BENDAN, "Lurah", "Kecamatan Gajahmungkur", "2.04"),
        jp(OUTSIDER_NIP, "Outsider", BENDAN, "", "", "20.00"),
    ]  # "@x" never onboarded and has no record: not a learner yet
    assert [(r.short, r.met) for r in rows] == [
        (Decimal("19.11"), False), (Decimal("20.00"), False), (Decimal("17.96"), False),
        (Decimal("0.00"), True)]


async def test_jp_per_person_of_a_unit_a_cohort_and_last_year(
        training: TrainingServices, world: World) -> None:
    siasn = training.siasn
    unit = await siasn.jp_rows(Scope.of_unit(BENDAN), 2026)
    assert [(r.nama, r.jp) for r in unit] == [("Sari", Decimal("2.04")),
                                             ("Outsider", Decimal("20.00"))]
    cohort = await siasn.jp_rows(Scope.of_cohort(world.cohort_id), 2026)
    assert [(r.nama, r.jp) for r in cohort] == [
        (FORMULA_NAME, Decimal("0.89")), ("Citra", Decimal("0.00")), ("Sari", Decimal("2.04"))]
    last_year = await siasn.jp_rows(Scope.everyone(), 2025)
    assert [(r.nama, r.jp, r.tahun) for r in last_year] == [
        (FORMULA_NAME, Decimal("0.00"), 2025), ("Citra", Decimal("0.00"), 2025),
        ("Outsider", Decimal("0.00"), 2025), ("Sari", Decimal("1.16"), 2025)]


async def test_units_and_their_codes(training: TrainingServices, world: World) -> None:
    siasn = training.siasn
    assert await siasn.units() == ["+Karangrejo", BENDAN]
    code = unit_code(BENDAN)
    assert len(code) == 10 and code.isalnum()
    assert await siasn.unit_named(code) == BENDAN
    assert await siasn.unit_named("0000000000") is None


async def test_this_year_and_the_previous_one_are_offered(training: TrainingServices) -> None:
    assert training.siasn.years() == (2026, 2025)  # the test clock stands in March 2026


# SQLite's plan is the one asserted (PostgreSQL's depends on table statistics), so this test
# runs on SQLite only rather than being skipped on PostgreSQL.
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_record_query_is_served_by_indexes(db: Database, world: World) -> None:
    """The year's course rows come through the passed_on index, certificates by their key."""
    assert db.dialect.name == "sqlite"
    repo = RecordRepository(db)
    captured: list[tuple[str, Any]] = []
    fetch = db.fetch_all

    async def recording(sql: str, params: Any = ()) -> Any:
        captured.append((sql, params))
        return await fetch(sql, params)

    db.fetch_all = recording  # type: ignore[method-assign]
    try:
        await repo.records(Scope.everyone(), date(2026, 1, 1), date(2026, 12, 31))
        await repo.totals(Scope.of_cohort(world.cohort_id), date(2026, 1, 1),
                          date(2026, 12, 31))
    finally:
        del db.fetch_all
    for sql, params in captured:
        plan = await db.query_plan(sql, params)
        assert "course_results_passed" in plan, plan
        assert "SCAN c" not in plan and "SCAN certificates" not in plan, plan
