"""A small world of learners with completed courses, for the SIASN and JP sheets' tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.clock import FixedClock
from bot.storage import Database
from bot.storage.certificates import CertificateRecord, CertificateRepository
from bot.storage.evaluations import EvaluationRepository
from bot.storage.users import UserRepository
from bot.training.service import TrainingServices
from tests.training.conftest import ADMIN_ID, add_user

SARI_NIP = "199001012015031001"
CITRA_NIP = "200002292022032002"
OUTSIDER_NIP = "198512312010011003"
FORMULA_NAME = '=HYPERLINK("http://x","klik")'


@dataclass(frozen=True)
class World:
    """What the seeded world holds."""

    cohort_id: int


async def passed(db: Database, user_id: int, course: str, day: date, minutes: int, *,
                 clock: FixedClock, started: date | None = None) -> None:
    """A course passed on ``day`` (its final evaluation), crediting ``minutes``."""
    await EvaluationRepository(db).record_result(
        user_id, course, score=90, passed=True, now=clock.now(), today=day,
        started_on=started, minutes=minutes)


async def certificate(db: Database, user_id: int, course: str, code: str, day: date,
                      clock: FixedClock, *, issuer: str = "") -> None:
    """The course's certificate."""
    await CertificateRepository(db).issue(CertificateRecord(
        code=code, user_id=user_id, course_key=course, course_title=f"Judul {course}",
        name="x", unit="", minutes=60, completed_on=day, language="id",
        issued_at=clock.now(), issuer=issuer))


async def seed(db: Database, clock: FixedClock, training: TrainingServices) -> World:
    """Five people; a cohort of three (Sari, the formula name, Citra).

    - Sari (NIP, unit Bendan Ngisor): BerAKHLAK 2026 with a certificate, Pelayanan publik 2026
      without one, Komunikasi efektif in 2025.
    - "=HYPERLINK(...)" (no NIP, unit "+Karangrejo"): BerAKHLAK 2026 without a start date;
      Manajemen proyek 2026 whose certificate was revoked.
    - Citra (NIP): failed BerAKHLAK, nothing completed.
    - Outsider (NIP, unit Bendan Ngisor, not in the cohort): 900 minutes in 2026 (20 JP).
    - "@x" (not onboarded, nothing completed): not a learner of "all".
    """
    users = UserRepository(db)
    await add_user(db, 1, "Sari", clock, unit="Kelurahan Bendan Ngisor")
    await users.update_profile(1, nip=SARI_NIP, jabatan="Lurah",
                               institution="Kecamatan Gajahmungkur")
    await add_user(db, 2, FORMULA_NAME, clock, unit="+Karangrejo")
    await add_user(db, 3, "Citra", clock)
    await users.update_profile(3, nip=CITRA_NIP, jabatan="-Staf")
    await add_user(db, 4, "Outsider", clock, unit="Kelurahan Bendan Ngisor")
    await users.update_profile(4, nip=OUTSIDER_NIP)
    await add_user(db, 5, "@x", clock, onboarded=False)
    cohort = await training.cohorts.create("Bendan Ngisor 2026", by=ADMIN_ID)
    for user_id in (1, 2, 3):
        assert (await training.cohorts.join(cohort.invite_code, user_id)).outcome == "joined"

    await passed(db, 1, "berakhlak", date(2026, 2, 10), 40, clock=clock,
                 started=date(2026, 2, 1))
    await certificate(db, 1, "berakhlak", "SNU-AAAA-0001", date(2026, 2, 10), clock,
                      issuer="BKPSDM Kota Semarang")
    await passed(db, 1, "pelayanan-publik", date(2026, 3, 1), 52, clock=clock,
                 started=date(2026, 2, 20))
    await passed(db, 1, "komunikasi-efektif", date(2025, 12, 20), 52, clock=clock,
                 started=date(2025, 12, 1))
    await passed(db, 2, "berakhlak", date(2026, 1, 15), 40, clock=clock)
    await passed(db, 2, "manajemen-proyek", date(2026, 2, 20), 56, clock=clock)
    await certificate(db, 2, "manajemen-proyek", "SNU-BBBB-0002", date(2026, 2, 20), clock)
    assert await CertificateRepository(db).revoke("SNU-BBBB-0002", by=ADMIN_ID,
                                                  reason="uji", now=clock.now())
    await EvaluationRepository(db).record_result(
        3, "berakhlak", score=40, passed=False, now=clock.now(), today=date(2026, 2, 1),
        started_on=None, minutes=40)
    await passed(db, 4, "berakhlak", date(2026, 2, 2), 900, clock=clock)
    return World(cohort.id)
