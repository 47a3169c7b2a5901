"""The progress sheet (all learners, a unit or a cohort) for the BKPSDM: XLSX and CSV in memory.

Headers are Indonesian whatever the trainer's language: the file goes to the BKPSDM. Text that a
spreadsheet would read as a formula (starting with = + - @, or a tab / carriage return) gets a
leading single quote, so a learner named "=HYPERLINK(...)" stays a name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, time

from bot.i18n import t
from bot.training.stats import ProgressRow

COLUMNS = ("name", "unit", "courses", "lessons", "jp", "accuracy", "last", "certs")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_WIDTHS = (28, 28, 15, 17, 13, 16, 15, 30)


def headers(year: int | None = None) -> list[str]:
    """The column headers, in Indonesian (the JP column names ``year`` when given)."""
    return [str(t("id", "reports.h_jp", year=year)) if column == "jp" and year is not None
            else str(t("id", f"export.h_{column}")) for column in COLUMNS]


def neutralise(value: str) -> str:
    """``value`` made inert for spreadsheets (a leading quote before formula characters)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _cells(row: ProgressRow) -> list[object]:
    return [
        neutralise(row.name),
        neutralise(row.unit),
        row.courses_completed,
        row.lessons_completed,
        row.jp,
        row.accuracy,
        datetime.combine(row.last_active, time()) if row.last_active else None,
        neutralise(row.certificates),
    ]


def to_xlsx(rows: Sequence[ProgressRow], *, title: str, year: int | None = None) -> bytes:
    """An XLSX workbook: one sheet, typed cells (numbers, dates), frozen header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    assert sheet is not None
    sheet.title = str(t("id", "export.sheet"))
    sheet.append(headers(year))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(_cells(row))
    for index, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[chr(64 + index)].width = width
    for (cell,) in sheet.iter_rows(min_row=2, min_col=7, max_col=7):
        cell.number_format = "yyyy-mm-dd"
    for (cell,) in sheet.iter_rows(min_row=2, min_col=5, max_col=5):
        cell.number_format = "0.0"
    sheet.freeze_panes = "A2"
    workbook.properties.title = neutralise(title)
    workbook.properties.creator = "Sinau"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_csv(rows: Sequence[ProgressRow], *, year: int | None = None) -> bytes:
    """The same table as CSV: UTF-8 with a BOM (so Excel reads it as UTF-8), comma separated."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers(year))
    for row in rows:
        writer.writerow([
            neutralise(row.name),
            neutralise(row.unit),
            row.courses_completed,
            row.lessons_completed,
            f"{row.jp:.1f}",
            "" if row.accuracy is None else f"{row.accuracy:.1f}",
            row.last_active.isoformat() if row.last_active else "",
            neutralise(row.certificates),
        ])
    return buffer.getvalue().encode("utf-8-sig")
