"""Scale: the queries behind the nudge tick, /progress, /stats and /export on big databases.

Databases from bench/seed.py (1,000, 10,000 and 100,000 learners; 50 quiz answers each, so
5,000,000 at 100,000; 1,000 cohorts at 100,000, cohort 1 with 5,000 members). Each figure
times the real repository or service call on an opened ``Database`` (median of several runs,
the first call not counted so the page cache is warm): the nudge tick's due query
(``NudgeRepository.due``, batch of 1,000), ``LearningService.progress`` for one learner,
``StatsService.cohort_stats`` plus ``weekly`` (/stats) and ``progress_rows`` plus the XLSX
(/export) for cohort 1. Every read those calls make is captured and shown with SQLite's
EXPLAIN QUERY PLAN. Start-up time and memory come from the real ``python -m bot run`` on a copy
of the database: from exec to its first getUpdates, and VmRSS after 20 learners' journeys.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.common import (
    OUT,
    TOKEN,
    Figure,
    Report,
    bot_env,
    fmt,
    fresh_db,
    quiet_emulator,
    spawn,
    wait_for_polling,
)
from bench.learners import Learner, Tracker, sinau_journey
from bench.seed import BIG_COHORT, FIRST_ID, NOW, ensure
from bot.clock import FixedClock
from bot.config import Settings
from bot.content.catalogue import CatalogueHolder
from bot.content.loader import Catalogue
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import SqliteDatabase
from bot.storage.nudges import NudgeRepository
from bot.storage.users import UserRepository
from bot.training.export import to_xlsx
from bot.wiring import compose, load_packs

SIZES = (1_000, 10_000, 100_000)
GOAL_MS = {"nudge due query": 50.0, "/progress": 50.0, "/stats": 2000.0, "/export": 2000.0}


class Recording:
    """A Database that remembers the reads it runs, to explain their plans afterwards."""

    recording: list[tuple[str, Any]] | None = None

    async def fetch_all(self, sql: str, params: Any = ()) -> list[Any]:
        """Run the read; note it while recording."""
        if self.recording is not None:
            self.recording.append((sql, params))
        return await super().fetch_all(sql, params)  # type: ignore[misc]


class RecordingDatabase(Recording, SqliteDatabase):
    """SQLite, recording."""


async def explain(db: Any, reads: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The engine's plan of each distinct read: SQLite's EXPLAIN QUERY PLAN as a tree,
    PostgreSQL's EXPLAIN."""
    seen: set[str] = set()
    plans = []
    for sql, params in reads:
        if sql in seen:
            continue
        seen.add(sql)
        if not isinstance(db, SqliteDatabase):
            rows = await db.fetch_all("EXPLAIN " + sql, params)
            plans.append({"sql": " ".join(sql.split()), "plan": [str(r[0]) for r in rows]})
            continue
        rows = await SqliteDatabase.fetch_all(db, "EXPLAIN QUERY PLAN " + sql, params)
        depth: dict[int, int] = {0: -1}
        lines = []
        for row in rows:
            depth[row[0]] = depth.get(row[1], -1) + 1
            lines.append("  " * depth[row[0]] + row[3])
        plans.append({"sql": " ".join(sql.split()), "plan": lines})
    return plans


async def timed(db: Any, call: Callable[[], Awaitable[Any]],
                runs: int) -> tuple[list[float], list[dict[str, Any]]]:
    """Milliseconds of ``runs`` calls after one unrecorded warm-up call, and the plans."""
    db.recording = []
    await call()
    reads, db.recording = db.recording, None
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append(1000 * (time.perf_counter() - started))
    return times, await explain(db, reads)


async def queries(path: Path, learners: int, runs: int) -> dict[str, Any]:
    """Time the four calls on one SQLite database."""
    db = RecordingDatabase(path)
    await db.open()
    try:
        return await queries_on(db, learners, runs)
    finally:
        await db.close()


async def queries_on(db: Any, learners: int, runs: int) -> dict[str, Any]:
    """Time the four calls on an opened (recording) database of either engine."""
    settings = Settings()
    clock = FixedClock(NOW)
    catalogue: Catalogue = load_packs(settings)
    nudges = NudgeRepository(db)
    services = compose(settings, clock, db, CatalogueHolder(catalogue))
    learning = services.learning
    users = UserRepository(db)
    stats = services.training.stats
    learner = await users.get(FIRST_ID + learners // 2)
    assert learner is not None
    members = min(BIG_COHORT, learners)
    due_rows: list[Any] = []

    async def due() -> None:
        due_rows[:] = await nudges.due(NOW, 1000)

    async def progress() -> None:
        await learning.progress(learner)

    async def cohort_stats() -> None:
        await stats.cohort_stats(1)
        await stats.weekly(1)

    async def export() -> None:
        rows = await stats.progress_rows(1)
        assert len(rows) == members, len(rows)
        to_xlsx(rows, title="Angkatan 1")

    found: dict[str, Any] = {"learners": learners, "cohort_members": members}
    for name, call, n in (("nudge due query", due, runs * 3), ("/progress", progress,
                          runs * 3), ("/stats", cohort_stats, runs),
                          ("/export", export, runs)):
        times, plans = await timed(db, call, n)
        found[name] = {"ms": times, "plans": plans}
    found["due_rows"] = len(due_rows)
    found["quiz_answers"] = await db.fetch_value("SELECT COUNT(*) FROM quiz_answers")
    found["cohorts"] = await db.fetch_value("SELECT COUNT(*) FROM cohorts")
    return found


async def process(path: Path, learners: int) -> dict[str, float]:
    """Start-up time and resident memory of the real bot on a copy of the database."""
    workdir = OUT / "scale" / f"bot-{learners}"
    copy = fresh_db(workdir)
    shutil.copyfile(path, copy)
    async with BotApiEmulator(token=TOKEN, flood_limits=False) as emu:
        # Nudges off: with the seeded clock behind the host's, every schedule would be "due".
        env = bot_env(emu.url, copy, nudges__enabled="false")
        child = spawn(["-m", "bot", "run"], env, workdir / "sinau.log")
        try:
            startup = await wait_for_polling(emu, child)
            tracker = Tracker(emu)
            await asyncio.gather(*(
                sinau_journey(Learner(emu, tracker, emu.add_user(f"Baru {i}")))
                for i in range(20)
            ))
            rss = child.rss_mb()
        finally:
            await child.stop()
    return {"startup_s": startup, "rss_mb": rss}


def _size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20


async def measure(sizes: tuple[int, ...], runs: int) -> Report:
    """Every figure at every size."""
    report = Report("scale", "Scale", __doc__.split("\n\n", 1)[1].replace("\n", " ").strip())
    per_size: list[dict[str, Any]] = []
    for learners in sizes:
        path, seeded = ensure(learners)
        found = await queries(path, learners, runs)
        startups, rss = [], []
        for _ in range(runs):
            proc = await process(path, learners)
            startups.append(proc["startup_s"])
            rss.append(proc["rss_mb"])
        found.update(startup_s=startups, rss_mb=rss, db_mb=_size_mb(path), seed_s=seeded)
        per_size.append(found)
        print(f"  scale {learners:,}: " + ", ".join(
            f"{k} {statistics.median(found[k]['ms']):.1f} ms" for k in GOAL_MS
        ) + f", start {statistics.median(startups):.2f} s, RSS {statistics.median(rss):.0f} MB",
            flush=True)
    for found in per_size:
        n = found["learners"]
        biggest = n == max(sizes)
        for name, goal in GOAL_MS.items():
            times = found[name]["ms"]
            what = f"cohort of {found['cohort_members']:,}" if name in ("/stats", "/export") \
                else ""
            label = f"{name}, {n:,} learners" + (f" ({what})" if what else "")
            met = statistics.median(times) < goal if biggest else None
            report.add(Figure(label, "ms", times, goal=f"< {fmt(goal, 0)} ms" if biggest else "",
                              met=met, how=f"{len(times)} runs"))
        report.add(Figure(f"Start-up, {n:,} learners", "s", found["startup_s"],
                          how="exec to first getUpdates"))
        report.add(Figure(f"Resident memory, {n:,} learners", "MB", found["rss_mb"],
                          goal="< 200 MB" if biggest else "",
                          met=statistics.median(found["rss_mb"]) < 200 if biggest else None,
                          how="VmRSS after 20 learners' journeys"))
        report.add(Figure(f"Database size, {n:,} learners", "MB", [found["db_mb"]]))
    report.extra["per_size"] = per_size
    return report


def main() -> None:
    """Run the scale benchmark and write bench/results/scale.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    quiet_emulator()
    sizes = tuple(int(x) for x in args.sizes.split(","))
    report = asyncio.run(measure(sizes, args.runs))
    report.save()
    for figure in report.figures:
        print(f"{figure.name}: {fmt(figure.median, 2)} {figure.unit}")


if __name__ == "__main__":
    main()
