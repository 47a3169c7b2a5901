"""Three workers behind HAProxy, 500 learners, a broadcast and a morning of nudges, two kills.

500 learners onboard and take a lesson through the webhook, each step to whichever worker
HAProxy picks. Then the Bot API server's clock moves to the next morning, 07:30 in Jakarta,
when every learner's nudge is due, and a broadcast to everyone starts. Mid-way the leader is
killed with SIGKILL and another worker is restarted (SIGTERM, then started again), while the
killed one is started again too. At the end:

* every recipient has exactly one copy of the broadcast, except the rows the kill left in
  flight, which are reported 'uncertain' and never resent (at most one copy);
* every learner has at most one nudge that morning, and all but the uncertain ones have one;
* the three workers together broke no flood limit and met no 429;
* each chat's updates were handled in the order they were sent (the inbox's record).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.learners import Learner, Tracker, sinau_journey
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database, to_epoch
from bot.storage.broadcasts import BroadcastRepository
from tests.cluster.conftest import farm_env
from tests.cluster.farm import Farm
from tests.cluster.test_workers import eventually
from tests.e2e.learner import text
from tests.e2e.nudge_helpers import nudges_in

LEARNERS = 500
AT_ONCE = 100          # learners on their way at the same time
WIB = ZoneInfo("Asia/Jakarta")
MARKER = "Apel pagi se-Kota Semarang"


async def onboard_and_learn(emulator: BotApiEmulator) -> list[Learner]:
    tracker = Tracker(emulator)
    learners = [Learner(emulator, tracker, emulator.add_user(f"Peserta {i}"))
                for i in range(LEARNERS)]
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(learner: Learner) -> None:
        async with gate:
            await sinau_journey(learner)
            tracker.forget(learner)

    await asyncio.gather(*(one(learner) for learner in learners))
    return learners


async def test_three_workers_500_learners_broadcast_and_nudges_through_two_kills(
    emulator: BotApiEmulator, pg: Database, pg_url: str, farm_factory: Any,
) -> None:
    farm: Farm = await farm_factory(farm_env(emulator, pg_url), 3)
    await eventually(lambda: emulator.updates.webhook is not None, 20, farm, "the webhook")
    trainer = emulator.add_user("Tari", started=True)
    learners = await asyncio.wait_for(onboard_and_learn(emulator), 600)
    ids = [learner.user.id for learner in learners]
    assert await pg.fetch_value("SELECT COUNT(*) FROM users WHERE onboarded_at IS NOT NULL"
                                ) == LEARNERS
    # Every journey ended with a passed lesson.
    assert await pg.fetch_value("SELECT COUNT(DISTINCT user_id) FROM lesson_progress") \
        == LEARNERS

    # The next morning in Jakarta, just after 07:30: everyone's nudge is due. The workers
    # follow the server's clock (its Date headers).
    local = emulator.now().astimezone(WIB)
    morning = datetime.combine(local.date() + timedelta(days=1), time(7, 30, 5), tzinfo=WIB)
    emulator.set_time(morning)
    day = morning.date().isoformat()

    # A broadcast to everyone, enqueued as the trainer's "send" does.
    now = datetime.now(UTC)
    await pg.execute(
        "INSERT INTO users (id, first_name, language, timezone, onboarded_at, created_at,"
        " last_seen_at) VALUES (?, 'Tari', 'id', 'Asia/Jakarta', ?, ?, ?)",
        (trainer.id, to_epoch(now), to_epoch(now), to_epoch(now)))
    repo = BroadcastRepository(pg)
    draft = await repo.new_draft(trainer.id, "id", now)
    assert await repo.set_content(draft.id, "text", text=f"<b>{MARKER}</b> pukul 08.00")
    assert await repo.set_audience(draft.id, "everyone", None)
    count = await repo.enqueue(draft.id, scheduled_at=None, progress_chat_id=trainer.id,
                               progress_message_id=None, now=now)
    everyone = [trainer.id, *ids]
    assert count == len(everyone)

    def copies(uid: int) -> int:
        return sum(MARKER in text(m) for m in emulator.messages(uid))

    since = int(morning.timestamp())

    def nudges(uid: int) -> int:   # the morning's (the journey's screens carry the button too)
        return len(nudges_in([m for m in emulator.messages(uid) if m["date"] >= since]))

    # Answers that take a moment to come back, so the kill finds sends in flight.
    emulator.answer_delays["sendMessage"] = 0.2
    await eventually(lambda: sum(copies(u) for u in everyone) >= 120, 120, farm,
                     "the broadcast under way")
    leader = await farm.leader()
    assert leader is not None
    assert farm.kill(leader) < 0   # SIGKILL: no goodbye
    emulator.answer_delays.clear()
    in_flight = (await repo.counts(draft.id))["sending"]
    delivered_at_kill = {u: copies(u) for u in everyone}
    # Another worker is restarted (a rolling upgrade), and the killed one comes back.
    other = next(w for w in farm.workers if w is not leader and w.alive())
    assert await farm.stop_worker(other, 10) == 0, other.output()[-3000:]
    farm.spawn(other)
    farm.spawn(leader)
    await farm.wait_healthy(other)
    await farm.wait_healthy(leader)

    async def finished() -> bool:
        found = await repo.get(draft.id)
        if found is None or found.state != "done":
            return False
        rows = await pg.fetch_value(
            "SELECT COUNT(*) FROM nudge_ledger WHERE local_date = ? AND kind = 'nudge'", (day,))
        return int(rows) >= len(everyone)

    await eventually(finished, 300, farm, "the broadcast and the morning's nudges")
    await emulator.settle(quiet=1.0, timeout=30)

    # The broadcast: one copy each; the rows in flight at the kill are uncertain, not resent.
    final = await repo.counts(draft.id)
    got = {u: copies(u) for u in everyone}
    assert max(got.values()) == 1, "a recipient got two copies"
    assert final["uncertain"] == in_flight, (final, in_flight)
    assert final["sent"] + final["uncertain"] == len(everyone), final
    for row in await pg.fetch_all(
            "SELECT chat_id, state FROM broadcast_recipients WHERE broadcast_id = ?",
            (draft.id,)):
        if row["state"] == "sent":
            assert got[row["chat_id"]] == 1
        else:
            assert got[row["chat_id"]] == delivered_at_kill[row["chat_id"]]

    # The nudges: at most one each that morning; only the uncertain ones may have none.
    received = {u: nudges(u) for u in everyone}   # the trainer learns too
    assert max(received.values()) == 1, "a learner got two nudges in one day"
    ledger = {r["status"]: r["n"] for r in await pg.fetch_all(
        "SELECT status, COUNT(*) AS n FROM nudge_ledger WHERE local_date = ? AND kind = 'nudge'"
        " GROUP BY status", (day,))}
    assert ledger.get("sent", 0) + ledger.get("sending", 0) + ledger.get("uncertain", 0) \
        == len(everyone), ledger
    assert sum(received.values()) >= ledger.get("sent", 0)

    # One bot, one rate limit: no flood violation from the three together, no 429.
    assert not emulator.violations, emulator.violations[:3]
    assert emulator.flood_429_count == 0

    # Per-chat order: each chat's updates were handled in update_id order.
    rows = await pg.fetch_all(
        "SELECT chat_id, update_id, handled_at FROM inbox WHERE handled_at IS NOT NULL"
        " ORDER BY chat_id, update_id")
    assert len(rows) >= LEARNERS * 10
    last: dict[int, float] = {}
    for row in rows:
        before = last.get(row["chat_id"])
        assert before is None or row["handled_at"] >= before, row
        last[row["chat_id"]] = row["handled_at"]
    assert await pg.fetch_value("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL") == 0
