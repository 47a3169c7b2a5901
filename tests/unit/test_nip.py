"""NIP rules (Perka BKN 22/2007): each kind of mistake is named, a valid NIP is split, masking."""

from __future__ import annotations

from datetime import date

import pytest

from bot.people.nip import Nip, NipError, mask, parse_nip

TODAY = date(2026, 12, 4)


def test_a_valid_nip_is_split_into_its_parts() -> None:
    found = parse_nip("19850312 201001 2 003", TODAY)
    assert isinstance(found, Nip)
    assert found.value == "198503122010012003"
    assert found.birth_date == date(1985, 3, 12)
    assert (found.cpns_year, found.cpns_month, found.sex) == (2010, 1, 2)
    assert found.masked == "1985**********2003"
    assert parse_nip("1985.0312.2010.01.1.001", TODAY) == Nip(
        "198503122010011001", date(1985, 3, 12), 2010, 1, 1)


@pytest.mark.parametrize(("typed", "problem"), [
    ("", "length"),
    ("19850312201001200", "length"),         # 17 digits
    ("1985031220100120031", "length"),       # 19 digits
    ("19850312201001200X", "digits"),
    ("１９８５０３１２２０１００１２００３", "digits"),  # full-width digits are not ASCII
    ("198502302010012003", "birth_date"),    # 30 February
    ("193003122010012003", "birth_date"),    # before 1940
    ("202812012010012003", "birth_date"),    # in the future
    ("198503122010132003", "cpns_date"),     # month 13
    ("198503122027012003", "cpns_date"),     # CPNS in the future
    ("198503121995012003", "cpns_date"),     # a CPNS at ten years old
    ("198503122010013003", "sex"),
    ("198503122010010003", "sex"),
    ("198503122010012000", "sequence"),
])
def test_each_kind_of_mistake_is_named(typed: str, problem: str) -> None:
    assert parse_nip(typed, TODAY) == NipError(problem)  # type: ignore[arg-type]


def test_masking_never_shows_the_birth_date() -> None:
    assert mask("198503122010012003") == "1985**********2003"
    assert "0312" not in mask("198503122010012003")
    assert mask("123") == "***"
