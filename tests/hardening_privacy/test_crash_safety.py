"""Crash safety: the real process killed with SIGKILL in the middle of its work, then restarted.

* a broadcast to 100 learners: nobody gets two copies, rows left 'sending' become 'uncertain'
  and are reported (never resent), and the broadcast finishes;
* a course pack being activated: after the kill the stored packs load as the old or the new
  pack, never half of one;
* a migration: the interrupted one leaves user_version where it was, the file intact, and the
  next run completes it.

(The nudge dispatch has its own SIGKILL test in tests/e2e/test_nudges_crash.py; the single
instance lock in tests/e2e/test_foundation.py.)
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import Clock
from bot.content.catalogue import CatalogueHolder
from bot.content.loader import load_catalogue
from bot.i18n import t
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database, SqliteDatabase, to_epoch
from bot.storage.broadcasts import BroadcastRepository
from bot.storage.packs import PackRepository
from bot.training.upload import CoursePacks
from tests.e2e.harness import button_data
from tests.e2e.learner import text
from tests.e2e.test_nudges_crash import tail, wait_until

ROOT = Path(__file__).resolve().parents[2]
LEARNERS = 100
MARKER = "Rapat koordinasi Kecamatan"


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    """The bot's database, migrated, opened by the test alongside the bot."""
    db = SqliteDatabase(tmp_path / "sinau.db")
    await db.open()
    await db.migrate()
    yield db
    await db.close()


def start_bot(emulator: BotApiEmulator, db_path: Path, log: Path,
              **extra: str) -> subprocess.Popen[bytes]:
    """``python -m bot run`` against the emulator (nudges off: only the tested work runs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINAU_")}
    env.update(
        PYTHONPATH=str(ROOT),
        SINAU_TELEGRAM__TOKEN=emulator.token,
        SINAU_TELEGRAM__API_URL=emulator.url,
        SINAU_TELEGRAM__POLL_TIMEOUT="1",
        SINAU_DATABASE__PATH=str(db_path),
        SINAU_NUDGES__ENABLED="false",
        SINAU_DELIVERY__QUIET_HOURS="",  # broadcasts run at any hour of the host's day
        **extra,
    )
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=db_path.parent,
                                env=env, stdout=out, stderr=subprocess.STDOUT)


async def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    """Signal the process and wait for it (in a thread: the emulator shares this loop)."""
    if proc.poll() is None:
        proc.send_signal(sig)
    return await asyncio.to_thread(proc.wait, 20)


# ----------------------------------------------------------------------------- broadcast


async def seed_broadcast(db: Database, emulator: BotApiEmulator) -> tuple[int, int, list[int]]:
    """A trainer and LEARNERS onboarded learners; a broadcast to everyone, already enqueued."""
    now = datetime.now(UTC)
    stamp = to_epoch(now)
    trainer = emulator.add_user("Tari", started=True)
    ids = [emulator.add_user(f"Peserta {i}", started=True).id for i in range(LEARNERS)]
    await db.execute_many(
        "INSERT INTO users (id, first_name, language, timezone, onboarded_at, created_at,"
        " last_seen_at) VALUES (?, ?, 'id', 'Asia/Jakarta', ?, ?, ?)",
        [(uid, f"P{uid}", stamp, stamp, stamp) for uid in [trainer.id, *ids]],
    )
    repo = BroadcastRepository(db)
    draft = await repo.new_draft(trainer.id, "id", now)
    assert await repo.set_content(draft.id, "text", text=f"<b>{MARKER}</b> hari Jumat")
    assert await repo.set_audience(draft.id, "everyone", None)
    count = await repo.enqueue(draft.id, scheduled_at=None, progress_chat_id=trainer.id,
                               progress_message_id=None, now=now)
    assert count == LEARNERS + 1  # the trainer is onboarded too
    return draft.id, trainer.id, ids


def copies(emulator: BotApiEmulator, uid: int) -> int:
    """Copies of the broadcast in one chat."""
    return sum(MARKER in text(m) for m in emulator.messages(uid))


async def states(db: Database, broadcast_id: int) -> dict[str, int]:
    """Recipients per state."""
    return await BroadcastRepository(db).counts(broadcast_id)


async def restart_until_done(emulator: BotApiEmulator, database: Database, log: Path,
                             broadcast_id: int, **env: str) -> dict[str, int]:
    """Start the bot again, wait until the broadcast is done, stop it; recipients per state."""
    proc = start_bot(emulator, database.path, log, **env)
    try:
        async def finished() -> bool:
            found = await BroadcastRepository(database).get(broadcast_id)
            return found is not None and found.state == "done"

        await wait_until(finished, 90, proc, log)
        await emulator.settle()
    finally:
        assert await stop(proc) == 0, tail(log)
    return await states(database, broadcast_id)


async def test_sigkill_mid_broadcast_then_restart_sends_nobody_two_copies(
    emulator: BotApiEmulator, database: Database, tmp_path: Path,
) -> None:
    broadcast_id, trainer, ids = await seed_broadcast(database, emulator)
    everyone = [trainer, *ids]
    log = tmp_path / "bot.log"
    # A slow overall pace, so the kill lands in the middle, and answers that take a while to
    # come back, so some messages are stored by the server but not yet confirmed to the bot.
    slow = {"SINAU_DELIVERY__GLOBAL_PER_SECOND": "12"}
    emulator.answer_delays["sendMessage"] = 0.4
    proc = start_bot(emulator, database.path, log, **slow)
    try:
        await wait_until(lambda: sum(copies(emulator, u) for u in everyone) >= 25, 60, proc,
                         log)
        proc.send_signal(signal.SIGKILL)
        assert await asyncio.to_thread(proc.wait, 10) == -signal.SIGKILL  # killed, not exited
    finally:
        await stop(proc, signal.SIGKILL)
    emulator.answer_delays.clear()
    at_kill = await states(database, broadcast_id)
    in_flight = at_kill["sending"]
    assert in_flight >= 1, at_kill  # killed between a claim and its mark
    # Rows are claimed when their request leaves, not while they wait for their turn: only
    # requests really out (the workers' number at most) are left 'sending'.
    assert in_flight <= 8, at_kill
    assert at_kill["pending"] > 0, at_kill  # really mid-way
    delivered_before = {u: copies(emulator, u) for u in everyone}

    final = await restart_until_done(emulator, database, log, broadcast_id, **slow)
    got = {u: copies(emulator, u) for u in everyone}
    assert max(got.values()) == 1, "a recipient got two copies"
    # Uncertain rows are exactly the ones in flight at the kill; they were not resent.
    assert final["uncertain"] == in_flight
    assert final["sent"] + final["uncertain"] == LEARNERS + 1
    assert final["pending"] == final["sending"] == final["failed"] == 0
    rows = await database.fetch_all(
        "SELECT chat_id, state FROM broadcast_recipients WHERE broadcast_id = ?",
        (broadcast_id,))
    for row in rows:
        if row["state"] == "sent":
            assert got[row["chat_id"]] == 1
        else:  # uncertain: delivered before the kill or never, but not after it
            assert got[row["chat_id"]] == delivered_before[row["chat_id"]]
    # The trainer was told about the uncertain sends, and got the final report.
    trainer_texts = [text(m) for m in emulator.messages(trainer)]
    note = str(t("id", "broadcast.uncertain_note", count=in_flight))
    assert any(note in m for m in trainer_texts), trainer_texts[-3:]
    report = next(m for m in reversed(trainer_texts) if f"#{broadcast_id}" in m)
    numbers = dict(re.findall(r"(Terkirim|Tidak pasti): (\d+)", report))
    assert numbers == {"Terkirim": str(final["sent"]), "Tidak pasti": str(in_flight)}, report
    assert emulator.flood_429_count == 0


async def test_sigterm_while_a_broadcast_waits_out_a_long_429_stops_within_10_s(
    emulator: BotApiEmulator, database: Database, tmp_path: Path,
) -> None:
    """Telegram says "retry after 60 s" mid-broadcast, then the process is told to stop: it
    must not sit out the minute, and after a restart nobody gets two copies."""
    broadcast_id, trainer, ids = await seed_broadcast(database, emulator)
    everyone = [trainer, *ids]
    log = tmp_path / "bot.log"
    slow = {"SINAU_DELIVERY__GLOBAL_PER_SECOND": "12"}
    proc = start_bot(emulator, database.path, log, **slow)
    try:
        await wait_until(lambda: sum(copies(emulator, u) for u in everyone) >= 10, 60, proc,
                         log)
        emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 60",
                           retry_after=60)
        await wait_until(lambda: any(r.injected for r in emulator.requests), 30, proc, log)
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 10)  # the spec: gone within 10 s
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, tail(log)
    at_stop = await states(database, broadcast_id)
    assert at_stop["pending"] > 0, at_stop  # really stopped mid-way
    # A graceful stop leaves nothing uncertain: the sends waiting out the 429 were not made.
    assert at_stop["sending"] == 0, at_stop

    final = await restart_until_done(emulator, database, log, broadcast_id)
    got = {u: copies(emulator, u) for u in everyone}
    assert set(got.values()) == {1}, "a recipient got no copy or two"
    assert final["sent"] == LEARNERS + 1
    assert final["pending"] == final["sending"] == final["failed"] == final["uncertain"] == 0
    assert emulator.flood_429_count == 0  # the only 429 was the injected one


# ------------------------------------------------------------------------------- upload

def _pack_versions() -> tuple[bytes, bytes, str]:
    """Two valid versions of one shipped course pack: as shipped, and retitled."""
    shipped = sorted((ROOT / "bot" / "content" / "packs").glob("*.toml"))[0]
    old = shipped.read_bytes()
    course = load_catalogue(shipped)
    key = next(iter(course)).key
    title = next(iter(course)).title.id
    new = old.replace(title.encode(), (title + " (Edisi Baru)").encode(), 1)
    assert new != old
    return old, new, key


UPLOAD_LOOP = textwrap.dedent("""
    import asyncio, sys
    from pathlib import Path
    from bot.clock import Clock
    from bot.config import DatabaseSettings
    from bot.content.catalogue import Catalogue, CatalogueHolder
    from bot.storage import open_database
    from bot.storage.packs import PackRepository
    from bot.training.upload import CoursePacks

    async def main():
        where, old, new = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
        settings = DatabaseSettings(url=where) if "://" in where else DatabaseSettings(path=where)
        versions = [old.read_bytes(), new.read_bytes()]
        async with open_database(settings) as db:
            packs = CoursePacks(PackRepository(db), CatalogueHolder(Catalogue.of([])), Clock())
            print("ready", flush=True)
            n = 0
            while True:  # activate the two versions in turn until killed
                result = await packs.install("pack.toml", versions[n % 2], 7)
                assert result.accepted and result.version is not None, result.problems
                await packs.publish(result.version.id, 7)
                n += 1

    asyncio.run(main())
""")


async def test_sigkill_while_a_pack_is_activated_leaves_the_old_or_the_new_pack(
    tmp_path: Path, db: Database, database_settings: dict[str, object],
) -> None:
    old, new, key = _pack_versions()
    for name, content in (("old", old), ("new", new)):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{key}.toml").write_bytes(content)
    where = str(database_settings.get("url") or database_settings["path"])
    base = load_catalogue()
    titles = set()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for round_ in range(6):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", UPLOAD_LOOP, where, str(tmp_path / "old" / f"{key}.toml"),
            str(tmp_path / "new" / f"{key}.toml"), env=env, stdout=asyncio.subprocess.PIPE)
        assert proc.stdout is not None
        assert (await asyncio.wait_for(proc.stdout.readline(), 30)).strip() == b"ready"
        # Different moments in the install loop (check, store, swap).
        await asyncio.sleep(0.3 + 0.11 * round_)
        proc.send_signal(signal.SIGKILL)
        assert await proc.wait() == -signal.SIGKILL  # killed mid-loop, not exited
        # What a restarting bot loads: the stored pack over the shipped ones. Never half of
        # one, never a load error.
        rows = await db.fetch_all("SELECT course_key, content FROM course_packs")
        assert [r["course_key"] for r in rows] == [key]
        assert rows[0]["content"].encode() in (old, new), "a half-written pack"
        packs = CoursePacks(PackRepository(db), CatalogueHolder(base), Clock())
        await packs.load_stored()
        titles.add(packs._catalogue.course(key).title.id)  # type: ignore[union-attr]
    assert titles <= {next(iter(load_catalogue(tmp_path / "old"))).title.id,
                      next(iter(load_catalogue(tmp_path / "new"))).title.id}


# ----------------------------------------------------------------------------- migration

MIGRATE_SLOWLY = textwrap.dedent("""
    import asyncio, sys
    from bot.storage import Migration, SqliteDatabase
    from bot.storage.sqlite import bundled_migrations

    SLOW = '''
    CREATE TABLE crash_probe (n INTEGER PRIMARY KEY, pad TEXT);
    WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 30000000)
    INSERT INTO crash_probe SELECT n, hex(randomblob(16)) FROM c;
    '''

    async def main():
        async with SqliteDatabase(sys.argv[1]) as db:
            shipped = bundled_migrations()
            extra = Migration(shipped[-1].version + 1, "crash_probe", SLOW)
            print("migrating", flush=True)
            await db.migrate([*shipped, extra])

    asyncio.run(main())
""")


def _version_and_tables(path: Path) -> tuple[int, set[str], str]:
    with sqlite3.connect(path) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
    return version, tables, verdict


async def test_sigkill_during_a_migration_keeps_the_previous_version(
    database: Database, tmp_path: Path,
) -> None:
    latest = await database.schema_version()
    await database.execute(
        "INSERT INTO users (id, first_name, timezone, created_at, last_seen_at)"
        " VALUES (42, 'Ada', 'Asia/Jakarta', 0, 0)")
    await database.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", MIGRATE_SLOWLY, str(database.path), env=env,
        stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    assert (await asyncio.wait_for(proc.stdout.readline(), 30)).strip() == b"migrating"
    await asyncio.sleep(1.0)  # well inside the 30-million-row insert
    assert proc.returncode is None
    proc.send_signal(signal.SIGKILL)
    assert await proc.wait() == -signal.SIGKILL

    version, tables, verdict = _version_and_tables(database.path)
    assert (version, verdict) == (latest, "ok")
    assert "crash_probe" not in tables  # the half-applied migration left nothing
    # The bot's own migrate runs cleanly on the file and the data is there.
    run = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "migrate",
        env={**env, "SINAU_DATABASE__PATH": str(database.path)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(run.communicate(), 60)
    assert run.returncode == 0, out
    assert f"schema version {latest}" in out.decode()
    with sqlite3.connect(database.path) as conn:
        assert conn.execute("SELECT first_name FROM users WHERE id = 42").fetchone() == ("Ada",)


async def test_sigkill_during_the_real_migrations_of_a_big_database(tmp_path: Path) -> None:
    path = tmp_path / "big.db"
    async with SqliteDatabase(path) as db:
        from bot.storage.sqlite import bundled_migrations

        await db.migrate(bundled_migrations()[:2])  # an old Sinau: schema version 2
        await db.execute(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 400000)"
            " INSERT INTO users (id, first_name, timezone, created_at, last_seen_at)"
            " SELECT n, 'L' || n, 'Asia/Jakarta', 0, 0 FROM c")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SINAU_DATABASE__PATH": str(path)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "migrate", env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    assert proc.stdout is not None
    # Kill it once migration 003 (400,000 nudge schedules, the slow one) has begun.
    while b"applying migration 003" not in (line := await asyncio.wait_for(
            proc.stdout.readline(), 60)):
        assert line, "the migration ended before 003 started"
    proc.send_signal(signal.SIGKILL)
    assert await proc.wait() == -signal.SIGKILL  # killed, not finished
    version, tables, verdict = _version_and_tables(path)
    # The kill hit mid-way, and each migration is all or nothing.
    latest = bundled_migrations()[-1].version
    assert verdict == "ok" and 2 <= version < latest
    with sqlite3.connect(path) as conn:
        users = conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]
        assert users == 400000
        if version >= 3:
            assert conn.execute("SELECT COUNT(*) FROM nudge_schedules").fetchone()[0] == users
        else:
            assert "nudge_schedules" not in tables
    run = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "migrate", env=env, stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(run.communicate(), 120)
    assert run.returncode == 0
    async with SqliteDatabase(path) as db:
        from bot.storage.sqlite import bundled_migrations

        assert await db.schema_version() == bundled_migrations()[-1].version
        assert await db.fetch_value("SELECT COUNT(*) FROM nudge_schedules") == 400000


# ------------------------------------------------------------------ acknowledged answers

QUIZZERS = 12


async def quiz_forever(emulator: BotApiEmulator, user: object, acked: list[int]) -> None:
    """Play a learner: /learn, page, answer every question; count answers the bot confirmed."""
    uid = user.id  # type: ignore[attr-defined]

    def snapshot() -> str:
        return repr(emulator.messages(uid))

    async def act(message: dict, data: str) -> None:
        before = snapshot()
        await emulator.press_button(user, message, data=data)  # type: ignore[arg-type]
        await emulator.wait_for(lambda: snapshot() != before, timeout=30)

    before = snapshot()
    await emulator.send_text(user, "/learn")  # type: ignore[arg-type]
    await emulator.wait_for(lambda: snapshot() != before, timeout=30)
    while True:
        current = next(m for m in reversed(emulator.messages(uid)) if button_data(m))
        data = button_data(current)
        answer = next((d for d in data if d.startswith("qz:a:")), None)
        if answer is not None:
            await act(current, answer)
            edited = next(m for m in emulator.messages(uid)
                          if m["message_id"] == current["message_id"])
            if "✅" in text(edited) or "❌" in text(edited):
                acked.append(uid)  # the learner saw the answer confirmed
            continue
        step = next((d for d in data if d.startswith(("qz:n:", "ls:n:", "ls:q:", "learn:go"))),
                    None)
        if step is None:
            return
        await act(current, step)


async def test_sigkill_loses_no_answer_the_learner_saw_confirmed(
    emulator: BotApiEmulator, database: Database, tmp_path: Path,
) -> None:
    stamp = to_epoch(datetime.now(UTC))
    users = [emulator.add_user(f"Kuis {i}", started=True) for i in range(QUIZZERS)]
    await database.execute_many(
        "INSERT INTO users (id, first_name, language, display_name, unit, timezone,"
        " onboarded_at, created_at, last_seen_at, nudge_time) VALUES (?, ?, 'id', ?,"
        " 'Kelurahan Petompon', 'Asia/Jakarta', ?, ?, ?, '07:30')",
        [(u.id, u.first_name, u.first_name, stamp, stamp, stamp) for u in users])
    log = tmp_path / "bot.log"
    proc = start_bot(emulator, database.path, log)
    acked: list[int] = []
    tasks = [asyncio.create_task(quiz_forever(emulator, u, acked)) for u in users]
    try:
        await wait_until(lambda: len(acked) >= 3 * QUIZZERS, 120, proc, log)
        proc.send_signal(signal.SIGKILL)  # learners keep pressing while the bot dies
        assert await asyncio.to_thread(proc.wait, 10) == -signal.SIGKILL
    finally:
        await stop(proc, signal.SIGKILL)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    confirmed = {u.id: acked.count(u.id) for u in users}
    stored = {r["user_id"]: r["n"] for r in await database.fetch_all(
        "SELECT user_id, COUNT(*) AS n FROM quiz_answers GROUP BY user_id")}
    for uid, count in confirmed.items():
        assert stored.get(uid, 0) >= count, (uid, count, stored.get(uid))

    # After a restart the learners carry on where the database says they are.
    proc = start_bot(emulator, database.path, log)
    try:
        reply_to = users[0]
        await emulator.send_text(reply_to, "/progress")
        await emulator.wait_for_message(reply_to.id, timeout=30)
    finally:
        assert await stop(proc) == 0, tail(log)
    emulator.violations.clear()  # presses on a dead bot's messages are the test's doing
