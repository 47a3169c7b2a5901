"""The certificate PDF carries what HR checks, and a QR code a phone can read.

The page is rendered the way a phone camera would see a print (pdftoppm at 150 dpi) and the
QR code decoded by zbar, once for each place the code may point to.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.learning.certificates import QR_SYMBOL_MM, qr_png, render_pdf, verification_url
from bot.storage.certificates import CertificateRecord

CODE = "SNU-7K3QX-9XPDM-4RTWA"
NIP = "198503122010012003"
ISSUER = "Kecamatan Gajahmungkur, Kota Semarang"
def needs_tools(test):  # noqa: ANN001, ANN201 - a decorator for tests
    """The QR tests run for real: poppler-utils and zbar-tools are installed by the test
    setup (scripts/system-packages), so their absence is a failure, not a skip."""
    assert shutil.which("pdftoppm") and shutil.which("zbarimg"), (
        "install poppler-utils and zbar-tools (scripts/system-packages)")
    return test


def _record(**changes: object) -> CertificateRecord:
    values: dict[str, object] = dict(
        code=CODE, user_id=1, course_key="c1", course_title="Pelayanan publik yang prima",
        name="Sri Rahayu", unit="Kelurahan Bendan Ngisor", minutes=100,
        completed_on=date(2026, 3, 5), language="id",
        issued_at=datetime(2026, 3, 5, 3, 0, tzinfo=UTC), nip=NIP, score=85,
        started_on=date(2026, 2, 20), issuer=ISSUER,
    )
    values.update(changes)
    return CertificateRecord(**values)  # type: ignore[arg-type]


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def _decode_qr(data: bytes, folder: Path) -> str:
    pdf = folder / "certificate.pdf"
    pdf.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(folder / "page")], check=True, capture_output=True)
    (page,) = folder.glob("page*.png")
    found = subprocess.run(["zbarimg", "--raw", "-q", str(page)], capture_output=True,
                           text=True, check=False)
    assert found.returncode == 0, found.stderr
    return found.stdout.strip()


def test_the_pdf_names_the_holder_their_nip_score_and_issuer() -> None:
    data = render_pdf(_record(), jp="2,2", lang="id", bot_username="sinau_bot")
    text = _text(data)
    # The full NIP: the certificate is the learner's own document.
    for expected in ("SERTIFIKAT", "Sri Rahayu", f"NIP {NIP}", "Kelurahan Bendan Ngisor",
                     "Pelayanan publik yang prima", "2,2 JP", "Nilai evaluasi akhir: 85",
                     "Tanggal selesai: 5 Maret 2026", f"Diterbitkan oleh {ISSUER}", CODE,
                     "@sinau_bot"):
        assert expected in text, expected
    english = _text(render_pdf(_record(language="en"), jp="2.2", lang="en",
                               bot_username="sinau_bot"))
    assert "Final evaluation score: 85" in english and f"Issued by {ISSUER}" in english


def test_an_old_certificate_has_no_nip_or_score_line_and_the_configured_issuer() -> None:
    old = _record(code="SNU-7K3Q-9XPD", nip="", score=None, issuer="", started_on=None)
    text = _text(render_pdf(old, jp="2,2", lang="id", bot_username="sinau_bot",
                            issuer="Kota Semarang"))
    assert "NIP" not in text and "Nilai evaluasi" not in text
    assert "Diterbitkan oleh Kota Semarang" in text and "SNU-7K3Q-9XPD" in text


def test_the_web_address_is_printed_when_configured() -> None:
    text = _text(render_pdf(_record(), jp="2,2", lang="id", bot_username="sinau_bot",
                            public_url="https://sinau.example.go.id"))
    assert f"https://sinau.example.go.id/verify/{CODE}" in text


@needs_tools
@pytest.mark.parametrize(("public_url", "expected"), [
    ("https://sinau.example.go.id", f"https://sinau.example.go.id/verify/{CODE}"),
    (None, "https://t.me/sinau_bot?start=v_SNU7K3QX9XPDM4RTWA"),
])
def test_the_qr_code_scans_to_the_verification_url(tmp_path: Path, public_url: str | None,
                                                   expected: str) -> None:
    assert verification_url(CODE, public_url=public_url, bot_username="sinau_bot") == expected
    data = render_pdf(_record(), jp="2,2", lang="id", bot_username="sinau_bot",
                      public_url=public_url)
    assert _decode_qr(data, tmp_path) == expected


@needs_tools
def test_an_old_code_scans_too(tmp_path: Path) -> None:
    data = render_pdf(_record(code="SNU-7K3Q-9XPD"), jp="2,2", lang="id",
                      bot_username="sinau_bot")
    assert _decode_qr(data, tmp_path) == "https://t.me/sinau_bot?start=v_SNU7K3Q9XPD"


def test_the_qr_symbol_is_big_enough_for_a_phone() -> None:
    png, side = qr_png(f"https://sinau.example.go.id/verify/{CODE}")
    assert png.getvalue().startswith(b"\x89PNG")
    assert QR_SYMBOL_MM >= 30 and side > QR_SYMBOL_MM  # the quiet zone comes on top


def test_long_names_and_titles_stay_on_one_page() -> None:
    record = _record(name="Raden Ajeng Sri Rahayu Kusumawardhani Puspitasari Ningrum Wulan",
                     course_title="Pelayanan publik yang prima bagi seluruh warga kecamatan",
                     unit="Kelurahan Bendan Ngisor, Kecamatan Gajahmungkur, Kota Semarang")
    text = _text(render_pdf(record, jp="2,2", lang="id", bot_username="sinau_bot"))
    assert "Puspitasari" in text and CODE in text
