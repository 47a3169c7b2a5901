"""The bot token never leaks: not into a log line, a message, a database row or an export.

Error paths are provoked on purpose (a handler whose reply fails, Bot API errors and network
errors that echo the token, a crashing job, a refused token, an unreachable server, bad
config), in process and in a subprocess, and every place the token could land is searched.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import t
from bot.logs import setup_logging
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database, SqliteDatabase
from bot.storage.privacy import PrivacyRepository
from bot.training import export
from tests.conftest import TEST_TOKEN
from tests.e2e.harness import Sinau
from tests.e2e.learner import onboard, text

ROOT = Path(__file__).resolve().parents[2]
TOKEN_SECRET = TEST_TOKEN.split(":", 1)[1]  # the part that must never appear anywhere


@pytest.fixture
def bot_log() -> Iterator[io.StringIO]:
    """The production log set-up (redactor included), writing into a buffer, at DEBUG."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    setup_logging(logging.DEBUG, secrets=[TEST_TOKEN])
    ours = root.handlers[0]
    assert isinstance(ours, logging.StreamHandler)
    buffer = io.StringIO()
    ours.setStream(buffer)
    # pytest's own capture handlers come back for the test's call phase; only ours counts.
    yield buffer
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def everything_sent(emulator: BotApiEmulator) -> str:
    """Every message (text, caption, buttons) in every chat, and every callback answer."""
    parts = [json.dumps(emulator.messages(chat_id, from_bot=False), ensure_ascii=False)
             for chat_id in list(emulator.chats) + list(emulator.users)]
    parts.append(json.dumps(emulator.callback_answers, ensure_ascii=False))
    return "\n".join(parts)


async def database_text(db: Database) -> str:
    """Every row of every table, as text."""
    return json.dumps(await PrivacyRepository(db).dump(), default=str, ensure_ascii=False)


def assert_clean(where: str, content: str) -> None:
    """Neither the token nor its secret half occurs in ``content``, in any letter case.

    python-telegram-bot capitalises error descriptions (``str.capitalize`` lowercases the
    rest), so an echoed token can come back in lower case.
    """
    folded = content.casefold()
    assert TEST_TOKEN.casefold() not in folded, f"token in {where}"
    assert TOKEN_SECRET.casefold() not in folded, f"token secret in {where}"


async def test_error_paths_in_process_leak_the_token_nowhere(
    bot_log: io.StringIO, sinau: Sinau, emulator: BotApiEmulator,
) -> None:
    user = sinau.user("Sari")
    await onboard(sinau, user, "id")

    # A handler whose reply fails with a Bot API error that echoes the token.
    emulator.fail_next("sendMessage", 400, f"Bad Request: chat {TEST_TOKEN} not found")
    await sinau.send(user, "/privacy")
    # A handler whose reply fails with an error that is not a network one (a traceback).
    emulator.fail_next("sendMessage", 409, f"Conflict: terminated by {TEST_TOKEN}")
    await sinau.send(user, "/privacy")
    # A network-level failure (5xx) with the token in its description.
    emulator.fail_next("sendMessage", 502, f"Bad Gateway: upstream /bot{TEST_TOKEN}/x")
    await sinau.send(user, "/help")
    # A job that crashes with the token in its exception.
    assert sinau.app is not None and sinau.app.job_queue is not None
    done = asyncio.Event()

    async def crashing_job(context: Any) -> None:
        done.set()
        raise RuntimeError(f"job failed calling https://api.telegram.org/bot{TEST_TOKEN}/x")

    sinau.app.job_queue.run_once(crashing_job, 0)
    await asyncio.wait_for(done.wait(), 10)
    # A broadcast whose sends fail with the token in the error (the error is stored per row).
    broadcasts = sinau.services.training.broadcasts
    draft = await broadcasts.new_draft(user.id, "id")
    await broadcasts.set_text(draft.id, "Pengumuman")
    await broadcasts.set_audience(draft.id, "everyone", None)
    emulator.fail_next("sendMessage", 400, f"Bad Request: token {TEST_TOKEN} refused",
                       count=3)
    assert await broadcasts.confirm(draft.id, at=None, progress_chat_id=user.id,
                                    progress_message_id=None) == 1
    for _ in range(600):
        found = await broadcasts.get(draft.id)
        if found is not None and found.state == "done":
            break
        await asyncio.sleep(0.05)
    assert (await broadcasts.progress(draft.id)).failed == 1
    await sinau.settle()
    # /mydata afterwards: the learner's export.
    replies = await sinau.send(user, "/mydata")
    document = next(m["document"] for m in replies if "document" in m)
    await sinau.settle()

    log = bot_log.getvalue()
    assert "unexpected error" in log and "RuntimeError" in log  # the paths really ran
    assert "[REDACTED]" in log
    assert_clean("the log", log)
    assert_clean("messages", everything_sent(emulator))
    assert_clean("the database", await database_text(sinau.services.db))
    assert_clean("the /mydata export", emulator.file_bytes(document["file_id"]).decode())
    sinau.emu.violations.clear()  # the injected failures are not the bot's fault


async def test_trainer_exports_hold_no_secret(sinau: Sinau) -> None:
    user = sinau.user("Budi")
    await onboard(sinau, user, "id")
    db = sinau.services.db
    await db.execute("INSERT INTO cohorts (id, name, invite_code, created_by, created_at)"
                     " VALUES (7, 'Kelompok', 'c_abcdefghij', 1, 0)")
    await db.execute("INSERT INTO cohort_members (cohort_id, user_id, joined_at)"
                     " VALUES (7, ?, 0)", (user.id,))
    rows = await sinau.services.training.stats.progress_rows(7)
    assert [r.name for r in rows] == ["Budi"]
    xlsx = await asyncio.to_thread(export.to_xlsx, rows, title="Kelompok")
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        for name in archive.namelist():
            assert_clean(f"xlsx {name}", archive.read(name).decode("utf-8", "replace"))
    assert_clean("csv", export.to_csv(rows).decode("utf-8-sig"))


def bot_env(emulator: BotApiEmulator, db: Path, **extra: str) -> dict[str, str]:
    """The process environment contract, pointing at the emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINAU_")}
    env.update(PYTHONPATH=str(ROOT), SINAU_TELEGRAM__TOKEN=emulator.token,
               SINAU_TELEGRAM__API_URL=emulator.url, SINAU_DATABASE__PATH=str(db),
               SINAU_TELEGRAM__POLL_TIMEOUT="1")
    env.update(extra)
    return env


async def run_briefly(env: dict[str, str], cwd: Path) -> tuple[int | None, str]:
    """Run ``python -m bot run`` until it exits (at most 60 s); its code and output."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(errors="replace")


async def test_subprocess_error_paths_leak_the_token_nowhere(
    emulator: BotApiEmulator, tmp_path: Path,
) -> None:
    db = tmp_path / "proc.db"
    log = tmp_path / "bot.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=bot_env(emulator, db), cwd=tmp_path,
            stdout=out, stderr=subprocess.STDOUT)
    try:
        user = emulator.add_user("Dewi")
        await emulator.send_text(user, "/start")
        await emulator.wait_for_message(user.id, timeout=30)
        # 409 is no network error: the handler's exception reaches the error handler, which
        # logs its traceback and apologises.
        emulator.fail_next("sendMessage", 409, f"Conflict: terminated by {TEST_TOKEN}")
        await emulator.send_text(user, "/privacy")
        apology = str(t("id", "common.error"))
        try:
            await emulator.wait_for(lambda: any(text(m) == apology
                                                for m in emulator.messages(user.id)), timeout=30)
        except TimeoutError:
            raise AssertionError(log.read_text(errors="replace")[-3000:]) from None
        emulator.fail_next("sendMessage", 400, f"Bad Request: chat {TEST_TOKEN} not found")
        await emulator.send_text(user, "/help")
        await emulator.settle()
        emulator.fail_next("sendMessage", 502, f"Bad Gateway /bot{TEST_TOKEN}/sendMessage")
        await emulator.send_text(user, "/help")
        await emulator.settle()
        await emulator.send_text(user, "/help")
        await emulator.wait_for(lambda: sum("/help" in text(m) for m in
                                            emulator.messages(user.id)) >= 1, timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 20)
    output = log.read_text(errors="replace")
    assert code == 0, output[-2000:]
    assert "unexpected error" in output and "[REDACTED]" in output
    assert_clean("the process log", output)
    assert_clean("messages", everything_sent(emulator))
    async with SqliteDatabase(db) as database:
        assert_clean("the database", await database_text(database))
    emulator.violations.clear()


async def test_refused_token_unreachable_server_and_bad_config_print_no_secret(
    emulator: BotApiEmulator, tmp_path: Path,
) -> None:
    db = tmp_path / "x.db"
    # The server refuses the token.
    wrong = "987654321:AAwrong-token-that-must-stay-secret-0000"
    code, out = await run_briefly(bot_env(emulator, db, SINAU_TELEGRAM__TOKEN=wrong), tmp_path)
    assert code == 2 and wrong not in out and wrong.split(":")[1] not in out
    # Bad config next to a good token: one line, exit 2, neither secret echoed.
    for key, value in (("SINAU_TELEGRAM__WEBHOOK_SECRET", "not allowed!" + TOKEN_SECRET),
                       ("SINAU_TELEGRAM__API_URL", f"ftp://x/{TEST_TOKEN}"),
                       ("SINAU_TELEGRAM__POLL_TIMEOUT", TOKEN_SECRET),
                       ("SINAU_TELEGRAM__NO_SUCH_KEY", TOKEN_SECRET)):
        code, out = await run_briefly(bot_env(emulator, db, **{key: value}), tmp_path)
        assert code == 2, (key, out)
        assert "config error" in out and "Traceback" not in out, out
        assert_clean(f"the config error for {key}", out)

    # No Bot API server at all: the bot keeps retrying and says so once (not per retry).
    env = bot_env(emulator, db, SINAU_TELEGRAM__API_URL="http://127.0.0.1:9")
    log = tmp_path / "net.log"
    with log.open("wb") as sink:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path, stdout=sink,
            stderr=subprocess.STDOUT)
    try:
        # Its first failed attempt is logged (starting can take seconds on a busy machine),
        # then a few more attempts go by: it keeps retrying, as a daemon should.
        await _wait_for_log(log, "Cannot reach the Bot API server", timeout=60)
        await asyncio.sleep(3)
        assert proc.returncode is None
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 20)
    assert code == 0
    text = log.read_text(errors="replace")
    assert_clean("the network error log", text)
    warnings = [line for line in text.splitlines() if "Cannot reach the Bot API server" in line]
    assert len(warnings) == 1, text
    assert "WARNING" in warnings[0] and "http://127.0.0.1:9" in warnings[0]
    assert "Traceback" not in text


async def test_a_bot_api_server_that_comes_up_late_is_waited_for(tmp_path: Path) -> None:
    """Started before its server (a host reboot), the bot waits, then serves normally."""
    with socket.socket() as probe:  # a free loopback port for the server to come up on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    late = BotApiEmulator(token=TEST_TOKEN, port=port)
    env = bot_env(late, tmp_path / "late.db", SINAU_TELEGRAM__API_URL=f"http://127.0.0.1:{port}")
    log = tmp_path / "late.log"
    with log.open("wb") as sink:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path, stdout=sink,
            stderr=subprocess.STDOUT)
    try:
        await _wait_for_log(log, "Cannot reach the Bot API server")
        await late.start()
        try:
            user = late.add_user("Sari", language_code="id")
            await late.send_text(user, "/start")
            await late.wait_for_message(user, timeout=60)
            await _wait_for_log(log, "reachable again")
        finally:
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), 20)
            await late.stop()
    finally:
        if proc.returncode is None:
            proc.kill()
    assert code == 0
    assert_clean("the late-server log", log.read_text(errors="replace"))


async def _wait_for_log(log: Path, needle: str, timeout: float = 30) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while needle not in _logged(log):
        assert loop.time() < deadline, f"{needle!r} not logged:\n{_logged(log)[-2000:]}"
        await asyncio.sleep(0.1)


def _logged(log: Path) -> str:
    return log.read_text(errors="replace")
