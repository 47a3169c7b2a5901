"""Retention: learners inactive for longer than privacy.retention_months are purged daily."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FixedClock
from bot.privacy import PrivacyService
from bot.privacy.service import months_before
from bot.storage import Database, to_epoch
from bot.storage.privacy import PrivacyRepository
from tests.e2e.harness import Sinau
from tests.e2e.learner import onboard
from tests.hardening_privacy.seed import seed_person

NOW = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("moment", "months", "expected"), [
    (datetime(2026, 3, 31, 10, tzinfo=UTC), 1, datetime(2026, 2, 28, 10, tzinfo=UTC)),
    (datetime(2028, 3, 31, 10, tzinfo=UTC), 1, datetime(2028, 2, 29, 10, tzinfo=UTC)),
    (datetime(2026, 1, 15, tzinfo=UTC), 1, datetime(2025, 12, 15, tzinfo=UTC)),
    (datetime(2026, 3, 31, 10, tzinfo=UTC), 24, datetime(2024, 3, 31, 10, tzinfo=UTC)),
    (datetime(2026, 12, 31, tzinfo=UTC), 12, datetime(2025, 12, 31, tzinfo=UTC)),
])
def test_months_before_counts_calendar_months(moment: datetime, months: int,
                                              expected: datetime) -> None:
    assert months_before(moment, months) == expected


async def _seen(db: Database, uid: int, moment: datetime) -> None:
    await db.execute("UPDATE users SET last_seen_at = ? WHERE id = ?", (to_epoch(moment), uid))


async def test_purge_erases_only_learners_inactive_past_the_cutoff(db: Database) -> None:
    clock = FixedClock(NOW)
    service = PrivacyService(PrivacyRepository(db), clock, retention_months=24,
                             staff_ids=[9004])
    cutoff = months_before(NOW, 24)
    people = {
        9001: cutoff - timedelta(seconds=1),   # inactive just past the cutoff: purged
        9002: cutoff,                          # exactly at the cutoff: kept
        9003: NOW - timedelta(days=3),         # active: kept
        9004: cutoff - timedelta(days=400),    # an admin (settings): kept
        9005: cutoff - timedelta(days=400),    # a trainer (roles): kept
        9006: cutoff - timedelta(days=30),     # inactive: purged
    }
    for uid, seen in people.items():
        await seed_person(db, uid, name=f"Orang{uid}", now=seen - timedelta(days=10),
                          trainer=uid == 9005, group_chat_id=-1_000_000_000_000 - uid)
        await _seen(db, uid, seen)

    assert await service.purge_inactive() == 2
    repo = service.repo
    dump = await repo.dump()
    for uid in (9001, 9006):
        assert not [(t, c) for t, rows in dump.items() for row in rows
                    for c, v in row.items() if v == uid or (isinstance(v, str)
                                                            and f"Orang{uid}" in v)]
    for uid in (9002, 9003, 9004, 9005):
        assert await db.fetch_value("SELECT COUNT(*) FROM quiz_answers WHERE user_id = ?",
                                    (uid,)) == 1
    totals = await repo.totals()
    assert totals.erasures == {"retention": 2}
    assert (totals.answers, totals.correct, totals.certificates) == (2, 2, 2)
    assert (totals.completions, totals.minutes) == (2, 14)

    # Nothing left to do today; a month later the one at the cutoff goes too.
    assert await service.purge_inactive() == 0
    clock.advance(timedelta(days=31))
    assert await service.purge_inactive() == 1
    assert await db.fetch_value("SELECT COUNT(*) FROM users WHERE id = 9002") == 0
    assert (await repo.totals()).erasures == {"retention": 3}


async def test_purge_runs_in_batches_until_done(db: Database) -> None:
    clock = FixedClock(NOW)
    service = PrivacyService(PrivacyRepository(db), clock, retention_months=1)
    old = to_epoch(NOW - timedelta(days=90))
    await db.execute_many(
        "INSERT INTO users (id, first_name, timezone, created_at, last_seen_at)"
        " VALUES (?, 'x', 'Asia/Jakarta', ?, ?)",
        [(10_000 + n, old, old) for n in range(450)],
    )
    assert await service.purge_inactive() == 450
    assert await db.fetch_value("SELECT COUNT(*) FROM users") == 0
    assert await db.fetch_value("SELECT COUNT(*) FROM nudge_schedules") == 0


async def test_retention_job_runs_through_the_job_queue_on_the_bot_clock(
    start_sinau,  # noqa: ANN001
) -> None:
    sinau: Sinau = await start_sinau(privacy={"retention_months": 3})
    assert sinau.app is not None and sinau.app.job_queue is not None
    jobs = sinau.app.job_queue.get_jobs_by_name("privacy-retention")
    assert len(jobs) == 1
    learner = sinau.user("Sari")
    await onboard(sinau, learner, "id")
    await jobs[0].run(sinau.app)
    assert await sinau.services.users.get(learner.id) is not None  # active: kept

    await sinau.advance(timedelta(days=100))  # the bot's clock: more than 3 months later
    await jobs[0].run(sinau.app)
    assert await sinau.services.users.get(learner.id) is None
    assert (await PrivacyRepository(sinau.services.db).totals()).erasures == {"retention": 1}
