"""The sandbox's terminal rendering and its :time parser, without a running bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.commands import parse_time_spec
from bot.sandbox.terminal import (
    format_size,
    html_to_terminal,
    render_entities,
    render_message,
    speaker_block,
    strip_ansi,
)

JAKARTA = ZoneInfo("Asia/Jakarta")


def test_plain_markers_for_bold_italic_and_code() -> None:
    html = "Halo, <b>Sari</b>! <i>Lima</i> menit, <code>/learn</code>."
    assert html_to_terminal(html, ansi=False) == "Halo, *Sari*! _Lima_ menit, `/learn`."


def test_ansi_styles_open_and_close_around_the_text() -> None:
    text = html_to_terminal("<b>Tebal</b> dan <i>miring</i>", ansi=True)
    assert text == "\x1b[1mTebal\x1b[22m dan \x1b[3mmiring\x1b[23m"
    assert strip_ansi(text) == "Tebal dan miring"


def test_nested_entities_close_inside_out() -> None:
    assert html_to_terminal("<b>a <i>b</i> c</b>", ansi=False) == "*a _b_ c*"


def test_link_shows_its_target() -> None:
    html = 'Baca <a href="https://jdih.go.id/uu-5">UU ASN</a> dulu.'
    assert html_to_terminal(html, ansi=False) == "Baca UU ASN <https://jdih.go.id/uu-5> dulu."
    assert strip_ansi(html_to_terminal(html, ansi=True)) == (
        "Baca UU ASN <https://jdih.go.id/uu-5> dulu."
    )


def test_escaped_characters_come_out_literal() -> None:
    assert html_to_terminal("5 &lt; 7 &amp;&amp; <b>A&amp;B</b>", ansi=False) == "5 < 7 && *A&B*"


def test_offsets_count_utf16_units_after_emoji() -> None:
    # 🔥 is two UTF-16 units: the entity after it must still land on the right letters.
    text = "🔥 Runtunan: 3 hari"
    entities = [{"type": "bold", "offset": 13, "length": 1}]
    assert render_entities(text, entities, ansi=False) == "🔥 Runtunan: *3* hari"


def test_blockquote_lines_are_marked() -> None:
    rendered = html_to_terminal("Kutipan:\n<blockquote>satu\ndua</blockquote>", ansi=False)
    assert rendered == "Kutipan:\n▍ satu\n▍ dua"


def test_buttons_are_numbered_across_rows() -> None:
    message = {
        "message_id": 7,
        "text": "Pelajaran 1",
        "reply_markup": {
            "inline_keyboard": [
                [
                    {"text": "Lanjut ▶", "callback_data": "l:n"},
                    {"text": "Kuis", "callback_data": "q"},
                ],
                [{"text": "Sumber", "url": "https://example.org/a"}],
            ]
        },
    }
    lines = render_message(message, ansi=False)
    assert lines == [
        "Pelajaran 1",
        "[1] Lanjut ▶  [2] Kuis",
        "[3] Sumber ↗ <https://example.org/a>",
    ]


def test_edited_message_is_marked() -> None:
    lines = render_message({"message_id": 1, "text": "Baru", "edit_date": 5}, ansi=False,
                           edited=True)
    assert lines == ["(diedit) Baru"]


def test_poll_options_are_numbered() -> None:
    poll = {
        "id": "1",
        "question": "Nilai dasar ASN?",
        "options": [
            {"text": "BerAKHLAK", "voter_count": 0},
            {"text": "Lainnya", "voter_count": 0},
        ],
        "type": "quiz",
        "is_closed": False,
    }
    lines = render_message({"message_id": 3, "poll": poll}, ansi=False)
    assert lines == ["📊 Nilai dasar ASN? (kuis/quiz)", "  [1] BerAKHLAK", "  [2] Lainnya"]


def test_a_pin_notice_names_the_pinned_message() -> None:
    pinned = {"message_id": 4, "text": "Diskusi: Pelayanan prima di kelurahan\nBalas pesan ini."}
    lines = render_message({"message_id": 5, "pinned_message": pinned}, ansi=False)
    assert lines == ["📌 menyematkan pesan / pinned a message: Diskusi: Pelayanan prima di "
                     "kelurahan"]


def test_speaker_block_indents_continuation_lines() -> None:
    assert speaker_block("Sinau", ["a", "", "b"]) == "Sinau ▸ a\n\n        b"


@pytest.mark.parametrize(
    ("size", "shown"), [(0, "0 B"), (812, "812 B"), (12_595, "12.3 KB"), (1_468_006, "1.4 MB")]
)
def test_file_sizes_read_like_a_chat_client(size: int, shown: str) -> None:
    assert format_size(size) == shown


NOW = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)  # 13:00 WIB


@pytest.mark.parametrize(
    ("spec", "delta"),
    [
        ("+1d", timedelta(days=1)),
        ("+2h", timedelta(hours=2)),
        ("+30m", timedelta(minutes=30)),
        ("+1d2h30m", timedelta(days=1, hours=2, minutes=30)),
        ("  +3H ", timedelta(hours=3)),
    ],
)
def test_relative_time_moves(spec: str, delta: timedelta) -> None:
    assert parse_time_spec(spec, NOW, JAKARTA) == delta


def test_clock_time_later_today() -> None:
    # 13:00 WIB now: 19:30 is today, 6 h 30 min ahead.
    assert parse_time_spec("19:30", NOW, JAKARTA) == timedelta(hours=6, minutes=30)


def test_clock_time_already_passed_means_tomorrow() -> None:
    delta = parse_time_spec("07:30", NOW, JAKARTA)
    assert (NOW + delta).astimezone(JAKARTA) == datetime(2025, 3, 11, 7, 30, tzinfo=JAKARTA)


def test_clock_time_now_exactly_is_the_next_day() -> None:
    assert parse_time_spec("13:00", NOW, JAKARTA) == timedelta(days=1)


@pytest.mark.parametrize("hour", [0, 5, 7, 13, 23])
@pytest.mark.parametrize("spec", ["besok 07:31", "Tomorrow  7.31"])
def test_tomorrow_at_a_clock_time_is_the_next_calendar_day(spec: str, hour: int) -> None:
    # Whether "now" is before or after 07:31 today, the target is tomorrow's 07:31.
    now = datetime(2025, 3, 10, hour, 59, tzinfo=JAKARTA)
    target = (now + parse_time_spec(spec, now, JAKARTA)).astimezone(JAKARTA)
    assert target == datetime(2025, 3, 11, 7, 31, tzinfo=JAKARTA)


@pytest.mark.parametrize("spec", ["", "1d", "+", "+1w", "-1d", "25:00", "7:61", "besok",
                                  "lusa 07:30", "besok 25:00"])
def test_bad_time_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="bad time"):
        parse_time_spec(spec, NOW, JAKARTA)
