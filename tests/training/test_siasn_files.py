"""The SIASN and JP sheets as files: exact headers, typed cells, print setup, CSV conventions."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from decimal import Decimal

import openpyxl
import pytest

from bot.training import sheets
from bot.training.siasn import JpRow, SiasnRow, jp_table, siasn_table

SIASN_HEADERS = ["NIP", "Nama", "Nama Kursus", "Institusi Penyelenggara", "Jumlah Jam",
                 "Tanggal Kursus", "Tanggal Selesai Kursus", "Tahun Kursus",
                 "Nomor Sertifikat", "Jenis Kursus"]
JP_HEADERS = ["NIP", "Nama", "Unit Kerja", "Jabatan", "Instansi", "Tahun", "Jumlah JP",
              "Target JP", "Kekurangan JP", "Status"]
NIP = "199001012015031001"
FORMULAS = ['=HYPERLINK("http://x","klik")', "+1", "@x", "-2+3", "\tTab"]


def midnight(day: date) -> datetime:
    """How openpyxl reads a date cell back: a naive datetime at midnight."""
    return datetime.combine(day, time())


def siasn_rows() -> list[SiasnRow]:
    rows = [
        SiasnRow(NIP, "Sari Rahayu", "Nilai dasar ASN BerAKHLAK", "BKPSDM Kota Semarang",
                 Decimal("0.89"), date(2026, 2, 1), date(2026, 2, 10), 2026, "SNU-AAAA-0001",
                 "kursus", "course"),
        SiasnRow("", "Tanpa NIP", "Pelayanan publik prima", "Kecamatan Gajahmungkur",
                 Decimal("20.00"), date(2026, 3, 1), date(2026, 3, 1), 2026, "", "kursus",
                 "course"),
    ]
    rows += [SiasnRow("", name, f"{name} kursus", "=cmd|' /C calc'!A0", Decimal("1.5"),
                      date(2025, 12, 31), date(2026, 1, 1), 2026, "", "seminar", "course")
             for name in FORMULAS]
    return rows


def jp_rows() -> list[JpRow]:
    return [
        JpRow("", "=HYPERLINK(\"x\")", "+Karangrejo", "@Staf", "", 2026, Decimal("0.89"), 20),
        JpRow(NIP, "Sari", "Kelurahan Bendan Ngisor", "Lurah", "Kecamatan Gajahmungkur", 2026,
              Decimal("2.04"), 20),
        JpRow("200002292022032002", "Outsider", "", "", "", 2026, Decimal("20.00"), 20),
    ]


def load(data: bytes) -> openpyxl.worksheet.worksheet.Worksheet:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert len(workbook.worksheets) == 1
    return workbook.worksheets[0]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the UTF-8 BOM Excel needs
    text = data[3:].decode("utf-8")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_siasn_xlsx_has_the_exact_columns_and_typed_cells() -> None:
    sheet = load(sheets.to_xlsx(siasn_table(siasn_rows()), title="SIASN 2026"))
    assert sheet.title == "Riwayat Kursus"
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == SIASN_HEADERS
    assert len(values) == 1 + len(siasn_rows())
    sari, no_nip = values[1], values[2]
    assert sari == (NIP, "Sari Rahayu", "Nilai dasar ASN BerAKHLAK", "BKPSDM Kota Semarang",
                    0.89, midnight(date(2026, 2, 1)), midnight(date(2026, 2, 10)), 2026,
                    "SNU-AAAA-0001", "kursus")
    assert isinstance(sari[0], str) and sari[0] == NIP          # 18 digits, as text
    assert isinstance(sari[4], float) and isinstance(sari[7], int)
    assert no_nip[0] is None and no_nip[4] == 20 and no_nip[8] is None  # empty cells
    cells = sheet[2]
    assert cells[0].data_type == "s" and cells[0].number_format == "@"
    assert cells[4].number_format == "0.00"
    assert cells[5].is_date and cells[5].number_format == sheets.DATE_FORMAT
    assert cells[6].is_date and cells[7].number_format == "0"


def test_the_sheet_prints_landscape_one_page_wide_with_the_header_on_every_page() -> None:
    sheet = load(sheets.to_xlsx(siasn_table(siasn_rows()), title="SIASN 2026"))
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:J{1 + len(siasn_rows())}"
    assert all(cell.font.b for cell in sheet[1])


def test_formula_like_text_is_neutralised_in_xlsx_and_csv() -> None:
    table = siasn_table(siasn_rows())
    sheet = load(sheets.to_xlsx(table, title="=x"))
    names = [row[1] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert names == ["'" + name for name in FORMULAS]
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row
               if isinstance(cell.value, str))  # no formula cell anywhere
    organisers = {row[3] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert organisers == {"'=cmd|' /C calc'!A0"}
    parsed = read_csv(sheets.to_csv(table))
    assert [row[1] for row in parsed[3:]] == ["'" + name for name in FORMULAS]
    assert {row[3] for row in parsed[3:]} == {"'=cmd|' /C calc'!A0"}


def test_siasn_csv_round_trips_with_semicolons() -> None:
    parsed = read_csv(sheets.to_csv(siasn_table(siasn_rows()[:2])))
    assert parsed == [
        SIASN_HEADERS,
        [NIP, "Sari Rahayu", "Nilai dasar ASN BerAKHLAK", "BKPSDM Kota Semarang", "0,89",
         "2026-02-01", "2026-02-10", "2026", "SNU-AAAA-0001", "kursus"],
        ["", "Tanpa NIP", "Pelayanan publik prima", "Kecamatan Gajahmungkur", "20,00",
         "2026-03-01", "2026-03-01", "2026", "", "kursus"],
    ]


def test_jp_sheet_xlsx_and_csv() -> None:
    table = jp_table(jp_rows())
    sheet = load(sheets.to_xlsx(table, title="JP 2026"))
    assert sheet.title == "JP per Orang"
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == JP_HEADERS
    assert values[1] == (None, "'=HYPERLINK(\"x\")", "'+Karangrejo", "'@Staf", None, 2026,
                         0.89, 20, 19.11, "belum")
    assert values[2] == (NIP, "Sari", "Kelurahan Bendan Ngisor", "Lurah",
                         "Kecamatan Gajahmungkur", 2026, 2.04, 20, 17.96, "belum")
    assert values[3] == ("200002292022032002", "Outsider", None, None, None, 2026, 20, 20, 0,
                         "memenuhi")
    assert sheet.print_title_rows == "$1:$1" and sheet.page_setup.orientation == "landscape"
    assert read_csv(sheets.to_csv(table)) == [
        JP_HEADERS,
        ["", "'=HYPERLINK(\"x\")", "'+Karangrejo", "'@Staf", "", "2026", "0,89", "20",
         "19,11", "belum"],
        [NIP, "Sari", "Kelurahan Bendan Ngisor", "Lurah", "Kecamatan Gajahmungkur", "2026",
         "2,04", "20", "17,96", "belum"],
        ["200002292022032002", "Outsider", "", "", "", "2026", "20,00", "20", "0,00",
         "memenuhi"],
    ]


def test_an_empty_sheet_still_has_its_header_and_print_setup() -> None:
    table = siasn_table([])
    sheet = load(sheets.to_xlsx(table, title="SIASN"))
    assert list(sheet.iter_rows(values_only=True)) == [tuple(SIASN_HEADERS)]
    assert sheet.print_title_rows == "$1:$1"
    assert read_csv(sheets.to_csv(table)) == [SIASN_HEADERS]


def test_text_that_xml_cannot_carry_or_that_has_edges_survives() -> None:
    row = SiasnRow("", "  Sari <&> \x07Rahayu ", "Kursus \"A\" & 'B'", "x", Decimal(1),
                   date(2026, 1, 1), date(2026, 1, 1), 2026, "", "kursus", "course")
    values = list(load(sheets.to_xlsx(siasn_table([row]), title="x")).iter_rows(
        values_only=True))
    assert values[1][1] == "  Sari <&> Rahayu "      # spaces kept, the bell dropped
    assert values[1][2] == "Kursus \"A\" & 'B'"


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (9, "J"), (25, "Z"), (26, "AA"),
                                                (701, "ZZ"), (702, "AAA")])
def test_column_letters(index: int, letters: str) -> None:
    assert sheets._letters(index) == letters
