"""The token never appears in logs, whatever happens."""

from __future__ import annotations

import logging

import pytest

from bot.sandbox.emulator import BotApiEmulator

from .conftest import Call


async def test_token_is_never_logged(
    emu: BotApiEmulator, api: Call, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = emu.add_user("Sari", started=True)
    await api("sendMessage", chat_id=user.id, text="ok")
    await api("sendMessage", chat_id=user.id, text="<x>", parse_mode="HTML")
    await api("sendMessage", chat_id=user.id, text="x", bogus=1)
    await api("getMe", token="1:other")
    assert caplog.records  # something was logged
    secret = emu.token.split(":", 1)[1]
    assert all(secret not in record.getMessage() for record in caplog.records)
    assert any("<redacted>" in record.getMessage() for record in caplog.records)
