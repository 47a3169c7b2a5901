"""Course certificates: one per learner and course, found again by verification code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.storage.db import Database, Row, epoch_of, to_epoch


@dataclass(frozen=True, slots=True)
class CertificateRecord:
    """An issued certificate, with the values printed on it."""

    code: str
    user_id: int
    course_key: str
    course_title: str
    name: str
    unit: str
    minutes: int
    completed_on: date
    language: str
    issued_at: datetime
    nip: str = ""
    score: int | None = None          # the final evaluation's score, percent
    started_on: date | None = None    # the first lesson's local date
    issuer: str = ""
    kind: str = "kursus"              # SIASN's jenis: kursus / pelatihan / seminar ...
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    revoked_by: int | None = None

    @property
    def revoked(self) -> bool:
        """True once an admin revoked the certificate."""
        return self.revoked_at is not None

    @classmethod
    def from_row(cls, row: Row) -> CertificateRecord:
        """Build from a ``certificates`` row."""
        return cls(
            code=row["code"],
            user_id=row["user_id"],
            course_key=row["course_key"],
            course_title=row["course_title"],
            name=row["name"],
            unit=row["unit"],
            minutes=row["minutes"],
            completed_on=date.fromisoformat(row["completed_on"]),
            language=row["language"],
            issued_at=epoch_of(row["issued_at"]),
            nip=row["nip"],
            score=row["score"],
            started_on=(date.fromisoformat(row["started_on"]) if row["started_on"] else None),
            issuer=row["issuer"],
            kind=row["kind"],
            revoked_at=(epoch_of(row["revoked_at"]) if row["revoked_at"] is not None
                        else None),
            revoked_reason=row["revoked_reason"],
            revoked_by=row["revoked_by"],
        )


class CertificateRepository:
    """Reads and writes ``certificates``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def issue(self, record: CertificateRecord) -> tuple[CertificateRecord, bool]:
        """Insert unless the learner already has this course's certificate.

        Returns the stored certificate and whether it was created now. A code collision (one in
        ~10^20 for new codes) surfaces as ``Conflict`` so the caller can draw a new code.
        """
        created = await self._db.execute(
            """
            INSERT INTO certificates (code, user_id, course_key, course_title, name, unit,
                                      minutes, completed_on, language, issued_at, nip, score,
                                      started_on, issuer, kind)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id, course_key) DO NOTHING
            """,
            (record.code, record.user_id, record.course_key, record.course_title,
             record.name, record.unit, record.minutes, record.completed_on.isoformat(),
             record.language, to_epoch(record.issued_at), record.nip, record.score,
             record.started_on.isoformat() if record.started_on else None, record.issuer,
             record.kind),
        ) == 1
        stored = await self.for_course(record.user_id, record.course_key)
        assert stored is not None
        return stored, created

    async def for_course(self, user_id: int, course_key: str) -> CertificateRecord | None:
        """The learner's certificate for a course, if issued."""
        row = await self._db.fetch_one(
            "SELECT * FROM certificates WHERE user_id = ? AND course_key = ?",
            (user_id, course_key),
        )
        return None if row is None else CertificateRecord.from_row(row)

    async def by_code(self, code: str) -> CertificateRecord | None:
        """The certificate with this code (codes are stored upper case)."""
        row = await self._db.fetch_one(
            "SELECT * FROM certificates WHERE code = ?", (code.upper(),)
        )
        return None if row is None else CertificateRecord.from_row(row)

    async def of_user(self, user_id: int) -> list[CertificateRecord]:
        """All of a learner's certificates, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM certificates WHERE user_id = ? ORDER BY issued_at", (user_id,)
        )
        return [CertificateRecord.from_row(r) for r in rows]

    async def revoke(self, code: str, *, by: int, reason: str,
                     now: datetime) -> CertificateRecord | None:
        """Revoke a certificate that is not revoked yet; the revoked record, or None when the
        code names no certificate or it was revoked before (the first revocation stands)."""
        rows = await self._db.returning(
            "UPDATE certificates SET revoked_at = ?, revoked_reason = ?, revoked_by = ?"
            " WHERE code = ? AND revoked_at IS NULL RETURNING *",
            (to_epoch(now), reason, by, code.upper()),
        )
        return CertificateRecord.from_row(rows[0]) if rows else None
