"""The sandbox console in-process: the real bot on the emulator, lines typed into a Console."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.config import Settings
from bot.sandbox.commands import Console
from bot.sandbox.session import SandboxOptions, SandboxSession


@pytest.fixture
async def console(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> AsyncIterator[Console]:
    """A started sandbox session and a plain-text console echoing the typed lines."""
    session = SandboxSession(make_settings(), SandboxOptions(db=tmp_path / "sandbox.db"))
    await session.start()
    try:
        yield Console(session, ansi=False, echo=True)
    finally:
        await session.stop()


@pytest.fixture
async def other_bot(console: Console) -> AsyncIterator[Bot]:
    """A second HTTP client with the bot's token, to send what no handler sends yet."""
    emu = console.emu
    bot = Bot(emu.token, base_url=f"{emu.url}/bot", base_file_url=f"{emu.url}/file/bot")
    async with bot:
        yield bot


async def _type(console: Console, capsys: pytest.CaptureFixture[str], *lines: str) -> str:
    capsys.readouterr()
    for line in lines:
        assert await console.handle(line)
    return capsys.readouterr().out


async def test_start_shows_the_bot_reply_with_numbered_buttons(
    console: Console, capsys: pytest.CaptureFixture[str]
) -> None:
    out = await _type(console, capsys, "/start")
    assert out.startswith("[Sari] /start\nSinau ▸ Halo, *Sari*!")
    assert "[1] ▶️ Mulai belajar" in out
    assert "[2] ✓ 🇮🇩 Bahasa Indonesia  [3] 🇬🇧 English" in out
    assert console.failures == 0


async def test_number_answers_the_last_poll_and_shows_the_verdict(
    console: Console, other_bot: Bot, capsys: pytest.CaptureFixture[str]
) -> None:
    await _type(console, capsys, "/help")
    await other_bot.send_poll(
        console.user.id, "Nilai dasar pertama?", ["Akuntabel", "Berorientasi Pelayanan"],
        type="quiz", correct_option_ids=[1], is_anonymous=False, explanation="Ber = pelayanan",
    )
    await console.session.settle()
    console.show()
    shown = capsys.readouterr().out
    assert "Sinau ▸ 📊 Nilai dasar pertama? (kuis/quiz)\n" in shown
    assert "          [1] Akuntabel\n" in shown
    out = await _type(console, capsys, "1")
    assert "✗ [1] Akuntabel — salah / wrong (benar / correct: [2] Berorientasi Pelayanan)" in out
    assert "💡 Ber = pelayanan" in out
    poll = next(iter(console.emu.polls.values()))
    assert poll.votes == {console.user.id: [0]}


async def test_document_is_saved_and_shown_with_size_and_path(
    console: Console, other_bot: Bot, capsys: pytest.CaptureFixture[str]
) -> None:
    await _type(console, capsys, "/help")
    content = b"%PDF-1.4 sertifikat " * 600
    await other_bot.send_document(
        console.user.id, content, filename="sertifikat.pdf", caption="Selamat!"
    )
    out = await _type(console, capsys, "/help")
    saved = console.session.downloads.folder / "sertifikat.pdf"
    assert f"📄 sertifikat.pdf (11.7 KB) → {saved}\n" in out
    assert "Selamat!" in out
    assert saved.read_bytes() == content


async def test_an_edit_is_shown_again_marked_and_a_stray_press_is_answered(
    console: Console, other_bot: Bot, capsys: pytest.CaptureFixture[str]
) -> None:
    await _type(console, capsys, "/help")
    nobody = InlineKeyboardButton("Tidak ada", callback_data="x:y")
    sent = await other_bot.send_message(
        console.user.id, "Sebelum", reply_markup=InlineKeyboardMarkup([[nobody]])
    )
    await other_bot.edit_message_text("Sesudah", chat_id=console.user.id, message_id=sent.id,
                                      reply_markup=sent.reply_markup)
    out = await _type(console, capsys, "/help", "1")
    assert "Sinau ▸ (diedit) Sesudah\n        [1] Tidak ada" in out
    # No feature handles x:y; the bot's catch-all answers it as expired, and the sandbox shows
    # that answer (a press left unanswered would be flagged as a failure instead).
    assert "💬 Tombol ini sudah tidak berlaku." in out
    assert "⚠ bot tidak menjawab tombol" not in out
    assert console.failures == 0


async def test_users_groups_and_forum_topics(
    console: Console, capsys: pytest.CaptureFixture[str]
) -> None:
    out = await _type(console, capsys, ":as Budi", "/start", ":group Diklat", "/help")
    assert "── Budi ──" in out
    assert "[Budi] /start\nSinau ▸ Halo, *Budi*!" in out
    assert "── grup / group: Diklat ──" in out
    assert "[Budi @ Diklat] /help\nSinau ▸ " in out
    assert "/learn — " in out
    group = console.groups["diklat"]
    assert group.bot_member.status == "administrator"
    out = await _type(
        console, capsys, ":forum Forum ASN", ":topic Tanya Jawab", "halo", "/help", ":topic"
    )
    assert "[Budi @ Forum ASN #Tanya Jawab] halo" in out
    assert "[Budi @ Forum ASN #Tanya Jawab] /help\nSinau ▸ [#Tanya Jawab] " in out
    assert "[0] General  [1] Tanya Jawab" in out
    out = await _type(console, capsys, ":private", ":as Sari")
    assert console.chat is None and console.user.first_name == "Sari"
    assert console.failures == 0


async def test_admin_is_the_configured_admin(console: Console) -> None:
    settings = console.session.settings
    assert settings is not None
    await console.handle(":as admin")
    assert console.user.first_name == "Admin"
    assert console.user.id in settings.access.admin_ids
    assert console.prompt() == "[Admin] "


async def test_time_moves_both_clocks(
    console: Console, capsys: pytest.CaptureFixture[str]
) -> None:
    session = console.session
    bot_before, emu_before = session.clock.now(), console.emu.now()
    out = await _type(console, capsys, ":time +2h")
    assert (session.clock.now() - bot_before).total_seconds() >= 7200
    assert (console.emu.now() - emu_before).total_seconds() >= 7200
    assert out.count("⏰ ") == 1


async def test_block_and_mistakes(console: Console, capsys: pytest.CaptureFixture[str]) -> None:
    out = await _type(console, capsys, "/start", ":block", ":nope", "7", ":time soon")
    assert console.user.blocked
    assert "🚫 Sari memblokir bot" in out
    assert "unknown sandbox command :nope" in out
    assert "no button [7]" in out
    assert "bad time 'soon'" in out
    assert console.failures == 3
    assert await console.handle(":quit") is False
