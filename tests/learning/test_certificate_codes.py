"""Certificate codes: unguessable, readable aloud, old ones still accepted; where they link."""

from __future__ import annotations

import math
import re
from collections import Counter

import pytest

from bot.learning import certificates
from bot.learning.certificates import (
    CODE_ALPHABET,
    code_of_payload,
    deep_link_payload,
    new_code,
    normalise_code,
    verification_url,
)

_GROUP = rf"[{CODE_ALPHABET}]{{5}}"
NEW_FORMAT = re.compile(rf"^SNU-{_GROUP}-{_GROUP}-{_GROUP}$")


def test_codes_carry_at_least_60_bits_in_the_unambiguous_alphabet() -> None:
    assert len(set(CODE_ALPHABET)) == len(CODE_ALPHABET) == 25
    assert not set(CODE_ALPHABET) & set("01IL5SOZ2B8")
    assert pytest.approx(15 * math.log2(25)) == certificates.CODE_BITS
    assert certificates.CODE_BITS >= 60
    codes = [new_code() for _ in range(2000)]
    assert all(NEW_FORMAT.match(code) for code in codes), codes[:3]
    assert len(set(codes)) == len(codes)
    # Every position draws from the whole alphabet (30 000 characters: each of the 25 shows up
    # ~1200 times; a generator stuck on part of the alphabet, or on a few codes, fails).
    counts = Counter("".join(code[4:].replace("-", "") for code in codes))
    assert set(counts) == set(CODE_ALPHABET)
    assert min(counts.values()) > 900 and max(counts.values()) < 1500


def test_codes_come_from_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[str] = []

    def choice(alphabet: str) -> str:
        drawn.append(alphabet)
        return alphabet[len(drawn) % len(alphabet)]

    monkeypatch.setattr(certificates.secrets, "choice", choice)
    code = new_code()
    assert len(drawn) == 15 and set(drawn) == {CODE_ALPHABET}
    assert NEW_FORMAT.match(code)


@pytest.mark.parametrize(("typed", "expected"), [
    # Today's codes, however they are typed or read from paper.
    ("SNU-7K3QX-9XPDM-4RTWA", "SNU-7K3QX-9XPDM-4RTWA"),
    ("snu-7k3qx-9xpdm-4rtwa", "SNU-7K3QX-9XPDM-4RTWA"),
    ("SNU7K3QX9XPDM4RTWA", "SNU-7K3QX-9XPDM-4RTWA"),        # a deep link's payload
    ("  snu 7k3qx 9xpdm 4rtwa ", "SNU-7K3QX-9XPDM-4RTWA"),
    # The 8-character codes issued before stay valid.
    ("SNU-7K3Q-9XPD", "SNU-7K3Q-9XPD"),
    ("snu 7k3q 9xpd", "SNU-7K3Q-9XPD"),
    ("SNU7K3Q9XPD", "SNU-7K3Q-9XPD"),
    # Malformed: wrong length, ambiguous or foreign characters, another prefix.
    ("SNU-7K3QX-9XPDM-4RTW", None),
    ("SNU-7K3QX-9XPDM-4RTWAA", None),
    ("SNU-7K3Q-9XP", None),
    ("SNU-0000-0000", None),
    ("SNU-7K3QX-9XPDM-4RTW0", None),
    ("SNU-7K3Q-9XPD-", "SNU-7K3Q-9XPD"),
    ("ABC-7K3QX-9XPDM-4RTWA", None),
    ("SNU-7K3QX-9XPDM-4RTWÄ", None),
    ("", None),
    ("SNU", None),
])
def test_normalise_accepts_old_and_new_codes(typed: str, expected: str | None) -> None:
    assert normalise_code(typed) == expected


def test_every_new_code_round_trips() -> None:
    for _ in range(200):
        code = new_code()
        assert normalise_code(code) == code
        assert normalise_code(code.lower()) == code
        assert normalise_code(code.replace("-", " ")) == code


def test_deep_link_payloads_fit_telegram_and_come_back() -> None:
    for code in [new_code() for _ in range(50)] + ["SNU-7K3Q-9XPD"]:
        payload = deep_link_payload(code)
        # Telegram: 1-64 characters of A-Z a-z 0-9 _ -
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload), payload
        assert payload == "v_" + code.replace("-", "")
        text = code_of_payload(payload)
        assert text is not None and normalise_code(text) == code
    assert code_of_payload("c_cohort12") is None
    assert code_of_payload("t_abc") is None


def test_verification_url_web_or_deep_link() -> None:
    code = "SNU-7K3QX-9XPDM-4RTWA"
    assert verification_url(code, public_url="https://sinau.example.go.id",
                            bot_username="sinau_bot") == (
        "https://sinau.example.go.id/verify/SNU-7K3QX-9XPDM-4RTWA")
    assert verification_url(code, public_url=None, bot_username="sinau_bot") == (
        "https://t.me/sinau_bot?start=v_SNU7K3QX9XPDM4RTWA")
    assert verification_url(code, public_url="", bot_username="sinau_bot").startswith(
        "https://t.me/")
