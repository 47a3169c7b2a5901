"""Verification and revocation through LearningService and the repository, on a real database
(SQLite and PostgreSQL): valid, revoked, unknown, malformed; a NIP never shown in full."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.clock import FixedClock
from bot.content.catalogue import Catalogue
from bot.learning.certificates import REASON_MAX_LENGTH
from bot.storage.certificates import CertificateRecord, CertificateRepository
from bot.storage.db import Database
from tests.learning.factories import catalogue, course, learner, lesson, service

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
NIP = "198503122010012003"
CODE = "SNU-7K3QX-9XPDM-4RTWA"
ADMIN = 900


def _catalogue() -> Catalogue:
    return catalogue(course("c1", lesson("l1", minutes=45)))


async def _issued(db: Database, user_id: int, **changes: object) -> CertificateRecord:
    values: dict[str, object] = dict(
        code=CODE, user_id=user_id, course_key="c1", course_title="Pelayanan prima",
        name="Sari", unit="Kelurahan Petompon", minutes=90, completed_on=date(2026, 3, 2),
        language="id", issued_at=START, nip=NIP, score=85, started_on=date(2026, 2, 27),
        issuer="Kecamatan Gajahmungkur, Kota Semarang",
    )
    values.update(changes)
    stored, created = await CertificateRepository(db).issue(
        CertificateRecord(**values))  # type: ignore[arg-type]
    assert created
    return stored


async def test_a_valid_certificate_verifies_with_the_nip_masked(db: Database) -> None:
    svc = service(db, _catalogue(), FixedClock(START))
    user = await learner(db, START)
    await _issued(db, user.id)
    for typed in (CODE, CODE.lower(), CODE.replace("-", ""), f" {CODE.replace('-', ' ')} "):
        verdict = await svc.verify_certificate(typed, issuer="Kota Semarang")
        assert verdict.status == "valid" and verdict.found and verdict.code == CODE
        assert (verdict.name, verdict.unit, verdict.course_title) == (
            "Sari", "Kelurahan Petompon", "Pelayanan prima")
        assert (verdict.minutes, verdict.score, verdict.completed_on) == (
            90, 85, date(2026, 3, 2))
        assert verdict.issuer == "Kecamatan Gajahmungkur, Kota Semarang"
        assert verdict.nip_masked == "1985**********2003"
        # Whatever shows a verdict cannot leak the NIP: it is not in it at all.
        assert NIP not in repr(verdict)
        assert verdict.revoked_at is None and verdict.revoked_reason == ""


async def test_unknown_and_malformed_codes(db: Database) -> None:
    svc = service(db, _catalogue(), FixedClock(START))
    user = await learner(db, START)
    await _issued(db, user.id)
    unknown = await svc.verify_certificate("snu-7k3qx-9xpdm-4rtwc", issuer="X")
    assert (unknown.status, unknown.code, unknown.name) == (
        "unknown", "SNU-7K3QX-9XPDM-4RTWC", "")
    assert not unknown.found
    assert (await svc.verify_certificate("SNU-AAAA-AAAA", issuer="X")).status == "unknown"
    for typed in ("nonsense", "SNU-7K3QX-9XPDM", "ABCD-1234", "'; DROP TABLE x; --"):
        verdict = await svc.verify_certificate(typed, issuer="X")
        assert verdict.status == "malformed" and verdict.name == "", typed


async def test_an_old_certificate_verifies_under_the_configured_issuer(db: Database) -> None:
    svc = service(db, _catalogue(), FixedClock(START))
    user = await learner(db, START)
    await _issued(db, user.id, code="SNU-7K3Q-9XPD", nip="", score=None, issuer="",
                  started_on=None)
    verdict = await svc.verify_certificate("snu 7k3q 9xpd", issuer="Kota Semarang")
    assert verdict.status == "valid" and verdict.code == "SNU-7K3Q-9XPD"
    assert (verdict.issuer, verdict.nip_masked, verdict.score) == ("Kota Semarang", "", None)


async def test_revoke_once_then_verification_says_revoked(db: Database) -> None:
    clock = FixedClock(START)
    svc = service(db, _catalogue(), clock)
    user = await learner(db, START)
    await _issued(db, user.id)
    clock.advance(timedelta(days=3))
    revoked_at = clock.now()
    result = await svc.revoke_certificate(CODE.lower(), by=ADMIN,
                                          reason="  nama   salah\ncetak ")
    assert result.status == "revoked" and result.record is not None
    record = result.record
    assert record.revoked and record.revoked_at == revoked_at
    assert (record.revoked_by, record.revoked_reason) == (ADMIN, "nama salah cetak")
    stored = await CertificateRepository(db).by_code(CODE)
    assert stored == record

    verdict = await svc.verify_certificate(CODE, issuer="X")
    assert verdict.status == "revoked" and verdict.found
    assert verdict.revoked_at == revoked_at and verdict.revoked_reason == "nama salah cetak"
    assert verdict.name == "Sari" and verdict.nip_masked == "1985**********2003"

    # A second revocation changes nothing: the first date, admin and reason stand.
    clock.advance(timedelta(days=1))
    again = await svc.revoke_certificate(CODE, by=ADMIN + 1, reason="lain")
    assert again.status == "already" and again.record == record
    assert await CertificateRepository(db).by_code(CODE) == record
    assert await CertificateRepository(db).revoke(CODE, by=1, reason="x",
                                                  now=clock.now()) is None


async def test_revocation_refusals_change_nothing(db: Database) -> None:
    svc = service(db, _catalogue(), FixedClock(START))
    user = await learner(db, START)
    issued = await _issued(db, user.id)
    assert (await svc.revoke_certificate(CODE, by=ADMIN, reason=" \n ")).status == "no_reason"
    too_long = "x" * (REASON_MAX_LENGTH + 1)
    assert (await svc.revoke_certificate(CODE, by=ADMIN, reason=too_long)).status == "too_long"
    malformed = await svc.revoke_certificate("SNU-12", by=ADMIN, reason="salah")
    assert (malformed.status, malformed.record) == ("malformed", None)
    unknown = await svc.revoke_certificate("SNU-7K3QX-9XPDM-4RTWC", by=ADMIN, reason="salah")
    assert (unknown.status, unknown.code, unknown.record) == (
        "unknown", "SNU-7K3QX-9XPDM-4RTWC", None)
    assert await CertificateRepository(db).by_code(CODE) == issued
    assert (await svc.verify_certificate(CODE, issuer="X")).status == "valid"
    exactly = "y" * REASON_MAX_LENGTH
    assert (await svc.revoke_certificate(CODE, by=ADMIN, reason=exactly)).status == "revoked"
