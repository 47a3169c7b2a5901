"""Certificates: verification codes, verification links, the verdict and the PDF (fpdf2,
DejaVu fonts for Indonesian text, a segno QR code of the verification link)."""

from __future__ import annotations

import io
import math
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Final, Literal

from bot.i18n import catalogue
from bot.people.nip import mask
from bot.storage.certificates import CertificateRecord

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: a code read aloud or copied from paper stays unambiguous.
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CODE_PREFIX = "SNU"
#: Codes issued now: three groups of five, SNU-7K3QX-9XPDM-4RTWA (25^15 ≈ 2^69.7), so a
#: guessed code names nobody: even a million guesses a day would take ~10^15 years to find one
#: of 10^5 certificates. Before, codes had two groups of four (25^8 ≈ 2^37); those issued stay
#: valid and are still accepted.
CODE_GROUPS: Final = (5, 5, 5)
LEGACY_CODE_GROUPS: Final = (4, 4)
CODE_BITS: Final = sum(CODE_GROUPS) * math.log2(len(CODE_ALPHABET))
#: A /start payload that asks to verify a code (t.me/<bot>?start=v_SNU7K3QX9XPDM4RTWA).
VERIFY_PAYLOAD_PREFIX: Final = "v_"
#: What Telegram allows in a deep link's payload.
_PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SEPARATORS = re.compile(r"[\s\-]")
#: The QR code's side on the page, in mm, without its quiet zone: big enough for any phone
#: camera at reading distance (the quiet zone of QR_BORDER modules comes on top).
QR_SYMBOL_MM: Final = 32.0
QR_BORDER: Final = 4
#: At most this many characters of a revocation's reason are kept.
REASON_MAX_LENGTH: Final = 200


def _grouped(body: str, groups: tuple[int, ...]) -> str:
    parts, start = [CODE_PREFIX], 0
    for size in groups:
        parts.append(body[start:start + size])
        start += size
    return "-".join(parts)


def new_code() -> str:
    """A fresh random code such as 'SNU-7K3QX-9XPDM-4RTWA' (≈ 69.7 bits from ``secrets``)."""
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(sum(CODE_GROUPS)))
    return _grouped(body, CODE_GROUPS)


def normalise_code(text: str) -> str | None:
    """The canonical form of a code typed by someone (any case, with or without dashes or
    spaces; today's codes and the older SNU-XXXX-XXXX ones), or None if malformed."""
    compact = _SEPARATORS.sub("", text.upper())
    if not compact.startswith(CODE_PREFIX):
        return None
    body = compact[len(CODE_PREFIX):]
    if not set(body) <= set(CODE_ALPHABET):
        return None
    for groups in (CODE_GROUPS, LEGACY_CODE_GROUPS):
        if len(body) == sum(groups):
            return _grouped(body, groups)
    return None


def deep_link_payload(code: str) -> str:
    """The /start payload that verifies ``code``: 'v_' and the code without dashes."""
    payload = VERIFY_PAYLOAD_PREFIX + code.replace("-", "")
    if not _PAYLOAD_RE.match(payload):
        raise ValueError(f"{code!r} does not fit in a deep link")
    return payload


def code_of_payload(payload: str) -> str | None:
    """The text a 'v_…' /start payload asks to verify, or None for any other payload."""
    if not payload.startswith(VERIFY_PAYLOAD_PREFIX):
        return None
    return payload[len(VERIFY_PAYLOAD_PREFIX):]


def verification_url(code: str, *, public_url: str | None, bot_username: str) -> str:
    """Where a certificate's QR code points: the web page when Sinau has a public URL, else
    the bot's deep link (which answers the same verdict)."""
    if public_url:
        return f"{public_url.rstrip('/')}/verify/{code}"
    return f"https://t.me/{bot_username}?start={deep_link_payload(code)}"


# ---------------------------------------------------------------------------- verification

VerificationStatus = Literal["valid", "revoked", "unknown", "malformed"]


@dataclass(frozen=True, slots=True)
class Verification:
    """What a verification may show about a certificate: never the full NIP.

    ``code`` is the canonical code (what was typed, trimmed, when it is no code at all); the
    other fields are empty unless the certificate was found.
    """

    status: VerificationStatus
    code: str
    name: str = ""
    unit: str = ""
    nip_masked: str = ""
    course_title: str = ""
    minutes: int = 0
    score: int | None = None
    completed_on: date | None = None
    issuer: str = ""
    revoked_at: datetime | None = None
    revoked_reason: str = ""

    @property
    def found(self) -> bool:
        """True when the code names a certificate (valid or revoked)."""
        return self.status in ("valid", "revoked")

    @classmethod
    def of(cls, record: CertificateRecord, *, default_issuer: str) -> Verification:
        """The verdict on an issued certificate (``default_issuer`` for records from before
        certificates named their issuer)."""
        return cls(
            status="revoked" if record.revoked else "valid", code=record.code,
            name=record.name, unit=record.unit, nip_masked=mask(record.nip) if record.nip else "",
            course_title=record.course_title, minutes=record.minutes, score=record.score,
            completed_on=record.completed_on, issuer=record.issuer or default_issuer,
            revoked_at=record.revoked_at, revoked_reason=record.revoked_reason or "",
        )


RevocationStatus = Literal["revoked", "already", "unknown", "malformed", "no_reason",
                           "too_long"]


@dataclass(frozen=True, slots=True)
class Revocation:
    """What /revoke_cert did; ``record`` is the certificate when the code named one."""

    status: RevocationStatus
    code: str
    record: CertificateRecord | None = None


def clean_reason(text: str) -> str:
    """A revocation reason with runs of whitespace collapsed and the ends trimmed."""
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------------------- the PDF

@cache
def font_paths() -> tuple[Path, Path]:
    """DejaVu Sans regular and bold, shipped with matplotlib (a dependency)."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"


def format_long_date(day: date, lang: str) -> str:
    """'5 Maret 2026' / '5 March 2026'."""
    months = catalogue(lang)["certificate.months"].split(",")
    return f"{day.day} {months[day.month - 1].strip()} {day.year}"


def qr_png(url: str) -> tuple[io.BytesIO, float]:
    """``url`` as a QR code PNG in memory (error correction M, the standard quiet zone), and
    the side in mm that makes its symbol ``QR_SYMBOL_MM`` wide on the page."""
    import segno

    code = segno.make_qr(url, error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=10, border=QR_BORDER)
    buffer.seek(0)
    modules, total = code.symbol_size(border=0)[0], code.symbol_size(border=QR_BORDER)[0]
    return buffer, QR_SYMBOL_MM * total / modules


def render_pdf(record: CertificateRecord, *, jp: str, lang: str, bot_username: str,
               public_url: str | None = None, issuer: str = "") -> bytes:
    """The certificate as a one-page A4 landscape PDF, built in memory.

    It names the holder (with their full NIP: the document is theirs), the course, JP, the
    final evaluation's score, the completion date and the issuer (``issuer`` for records from
    before certificates named one), and carries a QR code of ``verification_url``.
    """
    from fpdf import FPDF

    text = catalogue(lang)
    regular, bold = font_paths()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"{text['certificate.pdf_title']} {record.code}")
    pdf.set_author("Sinau")
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.add_page()
    margin = 20.0
    width = pdf.w - 2 * margin
    pdf.set_draw_color(30, 80, 140)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)

    def line(size: float, value: str, *, style: str = "", gap: float = 3, x: float = margin,
             w: float = width, align: str = "C") -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.set_x(x)
        pdf.multi_cell(w, size * 0.5, value, align=align)
        pdf.ln(gap)

    pdf.set_y(20)
    line(28, text["certificate.pdf_title"], style="B", gap=1)
    line(11, text["certificate.pdf_subtitle"], gap=6)
    line(12, text["certificate.pdf_awarded"], gap=2)
    line(24, record.name, style="B", gap=1)
    if record.nip:
        line(12, text["certificate.pdf_nip"].format(nip=record.nip), gap=1)
    if record.unit:
        line(13, record.unit, gap=1)
    pdf.ln(4)
    line(12, text["certificate.pdf_completed"], gap=2)
    line(18, record.course_title, style="B", gap=4)
    line(12, text["certificate.pdf_jp"].format(jp=jp), gap=1)
    if record.score is not None:
        line(12, text["certificate.pdf_score"].format(score=record.score), gap=1)
    line(12, text["certificate.pdf_date"].format(
        date=format_long_date(record.completed_on, lang)), gap=1)
    line(12, text["certificate.pdf_issuer"].format(issuer=record.issuer or issuer), gap=1)

    # The bottom band: the code and how to check it on the left, the QR code on the right.
    url = verification_url(record.code, public_url=public_url, bot_username=bot_username)
    png, side = qr_png(url)
    # Its white quiet zone may come close to the frame; the symbol keeps clear of it.
    qr_x, qr_y = pdf.w - 16 - side, pdf.h - 16 - side
    pdf.image(png, x=qr_x, y=qr_y, w=side, h=side)
    hint = (text["certificate.pdf_verify_web"].format(url=url) if public_url
            else text["certificate.pdf_verify"].format(code=record.code, bot=bot_username))
    band = qr_x - margin - 4
    pdf.set_y(pdf.h - 38)
    line(11, text["certificate.pdf_code"].format(code=record.code), style="B", gap=1,
         w=band, align="L")
    line(9, hint, w=band, align="L")
    return bytes(pdf.output())
