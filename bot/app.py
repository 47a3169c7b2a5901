"""Build the python-telegram-bot Application: builder, defaults, lifecycle hooks."""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    Defaults,
)

from bot import wiring
from bot.clock import Clock
from bot.config import ConfigError, Settings
from bot.context import BotData, SinauContext
from bot.delivery.limiter import SinauRateLimiter
from bot.delivery.shared import SharedLimits, pseudonym_key
from bot.handlers import menus, register
from bot.scheduling import jobs
from bot.storage import metered, open_database
from bot.storage.cluster import FloodLedger
from bot.transport import BotApiRequest

logger = logging.getLogger(__name__)

SinauApp = Application[Any, SinauContext, Any, Any, BotData, Any]

UNLIMITED = 1_000_000


def chat_key_of(update: object) -> int:
    """The chat whose order an update keeps (0 for updates of no chat).

    A private chat's id equals its user's id, so poll answers (which carry only the user)
    line up with the learner's messages and button presses.
    """
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return 0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Process different chats concurrently but each chat's updates in arrival order.

    A learner pressing two buttons quickly must see them handled in order; a thousand
    learners must not wait for each other.
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        # python-telegram-bot's own limit would take a slot before the chat's turn; it is
        # set out of reach and the real one (``_slots``) is taken after the turn instead.
        super().__init__(UNLIMITED)
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        # Database round trips of the latest updates: (update id, round trips).
        self.round_trips: deque[tuple[int, int]] = deque(maxlen=1000)
        self._users: dict[int, int] = {}
        # Flood control counts each update as it arrives (bot.handlers.flood installs it):
        # False means "refused", handled at once instead of queueing behind the chat's backlog.
        self.on_arrival: Callable[[object], bool] | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` after the earlier updates of the same chat.

        The chat's turn comes before a concurrency slot, so one chat's backlog (a flood whose
        replies wait for Telegram's per-chat limit) never holds the slots other chats need.
        """
        if self.on_arrival is not None and not self.on_arrival(update):
            await coroutine
            return
        key = chat_key_of(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock, self._slots:
                with metered() as meter:
                    await coroutine
                if isinstance(update, Update):
                    self.round_trips.append((update.update_id, meter.round_trips))
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


async def _post_init(app: SinauApp) -> None:
    """Start-up, in this order (each step needs the ones before it):

    1. the services (database opened and migrated, packs loaded), built by bot.wiring;
    2. the command menus (learners', groups', each trainer's and admin's own);
    3. the periodic jobs (bot.scheduling.jobs), which start sending where this process leads
       (the broadcast job first reports the sends a crash left uncertain).
    """
    data = app.bot_data
    assert data.settings is not None and data.clock is not None
    services = await wiring.assemble(data.settings, data.clock, bot=app.bot, db=data.db)
    data.services = services
    await menus.install(app.bot, services)
    jobs.register(app, services)
    logger.info("Sinau started as @%s", app.bot.username)


async def _post_shutdown(app: SinauApp) -> None:
    if app.bot_data.services is not None:
        await wiring.close(app.bot_data.services)
        app.bot_data.services = None


def build_application(settings: Settings, *, clock: Clock | None = None) -> SinauApp:
    """The configured Application, handlers registered, nothing opened yet."""
    if settings.telegram.token is None:
        raise ConfigError(
            "config error: telegram.token (SINAU_TELEGRAM__TOKEN) is required to run the bot"
        )
    # Opt in to python-telegram-bot's coming duration type (timedelta) now: without it, every
    # RetryAfter it builds warns of the change. bot.delivery reads either form.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    api = settings.telegram.api_url
    poll_timeout = settings.telegram.poll_timeout
    clock = clock or Clock()
    # Built now, opened in post_init: the shared rate limit of a cluster lives in it too.
    db = open_database(settings.database)
    shared = (SharedLimits(FloodLedger(db), settings.delivery,
                           pseudonyms=pseudonym_key(settings.telegram.token.get_secret_value()))
              if settings.clustered else None)
    app: SinauApp = (
        ApplicationBuilder()
        .token(settings.telegram.token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=settings.zone,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .context_types(ContextTypes(context=SinauContext, bot_data=BotData))
        .concurrent_updates(PerChatUpdateProcessor())
        # One limiter for all Bot API traffic: Telegram's flood limits, replies before bulk.
        .rate_limiter(SinauRateLimiter(settings.delivery, shared=shared))
        .request(BotApiRequest(clock, api, connection_pool_size=64, pool_timeout=10))
        .get_updates_request(
            BotApiRequest(clock, api, connection_pool_size=1, read_timeout=poll_timeout + 10)
        )
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.bot_data.settings = settings
    app.bot_data.clock = clock
    app.bot_data.db = db
    register(app)
    return app
