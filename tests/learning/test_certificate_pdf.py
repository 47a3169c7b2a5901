"""The certificate PDF: built in memory, parses, carries the Indonesian text intact."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from bot.learning.certificates import format_long_date, render_pdf
from bot.storage.certificates import CertificateRecord


def _record(lang: str) -> CertificateRecord:
    return CertificateRecord(
        code="SNU-7K3Q-9XPD", user_id=1, course_key="c1",
        course_title="Pelayanan publik yang prima — ‘PELITA’", name="Sri Rahayu Ñoño <b>&",
        unit="Kelurahan Bendan Ngisor", minutes=100, completed_on=date(2026, 3, 5),
        language=lang, issued_at=datetime(2026, 3, 5, 3, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize(("lang", "title", "when"), [("id", "SERTIFIKAT", "5 Maret 2026"),
                                                     ("en", "CERTIFICATE", "5 March 2026")])
def test_pdf_parses_and_shows_the_values(lang: str, title: str, when: str) -> None:
    data = render_pdf(_record(lang), jp="2,2" if lang == "id" else "2.2", lang=lang,
                      bot_username="sinau_bot")
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in (title, "Sri Rahayu Ñoño <b>&", "Kelurahan Bendan Ngisor",
                     "Pelayanan publik yang prima — ‘PELITA’", when, "SNU-7K3Q-9XPD",
                     "@sinau_bot"):
        assert expected in text, expected
    assert ("2,2 JP" if lang == "id" else "2.2 JP") in text


def test_long_dates() -> None:
    assert format_long_date(date(2026, 12, 1), "id") == "1 Desember 2026"
    assert format_long_date(date(2026, 8, 17), "en") == "17 August 2026"
