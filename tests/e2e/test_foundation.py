"""Foundation end to end: /start through the real Application and HTTP, the menu, the process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.i18n import t
from bot.sandbox.emulator import BotApiEmulator
from tests.conftest import TEST_TOKEN
from tests.e2e.harness import Sinau

ROOT = Path(__file__).resolve().parents[2]


async def test_start_answers_in_indonesian_by_default(sinau: Sinau) -> None:
    for code in ("id", None):
        user = sinau.user("Sari", language_code=code)
        replies = await sinau.send(user, "/start")
        assert replies, "no answer to /start"
        assert replies[0]["text"].startswith("Halo, Sari!")
        assert await sinau.services.users.get(user.id) is not None


async def test_start_answers_in_english_for_english_users(sinau: Sinau) -> None:
    user = sinau.user("Budi", language_code="en")
    replies = await sinau.send(user, "/start")
    assert replies[0]["text"].startswith("Hello, Budi!")
    stored = await sinau.services.users.get(user.id)
    assert stored is not None and stored.telegram_language == "en"


async def test_names_are_escaped(sinau: Sinau) -> None:
    user = sinau.user("<b>Tono</b> & Co", language_code="en")
    replies = await sinau.send(user, "/start")
    # The emulator parsed the HTML: the name arrives as literal text, not as markup.
    assert "<b>Tono</b> & Co" in replies[0]["text"]


async def test_menu_commands_set_for_both_languages(sinau: Sinau) -> None:
    # The default scope: what every private chat shows (trainers and groups get their own).
    calls = [
        r for r in sinau.emu.requests if r.method == "setMyCommands" and "scope" not in r.params
    ]
    languages = {r.params.get("language_code") for r in calls}
    assert {None, "id", "en"} <= languages
    for record in calls:
        lang = record.params.get("language_code") or "id"
        commands = record.params["commands"]
        if isinstance(commands, str):
            commands = json.loads(commands)
        assert {c["command"]: c["description"] for c in commands}["help"] == t(
            lang, "commands.help"
        )


async def test_unknown_command_gets_a_hint(sinau: Sinau) -> None:
    user = sinau.user("Rina")
    replies = await sinau.send(user, "/nonsense")
    assert replies and "/help" in replies[-1]["text"]


def _bot_env(emu: BotApiEmulator, db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINAU_")}
    env.update(
        PYTHONPATH=str(ROOT),
        SINAU_TELEGRAM__TOKEN=emu.token,
        SINAU_TELEGRAM__API_URL=emu.url,
        SINAU_DATABASE__PATH=str(db),
        SINAU_ACCESS__ADMIN_IDS="[1]",
        SINAU_TELEGRAM__POLL_TIMEOUT="5",
    )
    env.update(extra)
    return env


async def test_process_with_env_contract_answers_and_stops_on_sigterm(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    db = tmp_path / "proc.db"
    log = tmp_path / "bot.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=_bot_env(emulator, db), cwd=tmp_path,
            stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            user = emulator.add_user("Dewi", language_code="id")
            await emulator.send_text(user, "/start")
            reply = await emulator.wait_for_message(user.id, timeout=30)
            assert reply["text"].startswith("Halo, Dewi!")

            # A second instance on the same database refuses to start, clearly.
            second = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=_bot_env(emulator, db), cwd=tmp_path,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            _, err = await asyncio.wait_for(second.communicate(), 60)
            assert second.returncode != 0
            assert "already running" in err.decode()
            assert "Traceback" not in err.decode()

            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), 10)
            assert code == 0, f"exit code {code} after {time.monotonic() - started:.1f}s"
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    output = log.read_text(errors="replace")
    assert TEST_TOKEN not in output
    assert emulator.token not in output
    assert "Traceback" not in output


async def test_process_reports_refused_token_in_one_line(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    env = _bot_env(emulator, tmp_path / "x.db", SINAU_TELEGRAM__TOKEN="1:wrong-token")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert "Traceback" not in err.decode()
    assert "1:wrong-token" not in (out + err).decode()
