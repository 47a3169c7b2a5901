"""Certificates: verification codes and the PDF (fpdf2, DejaVu fonts for Indonesian text)."""

from __future__ import annotations

import re
import secrets
from datetime import date
from functools import cache
from pathlib import Path

from bot.i18n import catalogue
from bot.storage.certificates import CertificateRecord

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: a code read aloud or copied from paper stays unambiguous.
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CODE_PREFIX = "SNU"
_CODE_RE = re.compile(rf"^{CODE_PREFIX}-[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}$")


def new_code() -> str:
    """A fresh random code such as 'SNU-7K3Q-9XPD' (25^8 ≈ 1.5·10^11 possibilities)."""
    chars = [secrets.choice(CODE_ALPHABET) for _ in range(8)]
    return f"{CODE_PREFIX}-{''.join(chars[:4])}-{''.join(chars[4:])}"


def normalise_code(text: str) -> str | None:
    """The canonical form of a code typed by someone (any case, spaces), or None if malformed."""
    compact = re.sub(r"[\s\-]", "", text.upper())
    if len(compact) != len(CODE_PREFIX) + 8 or not compact.startswith(CODE_PREFIX):
        return None
    body = compact[len(CODE_PREFIX):]
    code = f"{CODE_PREFIX}-{body[:4]}-{body[4:]}"
    return code if _CODE_RE.match(code) else None


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


def render_pdf(record: CertificateRecord, *, jp: str, lang: str, bot_username: str) -> bytes:
    """The certificate as an A4 landscape PDF, built in memory."""
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
    width = pdf.w - 40
    pdf.set_draw_color(30, 80, 140)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)

    def line(size: float, value: str, *, style: str = "", gap: float = 4) -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.set_x(20)
        pdf.multi_cell(width, size * 0.5, value, align="C")
        pdf.ln(gap)

    pdf.set_y(28)
    line(30, text["certificate.pdf_title"], style="B", gap=2)
    line(12, text["certificate.pdf_subtitle"], gap=10)
    line(13, text["certificate.pdf_awarded"])
    line(26, record.name, style="B", gap=2)
    if record.unit:
        line(14, record.unit, gap=8)
    line(13, text["certificate.pdf_completed"])
    line(20, record.course_title, style="B", gap=6)
    line(13, text["certificate.pdf_jp"].format(jp=jp))
    line(13, text["certificate.pdf_date"].format(date=format_long_date(record.completed_on,
                                                                       lang)), gap=14)
    line(11, text["certificate.pdf_code"].format(code=record.code), style="B", gap=2)
    line(10, text["certificate.pdf_verify"].format(code=record.code, bot=bot_username))
    return bytes(pdf.output())
