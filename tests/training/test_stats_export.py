"""Cohort statistics, the HR export (XLSX/CSV) and the charts, over real learner tables."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest

from bot.clock import FixedClock
from bot.content import Catalogue, load_catalogue
from bot.storage import Database
from bot.storage.certificates import CertificateRecord, CertificateRepository
from bot.storage.learning import LearningRepository
from bot.training import charts, export
from bot.training.service import TrainingServices
from tests.training.conftest import ADMIN_ID, add_user


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    """The shipped course packs."""
    return load_catalogue()


async def complete(db: Database, clock: FixedClock, user_id: int, course: str, lesson: str,
                   minutes: int, day: date, answers: list[bool]) -> None:
    """Complete a lesson as the learning service does, with scored quiz answers."""
    repo = LearningRepository(db)
    await repo.see_card(user_id, course, lesson, 0, True, clock.now())
    for index, right in enumerate(answers):
        await repo.record_answer(user_id, course, lesson, f"q{index + 1}", chosen=0,
                                 correct=right, source="lesson", now=clock.now())
    assert await repo.complete_lesson(user_id, course, lesson, minutes, clock.now(), day)


@pytest.fixture
async def cohort_with_activity(
    training: TrainingServices, db: Database, clock: FixedClock, catalogue: Catalogue
) -> int:
    """Three members: Sari finished BerAKHLAK long ago (24 JP), Budi one lesson, Citra idle."""
    cohort = await training.cohorts.create("Bendan Ngisor 2026", by=ADMIN_ID)
    await add_user(db, 1, "Sari", clock, unit="Kelurahan Bendan Ngisor")
    await add_user(db, 2, "=HYPERLINK(\"x\")", clock, unit="+Karangrejo")
    await add_user(db, 3, "Citra", clock)
    await add_user(db, 4, "Outsider", clock)
    for user_id in (1, 2, 3):
        assert (await training.cohorts.join(cohort.invite_code, user_id)).outcome == "joined"
    today = date(2026, 3, 2)
    berakhlak = catalogue.course("berakhlak")
    assert berakhlak is not None
    # Sari: every BerAKHLAK lesson, 270 minutes each (a big credit, to cross 20 JP), q1 wrong.
    for offset, lesson in enumerate(berakhlak.lessons):
        await complete(db, clock, 1, "berakhlak", lesson.key, 270,
                       today - timedelta(days=20 + offset), [False, True, True])
    # Budi: one lesson today, all q1 wrong too.
    await complete(db, clock, 2, "berakhlak", berakhlak.lessons[0].key, 10, today,
                   [False, False, True])
    # The outsider's activity must not count.
    await complete(db, clock, 4, "berakhlak", berakhlak.lessons[0].key, 10, today,
                   [True, True, True])
    await CertificateRepository(db).issue(CertificateRecord(
        code="SNU-7K3Q-9XPD", user_id=1, course_key="berakhlak", course_title="BerAKHLAK",
        name="Sari", unit="Kelurahan Bendan Ngisor", minutes=1080, completed_on=today,
        language="id", issued_at=clock.now()))
    return cohort.id


async def test_cohort_stats(training: TrainingServices, cohort_with_activity: int) -> None:
    stats = await training.stats.cohort_stats(cohort_with_activity)
    assert stats.members == 3
    assert stats.active_7d == 1  # Budi today; Sari's lessons were 20+ days ago
    by_key = {c.course.key: c for c in stats.courses}
    assert len(by_key) == 9  # no courses assigned: every course counts
    assert by_key["berakhlak"].completed == 1
    assert by_key["berakhlak"].percent == pytest.approx(100 / 3)
    assert by_key["pelayanan-publik"].completed == 0
    # Sari 4 lessons x 3 answers (8 right), Budi 3 answers (1 right): 9 of 15.
    assert stats.answers == 15
    assert stats.accuracy == pytest.approx(60.0)
    assert stats.year == 2026
    assert stats.jp_total == Decimal("24.0") + Decimal("0.2")
    assert stats.reached_target == 1
    hardest = stats.hardest[0]
    assert hardest.question.key == "q1" and hardest.right == 0 and hardest.answers == 2
    assert len(stats.hardest) == 5


async def test_assigned_courses_limit_the_completion_table(
    training: TrainingServices, cohort_with_activity: int
) -> None:
    await training.cohorts.toggle_course(cohort_with_activity, "pelayanan-publik")
    stats = await training.stats.cohort_stats(cohort_with_activity)
    assert [c.course.key for c in stats.courses] == ["pelayanan-publik"]


async def test_weekly_activity(training: TrainingServices, cohort_with_activity: int) -> None:
    weekly = await training.stats.weekly(cohort_with_activity)
    assert weekly.mondays[-1] == date(2026, 3, 2)
    assert weekly.active[-1] == 1            # Budi, this week
    assert sum(weekly.active) == 3           # and Sari, in the weeks of 2 and 9 February
    assert weekly.active[-4] == weekly.active[-5] == 1


async def test_export_rows_and_xlsx(training: TrainingServices,
                                    cohort_with_activity: int) -> None:
    rows = await training.stats.progress_rows(cohort_with_activity)
    assert [r.name for r in rows] == ["=HYPERLINK(\"x\")", "Citra", "Sari"]
    budi, citra, sari = rows
    assert (sari.courses_completed, sari.lessons_completed, sari.jp_this_year) == (1, 4, 24.0)
    assert sari.certificates == "SNU-7K3Q-9XPD"
    assert sari.last_active == date(2026, 2, 10)
    assert citra.accuracy is None and citra.last_active is None
    assert budi.accuracy == pytest.approx(33.3)

    data = export.to_xlsx(rows, title="Bendan Ngisor 2026")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == ["Nama", "Unit kerja", "Kursus selesai", "Pelajaran selesai",
                               "JP tahun ini", "Akurasi kuis (%)", "Terakhir aktif",
                               "Sertifikat"]
    assert values[1][0] == "'=HYPERLINK(\"x\")" and values[1][1] == "'+Karangrejo"
    assert sheet.cell(2, 1).data_type == "s"  # a string, not a formula
    sari_row = values[3]
    assert sari_row[:6] == ("Sari", "Kelurahan Bendan Ngisor", 1, 4, 24.0, pytest.approx(66.7))
    assert all(isinstance(v, int | float) for v in sari_row[2:6])  # numbers, not text
    assert isinstance(sari_row[6], datetime) and sari_row[6].date() == date(2026, 2, 10)
    assert values[2][5] is None and values[2][6] is None


async def test_export_csv(training: TrainingServices, cohort_with_activity: int) -> None:
    rows = await training.stats.progress_rows(cohort_with_activity)
    data = export.to_csv(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][0] == "Nama" and len(table) == 4
    assert table[1][:2] == ["'=HYPERLINK(\"x\")", "'+Karangrejo"]
    assert table[3] == ["Sari", "Kelurahan Bendan Ngisor", "1", "4", "24.0", "66.7",
                        "2026-02-10", "SNU-7K3Q-9XPD"]


@pytest.mark.parametrize("value", ["=1+1", "+62", "-5", "@SUM(A1)", "\tx"])
def test_neutralise_formula_starts(value: str) -> None:
    assert export.neutralise(value) == "'" + value


def test_neutralise_keeps_plain_text() -> None:
    assert export.neutralise("Sari 2=2") == "Sari 2=2"


def test_charts_are_png() -> None:
    png = charts.completion_chart(["BerAKHLAK", "Pelayanan"], [33.3, 0], title="t", axis="%")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    png = charts.weekly_chart(["2/3", "9/3"], [1, 2], title="t", axis="n")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
