"""SIASN export: the SIASN sheet and JP per person for 5,000 learners, on SQLite and PostgreSQL.

A fresh database per engine with 5,000 learners (each with an 18-digit NIP, a work unit, a
jabatan and an institution), each of whom passed between 1 and 7 of the shipped courses this
year (about 20,000 course rows) and one last year; three in five passes have a certificate,
one certificate in a hundred is revoked. Each figure is the whole export the /export button
makes for all learners this year, as the bot's services make it: the one query
(``SiasnService.course_rows`` / ``jp_rows``), the sheet, the XLSX and the CSV; median of
several runs after a warm-up run. The PostgreSQL server is a throwaway cluster on loopback
(tests/pgcluster.py, fsync off) sharing the machine's cores with the benchmark.

Run: ``python -m bench.siasn [--learners 5000] [--runs 5] [--engines sqlite,postgresql]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import OUT, Figure, Report, fmt, fresh_db
from bench.seed import NAMES, NOW, SURNAMES, UNITS
from bot.clock import FixedClock
from bot.config import DatabaseSettings, Settings
from bot.content.catalogue import CatalogueHolder
from bot.content.loader import load_catalogue
from bot.storage import Database, open_database, to_epoch
from bot.storage.siasn import Scope
from bot.training import sheets
from bot.training.siasn import jp_table, siasn_table
from bot.wiring import compose

GOAL_MS = 2000.0
FIRST_ID = 800_000_001
JABATAN = ("Pengadministrasi Umum", "Analis Kebijakan", "Lurah", "Sekretaris Kelurahan",
           "Penata Kelola Sistem", "Pranata Komputer")


def rows_to_seed(learners: int) -> dict[str, list[tuple[Any, ...]]]:
    """The users, course results and certificates of the benchmark (fixed random seed)."""
    rng = random.Random(20260101)  # noqa: S311 - fixture data, not secrets
    courses = [(c.key, c.title.get("id"), sum(lesson.minutes for lesson in c.lessons))
               for c in load_catalogue()]
    now = to_epoch(NOW)
    this_year = NOW.year
    users, results, certificates = [], [], []
    for n in range(learners):
        user_id = FIRST_ID + n
        surname = rng.choice(SURNAMES)
        first = rng.choice(NAMES)
        born = date(rng.randint(1965, 2000), rng.randint(1, 12), rng.randint(1, 28))
        # An 18-digit NIP: birth date, appointment month, a sequence (unique per learner).
        nip = f"{born:%Y%m%d}{rng.randint(1990, 2024)}{rng.randint(1, 12):02d}{n:04d}"
        users.append((user_id, first, surname, "id", rng.choice(UNITS), "Asia/Jakarta", now,
                      now, now, None if n % 1000 == 999 else nip,
                      rng.choice(JABATAN), "Pemerintah Kota Semarang"))
        taken = rng.sample(courses, rng.randint(1, 7) + 1)
        for index, (key, title, minutes) in enumerate(taken):
            year = this_year - 1 if index == 0 else this_year
            finished = date(year, 1, 1) + timedelta(days=rng.randint(0, 320))
            started = finished - timedelta(days=rng.randint(0, 20))
            results.append((user_id, key, 1, 90, now, now, finished.isoformat(),
                            started.isoformat(), minutes))
            if rng.random() < 0.6:
                revoked = now if rng.random() < 0.01 else None
                certificates.append((f"SNU-{user_id}-{index}", user_id, key, title,
                                     f"{first} {surname or ''}".strip(), "", minutes,
                                     finished.isoformat(), "id", now, "",
                                     "Kecamatan Gajahmungkur, Kota Semarang", "kursus",
                                     revoked))
    return {"users": users, "course_results": results, "certificates": certificates}


async def seed(db: Database, learners: int) -> dict[str, int]:
    """Load the rows (benchmark fixtures: plain INSERTs, in one transaction)."""
    rows = rows_to_seed(learners)
    async with db.transaction():
        await db.execute_many(
            "INSERT INTO users (id, first_name, last_name, telegram_language, unit, timezone,"
            " created_at, last_seen_at, onboarded_at, nip, jabatan, institution)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows["users"])
        await db.execute_many(
            "INSERT INTO course_results (user_id, course_key, attempts, best_score, last_at,"
            " passed_at, passed_on, started_on, minutes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows["course_results"])
        await db.execute_many(
            "INSERT INTO certificates (code, user_id, course_key, course_title, name, unit,"
            " minutes, completed_on, language, issued_at, nip, issuer, kind, revoked_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows["certificates"])
    if db.dialect.name == "postgresql":
        await db.execute("ANALYZE")
    return {name: len(values) for name, values in rows.items()}


async def measure_on(db: Database, learners: int, runs: int) -> dict[str, Any]:
    """Seed an opened, migrated database and time both exports on it."""
    counts = await seed(db, learners)
    settings = Settings()
    services = compose(settings, FixedClock(NOW), db, CatalogueHolder(load_catalogue()))
    siasn = services.training.siasn
    year = NOW.year
    found: dict[str, Any] = {"seeded": counts}

    async def siasn_export() -> int:
        rows = await siasn.course_rows(Scope.everyone(), year)
        table = siasn_table(rows)
        await asyncio.to_thread(sheets.to_xlsx, table, title="SIASN")
        await asyncio.to_thread(sheets.to_csv, table)
        return len(rows)

    async def jp_export() -> int:
        rows = await siasn.jp_rows(Scope.everyone(), year)
        table = jp_table(rows)
        await asyncio.to_thread(sheets.to_xlsx, table, title="JP")
        await asyncio.to_thread(sheets.to_csv, table)
        return len(rows)

    async def query_only() -> int:
        return len(await siasn.course_rows(Scope.everyone(), year))

    for name, call in (("siasn", siasn_export), ("jp", jp_export), ("query", query_only)):
        found[f"{name}_rows"] = await call()  # warm-up
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            await call()
            times.append(1000 * (time.perf_counter() - started))
        found[f"{name}_ms"] = times
    return found


async def on_sqlite(learners: int, runs: int) -> dict[str, Any]:
    """The figures on a fresh SQLite file."""
    path = fresh_db(OUT / "siasn")
    async with open_database(DatabaseSettings(path=path)) as db:
        await db.migrate()
        return await measure_on(db, learners, runs)


async def on_postgres(learners: int, runs: int) -> dict[str, Any]:
    """The figures on a fresh database of a throwaway PostgreSQL cluster."""
    from tests import pgcluster

    cluster = pgcluster.Cluster()
    base = cluster.start()
    try:
        url = pgcluster.create_database(base, "sinau_bench_siasn")
        async with open_database(DatabaseSettings(url=url)) as db:
            await db.migrate()
            return await measure_on(db, learners, runs)
    finally:
        cluster.stop()


async def measure(learners: int, runs: int, engines: list[str]) -> Report:
    """Every figure on every engine asked for."""
    report = Report("siasn", "SIASN export", __doc__.split("\n\n", 1)[1]
                    .split("\n\nRun:", 1)[0].replace("\n", " ").strip())
    for engine in engines:
        found = await (on_sqlite if engine == "sqlite" else on_postgres)(learners, runs)
        label = "SQLite" if engine == "sqlite" else "PostgreSQL"
        how = (f"{learners:,} learners, {found['siasn_rows']:,} SIASN rows this year; query, "
               "sheet, XLSX and CSV")
        for key, title in (("siasn", "SIASN sheet (XLSX + CSV)"),
                           ("jp", "JP per person (XLSX + CSV)")):
            median = statistics.median(found[f"{key}_ms"])
            report.add(Figure(f"{label} {title}, {learners:,} learners", "ms",
                              found[f"{key}_ms"], goal=f"< {fmt(GOAL_MS, 0)} ms",
                              met=median < GOAL_MS, how=how))
        report.add(Figure(f"{label} SIASN query alone, {learners:,} learners", "ms",
                          found["query_ms"], how=how))
        report.notes.append(
            f"{label}: seeded {found['seeded']['users']:,} learners, "
            f"{found['seeded']['course_results']:,} course results (this year and last), "
            f"{found['seeded']['certificates']:,} certificates; the SIASN sheet had "
            f"{found['siasn_rows']:,} rows, the JP sheet {found['jp_rows']:,}.")
        print(f"  siasn {label}: " + ", ".join(
            f"{k} {statistics.median(found[f'{k}_ms']):.0f} ms" for k in ("siasn", "jp",
                                                                          "query")))
    return report


def main() -> None:
    """Run the SIASN export benchmark and write bench/results/siasn.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    report = asyncio.run(measure(args.learners, args.runs, args.engines.split(",")))
    path: Path = report.save()
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
