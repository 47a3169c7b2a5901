"""The NIP (Nomor Induk Pegawai) of a civil servant: what a valid one looks like, and masking.

Perka BKN No. 22 Tahun 2007: 18 digits —

    YYYYMMDD  birth date
    YYYYMM    the month the person became a CPNS (TMT CPNS)
    S         sex: 1 male, 2 female
    NNN       a sequence number (001-999)

so ``198503122010012003`` is someone born 12 March 1985, CPNS from January 2010, female, number
003. The checks below say which part is wrong, so the learner gets a message for their mistake,
not a generic "invalid". Spaces and dots people type between the groups are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

NIP_LENGTH = 18
#: Nobody in service was born before this year (retirement at 58-65).
EARLIEST_BIRTH_YEAR = 1940
#: The youngest age at which a person can become a CPNS.
MIN_CPNS_AGE = 18
_SEPARATORS = re.compile(r"[\s.\-]")

Problem = Literal["length", "digits", "birth_date", "cpns_date", "sex", "sequence"]


@dataclass(frozen=True, slots=True)
class Nip:
    """A NIP that passed every check, with its parts."""

    value: str
    birth_date: date
    cpns_year: int
    cpns_month: int
    sex: Literal[1, 2]

    @property
    def masked(self) -> str:
        """The NIP as shown anywhere but the learner's own chat and HR exports."""
        return mask(self.value)


@dataclass(frozen=True, slots=True)
class NipError:
    """Why a typed NIP was refused: the part that is wrong."""

    problem: Problem


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_nip(text: str, today: date) -> Nip | NipError:
    """``text`` as a NIP, or the first thing wrong with it (in reading order)."""
    compact = _SEPARATORS.sub("", text)
    if not compact.isascii() or not compact.isdigit():
        return NipError("digits" if len(compact) == NIP_LENGTH else "length")
    if len(compact) != NIP_LENGTH:
        return NipError("length")
    born = _date(int(compact[0:4]), int(compact[4:6]), int(compact[6:8]))
    if born is None or not born.year >= EARLIEST_BIRTH_YEAR or born > today:
        return NipError("birth_date")
    cpns_year, cpns_month = int(compact[8:12]), int(compact[12:14])
    started = _date(cpns_year, cpns_month, 1) if 1 <= cpns_month <= 12 else None
    if (started is None or started > today
            or (started.year - born.year) < MIN_CPNS_AGE - 1):
        return NipError("cpns_date")
    sex = compact[14]
    if sex not in "12":
        return NipError("sex")
    if compact[15:] == "000":
        return NipError("sequence")
    return Nip(compact, born, cpns_year, cpns_month, 1 if sex == "1" else 2)


def mask(value: str) -> str:
    """A NIP with its middle hidden (``1985**********2003``): the first and last four digits
    kept, enough for a person to recognise theirs, not enough to find anyone by it."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
