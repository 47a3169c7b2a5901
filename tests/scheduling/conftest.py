"""Fixtures for the nudge service: a fixed clock, learners in the database, fake sender/facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.config import Settings
from bot.delivery.attempt import SendAttempt
from bot.delivery.models import DeliveryResult, OutgoingMessage
from bot.delivery.stats import DeliveryStats
from bot.scheduling.nudges import NudgeService
from bot.scheduling.render import NudgeFacts
from bot.storage import Database, to_epoch
from bot.storage.delivery import DeliveryStatsRepository
from bot.storage.nudges import NudgeRepository
from bot.storage.users import UserRepository
from tests.fakes import ScriptedSender

# Monday 2 June 2025, 07:00 in Jakarta (WIB, UTC+7).
MONDAY_0700_WIB = datetime(2025, 6, 2, 0, 0, tzinfo=UTC)


class FakeSender(ScriptedSender):
    """Records messages; answers 'sent' unless told otherwise for a chat."""

    def __init__(self, stats: DeliveryStats) -> None:
        super().__init__()
        self.deliver = self.outcome
        self.stats = stats
        self.outcomes: dict[int, str] = {}

    async def outcome(self, message: OutgoingMessage, attempt: SendAttempt) -> DeliveryResult:
        """Pretend to deliver (claiming first, as the rate limiter does when a turn comes)."""
        await attempt.leaving()
        self.messages.append(message)
        status = self.outcomes.get(message.chat_id, "sent")
        attempt.answered(delivered=status == "sent")
        self.stats.count(message.kind, **{status: 1})
        if status != "sent":
            return DeliveryResult(status, error=status)  # type: ignore[arg-type]
        self._next_id += 1
        return DeliveryResult("sent", message_id=self._next_id)


@dataclass
class FakeFacts:
    """NudgeFacts per learner, a default for everyone else."""

    default: NudgeFacts = field(
        default_factory=lambda: NudgeFacts(
            learned_today=False, lesson_title="Etika <ASN>", lesson_minutes=5
        )
    )
    by_user: dict[int, NudgeFacts] = field(default_factory=dict)

    async def facts(self, user_id: int, lang: str) -> NudgeFacts | None:
        """The learner's facts."""
        return self.by_user.get(user_id, self.default)


@dataclass
class Kit:
    """A nudge service wired to fakes, plus helpers to seed learners."""

    db: Database
    clock: FixedClock
    service: NudgeService
    sender: FakeSender
    facts: FakeFacts
    repo: NudgeRepository

    async def learner(
        self,
        user_id: int,
        *,
        at: str | None = "07:30",
        days: str = "daily",
        tz: str = "Asia/Jakarta",
        onboarded: bool = True,
        language: str = "id",
    ) -> None:
        """A learner created now with these nudge settings."""
        users = UserRepository(self.db)
        now = self.clock.now()
        await users.touch(user_id=user_id, first_name=f"L{user_id}", last_name=None,
                          username=None, telegram_language=language, timezone=tz, now=now)
        await self.db.execute(
            "UPDATE users SET nudge_time = ?, nudge_days = ?, language = ?, onboarded_at = ?"
            " WHERE id = ?",
            (at, days, language, to_epoch(now) if onboarded else None, user_id),
        )
        # A running bot plans new schedules within one tick.
        await self.service.replan()

    async def active(self, user_id: int) -> None:
        """The learner writes to the bot now."""
        await UserRepository(self.db).touch(
            user_id=user_id, first_name=f"L{user_id}", last_name=None, username=None,
            telegram_language="id", timezone="Asia/Jakarta", now=self.clock.now())


@pytest.fixture
def make_kit(db: Database) -> Callable[..., Kit]:
    """Build a Kit; keyword sections override settings (e.g. nudges={...})."""

    def factory(start: datetime = MONDAY_0700_WIB, **sections: Any) -> Kit:
        clock = FixedClock(start)
        # Learners in these tests never answer; back-off is off unless a test turns it on.
        sections["nudges"] = {"backoff_after": 30, **sections.get("nudges", {})}
        settings = Settings(**sections)
        repo = NudgeRepository(db)
        stats = DeliveryStats(DeliveryStatsRepository(db), clock, settings.zone)
        sender, facts = FakeSender(stats), FakeFacts()
        service = NudgeService(repo, sender, facts, stats, settings, clock)
        return Kit(db, clock, service, sender, facts, repo)

    return factory
