"""PostgreSQL: scale, interactive throughput with 1-3 workers, the broadcast across workers.

Scale: the SQLite databases of bench/seed.py are copied into a PostgreSQL database with ``sinau
db copy`` (timed), then the same four calls as bench/scale.py are timed on it (median of
several runs after a warm-up; plans from PostgreSQL's EXPLAIN). Cluster: a throwaway PostgreSQL
cluster on loopback (fsync off, like the test cluster), HAProxy from Debian, N ``python -m bot
run`` workers in webhook mode, the emulator pushing webhooks over up to 40 parallel
connections, one update per chat at a time; simulated learners run the interactive benchmark's
journey (onboarding, a lesson, its quiz, /progress), all at once; throughput is updates handled
per second of wall time. As in bench/interactive.py the emulator's flood limits and Sinau's
pacing are off for the 1/2/3-worker figures (what the workers can do); one more run of 3
workers with both on shows the cap Telegram's own limits put on it (30 messages/s for the bot).
The broadcast: 1,000 recipients, sent by the leader through the shared limiter while the other
workers serve; its rate between the first and the last copy as a fraction of 30/s, and the 429s
the emulator answered.
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

from bench.common import RESULTS, ROOT, TOKEN, Figure, Report, fmt, quiet_emulator
from bench.learners import Learner, Tracker, sinau_journey
from bench.scale import GOAL_MS, Recording, queries_on
from bench.seed import ensure
from bot.config import DatabaseSettings
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import open_database, to_epoch
from bot.storage.broadcasts import BroadcastRepository
from bot.storage.postgres import PostgresDatabase
from tests import pgcluster
from tests.cluster.farm import Farm, base_env

SIZES = (100_000,)
WORKERS = (1, 2, 3)


class RecordingPostgres(Recording, PostgresDatabase):
    """PostgreSQL, recording."""


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _copy(source: Path, url: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bot", "db", "copy", str(source), url],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return time.perf_counter() - started


async def scale(base: str, sizes: tuple[int, ...], runs: int, report: Report) -> None:
    for learners in sizes:
        path, _ = await asyncio.to_thread(ensure, learners)
        name = f"sinau_scale_{learners}"
        url = pgcluster.create_database(base, name)
        copy_s = await asyncio.to_thread(_copy, path, url)
        db = RecordingPostgres(url)
        await db.open()
        try:
            await db.execute("ANALYZE")
            found = await queries_on(db, learners, runs)
        finally:
            await db.close()
        print(f"  postgresql {learners:,}: copy {copy_s:.0f} s, " + ", ".join(
            f"{k} {statistics.median(found[k]['ms']):.1f} ms" for k in GOAL_MS), flush=True)
        for key, goal in GOAL_MS.items():
            what = (f" (cohort of {found['cohort_members']:,})"
                    if key in ("/stats", "/export") else "")
            times = found[key]["ms"]
            report.add(Figure(f"PostgreSQL {key}, {learners:,} learners{what}", "ms", times,
                              goal=f"< {fmt(goal, 0)} ms", met=statistics.median(times) < goal,
                              how=f"{len(times)} runs"))
        report.add(Figure(f"sinau db copy, {learners:,} learners", "s", [copy_s],
                          how=f"{found['quiz_answers']:,} quiz answers among the rows"))
        report.extra.setdefault("plans", {})[str(learners)] = {
            k: found[k]["plans"] for k in GOAL_MS}
        pgcluster.drop_database(base, name)


async def _farm(emulator: BotApiEmulator, url: str, workdir: Path, size: int,
                **extra: str) -> Farm:
    env = base_env(emulator.url, emulator.token, url, SINAU_NUDGES__ENABLED="false", **extra)
    farm = Farm(workdir, env, size=size)
    await farm.start()
    for _ in range(600):   # the workers register the webhook once they listen
        if emulator.updates.webhook is not None:
            break
        await asyncio.sleep(0.05)
    return farm


async def interactive(base: str, learners: int, report: Report) -> None:
    for size, limits in [*((n, False) for n in WORKERS), (WORKERS[-1], True)]:
        name = f"sinau_interactive_{size}_{int(limits)}"
        url = pgcluster.create_database(base, name)
        extra = {} if limits else {"SINAU_DELIVERY__PACING": "false"}
        label = f"{size} worker(s)" + (", Telegram's limits on" if limits else "")
        with tempfile.TemporaryDirectory(prefix=f"sinau-farm-{size}-") as scratch:
            async with BotApiEmulator(token=TOKEN, flood_limits=limits) as emulator:
                farm = await _farm(emulator, url, Path(scratch), size, **extra)
                try:
                    tracker = Tracker(emulator)
                    crowd = [Learner(emulator, tracker, emulator.add_user(f"Peserta {i}"))
                             for i in range(learners)]
                    pids = [w.proc.pid for w in farm.workers if w.proc is not None]
                    before = [_cpu_seconds(pid) for pid in pids]
                    own = time.process_time()
                    started = time.perf_counter()
                    await asyncio.gather(*(sinau_journey(learner) for learner in crowd))
                    wall = time.perf_counter() - started
                    own = time.process_time() - own
                    workers_cpu = sum(_cpu_seconds(p) - b for p, b in zip(pids, before,
                                                                           strict=True))
                    samples = [s for learner in crowd for s in learner.samples]
                    violations = len(emulator.violations)
                finally:
                    await farm.stop()
        pgcluster.drop_database(base, name)
        rate = len(samples) / wall
        done = sorted(s.done * 1000 for s in samples)
        p99 = done[int(0.99 * (len(done) - 1))]
        print(f"  {label}: {rate:.0f} updates/s, p50 {statistics.median(done):.0f}"
              f" ms, p99 {p99:.0f} ms, {violations} violations; CPU: workers "
              f"{workers_cpu / wall:.2f} cores, emulator+learners {own / wall:.2f}", flush=True)
        report.add(Figure(f"Interactive, {label}", "updates/s", [rate],
                          how=f"{learners} learners, {len(samples):,} updates; CPU in use: "
                              f"workers {workers_cpu / wall:.2f} cores, emulator and learners "
                              f"{own / wall:.2f} (of 2)"))
        report.add(Figure(f"Interactive latency p50, {label}", "ms",
                          [statistics.median(done)], how="update delivered to its last answer"))


async def broadcast(base: str, recipients: int, report: Report) -> None:
    name = "sinau_broadcast"
    url = pgcluster.create_database(base, name)
    async with open_database(DatabaseSettings(url=url)) as db:
        await db.migrate()
        with tempfile.TemporaryDirectory(prefix="sinau-farm-b-") as scratch:
            async with BotApiEmulator(token=TOKEN, flood_limits=True) as emulator:
                users = [emulator.add_user(f"P{i}", started=True) for i in range(recipients)]
                now = datetime.now(UTC)
                stamp = to_epoch(now)
                await db.execute_many(
                    "INSERT INTO users (id, first_name, language, timezone, onboarded_at,"
                    " created_at, last_seen_at) VALUES (?, ?, 'id', 'Asia/Jakarta', ?, ?, ?)",
                    [(u.id, u.first_name, stamp, stamp, stamp) for u in users])
                farm = await _farm(emulator, url, Path(scratch), 3)
                try:
                    repo = BroadcastRepository(db)
                    draft = await repo.new_draft(users[0].id, "id", now)
                    await repo.set_content(draft.id, "text", text="<b>Pengumuman</b> bench")
                    await repo.set_audience(draft.id, "everyone", None)
                    await repo.enqueue(draft.id, scheduled_at=None, progress_chat_id=None,
                                       progress_message_id=None, now=now)
                    while True:
                        found = await repo.get(draft.id)
                        if found is not None and found.state == "done":
                            break
                        await asyncio.sleep(0.2)
                    sends = sorted(r.received for r in emulator.requests
                                   if r.ok and r.method == "sendMessage"
                                   and "bench" in str(r.params.get("text", "")))
                    too_many = emulator.flood_429_count
                finally:
                    await farm.stop()
    pgcluster.drop_database(base, name)
    rate = (len(sends) - 1) / (sends[-1] - sends[0])
    print(f"  broadcast across 3 workers: {rate:.2f}/s = {rate / 30:.3f} of 30/s, "
          f"{too_many} 429s", flush=True)
    report.add(Figure("Broadcast rate ÷ 30/s, 3 workers", "fraction", [rate / 30],
                      goal="≥ 0.95", met=rate / 30 >= 0.95,
                      how=f"{len(sends):,} recipients, first to last copy"))
    report.add(Figure("429 answers during the broadcast, 3 workers", "count",
                      [float(too_many)], goal="0", met=too_many == 0))


async def measure(args: argparse.Namespace) -> Report:
    report = Report("postgresql", "PostgreSQL", __doc__.split("\n\n", 1)[1]
                    .replace("\n", " ").strip())
    cluster = pgcluster.Cluster()
    base = cluster.start()
    try:
        if "scale" in args.parts:
            await scale(base, tuple(int(x) for x in args.sizes.split(",")), args.runs, report)
        if "interactive" in args.parts:
            await interactive(base, args.learners, report)
        if "broadcast" in args.parts:
            await broadcast(base, args.recipients, report)
    finally:
        cluster.stop()
    return report


PARTS = {"scale": ("PostgreSQL /", "PostgreSQL nudge", "sinau db copy"),
         "interactive": ("Interactive",), "broadcast": ("Broadcast", "429")}


def _keep_other_parts(report: Report, parts: list[str]) -> None:
    """Keep the figures of the parts not measured this time from the last results file."""
    path = RESULTS / "postgresql.json"
    if not path.exists():
        return
    old = json.loads(path.read_text(encoding="utf-8"))
    for part, prefixes in PARTS.items():
        if part in parts:
            continue
        for figure in old.get("figures", []):
            if figure["name"].startswith(prefixes):
                report.add(Figure(figure["name"], figure["unit"], figure["runs"],
                                  goal=figure["goal"], met=figure["met"], how=figure["how"]))
        if part == "scale" and "plans" in old.get("extra", {}):
            report.extra["plans"] = old["extra"]["plans"]
    def measured(note: str) -> set[str]:
        return set(note.split(" ")[1].split(",")) if note.startswith("Parts ") else set()

    report.notes[:0] = [note for note in old.get("notes", [])
                        if measured(note) and not measured(note) & set(parts)]


def main() -> None:
    """Run the PostgreSQL benchmark and write bench/results/postgresql.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--learners", type=int, default=400)
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--parts", default="scale,interactive,broadcast")
    args = parser.parse_args()
    quiet_emulator()
    report = asyncio.run(measure(args))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True, check=False).stdout.strip()
    report.notes.append(f"Parts {args.parts} measured at commit {commit} "
                        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC); the machine's two cores "
                        "run the emulator, the learners, PostgreSQL, HAProxy and the workers.")
    _keep_other_parts(report, args.parts.split(","))
    report.save()
    for figure in report.figures:
        print(f"{figure.name}: {fmt(figure.median, 3)} {figure.unit}")


if __name__ == "__main__":
    main()
