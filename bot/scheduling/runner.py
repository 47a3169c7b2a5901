"""The one nudge dispatch at a time: the periodic job starts it when none is running.

The job itself only starts a dispatch when none is running, so it always finishes at once:
APScheduler never has to skip a tick because the previous one still runs, and the dispatch,
which may take minutes for a large batch, runs as a task of the host (the Application, which
waits for its tasks when it stops). The dispatch stops taking new learners as soon as the
host stops running, so shutdown stays quick even in the middle of a batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol

from bot.scheduling.nudges import DispatchReport, NudgeService


class TaskHost(Protocol):
    """What runs long tasks for a job: python-telegram-bot's Application."""

    @property
    def running(self) -> bool:
        """True until the host stops."""
        ...

    def create_task(self, coroutine: Coroutine[Any, Any, Any], update: object = None, *,
                    name: str | None = None) -> asyncio.Task[Any]:
        """Run ``coroutine`` as a task the host waits for when it stops."""
        ...


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

    def kick(self, host: TaskHost) -> bool:
        """Start a dispatch unless one runs already; True if started."""
        self.ticks += 1
        if self.busy or not host.running:
            return False
        self.task = host.create_task(self._run(host), name="nudges-dispatch")
        return True

    async def _run(self, host: TaskHost) -> DispatchReport:
        report = await self.service.dispatch(should_stop=lambda: not host.running)
        self.last_report = report
        return report
