"""The scheduler room: every periodic job, registered in one place from one table.

Each job asks the database what is due and acts on that; none holds the truth in memory, so
every job shares one policy, explained once:

* ``misfire_grace_time=None`` — a run that starts late (the event loop was busy, the machine
  slept, the clock jumped) still runs: late is always better than never, because the work is
  read from the database when the run starts. APScheduler's default (1 s) would silently drop
  such runs.
* ``coalesce=True`` — after a stall, the missed runs collapse into one; one run catches up
  with everything that became due meanwhile.
* ``max_instances=1`` — never two runs of one job at once. The runs themselves only start the
  long work (a nudge dispatch, a broadcast) as tasks of the Application and return at once, so
  a tick is never skipped because the previous one is still busy.

| job               | every                 | first | what it does                              |
| ----------------- | --------------------- | ----- | ----------------------------------------- |
| nudges            | nudges.tick_seconds   | 1 s   | start a nudge dispatch if one is due      |
| broadcasts        | 2 s                   | 0.5 s | start scheduled broadcasts, resume others |
| discussion-weekly | nudges.tick_seconds   | 1 s   | the weekly prompt of each cohort group    |
| privacy-retention | 1 day                 | 60 s  | erase learners inactive past retention    |
| course-packs      | 5 s                   | 5 s   | take up a pack another worker stored      |

(``nudges.tick_seconds`` is 5 s by default.)

A few seconds between ticks is what "on time" means for a nudge or a scheduled broadcast; the
retention purge only needs to happen some time each day.

**Where they run.** Every job runs only in the process that leads (``services.leadership``):
always the one process on SQLite or in long polling; in a cluster of webhook workers on
PostgreSQL, the worker holding the leader lock (bot.cluster.worker), taken over within about a
second when that worker dies. Each due item is still claimed by a statement that only one
claimer can win (the nudge ledger's one row per learner and day, a broadcast recipient's
``pending`` → ``sending``, a group's weekly-prompt row), so even two leaders for a moment
could not send anything twice. A new leader first reports the broadcast sends its
predecessor left uncertain, before any broadcast resumes. The one job that runs in every
process is ``course-packs`` (``everywhere``): each keeps its own catalogue in step with the
``course_packs`` table.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.delivery.groups import TelegramPort
from bot.discussion.prompts import lesson_opening

if TYPE_CHECKING:
    from telegram.ext import Application, JobQueue

    from bot.wiring import Services

logger = logging.getLogger(__name__)

App = Any  # the Application: a TaskHost with a bot
JobRun = Callable[[App, "Services"], Awaitable[None]]

#: Shared by every job (see the module docstring for why).
POLICY: dict[str, Any] = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One periodic job: its name, when it runs, and what it does."""

    name: str
    interval: timedelta
    first: timedelta
    run: JobRun
    everywhere: bool = False  # True: in every worker, not only the leader


async def _nudges(app: App, services: Services) -> None:
    services.nudge_runner.kick(app)


async def _broadcasts(app: App, services: Services) -> None:
    runner = services.broadcast_runner
    if runner is None:
        return
    term = services.leadership.term
    if runner.recovered_term != term:
        # Rows a crash (of this process, or of the leader before it) left 'sending' are
        # uncertain: report them before anything resumes.
        await runner.report_recovered()
        runner.recovered_term = term
    await runner.tick(app)


async def _weekly_prompts(app: App, services: Services) -> None:
    groups = services.groups
    follow = groups.follow if groups is not None else None
    prompts = services.discussion.prompts
    # Through the bulk sender: the same paced path as every other bulk message.
    port = TelegramPort(app.bot, services.sender, follow=follow)
    outcomes = await prompts.run_weekly(port, lesson_opening)
    if port.moved:
        # A group turned out to be upgraded: its state has moved, so run once more for it.
        outcomes += await prompts.run_weekly(TelegramPort(app.bot, services.sender,
                                                          follow=follow), lesson_opening)
    for outcome in outcomes:
        logger.info("weekly prompt %s in %s: %s", outcome.iso_week, outcome.chat_id,
                    outcome.state)


async def _retention(app: App, services: Services) -> None:
    await services.privacy.purge_inactive()


async def _course_packs(app: App, services: Services) -> None:
    await services.training.uploads.refresh()


def job_table(services: Services) -> list[JobSpec]:
    """The periodic jobs the settings switch on, in the order of the table above."""
    settings = services.settings
    tick = timedelta(seconds=settings.nudges.tick_seconds)
    first = min(tick, timedelta(seconds=1))
    jobs = []
    if settings.nudges.enabled:
        jobs.append(JobSpec("nudges", tick, first, _nudges))
    jobs.append(JobSpec("broadcasts", timedelta(seconds=2), timedelta(seconds=0.5),
                        _broadcasts))
    if settings.discussion.weekly_prompt:
        jobs.append(JobSpec("discussion-weekly", tick, first, _weekly_prompts))
    jobs.append(JobSpec("privacy-retention", timedelta(days=1), timedelta(minutes=1),
                        _retention))
    jobs.append(JobSpec("course-packs", timedelta(seconds=5), timedelta(seconds=5),
                        _course_packs, everywhere=True))
    return jobs


def register(app: Application[Any, Any, Any, Any, Any, Any], services: Services) -> list[str]:
    """Put every job of the table on the Application's job queue; their names."""
    queue: JobQueue[Any] | None = app.job_queue
    if queue is None:
        logger.warning("no job queue: nudges, scheduled broadcasts and prompts will not run")
        return []
    names = []
    for spec in job_table(services):
        queue.run_repeating(_wrap(spec, services), interval=spec.interval, first=spec.first,
                            name=spec.name, job_kwargs=dict(POLICY))
        names.append(spec.name)
    return names


def _wrap(spec: JobSpec, services: Services) -> Callable[[Any], Coroutine[Any, Any, None]]:
    async def job(context: Any) -> None:
        if not (spec.everywhere or services.leadership.is_leader):
            return  # another worker leads; this one takes over if that one dies
        try:
            await spec.run(context.application, services)
        except Exception:  # noqa: BLE001 - the next tick tries again; the bot keeps running
            logger.exception("the %s job failed", spec.name)

    job.__name__ = job.__qualname__ = f"job_{spec.name.replace('-', '_')}"
    return job
