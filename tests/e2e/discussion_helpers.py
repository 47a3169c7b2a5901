"""Helpers for the discussion end-to-end tests."""

from __future__ import annotations

from typing import Any

from bot.sandbox.emulator import BotApiEmulator, FakeChat
from tests.e2e.harness import Message, Sinau

ID_POSTS = [
    "Menurut saya pelayanan publik harus cepat, ramah, dan transparan bagi semua warga.",
    "Saya setuju, petugas loket perlu menjelaskan persyaratan dengan bahasa yang mudah.",
    "Di kelurahan kami antrean daring sangat membantu warga yang bekerja pada siang hari.",
    "Kita juga perlu menanyakan kepuasan warga setelah layanan selesai diberikan.",
    "Pengaduan warga sebaiknya dijawab dalam satu hari kerja agar mereka merasa dihargai.",
]


def text(message: Message) -> str:
    """The text of a message."""
    return str(message.get("text") or message.get("caption") or "")


async def bot_says(emu: BotApiEmulator, chat: FakeChat, fragment: str, *, after: int = 0,
                   thread: int | None = None) -> Message:
    """Wait for a bot message in ``chat`` (after message id ``after``) containing ``fragment``.

    Replies in groups are paced by the rate limiter (1/s per chat after a burst of 3), so a
    reply may come a moment after the update settled.
    """

    def find() -> Message | None:
        for message in emu.messages(chat):
            if message["message_id"] <= after or fragment not in text(message):
                continue
            if thread is not None and message.get("message_thread_id") != thread:
                continue
            return message
        return None

    found: Message = await emu.wait_for(find, timeout=10)
    return found


def last_id(emu: BotApiEmulator, chat: FakeChat) -> int:
    """The id of the latest message in the chat (anyone's)."""
    messages = emu.messages(chat, from_bot=False)
    return int(messages[-1]["message_id"]) if messages else 0


async def post(sinau: Sinau, user: Any, words: str, chat: FakeChat, **kwargs: Any) -> Message:
    """``user`` writes in the group; returns the message as the emulator stored it."""
    sent = await sinau.emu.send_text(user, words, chat=chat, **kwargs)
    await sinau.emu.settle()
    return sent
