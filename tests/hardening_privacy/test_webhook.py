"""Webhook mode: the real bot process behind its own webhook server, fed by the emulator.

A POST without the secret token, or with a wrong one, is refused (403) and never handled; the
emulator's deliveries (with the right one) are. A body over the limit is refused before it is
read (413, or 400 for a chunked body) and never handled either.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.sandbox.emulator import BotApiEmulator
from bot.web.server import MAX_BODY_BYTES
from tests.conftest import TEST_TOKEN

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sinau-webhook-secret_0123456789"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WebhookBot:
    """``python -m bot run`` in webhook mode, its URL and its log."""

    def __init__(self, proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.proc, self.url, self.log = proc, url, log

    def output(self) -> str:
        """Everything the process logged so far."""
        return self.log.read_text(errors="replace")


def spawn(env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start ``python -m bot run`` with ``env``, its output appended to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=cwd,
                                stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture
async def webhook_bot(emulator: BotApiEmulator, tmp_path: Path) -> AsyncIterator[WebhookBot]:
    """The bot process in webhook mode, started and registered with the emulator."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINAU_")}
    env.update(
        PYTHONPATH=str(ROOT),
        SINAU_TELEGRAM__TOKEN=emulator.token,
        SINAU_TELEGRAM__API_URL=emulator.url,
        SINAU_TELEGRAM__MODE="webhook",
        SINAU_TELEGRAM__WEBHOOK_URL=url,
        SINAU_TELEGRAM__WEBHOOK_LISTEN="127.0.0.1",
        SINAU_TELEGRAM__WEBHOOK_PORT=str(port),
        SINAU_TELEGRAM__WEBHOOK_SECRET=SECRET,
        SINAU_DATABASE__PATH=str(tmp_path / "webhook.db"),
    )
    log = tmp_path / "bot.log"
    proc = spawn(env, tmp_path, log)
    bot = WebhookBot(proc, url, log)
    try:
        await emulator.wait_for(
            lambda: proc.poll() is not None or any(
                r.method == "setWebhook" for r in emulator.requests), timeout=60)
        assert proc.poll() is None, bot.output()
        await wait_listening(port, proc, bot)
        yield bot
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 15)
        assert code == 0, bot.output()[-3000:]
    output = bot.output()
    assert TEST_TOKEN not in output and SECRET not in output
    assert "Traceback" not in output


async def wait_listening(port: int, proc: subprocess.Popen[bytes], bot: WebhookBot) -> None:
    """Wait until the webhook server accepts connections (setWebhook may come first)."""
    for _ in range(600):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            assert proc.poll() is None, bot.output()
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise AssertionError(f"webhook server not listening: {bot.output()[-2000:]}")


def start_update(emulator: BotApiEmulator, user: Any, update_id: int) -> dict[str, Any]:
    """A /start message update from ``user``, as Telegram would post it."""
    sender = {"id": user.id, "is_bot": False, "first_name": user.first_name,
              "language_code": "en"}
    return {"update_id": update_id, "message": {
        "message_id": update_id % 100000, "date": int(time.time()), "from": sender,
        "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
        "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}


async def post(url: str, body: dict[str, Any], secret: str | None) -> int:
    """POST an update; the HTTP status."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with aiohttp.ClientSession() as session, session.post(
            url, json=body, headers=headers) as resp:
        return resp.status


async def raw_request(url: str, head: bytes, body: bytes, *, answer_first: bool) -> bytes:
    """Send ``head`` and ``body`` on a raw connection; whatever the server answered.

    With ``answer_first`` the answer is read before the body is sent: a server that refuses
    on the headers answers at once, and a reset caused by the unread body cannot hide it.
    """
    host, port = url.split("//")[1].split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    answer = b""
    try:
        writer.write(head)
        await writer.drain()
        if answer_first:
            answer = await asyncio.wait_for(reader.read(4096), 10)
        try:
            for start in range(0, len(body), 65536):
                writer.write(body[start:start + 65536])
                await writer.drain()
        except (ConnectionError, OSError):
            pass  # the server stopped reading: that is the point
        if not answer:
            try:
                answer = await asyncio.wait_for(reader.read(4096), 10)
            except (ConnectionError, OSError):
                answer = b""
        return answer
    finally:
        writer.close()


async def test_secret_token_is_required_and_checked(
    emulator: BotApiEmulator, webhook_bot: WebhookBot
) -> None:
    forged = emulator.add_user("Forged", language_code="en", started=True)
    wrong = emulator.add_user("Wrong", language_code="en", started=True)
    right = emulator.add_user("Direct", language_code="en", started=True)
    assert await post(webhook_bot.url, start_update(emulator, forged, 900_000_001), None) == 403
    assert await post(webhook_bot.url, start_update(emulator, wrong, 900_000_002),
                      "not-the-secret") == 403
    assert await post(webhook_bot.url, start_update(emulator, right, 900_000_003),
                      SECRET) == 200
    reply = await emulator.wait_for_message(right.id, timeout=30)
    assert reply["text"].startswith("Hello, Direct!")

    # The emulator's own deliveries carry the secret and are answered as usual.
    user = emulator.add_user("Dewi", language_code="id")
    await emulator.send_text(user, "/start")
    reply = await emulator.wait_for_message(user.id, timeout=30)
    assert reply["text"].startswith("Halo, Dewi!")
    await emulator.settle()
    # The refused posts were never handled.
    assert emulator.messages(forged.id) == [] and emulator.messages(wrong.id) == []


async def test_bodies_over_the_limit_are_refused_unread(
    emulator: BotApiEmulator, webhook_bot: WebhookBot
) -> None:
    big = emulator.add_user("Besar", language_code="en", started=True)
    update = start_update(emulator, big, 900_000_010)
    update["message"]["padding"] = "x" * (MAX_BODY_BYTES + 10)  # a field PTB would ignore
    body = json.dumps(update).encode()
    path = "/telegram"
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    answer = await raw_request(webhook_bot.url, head, body, answer_first=True)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]

    # Without a Content-Length (chunked), the server stops reading at the limit.
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 65536]), body[i:i + 65536])
                       for i in range(0, len(body), 65536)) + b"0\r\n\r\n"
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    answer = await raw_request(webhook_bot.url, head, chunked, answer_first=False)
    assert answer == b"" or answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 413")), answer[:100]

    # A normal-sized update right after is handled; the big ones never were.
    small = emulator.add_user("Kecil", language_code="en", started=True)
    assert await post(webhook_bot.url, start_update(emulator, small, 900_000_011),
                      SECRET) == 200
    await emulator.wait_for_message(small.id, timeout=30)
    await emulator.settle()
    assert emulator.messages(big.id) == []
    assert webhook_bot.proc.poll() is None
