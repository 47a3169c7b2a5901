"""Logging: the token is redacted from messages, arguments and tracebacks."""

from __future__ import annotations

import logging

import pytest

from bot.logs import REDACTED, TokenRedactor
from tests.conftest import TEST_TOKEN


def test_redactor_removes_token_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("sinau.test.redact")
    redactor = TokenRedactor([TEST_TOKEN])
    logger.addFilter(redactor)
    try:
        with caplog.at_level(logging.INFO, logger="sinau.test.redact"):
            logger.info("POST https://api.telegram.org/bot%s/sendMessage", TEST_TOKEN)
            try:
                raise RuntimeError(f"failed for {TEST_TOKEN}")
            except RuntimeError:
                logger.exception("boom")
            logger.info("other shape 5550001:ABCDEFGHIJKLMNOPQRSTUVWXYZabc")
    finally:
        logger.removeFilter(redactor)
    text = caplog.text
    assert TEST_TOKEN not in text
    assert "ABCDEFGHIJKLMNOPQRSTUVWXYZabc" not in text
    assert text.count(REDACTED) >= 3
