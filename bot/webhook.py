"""Webhook mode hardening: a cap on request bodies for python-telegram-bot's tornado server.

PTB builds its webhook server as ``tornado.httpserver.HTTPServer(app, ssl_options=...)`` and
offers no body-size setting, so tornado's default (100 MB, buffered in memory) applies. Tornado
servers are ``Configurable``: ``HTTPServer.configure(impl, **kwargs)`` chooses the class and
default arguments of every server built afterwards. ``body_limit`` uses that documented hook
for the duration of ``run_webhook``:

* a request that declares a larger ``Content-Length`` is answered ``413 Payload Too Large``
  and the connection closed before a byte of the body is read;
* a chunked body that grows past the limit is cut off by tornado's own ``max_body_size``
  (tornado answers 400 and closes).

Either way the update never reaches the bot. The secret token check stays PTB's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Any

from tornado import httputil
from tornado.http1connection import HTTP1Connection
from tornado.httpserver import HTTPServer

logger = logging.getLogger(__name__)

# Telegram's updates are a few kilobytes (a 4096-character message with its entities and a
# reply is far below 64 KB); 1 MiB leaves room for anything legitimate.
MAX_BODY_BYTES = 1024 * 1024
_TOO_LARGE = (b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n"
              b"Connection: close\r\n\r\n")


class _BodyLimit(httputil.HTTPMessageDelegate):
    """Refuse a request whose declared length is over the limit; pass the rest through."""

    def __init__(self, inner: httputil.HTTPMessageDelegate,
                 connection: httputil.HTTPConnection, limit: int) -> None:
        self._inner = inner
        self._connection = connection
        self._limit = limit
        self._refused = False

    def headers_received(self, start_line: Any, headers: httputil.HTTPHeaders
                         ) -> Awaitable[None] | None:
        """Check Content-Length before the body is read."""
        declared = headers.get("Content-Length", "")
        if (declared.isdigit() and int(declared) > self._limit
                and isinstance(self._connection, HTTP1Connection)):
            self._refused = True
            return self._refuse(int(declared))
        return self._inner.headers_received(start_line, headers)

    async def _refuse(self, declared: int) -> None:
        logger.warning("webhook: refused a request body of %d bytes (limit %d)",
                       declared, self._limit)
        assert isinstance(self._connection, HTTP1Connection)
        # Detached, the connection reads no body and never calls the application.
        stream = self._connection.detach()
        try:
            await stream.write(_TOO_LARGE)
        finally:
            stream.close()

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        """Body bytes go to the application (never after a refusal)."""
        return None if self._refused else self._inner.data_received(chunk)

    def finish(self) -> None:
        """The request is complete."""
        if not self._refused:
            self._inner.finish()

    def on_connection_close(self) -> None:
        """The client went away."""
        if not self._refused:
            self._inner.on_connection_close()


class LimitedHTTPServer(HTTPServer):
    """tornado's HTTPServer with a request body cap (see the module docstring)."""

    def initialize(self, *args: Any, body_limit: int = MAX_BODY_BYTES,
                   **kwargs: Any) -> None:
        """Keep the limit; tornado's ``max_body_size`` enforces it for chunked bodies."""
        self._body_limit = body_limit
        kwargs["max_body_size"] = body_limit
        super().initialize(*args, **kwargs)

    def start_request(self, server_conn: object, request_conn: httputil.HTTPConnection
                      ) -> httputil.HTTPMessageDelegate:
        """Wrap the application's delegate in the Content-Length check."""
        inner = super().start_request(server_conn, request_conn)
        return _BodyLimit(inner, request_conn, self._body_limit)


@contextmanager
def body_limit(limit: int = MAX_BODY_BYTES) -> Iterator[None]:
    """While inside, every tornado HTTPServer created refuses bodies over ``limit`` bytes."""
    HTTPServer.configure(LimitedHTTPServer, body_limit=limit)
    try:
        yield
    finally:
        HTTPServer.configure(None)  # back to tornado's default class and arguments
