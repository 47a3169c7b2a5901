"""The HTTP server of a worker: Telegram's webhook and ``/healthz``, on aiohttp.

Thin HTTP glue. A webhook POST must carry the secret token (``X-Telegram-Bot-Api-Secret-Token``,
compared in constant time; 403 otherwise), a body of at most ``MAX_BODY_BYTES`` (413, refused
on its declared length before a byte is read, or as soon as a chunked body grows past it) and
a JSON object with an ``update_id`` (400). What happens to an accepted update is the caller's
``receive``: the Application's queue (one process) or the shared inbox (several workers).
Telegram only needs a 2xx to consider an update delivered, so the answer comes as soon as the
update is kept, not after it was handled.

``/healthz`` answers 200 with the worker's state when its database answers and its schema is
current, 503 otherwise: what a load balancer checks before it sends a worker anything.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

logger = logging.getLogger(__name__)

# Telegram's updates are a few kilobytes (a 4096-character message with its entities and a
# reply is far below 64 KB); 1 MiB leaves room for anything legitimate.
MAX_BODY_BYTES = 1024 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

Receive = Callable[[dict[str, Any]], Awaitable[object]]
Health = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]


def webhook_handler(receive: Receive, secret: str | None) -> Callable[
        [web.Request], Awaitable[web.Response]]:
    """The POST handler of the webhook path."""

    async def handle(request: web.Request) -> web.Response:
        if secret is not None:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), secret.encode()):
                return web.Response(status=403, text="forbidden")
        declared = request.content_length
        if declared is not None and declared > MAX_BODY_BYTES:
            logger.warning("webhook: refused a request body of %d bytes (limit %d)",
                           declared, MAX_BODY_BYTES)
            return web.Response(status=413, text="payload too large",
                                headers={"Connection": "close"})
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            logger.warning("webhook: refused a chunked body over %d bytes", MAX_BODY_BYTES)
            return web.Response(status=413, text="payload too large",
                                headers={"Connection": "close"})
        try:
            update = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return web.Response(status=400, text="not JSON")
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        try:
            await receive(update)
        except Exception:
            # Not kept: a 5xx makes Telegram deliver it again later.
            logger.exception("webhook: update %s could not be kept", update.get("update_id"))
            return web.Response(status=503, text="try again")
        return web.Response(text="ok")

    return handle


def health_handler(check: Health) -> Callable[[web.Request], Awaitable[web.Response]]:
    """GET /healthz."""

    async def handle(request: web.Request) -> web.Response:
        try:
            ok, state = await check()
        except Exception as exc:  # noqa: BLE001 - unhealthy is an answer, not a crash
            ok, state = False, {"status": "error", "error": type(exc).__name__}
        return web.json_response(state, status=200 if ok else 503)

    return handle


class WebServer:
    """One aiohttp site: routes added before ``start``."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.app = web.Application(client_max_size=MAX_BODY_BYTES)
        self._runner: web.AppRunner | None = None

    def add_webhook(self, path: str, receive: Receive, secret: str | None) -> None:
        """The webhook endpoint at ``/path``."""
        self.app.router.add_post("/" + path.strip("/"), webhook_handler(receive, secret))

    def add_health(self, check: Health) -> None:
        """``/healthz``."""
        self.app.router.add_get("/healthz", health_handler(check))

    async def start(self) -> None:
        """Listen."""
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False,
                               shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        await site.start()
        self._runner = runner
        logger.info("listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening; requests in progress get a moment to finish."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
