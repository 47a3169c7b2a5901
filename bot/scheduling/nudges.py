"""Daily learning nudges: who is due, what they get, and the ledger that prevents doubles.

Delivery semantics: at most one nudge per learner per local day. The ledger row is written
(status 'sending') in the same transaction that advances the learner's schedule, right before
the request leaves (after the rate limiter's wait); it is marked after. A crash between the
two leaves a 'sending' row: an uncertain send that is reported and never repeated. A delayed
occurrence (downtime, a clock jump) still goes out later on its own local day, inside the
allowed hours and the grace window (by default the whole day); otherwise it is recorded as
'missed'.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from bot.delivery.models import DeliveryResult, Sender
from bot.delivery.stats import DeliveryStats
from bot.delivery.workers import run_pool
from bot.i18n import language_from_code
from bot.scheduling import deadlines, rules
from bot.scheduling.render import NudgeFacts, kept_note_message, nudge_message
from bot.storage.nudges import NudgeRepository, PlanUpdate, ScheduleRow

logger = logging.getLogger(__name__)

BATCH = 1000


class FactsSource(Protocol):
    """Where the nudge's content comes from (the learning service)."""

    async def facts(self, user_id: int, lang: str) -> NudgeFacts | None:
        """The learner's next step and progress, or None for an unknown learner."""
        ...


@dataclass
class DispatchReport:
    """What one dispatch did, by outcome."""

    sent: int = 0
    kept_notes: int = 0
    skipped_learned: int = 0
    missed_late: int = 0
    missed_quiet: int = 0
    backed_off: int = 0
    blocked: int = 0
    failed: int = 0
    uncertain: int = 0
    already_handled: int = 0
    not_eligible: int = 0
    replanned: int = 0
    interrupted: bool = False
    outcomes: dict[int, str] = field(default_factory=dict, repr=False)

    @property
    def skipped(self) -> int:
        """Occurrences that deliberately got no nudge."""
        return self.skipped_learned + self.missed_late + self.missed_quiet + self.backed_off


@dataclass(frozen=True, slots=True)
class _Job:
    row: ScheduleRow
    plan: rules.PlanInput
    lang: str


class NudgeService:
    """Plans, dispatches and adjusts daily nudges; no Telegram in here."""

    def __init__(
        self,
        repo: NudgeRepository,
        sender: Sender,
        facts: FactsSource,
        stats: DeliveryStats,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._sender = sender
        self.facts = facts
        self.stats = stats
        self.settings = settings
        self.clock = clock
        cfg = settings.nudges
        self.window = rules.Window(cfg.quiet_start, cfg.quiet_end)
        self.grace = timedelta(minutes=cfg.grace_minutes)
        self.backoff_after = cfg.backoff_after
        self.zone = ZoneInfo(settings.locale.timezone)
        self.default_time = settings.learning.default_nudge_time

    # ------------------------------------------------------------------ planning
    def plan_input(self, row: ScheduleRow) -> rules.PlanInput:
        """The planning rules' view of a schedule row."""
        return rules.PlanInput(
            onboarded=row.onboarded,
            active=row.is_active,
            stopped=row.stopped,
            nudge_time=rules.parse_hhmm(row.nudge_time, self.default_time),
            days="weekdays" if row.nudge_days == "weekdays" else "daily",
            zone=rules.zone_of(row.timezone, self.zone),
            paused_until=row.paused_until,
            last_local_date=row.last_local_date,
            last_sent_date=row.last_sent_date,
            ignored_streak=row.ignored_streak,
        )

    def _next(self, plan: rules.PlanInput, after: datetime) -> rules.Occurrence | None:
        return rules.next_occurrence(plan, after, self.window, self.backoff_after)

    async def replan(self, now: datetime | None = None) -> int:
        """Recompute next_due_at for every schedule whose inputs changed; return how many."""
        now = now or self.clock.now()
        total = 0
        while True:
            rows = await self._repo.needing_plan(BATCH)
            if not rows:
                return total
            updates = []
            for row in rows:
                after = now
                day, last = row.due_local_date, row.last_local_date
                pending = day is not None and (last is None or day > last)
                if pending and row.next_due_at is not None:
                    # An occurrence that came due but was not handled yet stays in the plan.
                    after = min(now, row.next_due_at - timedelta(seconds=1))
                occ = self._next(self.plan_input(row), after)
                updates.append(PlanUpdate(row.user_id, row.plan_version,
                                          occ.at if occ else None,
                                          occ.local_date if occ else None))
            total += await self._repo.save_plans(updates)
            if len(rows) < BATCH:
                return total

    # ------------------------------------------------------------------ dispatch
    async def dispatch(self, should_stop: Callable[[], bool] = lambda: False) -> DispatchReport:
        """Send every nudge that is due now, batch after batch, until none is left."""
        report = DispatchReport()
        try:
            while not should_stop():
                now = self.clock.now()
                report.replanned += await self.replan(now)
                rows = await self._repo.due(now, BATCH)
                if not rows:
                    break
                jobs = await self._triage(rows, now, report)
                if jobs:
                    await run_pool(
                        jobs,
                        lambda job: self._deliver(job, report),
                        workers=self.settings.delivery.workers,
                        should_stop=should_stop,
                    )
            report.interrupted = should_stop()
        finally:
            await self.stats.flush()
        if report.sent or report.skipped or report.blocked or report.failed:
            logger.info("nudges dispatched: %s", report)
        return report

    def _lang(self, row: ScheduleRow) -> str:
        return (row.language or language_from_code(row.telegram_language)
                or self.settings.locale.default_language)

    def _handled(self, row: ScheduleRow, plan: rules.PlanInput, now: datetime,
                 *, sent: bool) -> PlanUpdate:
        """The schedule after handling its due occurrence: the next one after it."""
        day = row.due_local_date
        assert day is not None and row.next_due_at is not None
        after_plan = replace(
            plan,
            last_local_date=max(day, plan.last_local_date or day),
            last_sent_date=day if sent else plan.last_sent_date,
            ignored_streak=plan.ignored_streak + (1 if sent else 0),
        )
        # After downtime, jump to the first occurrence that is not already too late.
        occ = self._next(after_plan, max(row.next_due_at, now - self.grace))
        return PlanUpdate(row.user_id, row.plan_version, occ.at if occ else None,
                          occ.local_date if occ else None, last_local_date=day)

    async def _triage(self, rows: list[ScheduleRow], now: datetime,
                      report: DispatchReport) -> list[_Job]:
        """Decide every due row that needs no send; return the ones that may get a nudge."""
        advances: list[PlanUpdate] = []
        ledger: list[tuple[int, object, str, str | None, datetime]] = []
        jobs: list[_Job] = []
        for row in rows:
            plan = self.plan_input(row)
            day, due = row.due_local_date, row.next_due_at
            assert day is not None and due is not None
            local_now = now.astimezone(plan.zone)
            if not plan.eligible:
                report.not_eligible += 1
                advances.append(PlanUpdate(row.user_id, row.plan_version, None, None))
                continue
            if row.last_local_date is not None and day <= row.last_local_date:
                report.already_handled += 1
                advances.append(self._handled(row, plan, now, sent=False))
                continue
            paused = plan.paused_until is not None and due < plan.paused_until
            if paused or not rules.allowed_day(day, plan.days):
                # The plan was made before the change; the next replan will agree.
                report.not_eligible += 1
                advances.append(self._handled(row, plan, now, sent=False))
                continue
            reason = None
            if now - due > self.grace:
                reason, report.missed_late = "late", report.missed_late + 1
            elif not self.window.contains(local_now.time()) or local_now.date() != day:
                reason, report.missed_quiet = "quiet", report.missed_quiet + 1
            if reason is not None:
                self.stats.count("nudge", skipped=1)
                advances.append(self._handled(row, plan, now, sent=False))
                ledger.append((row.user_id, day, "missed", reason, due))
                continue
            gap = rules.gap_days(plan.ignored_streak, self.backoff_after)
            if plan.last_sent_date is not None and (day - plan.last_sent_date).days < gap:
                report.backed_off += 1
                self.stats.count("nudge", skipped=1)
                advances.append(self._handled(row, plan, now, sent=False))
                continue
            jobs.append(_Job(row, plan, self._lang(row)))
        if advances or ledger:
            await self._repo.record_skips(advances, ledger, now)  # type: ignore[arg-type]
        return jobs

    async def _deliver(self, job: _Job, report: DispatchReport) -> None:
        """One learner: content, ledger row, send, outcome.

        The day's deadline reminders and path notices (bot.scheduling.deadlines) are folded
        into the nudge, or into the kept note of a learner who already learned today (sent
        then even where kept notes are off), and recorded with its ledger row.
        """
        row, plan = job.row, job.plan
        now = self.clock.now()
        facts = await self.facts.facts(row.user_id, job.lang) or NudgeFacts(learned_today=False)
        day = row.due_local_date
        assert day is not None
        notices = (deadlines.due_notices(facts.path, await self._repo.reminders(row.user_id),
                                         day) if facts.path else [])
        said = deadlines.notice_lines(job.lang, notices, day)
        kind = "nudge"
        if facts.learned_today:
            if not self.settings.nudges.streak_kept_note and not said:
                report.skipped_learned += 1
                self.stats.count("nudge", skipped=1)
                await self._repo.record_skips(
                    [self._handled(row, plan, now, sent=False)],
                    [(row.user_id, row.due_local_date, "skipped_learned", None,  # type: ignore[list-item]
                      row.next_due_at)],
                    now,
                )
                report.outcomes[row.user_id] = "skipped_learned"
                return
            kind = "kept_note"
        level = rules.backoff_level(plan.ignored_streak, self.backoff_after)
        announce = kind == "nudge" and level > 0 and not row.backoff_announced
        plan_after = self._handled(row, plan, now, sent=kind == "nudge")
        assert row.next_due_at is not None
        planned_at = row.next_due_at
        ledger_ids: list[int] = []

        async def claim() -> bool:
            ledger_id = await self._repo.claim(plan_after, kind=kind, planned_at=planned_at,
                                              now=self.clock.now(), announce_backoff=announce,
                                              reminders=[n.record for n in notices])
            if not ledger_id:
                report.already_handled += 1
                return False
            ledger_ids.append(ledger_id)
            return True

        local_now = now.astimezone(plan.zone)
        if kind == "nudge":
            message = nudge_message(
                row.user_id, job.lang, row.name, facts, local_now,
                backoff_gap=rules.gap_days(plan.ignored_streak, self.backoff_after)
                if announce else None, notices=said,
            )
        else:
            message = kept_note_message(row.user_id, job.lang, facts, said)
        # The ledger row is written when the rate limiter lets the request go (see
        # bot.delivery.attempt): a crash leaves 'sending' only the requests really out, and a
        # stop while the nudge waits out a 429 gives it back (due again).
        result = await self._sender.send(
            message, claim=claim, unclaim=lambda: self._repo.unclaim(ledger_ids[0], row))
        if result is None:
            return
        await self._mark(ledger_ids[0], result, kind, report)
        report.outcomes[row.user_id] = result.status

    async def _mark(self, ledger_id: int, result: DeliveryResult, kind: str,
                    report: DispatchReport) -> None:
        now = self.clock.now()
        if result.status == "sent":
            if kind == "nudge":
                report.sent += 1
            else:
                report.kept_notes += 1
            await self._repo.mark(ledger_id, status="sent", now=now, message_id=result.message_id)
            return
        if result.status == "blocked":
            report.blocked += 1
        elif result.status == "uncertain":
            report.uncertain += 1
        else:
            report.failed += 1
        await self._repo.mark(ledger_id, status=result.status, now=now, reason=result.error)
