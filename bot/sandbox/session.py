"""The sandbox session: the real Application polling the embedded Bot API emulator on loopback.

Exactly the production code paths run (same ``build_application``, handlers, HTTP client and
job queue); only the Bot API server (the emulator) and the clock (moved by ``:time``) differ.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import SecretStr
from telegram import Update

from bot.app import SinauApp, build_application
from bot.clock import Clock
from bot.config import Settings
from bot.sandbox.emulator import BotApiEmulator, FakeUser
from bot.sandbox.terminal import Downloads, LineReader, terminal_kept
from bot.wiring import Services

if TYPE_CHECKING:
    from bot.sandbox.commands import Console

logger = logging.getLogger(__name__)

# A token of Telegram's shape that no real bot has; the emulator accepts only this one.
SANDBOX_TOKEN = "7000000001:SANDBOX-local-fake-token-not-telegram"
ADMIN_NAME = "Admin"
TICK_SECONDS = 1.0
# Jobs repeating at most this often are "ticks" that :time waits for.
TICK_LIMIT = timedelta(seconds=60)


@dataclass(frozen=True)
class SandboxOptions:
    """What ``sinau sandbox`` was asked for."""

    content: Path | None = None
    db: Path | None = None
    script: Path | None = None


def sandbox_settings(
    base: Settings, *, api_url: str, db_path: Path, admin_id: int, extra_packs: Path | None
) -> Settings:
    """``base`` pointed at the emulator, a sandbox database, a sandbox admin and quick ticks."""
    return base.model_copy(
        update={
            "telegram": base.telegram.model_copy(
                update={
                    "token": SecretStr(SANDBOX_TOKEN),
                    "api_url": api_url,
                    "mode": "polling",
                    "poll_timeout": 1,
                }
            ),
            "database": base.database.model_copy(update={"path": db_path}),
            "access": base.access.model_copy(
                update={"admin_ids": [*base.access.admin_ids, admin_id]}
            ),
            "nudges": base.nudges.model_copy(update={"tick_seconds": TICK_SECONDS}),
            "content": base.content.model_copy(
                update={"extra_packs": extra_packs or base.content.extra_packs}
            ),
        }
    )


def check_pack(path: Path) -> bool:
    """Check a course pack with the content checker; print ``file:line: message`` problems."""
    from bot.content.loader import check_courses

    if not path.exists():
        print(f"{path}: tidak ada / not found", file=sys.stderr)
        return False
    problems, courses = check_courses(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(
            f"Paket kursus bermasalah / course pack has {len(problems)} problem(s): {path}",
            file=sys.stderr,
        )
        return False
    if not courses:
        print(f"{path}: tidak ada kursus / no course found", file=sys.stderr)
        return False
    return True


class JobWatcher:
    """Counts completed runs of the Application's periodic jobs (nudge ticks and the like)."""

    def __init__(self, app: SinauApp) -> None:
        self._app = app
        self._done: dict[str, datetime] = {}
        self._changed = asyncio.Event()
        if app.job_queue is not None:
            app.job_queue.scheduler.add_listener(
                self._on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
            )

    def _on_event(self, event: JobExecutionEvent) -> None:
        previous = self._done.get(event.job_id)
        if previous is None or event.scheduled_run_time > previous:
            self._done[event.job_id] = event.scheduled_run_time
        self._changed.set()

    def _ticks(self) -> dict[str, timedelta]:
        """The periodic jobs that count as ticks, with their intervals."""
        if self._app.job_queue is None:
            return {}
        return {
            job.id: job.trigger.interval
            for job in self._app.job_queue.scheduler.get_jobs()
            if isinstance(job.trigger, IntervalTrigger) and job.trigger.interval <= TICK_LIMIT
        }

    async def full_round(self) -> bool:
        """Wait until every tick job has run once from now on; False if there are none."""
        # APScheduler runs on the host's wall clock, not on the bot's Clock.
        start = datetime.now(UTC)
        ticks = self._ticks()
        if not ticks:
            return False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(ticks.values()).total_seconds() + 10
        while any(self._done.get(job_id, start - TICK_LIMIT) < start for job_id in ticks):
            remaining = deadline - loop.time()
            if remaining <= 0:
                logger.warning("periodic jobs %s did not run in time", sorted(ticks))
                break
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))
            # A job removed meanwhile (nudges switched off) is no longer waited for.
            ticks = {job_id: every for job_id, every in self._ticks().items() if job_id in ticks}
        return True


class SandboxSession:
    """An emulator plus the real bot polling it, with a movable clock."""

    def __init__(self, base: Settings, options: SandboxOptions) -> None:
        self.base = base
        self.options = options
        self.clock = Clock()
        self.emu = BotApiEmulator(token=SANDBOX_TOKEN, flood_limits=True)
        self.workdir = Path(tempfile.mkdtemp(prefix="sinau-sandbox-"))
        self.downloads = Downloads(self.emu, self.workdir / "downloads")
        self.app: SinauApp | None = None
        self.settings: Settings | None = None
        self.admin: FakeUser | None = None
        self._jobs: JobWatcher | None = None
        self._startup_tasks: set[asyncio.Task[object]] = set()

    @property
    def services(self) -> Services:
        """The running bot's services."""
        assert self.app is not None and self.app.bot_data.services is not None
        return self.app.bot_data.services

    @property
    def zone_now(self) -> datetime:
        """The bot's "now" in the default time zone."""
        assert self.settings is not None
        return self.clock.now().astimezone(self.settings.zone)

    async def start(self) -> None:
        """Start the emulator, then build and start the bot polling it."""
        await self.emu.start()
        self.admin = self.emu.add_user(ADMIN_NAME, language_code="id")
        db_path = self.options.db or self.workdir / "sinau.db"
        self.settings = sandbox_settings(
            self.base,
            api_url=self.emu.url,
            db_path=db_path,
            admin_id=self.admin.id,
            extra_packs=self.options.content,
        )
        app = build_application(self.settings, clock=self.clock)
        self.app = app
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        await app.start()
        self._jobs = JobWatcher(app)
        self._startup_tasks = set(getattr(app, "_Application__create_task_tasks", None) or ())
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES
        )

    async def stop(self) -> None:
        """Stop polling, shut the Application down, stop the emulator, tidy the workdir."""
        app, self.app = self.app, None
        try:
            if app is not None:
                if app.updater is not None and app.updater.running:
                    await app.updater.stop()
                if app.running:
                    await app.stop()
                await app.shutdown()
                if app.post_shutdown:
                    await app.post_shutdown(app)
        finally:
            await self.emu.stop()
            self._tidy()

    def _tidy(self) -> None:
        folder = self.downloads.folder
        if folder.exists() and any(folder.iterdir()):
            # Keep what the bot sent (certificates...) but not the temporary database.
            for leftover in self.workdir.iterdir():
                if leftover != folder:
                    if leftover.is_dir():
                        shutil.rmtree(leftover, ignore_errors=True)
                    else:
                        leftover.unlink(missing_ok=True)
            print(f"Berkas dari bot / files from the bot: {folder}", file=sys.stderr)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    async def settle(self) -> None:
        """Wait until the bot has handled every update and made no request for a moment."""
        assert self.app is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while True:
            await self.emu.settle(timeout=15)
            busy = (
                not self.app.update_queue.empty()
                or self.app.update_processor.current_concurrent_updates > 0
                or self._background_busy()
            )
            if not busy or loop.time() > deadline:
                return
            await asyncio.sleep(0.05)

    def _background_busy(self) -> bool:
        """True while a task the bot started with Application.create_task still runs."""
        # PTB keeps those tasks (a nudge dispatch, ...) in a private set that stop() awaits;
        # there is no public accessor. Tasks alive since start-up are long-lived: ignored.
        tasks = getattr(self.app, "_Application__create_task_tasks", None) or set()
        return any(not task.done() and task not in self._startup_tasks for task in tasks)

    async def advance(self, delta: timedelta) -> None:
        """Move the bot's and the emulator's clocks together, then let the ticks run."""
        await self.settle()
        self.clock.advance(delta)
        self.emu.advance(delta)
        await self.let_ticks_run()

    async def let_ticks_run(self) -> None:
        """Let every periodic job run at least twice (a tick may queue what the next sends)."""
        assert self._jobs is not None
        for round_number in range(1, 6):
            before = len(self.emu.requests)
            if not await self._jobs.full_round():
                break
            await self.settle()
            if round_number >= 2 and len(self.emu.requests) == before:
                break
        await self.settle()


async def _converse(console: Console, script: list[str] | None, interactive: bool) -> None:
    """Feed the console the script's lines, or stdin's until end of input or :quit."""
    if script is not None:
        for line in script:
            if not await console.handle(line):
                return
        return
    reader = LineReader(interactive=interactive, prompt=console.prompt)
    while True:
        try:
            typed = await reader.next_line(1.0 if interactive else None)
        except TimeoutError:
            # Idle at the prompt: show what the ticks sent meanwhile.
            console.show_background()
            continue
        if typed is None or not await console.handle(typed):
            return


async def run_sandbox(base: Settings, options: SandboxOptions) -> int:
    """Run the sandbox until ``:quit``, end of input, Ctrl-C or SIGTERM; the exit code."""
    from bot.sandbox.commands import Console

    if options.content is not None and not check_pack(options.content):
        return 1
    script: list[str] | None = None
    if options.script is not None:
        try:
            script = options.script.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            print(f"{options.script}: {exc.strerror}", file=sys.stderr)
            return 1
    session = SandboxSession(base, options)
    interactive = script is None and sys.stdin.isatty()
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    terminated = False

    def on_sigterm() -> None:
        nonlocal terminated
        terminated = True
        if main is not None:
            main.cancel()

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    try:
        with terminal_kept(interactive):
            await session.start()
            console = Console(session, ansi=sys.stdout.isatty(), echo=not interactive)
            console.banner()
            await _converse(console, script, interactive)
        # A script or piped input that hit a problem fails, so demos and CI notice.
        return 1 if console.failures and not interactive else 0
    except asyncio.CancelledError:
        if not terminated or main is None:
            raise
        # SIGTERM is an ordinary way to stop the sandbox: finish cleanly, not as cancelled.
        main.uncancel()
        return 143
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGTERM)
        await session.stop()
