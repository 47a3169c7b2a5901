"""Benchmark: 10,000 learners due in the same minute, sent by the real bot.

Run: ``python -m bench.nudges [--learners 10000] [--small 3000] [--quick]``. Writes the figures
to stdout and to ``bench/results/nudges.json``.

* **Achieved send rate** with the flood limits on (the emulator at Telegram's values: 30
  messages/s overall), as a fraction of 30/s, measured from the start of the dispatch to its
  last answer (planning, learner snapshots, ledger writes and sends included). At 30/s a
  10,000-learner run takes about 5.6 minutes, so it runs once at 10,000 and twice at 3,000.
* **CPU time per nudge** with the limiter off (and the emulator's flood limits off): the bot
  process's ``time.process_time()`` over the dispatch divided by the nudges sent; 3 runs at
  10,000.
* **Due query** on 100,000 learners: the tick's "who is due now" query, 3 runs.

The emulator runs in its own process, so the bot's CPU time is the bot's alone and requests
cross a real loopback socket.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "nudges.json"
TOKEN = "123456789:AAH-bench-token-for-sinau-0000000000"
LIMIT = 30.0


# ------------------------------------------------------------------ emulator process
async def _serve(flood: bool) -> None:
    """Child process: an emulator driven by lines on stdin (users N | stats | quit)."""
    from bot.sandbox.emulator import BotApiEmulator

    emu = BotApiEmulator(token=TOKEN, flood_limits=flood)
    await emu.start()
    print(json.dumps({"url": emu.url}), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line.startswith("users "):
            ids = [emu.add_user(f"L{i}", started=True).id for i in range(int(line.split()[1]))]
            print(json.dumps({"ids": ids}), flush=True)
        elif line == "stats":
            sent = sum(1 for r in emu.requests if r.method == "sendMessage" and r.ok)
            print(json.dumps({"flood_429": emu.flood_429_count, "sent": sent,
                              "violations": len(emu.violations)}), flush=True)
        else:
            break
    await emu.stop()


class Emulator:
    """The emulator child process."""

    def __init__(self, flood: bool) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.nudges", "--serve", "flood" if flood else "free"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self.url = self._read()["url"]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        return json.loads(self.proc.stdout.readline())

    def ask(self, line: str) -> dict[str, Any]:
        """Send one command, read one JSON answer."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        """Stop the child."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=30)


# ----------------------------------------------------------------------- bot side
async def _dispatch(learners: int, *, pacing: bool) -> dict[str, float]:
    """Seed ``learners`` due now, run one dispatch through the real bot; return figures."""
    from bot.app import build_application
    from bot.config import Settings
    from bot.storage import to_epoch

    emulator = Emulator(flood=pacing)
    try:
        ids = emulator.ask(f"users {learners}")["ids"]
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                telegram={"token": TOKEN, "api_url": emulator.url},
                database={"path": Path(tmp) / "bench.db"},
                # The tick is not needed: the benchmark runs the dispatch itself. Quiet hours
                # off, so the run does not depend on the host's time of day.
                nudges={"enabled": False, "quiet_start": "00:00", "quiet_end": "00:00"},
                delivery={"pacing": pacing},
            )
            app = build_application(settings)
            await app.initialize()
            assert app.post_init is not None
            await app.post_init(app)
            await app.start()
            services = app.bot_data.services
            assert services is not None
            now = services.clock.now()
            stamp = to_epoch(now)
            local = now.astimezone(settings.zone)
            await services.db.execute_many(
                "INSERT INTO users (id, first_name, language, timezone, nudge_time,"
                " onboarded_at, created_at, last_seen_at) VALUES (?, ?, 'id', 'Asia/Jakarta',"
                " ?, ?, ?, ?)",
                [(uid, f"L{uid}", local.strftime("%H:%M"), stamp, stamp, stamp) for uid in ids],
            )
            # All due in the same minute (planned before, as a running bot would have).
            await services.db.execute(
                "UPDATE nudge_schedules SET next_due_at = ?, due_local_date = ?,"
                " needs_plan = 0",
                (stamp - 30, local.date().isoformat()),
            )
            cpu0, wall0 = time.process_time(), time.perf_counter()
            report = await services.nudges.dispatch()
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            await app.stop()
            await app.shutdown()
            assert app.post_shutdown is not None
            await app.post_shutdown(app)
        stats = emulator.ask("stats")
    finally:
        emulator.close()
    return {
        "learners": learners, "sent": report.sent, "seconds": wall,
        "rate": report.sent / wall, "fraction": report.sent / wall / LIMIT,
        "cpu_ms_per_nudge": 1000 * cpu / max(1, report.sent),
        "flood_429": stats["flood_429"], "violations": stats["violations"],
        "emulator_sent": stats["sent"],
    }


async def _due_query(rows: int) -> float:
    """Milliseconds for the tick's due query with ``rows`` learners planned."""
    from bot.storage import SqliteDatabase, to_epoch
    from bot.storage.nudges import NudgeRepository

    with tempfile.TemporaryDirectory() as tmp:
        db = SqliteDatabase(Path(tmp) / "q.db")
        await db.open()
        await db.migrate()
        now = datetime.now(UTC)
        stamp = to_epoch(now)
        await db.execute_many(
            "INSERT INTO users (id, first_name, timezone, nudge_time, onboarded_at, created_at,"
            " last_seen_at) VALUES (?, 'x', 'Asia/Jakarta', '07:30', ?, ?, ?)",
            [(i, stamp, stamp, stamp) for i in range(1, rows + 1)],
        )
        # Spread over a day; about 70 are due within the last minute.
        await db.execute(
            "UPDATE nudge_schedules SET needs_plan = 0, due_local_date = '2025-01-01',"
            " next_due_at = ? + (user_id * 86400 / ?) - 86400 + 60",
            (stamp, rows),
        )
        repo = NudgeRepository(db)
        best = []
        for _ in range(5):
            t0 = time.perf_counter()
            due = await repo.due(now, 1000)
            best.append((time.perf_counter() - t0) * 1000)
        await db.close()
    assert due
    return statistics.median(best)


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


async def main(learners: int, small: int, quick: bool) -> dict[str, Any]:
    """Run everything and return the results document."""
    paced_runs: list[dict[str, float]] = []
    sizes = [small] if quick else [learners, small, small]
    for size in sizes:
        run = await _dispatch(size, pacing=True)
        print(f"limits on, {size} learners: {run['rate']:.2f} msg/s = "
              f"{run['fraction']:.3f} of 30/s, 429s: {run['flood_429']}", flush=True)
        paced_runs.append(run)
    free_runs: list[dict[str, float]] = []
    for _ in range(1 if quick else 3):
        run = await _dispatch(learners, pacing=False)
        print(f"limiter off, {learners} learners: {run['cpu_ms_per_nudge']:.3f} ms CPU/nudge, "
              f"{run['rate']:.0f} msg/s", flush=True)
        free_runs.append(run)
    queries = [await _due_query(100_000) for _ in range(3)]
    print(f"due query on 100,000 learners: {statistics.median(queries):.2f} ms", flush=True)
    result = {
        "benchmark": "nudges",
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "note": (f"flood limits on: one run at {learners} and two at {small} learners "
                 "(10,000 at 30/s take ~5.6 min); limiter off: 3 runs at "
                 f"{learners}; the emulator runs in a separate process"),
        "achieved_rate_fraction_of_30": {
            **_spread([r["fraction"] for r in paced_runs]), "goal": ">= 0.95",
            "runs": paced_runs,
        },
        "cpu_ms_per_nudge_limiter_off": {
            **_spread([r["cpu_ms_per_nudge"] for r in free_runs]), "runs": free_runs,
        },
        "due_query_ms_100k": {**_spread(queries), "goal": "< 50"},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=3_000)
    parser.add_argument("--quick", action="store_true", help="one small paced run only")
    parser.add_argument("--serve", choices=["flood", "free"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve == "flood"))
    else:
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        outcome = asyncio.run(main(args.learners, args.small, args.quick))
        print(json.dumps({k: v for k, v in outcome.items() if k != "machine"}, indent=2,
                         default=str)[:3000])
