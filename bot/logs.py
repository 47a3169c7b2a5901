"""Logging set-up: one format, noisy libraries quieted, the bot token redacted everywhere."""

from __future__ import annotations

import logging
import re

REDACTED = "[REDACTED]"
_TOKEN_SHAPE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}\b")


def scrub(text: str) -> str:
    """``text`` with anything shaped like a bot token replaced, for texts that are stored.

    Error descriptions reach the database (delivery outcomes) and python-telegram-bot changes
    their letter case, so the token's shape is matched, not its exact spelling.
    """
    return _TOKEN_SHAPE.sub(REDACTED, text)


class TokenRedactor(logging.Filter):
    """Replace the bot token (and anything shaped like a token) in every record."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self._secrets = [s for s in (secrets or []) if s]

    def add_secret(self, secret: str) -> None:
        """Also redact ``secret`` from now on."""
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def redact(self, text: str) -> str:
        """``text`` with every known secret and token-shaped string removed."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _TOKEN_SHAPE.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, redact it, and drop the arguments."""
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class QuietNetworkErrors(logging.Filter):
    """Log network failures (server unreachable, timeouts, refused token) as one line.

    python-telegram-bot logs a full traceback for every failed retry; for errors outside our
    code that only repeats what the message says.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Fold the exception of a network error into the message and drop its traceback."""
        if record.exc_info and record.exc_info[1] is not None:
            from telegram.error import InvalidToken, NetworkError

            error = record.exc_info[1]
            if isinstance(error, (NetworkError, InvalidToken)):
                record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
                record.args = None
                record.exc_info = None
                record.exc_text = None
        return True


def setup_logging(level: int = logging.INFO, secrets: list[str] | None = None) -> TokenRedactor:
    """Configure the root logger with a redacting handler; return the redactor."""
    redactor = TokenRedactor(secrets)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(QuietNetworkErrors())
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO, and those URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    return redactor
