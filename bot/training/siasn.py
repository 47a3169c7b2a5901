"""The SIASN-ready record: one row per completed course (*riwayat kursus*), and JP per person.

**SIASN sheet.** One row per completed course (later: per event attended) finished in a year,
in the columns of SIASN's *riwayat kursus*: NIP, Nama, Nama Kursus, Institusi Penyelenggara,
Jumlah Jam (JP, two decimals), Tanggal Kursus, Tanggal Selesai Kursus, Tahun Kursus, Nomor
Sertifikat, Jenis Kursus. The course title is the catalogue's Indonesian one (else the
certificate's, else the course key); the institution is the issuer printed on the certificate,
else ``certificates.issuer``. The start is the first lesson's date, else the completion date
(SIASN asks for one). A course whose certificate was revoked is left out, here and in the JP.

**JP per person.** Everyone in the scope with the year's JP (from the same records) against
``learning.annual_jp_target``: what is short (0 when met) and the status, *belum* first, then
by name. Headers and statuses are Indonesian whatever the trainer's language: the files go to
HR (BKPSDM), as the cohort export's do.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.content.catalogue import CatalogueHolder
from bot.i18n import t
from bot.storage.siasn import LearningRecord, RecordRepository, Scope
from bot.training.sheets import Column, Table

__all__ = ["JpRow", "Scope", "SiasnRow", "SiasnService", "jp_table", "siasn_table"]

_CENT = Decimal("0.01")


def jp_of(minutes: int, minutes_per_jp: int) -> Decimal:
    """Minutes as JP with two decimals, rounded half-up (100 min / 45 = 2.22)."""
    return (Decimal(minutes) / Decimal(minutes_per_jp)).quantize(_CENT, rounding=ROUND_HALF_UP)


def unit_code(unit: str) -> str:
    """A short stable code for a work unit, for callback data (names can be long)."""
    return hashlib.blake2s(unit.encode(), digest_size=5).hexdigest()


@dataclass(frozen=True, slots=True)
class SiasnRow:
    """One row of the SIASN sheet (riwayat kursus)."""

    nip: str
    nama: str
    nama_kursus: str
    institusi: str
    jumlah_jam: Decimal
    tanggal_kursus: date
    tanggal_selesai: date
    tahun: int
    nomor_sertifikat: str
    jenis: str
    source: str  # where the record comes from ('course'); not a SIASN column


@dataclass(frozen=True, slots=True)
class JpRow:
    """One learner's line in the JP sheet."""

    nip: str
    nama: str
    unit: str
    jabatan: str
    institusi: str
    tahun: int
    jp: Decimal
    target: int

    @property
    def short(self) -> Decimal:
        """The JP still missing to the target (0 once it is met)."""
        return max(Decimal(self.target) - self.jp, Decimal(0)).quantize(_CENT)

    @property
    def met(self) -> bool:
        """True once the year's JP reach the target."""
        return self.jp >= self.target


class SiasnService:
    """Builds the SIASN and JP sheets' rows for all learners, a work unit or a cohort."""

    def __init__(self, records: RecordRepository, catalogue: CatalogueHolder, clock: Clock,
                 zone: ZoneInfo, *, issuer: str, minutes_per_jp: int, jp_target: int) -> None:
        self._records = records
        self._catalogue = catalogue
        self._clock = clock
        self._zone = zone
        self._issuer = issuer
        self._minutes_per_jp = minutes_per_jp
        self._jp_target = jp_target

    def today(self) -> date:
        """Today in the bot's default zone."""
        return self._clock.now().astimezone(self._zone).date()

    def years(self) -> tuple[int, int]:
        """The years offered: this one (the default) and the previous one."""
        year = self.today().year
        return year, year - 1

    async def units(self, scope: Scope | None = None) -> list[str]:
        """The work units learners gave (the learners of ``scope``, default all), by name."""
        return await self._records.units(scope)

    async def unit_named(self, code: str, scope: Scope | None = None) -> str | None:
        """The work unit whose ``unit_code`` is ``code``, if a learner (of ``scope``) has it."""
        return next((u for u in await self._records.units(scope) if unit_code(u) == code),
                    None)

    def _row(self, record: LearningRecord) -> SiasnRow:
        course = self._catalogue.course(record.ref) if record.source == "course" else None
        title = course.title.get("id") if course is not None else (record.title or record.ref)
        return SiasnRow(
            nip=record.nip or "",
            nama=record.name,
            nama_kursus=title,
            institusi=record.organiser or self._issuer,
            jumlah_jam=jp_of(record.minutes, self._minutes_per_jp),
            tanggal_kursus=record.started_on or record.finished_on,
            tanggal_selesai=record.finished_on,
            tahun=record.finished_on.year,
            nomor_sertifikat=record.certificate,
            jenis=record.jenis,
            source=record.source,
        )

    async def course_rows(self, scope: Scope, year: int) -> list[SiasnRow]:
        """The SIASN rows of the records finished in ``year``, by learner then date."""
        records = await self._records.records(scope, date(year, 1, 1), date(year, 12, 31))
        return [self._row(r) for r in records]

    async def jp_rows(self, scope: Scope, year: int) -> list[JpRow]:
        """Everyone in the scope with the JP of ``year``: those below the target first."""
        totals = await self._records.totals(scope, date(year, 1, 1), date(year, 12, 31))
        rows = [JpRow(nip=p.nip or "", nama=p.name, unit=p.unit or "", jabatan=p.jabatan or "",
                      institusi=p.institution or "", tahun=year,
                      jp=jp_of(p.minutes, self._minutes_per_jp), target=self._jp_target)
                for p in totals]
        # Stable: by name within each group, as the query ordered them.
        return sorted(rows, key=lambda r: r.met)


def _h(key: str) -> str:
    return str(t("id", f"siasn.{key}"))


def siasn_table(rows: list[SiasnRow]) -> Table:
    """The SIASN sheet."""
    columns = (
        Column(_h("h_nip"), "text", 21), Column(_h("h_name"), "text", 28),
        Column(_h("h_course"), "text", 36), Column(_h("h_organiser"), "text", 30),
        Column(_h("h_hours"), "number", 12), Column(_h("h_start"), "date", 15),
        Column(_h("h_end"), "date", 15), Column(_h("h_year"), "integer", 10),
        Column(_h("h_certificate"), "text", 18), Column(_h("h_kind"), "text", 12),
    )
    return Table(_h("sheet"), columns, [
        (r.nip, r.nama, r.nama_kursus, r.institusi, r.jumlah_jam, r.tanggal_kursus,
         r.tanggal_selesai, r.tahun, r.nomor_sertifikat, r.jenis) for r in rows])


def jp_table(rows: list[JpRow]) -> Table:
    """The JP-per-person sheet."""
    columns = (
        Column(_h("h_nip"), "text", 21), Column(_h("h_name"), "text", 28),
        Column(_h("jp_unit"), "text", 28), Column(_h("jp_position"), "text", 24),
        Column(_h("jp_institution"), "text", 28), Column(_h("jp_year"), "integer", 8),
        Column(_h("jp_total"), "number", 11), Column(_h("jp_target"), "integer", 11),
        Column(_h("jp_short"), "number", 13), Column(_h("jp_status"), "text", 12),
    )
    met, short = _h("status_met"), _h("status_short")
    return Table(_h("jp_sheet"), columns, [
        (r.nip, r.nama, r.unit, r.jabatan, r.institusi, r.tahun, r.jp, r.target, r.short,
         met if r.met else short) for r in rows])
