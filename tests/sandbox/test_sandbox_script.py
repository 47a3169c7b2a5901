"""``sinau sandbox`` as a newcomer runs it: a real process, no token, a script or stdin."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content.loader import load_catalogue

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "bot" / "sandbox" / "demo.txt"
BROKEN_PACK = ROOT / "tests" / "content" / "fixtures" / "broken" / "missing-field.toml"
# A guard against a hung process, not a timing assertion.
HANG_GUARD = 120


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINAU_")}
    env["PYTHONPATH"] = str(ROOT)
    # The sandbox's temporary folder lands here, so the tests can see it is tidied away.
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env["TMPDIR"] = str(tmp_path / "tmp")
    env.update(extra)
    return env


def _sinau(tmp_path: Path, *args: str, stdin: str | None = None,
           **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True, text=True, env=_env(tmp_path, **env), cwd=tmp_path,
        timeout=HANG_GUARD, check=False,
    )


def _after(transcript: str, marker: str) -> str:
    """The part of the transcript after the line that typed ``marker``."""
    index = transcript.index(f"] {marker}\n")
    return transcript[index:]


def _no_leftovers(tmp_path: Path) -> None:
    assert list((tmp_path / "tmp").glob("sinau-sandbox-*")) == []


# The demo as shipped starts at the wall clock's time; the others first move the clock to a time of
# day before the reminder, and to just before midnight, so the demo is proven at any hour.
@pytest.mark.parametrize("start_at", [None, "05:00", "23:50"])
def test_demo_script_onboards_learns_quizzes_gets_a_nudge_and_shows_progress(
    tmp_path: Path, start_at: str | None,
) -> None:
    script = DEMO
    if start_at is not None:
        script = tmp_path / "demo-at.txt"
        demo = DEMO.read_text(encoding="utf-8")
        script.write_text(f":time {start_at}\n{demo}", encoding="utf-8")
    result = _sinau(tmp_path, "sandbox", "--script", str(script))
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "Traceback" not in result.stderr
    assert "⚠" not in out
    # The welcome: one tap to the first lesson; the reminder time asked after it.
    assert "[1] ▶️ Mulai belajar" in out
    assert "[2] ✓ 🇮🇩 Bahasa Indonesia  [3] 🇬🇧 English" in out
    assert "Pengingat harian pukul *07:30* (bawaan)" in out
    assert "Besok jam berapa saya ingatkan?" in out
    assert "Di unit kerja mana Anda bertugas?" not in out
    # The first lesson of the shipped BerAKHLAK pack, its card paged with "Lanjut ▶".
    lesson = load_catalogue().course("berakhlak").lessons[0]  # type: ignore[union-attr]
    assert f"Sinau ▸ *{lesson.title.get('id')}* · 1/2" in out
    assert "[1] Lanjut ▶" in out
    assert f"(diedit) *{lesson.title.get('id')}* · 2/2" in out
    # The quiz: three answers, each with its verdict, then the lesson summary.
    quiz = _after(out, ":press Kuis")
    assert quiz.count("✅ *Benar!*") == 3
    assert "Jawaban benar: 3/3" in quiz
    # No nudge before the clock moves; after a day, at the reminder time, there is one.
    before, nudged = out.split("] :time besok 07:31\n", 1)
    assert "Belajar sekarang" not in before
    assert re.search(r"⏰ \w+ \d{4}-\d\d-\d\d 07:31 WIB", nudged)
    assert "Sinau ▸ Selamat pagi, Sari!" in nudged
    assert "[1] Belajar sekarang ▶" in nudged
    # /progress counts what the demo did.
    progress = _after(out, "/progress")
    assert "1/4 pelajaran" in progress
    assert "Akurasi kuis: 3/3, 100%" in progress
    assert "Runtunan: 1 hari" in progress
    _no_leftovers(tmp_path)


def test_run_without_a_token_starts_the_sandbox_and_ends_at_end_of_input(
    tmp_path: Path,
) -> None:
    result = _sinau(tmp_path, "run")
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    notice = result.stderr.strip()
    assert notice.count("\n") == 0
    assert "sandbox" in notice and "SINAU_TELEGRAM__TOKEN" in notice
    assert result.stdout.startswith("Sinau sandbox:")
    _no_leftovers(tmp_path)


def test_lines_from_stdin_are_typed_in_order(tmp_path: Path) -> None:
    result = _sinau(tmp_path, "sandbox", stdin="/start\n3\n")
    assert result.returncode == 0
    out = result.stdout
    assert "[Sari] /start" in out
    # [3] is English: the bot switches the welcome's language.
    assert "[1] ▶️ Start learning" in _after(out, "3")


def test_quit_ends_the_sandbox_while_input_is_still_open(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=_env(tmp_path), cwd=tmp_path,
    )
    assert process.stdin is not None
    # stdin stays open after :quit, so only :quit can end the process.
    process.stdin.write("/start\n:quit\n/help\n")
    process.stdin.flush()
    try:
        process.wait(timeout=HANG_GUARD)
        out, err = process.communicate()
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "Mulai belajar" in out
    assert "[Sari] /help" not in out
    assert "Traceback" not in err
    _no_leftovers(tmp_path)


def test_sigterm_stops_the_sandbox_cleanly(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=_env(tmp_path), cwd=tmp_path,
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        first = process.stdout.readline()
        assert first.startswith("Sinau sandbox:")
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=HANG_GUARD)
        _, err = process.communicate()
    finally:
        process.kill()
    assert process.returncode == 143
    assert "Traceback" not in err
    _no_leftovers(tmp_path)


def test_broken_course_pack_is_reported_by_line_and_nothing_starts(tmp_path: Path) -> None:
    result = _sinau(tmp_path, "sandbox", "--content", str(BROKEN_PACK), stdin="/start\n")
    assert result.returncode == 1
    assert re.search(r"missing-field\.toml:\d+: ", result.stderr)
    assert "Sinau sandbox:" not in result.stdout
    assert "Traceback" not in result.stderr


@pytest.fixture
def preview_pack(tmp_path: Path) -> Path:
    """A course pack a trainer is about to upload: a copy of BerAKHLAK under a new name."""
    source = (ROOT / "bot" / "content" / "packs" / "berakhlak.toml").read_text(encoding="utf-8")
    pack = source.replace('key = "berakhlak"', 'key = "pratinjau"', 1).replace(
        'id = "Nilai dasar ASN BerAKHLAK"', 'id = "Kursus Pratinjau Sandbox"', 1
    )
    path = tmp_path / "pratinjau.toml"
    path.write_text(pack, encoding="utf-8")
    return path


def test_content_pack_is_previewed_and_db_is_kept(tmp_path: Path, preview_pack: Path) -> None:
    db = tmp_path / "keep" / "sandbox.db"
    first = _sinau(tmp_path, "sandbox", "--content", str(preview_pack), "--db", str(db),
                   stdin="/start\n:press Mulai belajar\n/courses\n")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Kursus Pratinjau Sandbox" in _after(first.stdout, "/courses")
    assert db.is_file()
    # The same database again: Sari is onboarded already, /start shows her dashboard.
    again = _sinau(tmp_path, "sandbox", "--db", str(db), stdin="/start\n")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Mulai belajar" not in again.stdout
    assert "Halo, *Sari* 👋" in again.stdout
