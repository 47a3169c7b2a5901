"""Webhook mode: the Application behind Sinau's own HTTP server (bot.web.server).

Start-up, in order: the Application is initialised and post_init builds the services; the
HTTP server listens (the webhook path and ``/healthz``); only then is the webhook registered
with Telegram, so Telegram's first delivery finds someone listening. On SIGTERM or SIGINT:
the server stops accepting, the updates being handled finish (a few seconds at most), the
Application stops and closes the database. The webhook stays registered: in a cluster the
other workers keep receiving, and a restarted worker registers it again.

One process (SQLite): an accepted update goes to the Application's queue, as with polling.
Several workers (PostgreSQL): it goes to the shared inbox (bot.cluster.inbox), and this
worker handles whatever chats it takes from there.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from telegram import Update

from bot import wiring
from bot.app import SinauApp, chat_key_of
from bot.cluster.inbox import WebhookInbox
from bot.config import Settings
from bot.health import health
from bot.web.server import WebServer

logger = logging.getLogger(__name__)

# Time the updates being handled get to finish after SIGTERM (the whole stop stays under 10 s).
DRAIN_SECONDS = 5.0


async def serve_webhook(app: SinauApp, settings: Settings) -> None:
    """Run until SIGTERM/SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    telegram = settings.telegram
    secret = telegram.webhook_secret.get_secret_value() if telegram.webhook_secret else None
    server = WebServer(telegram.webhook_listen, telegram.webhook_port)
    inbox: WebhookInbox | None = None
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        services = app.bot_data.services
        assert services is not None
        await app.start()

        if settings.clustered:
            async def handle(payload: dict[str, Any]) -> None:
                update = Update.de_json(payload, app.bot)
                await app.update_processor.process_update(update, app.process_update(update))

            def chat_of(payload: dict[str, Any]) -> int:
                return chat_key_of(Update.de_json(payload, app.bot))

            inbox = wiring.webhook_inbox(services, handle, chat_of)
            server.add_webhook(telegram.webhook_path, inbox.accept, secret)
            await inbox.start()
        else:
            async def enqueue(payload: dict[str, Any]) -> None:
                await app.update_queue.put(Update.de_json(payload, app.bot))

            server.add_webhook(telegram.webhook_path, enqueue, secret)

        async def check() -> tuple[bool, dict[str, Any]]:
            return await health(services, mode="webhook", inbox=inbox)

        server.add_health(check)
        await server.start()
        await app.bot.set_webhook(
            url=str(telegram.webhook_url), secret_token=secret,
            allowed_updates=Update.ALL_TYPES, max_connections=40,
        )
        logger.info("webhook registered; serving")
        await stop.wait()
        logger.info("stopping")
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await server.stop()
        if inbox is not None:
            await inbox.stop(DRAIN_SECONDS)
        if app.running:
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
