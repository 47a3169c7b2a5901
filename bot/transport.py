"""The HTTP client for Bot API calls: follows the server's clock, says when it is unreachable."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.clock import Clock, parse_http_date

logger = logging.getLogger(__name__)

# While the server stays unreachable, one warning a minute, not one per retry.
WARN_EVERY = 60.0


class BotApiRequest(HTTPXRequest):
    """python-telegram-bot's HTTPX client with two additions.

    * The clock follows the server's ``Date`` headers: a Bot API server whose clock runs ahead
      (one moved across days, or a host clock that lags) is followed even when no update
      arrives, since every long poll brings a fresh ``Date``.
    * A server that cannot be reached is reported at WARNING (python-telegram-bot retries the
      start-up forever and logs each try at DEBUG only), then at most once a minute, and its
      return once. The token is in the URL, never in these lines.
    """

    def __init__(self, clock: Clock, server: str, **options: Any) -> None:
        async def follow_server_date(response: httpx.Response) -> None:
            moment = parse_http_date(response.headers.get("date"))
            if moment is not None:
                clock.follow(moment)

        super().__init__(
            **options, httpx_kwargs={"event_hooks": {"response": [follow_server_date]}}
        )
        self._server = server
        self._failures = 0
        self._last_warning = 0.0

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`."""
        try:
            result = await super().do_request(*args, **kwargs)
        except NetworkError as exc:
            if _unreachable(exc):
                self._unreachable(exc)
            raise
        if self._failures:
            logger.info("Bot API server at %s reachable again (after %d failed attempt%s)",
                        self._server, self._failures, "" if self._failures == 1 else "s")
            self._failures = 0
        return result

    def _unreachable(self, exc: NetworkError) -> None:
        self._failures += 1
        now = time.monotonic()
        if self._failures == 1 or now - self._last_warning >= WARN_EVERY:
            self._last_warning = now
            logger.warning("Cannot reach the Bot API server at %s: %s. Retrying (%d failed "
                           "attempt%s so far)", self._server, exc.message, self._failures,
                           "" if self._failures == 1 else "s")


def _unreachable(exc: NetworkError) -> bool:
    """True for a failure to connect, False for a slow answer on an open connection."""
    if isinstance(exc, TimedOut):
        return isinstance(exc.__cause__, httpx.ConnectTimeout)
    return True
