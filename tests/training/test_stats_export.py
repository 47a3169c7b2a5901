"""Cohort statistics, the HR export (XLSX/CSV) and the charts, over real learner tables."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest

from bot.clock import FixedClock
from bot.config import Settings
from bot.content import Catalogue, load_catalogue
from bot.storage import Database
from bot.storage.certificates import CertificateRecord, CertificateRepository
from bot.storage.evaluations import EvaluationRepository
from bot.storage.learning import LearningRepository
from bot.storage.siasn import Scope
from bot.storage.users import UserRepository
from bot.training import charts, export
from bot.training.service import TrainingServices
from tests.conftest import composed
from tests.fakes import ScriptedSender
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


async def pass_course(db: Database, clock: FixedClock, user_id: int, course: str,
                      minutes: int, day: date) -> None:
    """Record a passed final evaluation, as the learning service does (the JP ledger)."""
    await EvaluationRepository(db).record_result(
        user_id, course, score=90, passed=True, now=clock.now(), today=day, started_on=day,
        minutes=minutes)


@pytest.fixture
async def cohort_with_activity(
    training: TrainingServices, db: Database, clock: FixedClock, catalogue: Catalogue
) -> int:
    """Three members: Sari passed BerAKHLAK long ago (24 JP), Budi did one lesson, Citra
    nothing; an outsider's activity must not count."""
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
    # Sari's JP come from the ledger: the course passed (its lessons' minutes then).
    await pass_course(db, clock, 1, "berakhlak", 1080, today - timedelta(days=20))
    await pass_course(db, clock, 4, "berakhlak", 40, today)
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
    berakhlak = by_key["berakhlak"]
    # By lesson: Sari's 4 and Budi's 1 of 3 members x 4 lessons; one passed the evaluation.
    assert (berakhlak.lessons_done, berakhlak.lessons_possible, berakhlak.passed) == (5, 12, 1)
    assert berakhlak.percent == pytest.approx(500 / 12)
    assert by_key["pelayanan-publik"].lessons_done == 0
    assert stats.lessons_done == 5
    assert stats.behind == [] and not stats.deadlines
    # Sari 4 lessons x 3 answers (8 right), Budi 3 answers (1 right): 9 of 15.
    assert stats.answers == 15
    assert stats.accuracy == pytest.approx(60.0)
    assert stats.year == 2026
    # JP from the ledger only: Sari's pass; Budi's lesson minutes count for nothing.
    assert stats.jp_total == Decimal("24.0")
    assert stats.reached_target == 1
    # No question has the five first answers it takes to be called hard.
    assert stats.hardest == []


async def test_assigned_courses_limit_the_completion_table(
    training: TrainingServices, cohort_with_activity: int
) -> None:
    await training.cohorts.toggle_course(cohort_with_activity, "pelayanan-publik")
    await training.cohorts.toggle_course(cohort_with_activity, "berakhlak")
    stats = await training.stats.cohort_stats(cohort_with_activity)
    assert [c.course.key for c in stats.courses] == ["pelayanan-publik", "berakhlak"]
    # The path's lessons: pelayanan-publik's and BerAKHLAK's 4, for 3 members.
    assert stats.lessons_possible == 3 * (len(stats.courses[0].course.lessons) + 4)
    assert stats.lessons_done == 5


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
    assert (sari.courses_completed, sari.lessons_completed, sari.jp) == (1, 4, 24.0)
    assert (budi.courses_completed, budi.lessons_completed, budi.jp) == (0, 1, 0.0)
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


@pytest.fixture
async def paced_cohort(training: TrainingServices, db: Database, clock: FixedClock,
                       catalogue: Catalogue) -> int:
    """BerAKHLAK (4 lessons) due in ten days; six members joined today (2 March 2026).

    Ani passed it, Budi did 2 lessons, Citra 1, Dewi none, Eko none but blocked the bot, and
    Fajar none (he joins the course late, see the tests).
    """
    cohort = await training.cohorts.create("Pace", by=ADMIN_ID)
    names = {11: "Ani", 12: "Budi", 13: "Citra", 14: "Dewi", 15: "Eko", 16: "Fajar"}
    for user_id, name in names.items():
        await add_user(db, user_id, name, clock)
        await training.cohorts.join(cohort.invite_code, user_id)
    await training.cohorts.set_deadline(cohort.id, "berakhlak", date(2026, 3, 12))
    lessons = [lesson.key for lesson in catalogue.courses[0].lessons]
    assert catalogue.courses[0].key == "berakhlak" and len(lessons) == 4
    today = date(2026, 3, 2)
    for lesson in lessons:
        await complete(db, clock, 11, "berakhlak", lesson, 10, today, [True])
    await pass_course(db, clock, 11, "berakhlak", 40, today)
    for lesson in lessons[:2]:
        await complete(db, clock, 12, "berakhlak", lesson, 10, today, [True])
    await complete(db, clock, 13, "berakhlak", lessons[0], 10, today, [True])
    await UserRepository(db).set_active(15, False)
    return cohort.id


async def test_nobody_is_behind_on_the_first_day(training: TrainingServices,
                                                 paced_cohort: int) -> None:
    assert await training.stats.behind(paced_cohort, "berakhlak") == []


async def test_behind_follows_the_share_of_time(training: TrainingServices, paced_cohort: int,
                                                clock: FixedClock) -> None:
    clock.advance(timedelta(days=5))   # 7 March: half the time, 2 lessons expected
    assert await training.stats.behind(paced_cohort, "berakhlak") == [14, 16]
    clock.advance(timedelta(days=2))   # 9 March: 2.8 lessons expected
    assert await training.stats.behind(paced_cohort, "berakhlak") == [13, 14, 16]
    clock.advance(timedelta(days=1))   # 10 March: 3.2 expected, Budi's 2 + 1 fall short
    assert await training.stats.behind(paced_cohort, "berakhlak") == [12, 13, 14, 16]
    clock.advance(timedelta(days=3))   # 13 March: past the deadline, only Ani passed
    assert await training.stats.behind(paced_cohort, "berakhlak") == [12, 13, 14, 16]


async def test_behind_needs_a_deadline_and_an_assigned_course(
    training: TrainingServices, paced_cohort: int, clock: FixedClock
) -> None:
    clock.advance(timedelta(days=30))
    assert await training.stats.behind(paced_cohort, "pelayanan-publik") == []  # not assigned
    await training.cohorts.set_deadline(paced_cohort, "berakhlak", None)
    assert await training.stats.behind(paced_cohort, "berakhlak") == []
    assert await training.stats.behind(paced_cohort, "no-such-course") == []


async def test_a_late_joiner_starts_when_they_join(
    training: TrainingServices, db: Database, clock: FixedClock, paced_cohort: int
) -> None:
    clock.advance(timedelta(days=7))   # 9 March
    cohort = await training.cohorts.get(paced_cohort)
    assert cohort is not None
    await add_user(db, 17, "Gita", clock)
    await training.cohorts.join(cohort.invite_code, 17)
    assert 17 not in await training.stats.behind(paced_cohort, "berakhlak")
    clock.advance(timedelta(days=2))   # 11 March: two thirds of her three days
    assert 17 in await training.stats.behind(paced_cohort, "berakhlak")


async def test_stats_list_the_stragglers_by_name(training: TrainingServices, paced_cohort: int,
                                                 clock: FixedClock) -> None:
    clock.advance(timedelta(days=11))  # 13 March: the deadline has passed
    stats = await training.stats.cohort_stats(paced_cohort)
    assert stats.deadlines
    assert [(s.name, s.lessons_done, s.overdue) for s in stats.behind] == [
        ("Budi", 2, True), ("Citra", 1, True), ("Dewi", 0, True), ("Fajar", 0, True)]
    assert stats.courses[0].deadline == date(2026, 3, 12)
    assert (stats.courses[0].lessons_done, stats.courses[0].passed) == (7, 1)
    assert stats.behind == await training.stats.stragglers(paced_cohort)


async def answer(db: Database, clock: FixedClock, user_id: int, course: str, lesson: str,
                 question: str, right: bool) -> None:
    """One lesson-quiz answer (the first one for the question is the scored one)."""
    await LearningRepository(db).record_answer(user_id, course, lesson, question, chosen=0,
                                               correct=right, source="lesson", now=clock.now())


async def test_hardest_questions_by_first_answer_with_enough_answers(
    training: TrainingServices, db: Database, clock: FixedClock, catalogue: Catalogue
) -> None:
    cohort = await training.cohorts.create("Soal", by=ADMIN_ID)
    for user_id in range(21, 27):
        await add_user(db, user_id, f"Peserta {user_id}", clock)
        await training.cohorts.join(cohort.invite_code, user_id)
    berakhlak = catalogue.course("berakhlak")
    assert berakhlak is not None
    first, second, third = berakhlak.lessons[:3]
    # Six first answers each; k of them right (member n answers right when n < k).
    rights = {(first.key, "q1"): 0, (first.key, "q2"): 6, (first.key, "q3"): 6,
              (second.key, "q1"): 1, (second.key, "q2"): 2, (second.key, "q3"): 3,
              (third.key, "q1"): 4, (third.key, "q2"): 5, (third.key, "q3"): 6}
    for n, user_id in enumerate(range(21, 27)):
        for (lesson, question), k in rights.items():
            await answer(db, clock, user_id, "berakhlak", lesson, question, n < k)
        # A second try is practice: it does not make the question easier.
        await answer(db, clock, user_id, "berakhlak", first.key, "q1", True)
    # Four first answers, all wrong: too few to judge.
    pelayanan = catalogue.course("pelayanan-publik")
    assert pelayanan is not None
    for user_id in range(21, 25):
        await answer(db, clock, user_id, "pelayanan-publik", pelayanan.lessons[0].key, "q1",
                     False)

    stats = await training.stats.cohort_stats(cohort.id)
    assert [(h.question.key, h.right, h.answers) for h in stats.hardest] == [
        ("q1", 0, 6), ("q1", 1, 6), ("q2", 2, 6), ("q3", 3, 6), ("q1", 4, 6)]
    assert all(h.percent < 100 for h in stats.hardest)
    assert stats.min_answers == 5
    # Only the path's courses: with pelayanan-publik alone, none of it qualifies.
    await training.cohorts.toggle_course(cohort.id, "pelayanan-publik")
    assert (await training.stats.cohort_stats(cohort.id)).hardest == []


async def test_progress_sheet_for_all_learners_a_unit_and_a_cohort(
    training: TrainingServices, db: Database, clock: FixedClock, cohort_with_activity: int
) -> None:
    year = 2026
    everyone = await training.stats.progress_sheet(Scope.everyone(), year)
    assert [r.name for r in everyone] == ["=HYPERLINK(\"x\")", "Citra", "Outsider", "Sari"]
    outsider = everyone[2]
    assert (outsider.courses_completed, outsider.lessons_completed, outsider.jp) == (1, 1, 0.9)
    unit = await training.stats.progress_sheet(Scope.of_unit("Kelurahan Bendan Ngisor"), year)
    assert [(r.name, r.jp) for r in unit] == [("Sari", 24.0)]
    cohort = await training.stats.progress_sheet(Scope.of_cohort(cohort_with_activity), year)
    assert [r.name for r in cohort] == ["=HYPERLINK(\"x\")", "Citra", "Sari"]
    # JP are the year's: nothing of 2026 counts in 2025.
    assert all(r.jp == 0 for r in await training.stats.progress_sheet(Scope.everyone(), 2025))


async def test_a_revoked_certificate_takes_its_jp_and_code_away(
    training: TrainingServices, db: Database, clock: FixedClock, cohort_with_activity: int
) -> None:
    await CertificateRepository(db).revoke("SNU-7K3Q-9XPD", by=ADMIN_ID, reason="salah",
                                           now=clock.now())
    rows = await training.stats.progress_rows(cohort_with_activity)
    sari = rows[-1]
    assert (sari.name, sari.jp, sari.certificates) == ("Sari", 0.0, "")
    stats = await training.stats.cohort_stats(cohort_with_activity)
    assert stats.jp_total == 0 and stats.reached_target == 0


TRAINER_A, TRAINER_B = 950, 951


@pytest.fixture
async def limited(db: Database, clock: FixedClock, sender: ScriptedSender
                  ) -> tuple[TrainingServices, int, int]:
    """Trainers limited to their own cohorts: A runs "Kelurahan A" (Ani, unit A), B runs
    "Kelurahan B" (Bayu, unit B); Umum has no cohort."""
    settings = Settings(access={"admin_ids": [ADMIN_ID], "trainers_own_cohorts": True})
    training = composed(db, clock, settings, sender=sender).training
    for user_id, name, unit in ((TRAINER_A, "Tari", None), (TRAINER_B, "Tono", None),
                                (31, "Ani", "Unit A"), (32, "Bayu", "Unit B"),
                                (33, "Umum", "Unit A")):
        await add_user(db, user_id, name, clock, unit=unit)
    for trainer in (TRAINER_A, TRAINER_B):
        await training.roles.grant_trainer(trainer, by=ADMIN_ID, known=True)
    a = await training.cohorts.create("Kelurahan A", by=TRAINER_A)
    b = await training.cohorts.create("Kelurahan B", by=TRAINER_B)
    await training.cohorts.join(a.invite_code, 31)
    await training.cohorts.join(b.invite_code, 32)
    for user_id in (31, 32, 33):
        await pass_course(db, clock, user_id, "berakhlak", 90, date(2026, 3, 2))
    return training, a.id, b.id


async def test_a_limited_trainer_reads_only_members_of_their_cohorts(
    limited: tuple[TrainingServices, int, int]
) -> None:
    training, cohort_a, cohort_b = limited
    stats, siasn = training.stats, training.siasn
    everyone = await stats.reach(TRAINER_A, Scope.everyone())
    assert everyone is not None
    assert [r.name for r in await stats.progress_sheet(everyone, 2026)] == ["Ani"]
    assert [r.nama for r in await siasn.jp_rows(everyone, 2026)] == ["Ani"]
    assert [r.nama for r in await siasn.course_rows(everyone, 2026)] == ["Ani"]
    # Units: only the ones their members gave; Unit A covers Ani, not Umum.
    assert await siasn.units(everyone) == ["Unit A"]
    unit = await stats.reach(TRAINER_A, Scope.of_unit("Unit A"))
    assert unit is not None
    assert [r.name for r in await stats.progress_sheet(unit, 2026)] == ["Ani"]
    # Another trainer's cohort is out of reach; their own is whole.
    assert await stats.reach(TRAINER_A, Scope.of_cohort(cohort_b)) is None
    assert await stats.reach(TRAINER_A, Scope.of_cohort(cohort_a)) == Scope.of_cohort(cohort_a)
    # The admin reads everyone.
    admin = await stats.reach(ADMIN_ID, Scope.everyone())
    assert admin == Scope.everyone()
    assert [r.name for r in await stats.progress_sheet(admin, 2026)] == [
        "Ani", "Bayu", "Tari", "Tono", "Umum"]
    assert await siasn.units(admin) == ["Unit A", "Unit B"]


async def test_a_trainer_without_a_cohort_reads_nobody_when_limited(
    limited: tuple[TrainingServices, int, int], db: Database, clock: FixedClock
) -> None:
    training, _, _ = limited
    await add_user(db, 952, "Baru", clock)
    await training.roles.grant_trainer(952, by=ADMIN_ID, known=True)
    everyone = await training.stats.reach(952, Scope.everyone())
    assert everyone is not None
    assert await training.stats.progress_sheet(everyone, 2026) == []
    assert await training.siasn.jp_rows(everyone, 2026) == []
