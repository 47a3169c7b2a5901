"""The JobQueue glue: one periodic tick asks SQLite who is due; no job per learner.

The tick itself only starts a dispatch when none is running, so it always finishes at once:
APScheduler never has to skip a tick because the previous one still runs, and the dispatch,
which may take minutes for a large batch, runs as an Application task. ``Application.stop``
waits for that task, and the dispatch stops taking new learners as soon as the Application
stops running, so shutdown stays quick even in the middle of a batch.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from bot.context import SinauContext
from bot.delivery.sender import BulkSender
from bot.scheduling.nudges import DispatchReport, NudgeService

if TYPE_CHECKING:
    from telegram.ext import Application

logger = logging.getLogger(__name__)

TICK_JOB = "nudges-tick"


class NudgeRunner:
    """Owns the one dispatch task; the tick starts it when it is not running."""

    def __init__(self, service: NudgeService) -> None:
        self.service = service
        self.task: asyncio.Task[DispatchReport] | None = None
        self.ticks = 0
        self.last_report: DispatchReport | None = None

    @property
    def busy(self) -> bool:
        """True while a dispatch runs."""
        return self.task is not None and not self.task.done()

    def kick(self, app: Application[Any, Any, Any, Any, Any, Any]) -> bool:
        """Start a dispatch unless one runs already; True if started."""
        self.ticks += 1
        if self.busy or not app.running:
            return False
        self.task = app.create_task(self._run(app), name="nudges-dispatch")
        return True

    async def _run(self, app: Application[Any, Any, Any, Any, Any, Any]) -> DispatchReport:
        report = await self.service.dispatch(should_stop=lambda: not app.running)
        self.last_report = report
        return report


async def nudge_tick(context: SinauContext) -> None:
    """The periodic job: start a dispatch of due nudges if none is running."""
    runner = context.services.nudge_runner
    if runner is not None:
        runner.kick(context.application)


def schedule_jobs(app: Application[Any, SinauContext, Any, Any, Any, Any]) -> None:
    """Give the services a bulk sender and register the nudge tick (called in post_init)."""
    services = app.bot_data.services
    assert services is not None
    settings = services.settings
    sender = BulkSender(
        app.bot,
        services.delivery_stats,
        on_blocked=lambda user_id: services.users.set_active(user_id, False),
        max_retries=settings.delivery.max_retries,
    )
    services.sender = sender
    services.nudges.sender = sender
    services.nudge_runner = NudgeRunner(services.nudges)
    if not settings.nudges.enabled or app.job_queue is None:
        logger.info("daily nudges are off")
        return
    tick = settings.nudges.tick_seconds
    app.job_queue.run_repeating(
        nudge_tick,
        interval=tick,
        first=min(tick, 1.0),
        name=TICK_JOB,
        job_kwargs={
            # A tick only asks the database what is due, so a late tick is always better
            # than none: never drop it for lateness (APScheduler's default drops runs more
            # than 1 s late) ...
            "misfire_grace_time": None,
            # ... and after a stall run it once, not once per missed interval.
            "coalesce": True,
            "max_instances": 1,
        },
    )
