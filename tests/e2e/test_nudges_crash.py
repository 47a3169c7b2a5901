"""Crash and shutdown: the real bot in a subprocess, killed in the middle of a dispatch.

At most one nudge per learner and local day must survive a SIGKILL between a send and its
mark; the sends whose outcome the bot cannot know stay in the ledger as 'sending' (uncertain)
and are never repeated. A SIGTERM in the middle of a batch stops the bot within 10 seconds.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database, SqliteDatabase, to_epoch
from tests.e2e.nudge_helpers import nudges_in

LEARNERS = 300
WIB = ZoneInfo("Asia/Jakarta")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    """The bot's database file, migrated, opened by the test alongside the bot."""
    db = SqliteDatabase(tmp_path / "sinau.db")
    await db.open()
    await db.migrate()
    yield db
    await db.close()


async def seed_due(db: Database, emulator: BotApiEmulator) -> list[int]:
    """LEARNERS learners whose nudge for today is due now (planned before the bot started)."""
    now = datetime.now(UTC)
    local = now.astimezone(WIB)
    stamp = to_epoch(now)
    ids = [emulator.add_user(f"L{i}", started=True).id for i in range(LEARNERS)]
    await db.execute_many(
        "INSERT INTO users (id, first_name, language, timezone, nudge_time, nudge_days,"
        " onboarded_at, created_at, last_seen_at) VALUES (?, ?, 'id', 'Asia/Jakarta', ?,"
        " 'daily', ?, ?, ?)",
        [(uid, f"L{uid}", local.strftime("%H:%M"), stamp, stamp, stamp) for uid in ids],
    )
    await db.execute(
        "UPDATE nudge_schedules SET next_due_at = ?, due_local_date = ?, needs_plan = 0",
        (to_epoch(now - timedelta(seconds=30)), local.date().isoformat()),
    )
    return ids


def start_bot(emulator: BotApiEmulator, db_path: Path, log: Path) -> subprocess.Popen[bytes]:
    """``python -m bot run`` against the emulator, nudges ticking fast, quiet hours off."""
    env = {
        **os.environ,
        "SINAU_TELEGRAM__TOKEN": emulator.token,
        "SINAU_TELEGRAM__API_URL": emulator.url,
        "SINAU_TELEGRAM__POLL_TIMEOUT": "1",
        "SINAU_DATABASE__PATH": str(db_path),
        "SINAU_NUDGES__TICK_SECONDS": "0.2",
        # The test runs at any hour of the host's day: nudges may go out around the clock.
        "SINAU_NUDGES__QUIET_START": "00:00",
        "SINAU_NUDGES__QUIET_END": "00:00",
        "PTB_TIMEDELTA": "true",
        "PYTHONPATH": str(REPO),
    }
    # The child keeps its own copy of the log's file descriptor.
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=db_path.parent, env=env,
            stdout=out, stderr=subprocess.STDOUT,
        )


def tail(log: Path) -> str:
    """The end of the bot's log, for a failure message."""
    return log.read_text(errors="replace")[-3000:]


def delivered(emulator: BotApiEmulator, ids: list[int]) -> dict[int, int]:
    """Nudges each learner received."""
    return {uid: len(nudges_in(emulator.messages(uid))) for uid in ids}


async def wait_until(predicate, timeout: float, proc: subprocess.Popen[bytes], log: Path) -> None:  # noqa: ANN001, ASYNC109
    """Poll ``predicate`` (sync or async) until true; fail with the bot's log if it dies."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        if proc.poll() is not None:
            raise AssertionError(f"bot exited ({proc.returncode}):\n{tail(log)}")
        if loop.time() > deadline:
            raise AssertionError(f"timed out; bot log:\n{tail(log)}")
        await asyncio.sleep(0.02)


async def statuses(db: Database) -> dict[str, int]:
    rows = await db.fetch_all("SELECT status, COUNT(*) AS n FROM nudge_ledger GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


async def test_sigkill_mid_dispatch_then_restart_never_doubles(
    emulator: BotApiEmulator, database: Database, tmp_path: Path
) -> None:
    ids = await seed_due(database, emulator)
    log = tmp_path / "bot.log"
    # Answers that take a while to come back: some nudges are stored by the server but not
    # yet confirmed to the bot when it dies.
    emulator.answer_delays["sendMessage"] = 0.4
    proc = start_bot(emulator, database.path, log)
    try:
        await wait_until(lambda: sum(delivered(emulator, ids).values()) >= 60, 60, proc, log)
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait, 10)
    finally:
        if proc.poll() is None:
            proc.kill()
    emulator.answer_delays.clear()
    at_kill = await statuses(database)
    uncertain = at_kill.get("sending", 0)
    assert uncertain >= 1, at_kill  # killed between claim and mark
    # Ledger rows are written when their request leaves, not while they wait for their turn:
    # only requests really out (the workers' number at most) are left 'sending'.
    assert uncertain <= 8, at_kill

    proc = start_bot(emulator, database.path, log)
    try:
        async def all_handled() -> bool:
            left = await database.fetch_value(
                "SELECT COUNT(*) FROM nudge_schedules s WHERE NOT EXISTS (SELECT 1 FROM"
                " nudge_ledger l WHERE l.user_id = s.user_id)")
            return left == 0 and (await statuses(database)).get("sending", 0) == uncertain

        await wait_until(all_handled, 60, proc, log)
        await emulator.settle()
    finally:
        # Waited for in a thread: the emulator shares this event loop and must keep answering.
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 10)

    got = delivered(emulator, ids)
    assert max(got.values()) == 1, "a learner got two nudges for one day"
    final = await statuses(database)
    # The uncertain rows stay as they were: not resent, not rewritten.
    assert final.get("sending", 0) == uncertain
    rows = await database.fetch_all("SELECT user_id, status FROM nudge_ledger")
    assert len(rows) == LEARNERS  # exactly one ledger row per learner for the day
    sent = {r["user_id"] for r in rows if r["status"] == "sent"}
    sending = {r["user_id"] for r in rows if r["status"] == "sending"}
    assert all(got[uid] == 1 for uid in sent)
    # An uncertain row is either a message that went out before the kill, or one that never
    # did: at most once, never twice.
    assert sum(got.values()) == len(sent) + sum(got[uid] for uid in sending)
    assert emulator.flood_429_count == 0


async def test_sigterm_mid_dispatch_exits_quickly_and_cleanly(
    emulator: BotApiEmulator, database: Database, tmp_path: Path
) -> None:
    ids = await seed_due(database, emulator)
    log = tmp_path / "bot.log"
    proc = start_bot(emulator, database.path, log)
    try:
        await wait_until(lambda: sum(delivered(emulator, ids).values()) >= 30, 60, proc, log)
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 10)  # the spec: gone within 10 s
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, tail(log)
    done = sum(delivered(emulator, ids).values())
    assert done < LEARNERS  # it really stopped mid-batch
    final = await statuses(database)
    # A graceful stop lets the sends in flight finish and marks them: nothing uncertain.
    assert final.get("sending", 0) == 0, final
    assert final.get("sent", 0) == done
