"""The HTTP client for Bot API calls: aiohttp under python-telegram-bot's request interface.

Why not python-telegram-bot's own HTTPX client: the bot makes one or two Bot API calls per
update, and on the two-core machines it runs on the HTTP client is the largest share of its
CPU. aiohttp (already a dependency, for the web side) does the same work for a fraction of the
CPU per request (see bench/RESULTS.md), and python-telegram-bot is built to take any
``BaseRequest``.

Two additions on top of a plain client:

* The clock follows the server's ``Date`` headers: a Bot API server whose clock runs ahead
  (one moved across days, or a host clock that lags) is followed even when no update arrives,
  since every long poll brings a fresh ``Date``.
* A server that cannot be reached is reported at WARNING (python-telegram-bot retries the
  start-up forever and logs each try at DEBUG only), then at most once a minute, and its return
  once. The token is in the URL, never in these lines.

Errors say whether the request could have reached the server: ``never_arrived`` is true only
when it certainly did not (no connection was made), which lets the bulk sender repeat it
safely; a timeout while waiting for the answer leaves the outcome unknown.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.clock import Clock, parse_http_date

logger = logging.getLogger(__name__)

# While the server stays unreachable, one warning a minute, not one per retry.
WARN_EVERY = 60.0


class NotSent(NetworkError):
    """No connection to the server could be made: the request certainly did not arrive."""


class NotSentTimeout(TimedOut):
    """Timed out before the request was sent (connecting, or waiting for a free connection)."""


def never_arrived(exc: BaseException) -> bool:
    """True when the failed request certainly did not reach the Bot API server."""
    return isinstance(exc, NotSent | NotSentTimeout)


def server_answered(exc: BaseException) -> bool:
    """True for an error the server itself returned (a 5xx), not a broken connection."""
    return not isinstance(exc.__cause__, aiohttp.ClientError | TimeoutError)


_UNSET = type(BaseRequest.DEFAULT_NONE)


def _seconds(value: object, fallback: float | None) -> float | None:
    """A timeout given to one call, or the client's default when the call left it unset."""
    if isinstance(value, _UNSET):
        return fallback
    return float(value) if isinstance(value, float | int) else None


class BotApiRequest(BaseRequest):
    """python-telegram-bot's request interface over one aiohttp session."""

    def __init__(
        self, clock: Clock, server: str, *, connection_pool_size: int = 64,
        read_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._clock = clock
        self._server = server
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._failures = 0
        self._last_warning = 0.0

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (python-telegram-bot adds the long-poll timeout to it)."""
        return self._read

    async def initialize(self) -> None:
        """Open the connection pool (inside the running event loop)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT},
                # Bot API answers are JSON; nothing here needs cookies.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        """Close the connection pool."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request` (aiohttp has no write timeout:
        a slow upload is bounded by the read timeout that follows it)."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("this BotApiRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        connect = _seconds(connect_timeout, self._connect)
        pool = _seconds(pool_timeout, self._pool)
        timeout = aiohttp.ClientTimeout(
            total=None,
            # Waiting for a free connection and connecting: the request has not left yet.
            connect=None if connect is None and pool is None else (connect or 0) + (pool or 0),
            sock_connect=connect,
            sock_read=_seconds(read_timeout, self._read),
        )
        body: Any = fields
        if files:
            form = aiohttp.FormData()
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            body = form
        try:
            async with session.request(method, url, data=body, timeout=timeout) as response:
                payload = await response.read()
                status = response.status
                moment = parse_http_date(response.headers.get("Date"))
        except aiohttp.ConnectionTimeoutError as err:
            raise self._failed(NotSentTimeout("Timed out connecting to the Bot API server"),
                               err) from err
        except (aiohttp.ClientConnectorError, aiohttp.ClientConnectorDNSError) as err:
            raise self._failed(NotSent(f"aiohttp.{err.__class__.__name__}: {err}"),
                               err) from err
        except (TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut("Timed out waiting for the Bot API server") from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
        if moment is not None:
            self._clock.follow(moment)
        if self._failures:
            logger.info("Bot API server at %s reachable again (after %d failed attempt%s)",
                        self._server, self._failures, "" if self._failures == 1 else "s")
            self._failures = 0
        return status, payload

    def _failed(self, exc: NetworkError, cause: BaseException) -> NetworkError:
        """Count and report an unreachable server; the error to raise."""
        self._failures += 1
        now = time.monotonic()
        if self._failures == 1 or now - self._last_warning >= WARN_EVERY:
            self._last_warning = now
            logger.warning("Cannot reach the Bot API server at %s: %s. Retrying (%d failed "
                           "attempt%s so far)", self._server, exc.message, self._failures,
                           "" if self._failures == 1 else "s")
        return exc

