"""Seed a Sinau database for the scale benchmark: N learners with a realistic history.

Per learner: 50 quiz answers (40 scored first answers, 10 practice), the lesson progress those
answers imply, about 20 activity days over the last 120, 10 review items, a certificate for
those who finished their first course, and a planned nudge schedule. Cohorts: N / 100 of them
(1,000 at 100,000 learners); cohort 1 has min(5,000, N) members, the rest of the learners are
spread over the others. Keys come from the shipped course packs, so stats and exports join
with the real catalogue. The schema is the real one (``Database.migrate``); the rows are bulk
loaded with the sqlite3 module (benchmark fixtures only: the bot's SQL stays in bot/storage).

A fixed random seed makes every database identical from run to run. Files are cached under
bench/out/seed/, keyed by size, schema and this script's version, so reruns skip the seeding.

Run: ``python -m bench.seed 1000 10000 100000``.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import OUT
from bot.content.loader import load_catalogue
from bot.storage import SqliteDatabase
from bot.storage.sqlite import bundled_migrations

SEED_VERSION = 1
ANSWERS = 50
SCORED = 40
BIG_COHORT = 5_000
FIRST_ID = 700_000_001
# A fixed "now" keeps dates (activity, due times, this year's JP) the same on every machine.
NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
UNITS = ("Kecamatan Gajahmungkur", "Kelurahan Bendan Duwur", "Kelurahan Bendan Ngisor",
         "Kelurahan Bendungan", "Kelurahan Gajahmungkur", "Kelurahan Karangrejo",
         "Kelurahan Lempongsari", "Kelurahan Petompon", "Kelurahan Sampangan")
NAMES = ("Sari", "Budi", "Rina", "Agus", "Dewi", "Eko", "Fitri", "Hadi", "Indah", "Joko",
         "Kartika", "Lestari", "Made", "Nur", "Putri", "Rudi", "Siti", "Teguh", "Wati", "Yuni")
SURNAMES = ("Rahayu", "Santoso", "Wibowo", "Lestari", "Hidayat", "Pratama", "Kusuma",
            "Saputra", "Nugroho", "Wijaya", None)
ZONES = ("Asia/Jakarta",) * 8 + ("Asia/Makassar", "Asia/Jayapura")


def schema_key() -> str:
    """A short hash of the migrations and this script's version."""
    digest = hashlib.sha256(str(SEED_VERSION).encode())
    for migration in bundled_migrations():
        digest.update(migration.sql.encode())
    return digest.hexdigest()[:10]


def seeded_path(learners: int) -> Path:
    """Where the database for ``learners`` is cached."""
    return OUT / "seed" / f"sinau-{learners}-{schema_key()}.db"


def _questions() -> list[tuple[str, str, str, int]]:
    """(course, lesson, question, lesson minutes) of every question, in catalogue order."""
    return [
        (course.key, lesson.key, question.key, lesson.minutes)
        for course in load_catalogue() for lesson in course.lessons for question in lesson.quiz
    ]


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class Seeder:
    """Generates the rows, learner by learner, with one random generator."""

    def __init__(self, learners: int) -> None:
        self.n = learners
        self.rng = random.Random(20261127 + learners)
        self.questions = _questions()
        self.lesson_sizes: dict[tuple[str, str], int] = {}
        self.minutes = {(c, x): m for c, x, _, m in self.questions}
        for course, lesson, _, _ in self.questions:
            self.lesson_sizes[(course, lesson)] = self.lesson_sizes.get((course, lesson), 0) + 1
        self.course_lessons: dict[str, int] = {}
        for course, _lesson in self.lesson_sizes:
            self.course_lessons[course] = self.course_lessons.get(course, 0) + 1
        self.course_keys = list(self.course_lessons)

    def users(self) -> Iterator[tuple[object, ...]]:
        """Rows for ``users``."""
        rng = self.rng
        for i in range(self.n):
            uid = FIRST_ID + i
            first, last = rng.choice(NAMES), rng.choice(SURNAMES)
            joined = NOW - timedelta(days=rng.randint(30, 400))
            seen = NOW - timedelta(hours=rng.randint(0, 24 * 30))
            yield (uid, first, last, f"{first} {last}" if last else first,
                   "id" if rng.random() < 0.9 else "en", rng.choice(UNITS), rng.choice(ZONES),
                   f"{rng.choice((6, 7, 12, 19)):02d}:30", _epoch(joined), _epoch(joined),
                   _epoch(seen), rng.choice(self.course_keys),
                   "weekdays" if rng.random() < 0.3 else "daily")

    def history(self) -> Iterator[tuple[list[tuple[object, ...]], ...]]:
        """Per learner: quiz answers, lesson progress, activity days, review items, certs."""
        rng = self.rng
        total = len(self.questions)
        for i in range(self.n):
            uid = FIRST_ID + i
            start = rng.randrange(total)
            picked = [self.questions[(start + k) % total] for k in range(SCORED)]
            days = sorted({(NOW - timedelta(days=rng.randint(0, 120))).date()
                           for _ in range(20)})
            answers, progress, reviews, certs = [], [], [], []
            done: dict[tuple[str, str], int] = {}
            for k, (course, lesson, question, _) in enumerate(picked):
                day = days[min(len(days) - 1, k * len(days) // SCORED)]
                at = _epoch(datetime(day.year, day.month, day.day, 2, tzinfo=UTC)) + k * 60
                right = rng.random() < 0.78
                answers.append((uid, course, lesson, question, rng.randrange(4), int(right), 1,
                                "lesson", at))
                done[(course, lesson)] = done.get((course, lesson), 0) + 1
                if not right or k % 4 == 0:
                    # FSRS: stability in days, difficulty 1-10, state Review (the default).
                    reviews.append((uid, course, lesson, question,
                                    float(rng.choice((1, 3, 6, 15))),
                                    7.4 if not right else 2.1, int(not right),
                                    at + rng.randint(-3, 20) * 86400, at, at))
            for _ in range(ANSWERS - SCORED):
                course, lesson, question, _ = rng.choice(picked)
                answers.append((uid, course, lesson, question, rng.randrange(4),
                                int(rng.random() < 0.9), 0, "review",
                                _epoch(NOW) - rng.randint(0, 90) * 86400))
            completed: dict[str, int] = {}
            for (course, lesson), n in done.items():
                minutes = self.minutes[(course, lesson)]
                complete = n == self.lesson_sizes[(course, lesson)]
                day = rng.choice(days)
                at = _epoch(datetime(day.year, day.month, day.day, 3, tzinfo=UTC))
                progress.append((uid, course, lesson, 3, 1, at - 600, at if complete else None,
                                 day.isoformat() if complete else None,
                                 minutes if complete else 0))
                if complete:
                    completed[course] = completed.get(course, 0) + 1
            for course, n in completed.items():
                if n == self.course_lessons[course] and not certs:
                    certs.append((f"SNU-{uid:08X}", uid, course, course, f"Peserta {uid}",
                                  rng.choice(UNITS), 60, days[-1].isoformat(), "id",
                                  _epoch(NOW)))
            activity = [(uid, d.isoformat(), rng.randint(0, 2), rng.randint(0, 3)) for d in days]
            yield answers, progress, activity, reviews[:10], certs


def _bulk(conn: sqlite3.Connection, sql: str, rows: list[tuple[object, ...]]) -> None:
    if rows:
        conn.executemany(sql, rows)


def seed(learners: int, path: Path) -> None:
    """Build the database file at ``path`` (migrated schema, then the rows)."""
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)

    async def migrate() -> None:
        async with SqliteDatabase(tmp) as db:
            await db.migrate()

    asyncio.run(migrate())
    seeder = Seeder(learners)
    conn = sqlite3.connect(tmp, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-262144",
                   "temp_store=MEMORY", "foreign_keys=OFF"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("BEGIN")
    _bulk(conn, "INSERT INTO users (id, first_name, last_name, display_name, language, unit,"
          " timezone, nudge_time, onboarded_at, created_at, last_seen_at, current_course,"
          " nudge_days) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", list(seeder.users()))
    batch: dict[str, list[tuple[object, ...]]] = {k: [] for k in "apvrc"}
    statements = {
        "a": "INSERT INTO quiz_answers (user_id, course_key, lesson_key, question_key, chosen,"
             " correct, is_first, source, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "p": "INSERT INTO lesson_progress (user_id, course_key, lesson_key, furthest_card,"
             " cards_done, started_at, completed_at, completed_on, minutes_credited)"
             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "v": "INSERT INTO activity_days (user_id, local_date, lessons, reviews)"
             " VALUES (?, ?, ?, ?)",
        "r": "INSERT INTO review_items (user_id, course_key, lesson_key, question_key,"
             " stability, difficulty, lapses, due_at, created_at, last_reviewed_at)"
             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "c": "INSERT INTO certificates (code, user_id, course_key, course_title, name, unit,"
             " minutes, completed_on, language, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
             " ?)",
    }
    for answers, progress, activity, reviews, certs in seeder.history():
        for key, rows in zip("apvrc", (answers, progress, activity, reviews, certs),
                             strict=True):
            batch[key].extend(rows)
        if len(batch["a"]) >= 200_000:
            for key, rows in batch.items():
                _bulk(conn, statements[key], rows)
                rows.clear()
    for key, rows in batch.items():
        _bulk(conn, statements[key], rows)
    _cohorts(conn, seeder)
    # Every schedule planned: next nudges spread over the next 24 hours.
    now = _epoch(NOW)
    conn.execute(
        "UPDATE nudge_schedules SET needs_plan = 0, due_local_date = ?,"
        " next_due_at = ? + ((user_id * 7919) % 86400)", (NOW.date().isoformat(), now - 600),
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    tmp.replace(path)


def _cohorts(conn: sqlite3.Connection, seeder: Seeder) -> None:
    """N / 100 cohorts; cohort 1 holds min(5,000, N) learners, the others share the rest."""
    n = seeder.n
    count = max(2, n // 100)
    joined = _epoch(NOW - timedelta(days=60))
    conn.executemany(
        "INSERT INTO cohorts (id, name, invite_code, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(c, f"Angkatan {c}", f"c_{c:010d}", FIRST_ID, joined) for c in range(1, count + 1)],
    )
    conn.executemany(
        "INSERT INTO cohort_courses (cohort_id, course_key, deadline) VALUES (?, ?, ?)",
        [(c, key, (NOW.date() + timedelta(days=30)).isoformat())
         for c in range(1, count + 1) for key in seeder.course_keys[(c % 3):(c % 3) + 2]],
    )
    big = min(BIG_COHORT, n)
    members = [(1, FIRST_ID + i, joined) for i in range(big)]
    members += [(2 + (i % (count - 1)), FIRST_ID + i, joined) for i in range(big, n)]
    conn.executemany(
        "INSERT INTO cohort_members (cohort_id, user_id, joined_at) VALUES (?, ?, ?)", members
    )


def ensure(learners: int) -> tuple[Path, float]:
    """The cached database for ``learners`` (seeded now if missing) and the seconds it took."""
    path = seeded_path(learners)
    if path.exists():
        return path, 0.0
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f"sinau-{learners}-*.db"):
        stale.unlink()
    started = time.perf_counter()
    seed(learners, path)
    return path, time.perf_counter() - started


def main() -> None:
    """Seed (or find cached) databases for the sizes on the command line."""
    for arg in sys.argv[1:] or ["1000", "10000", "100000"]:
        path, seconds = ensure(int(arg))
        size = path.stat().st_size / 2**20
        print(f"{arg} learners: {path.name}, {size:,.0f} MiB"
              + (f", seeded in {seconds:.1f} s" if seconds else " (cached)"), flush=True)


if __name__ == "__main__":
    main()
