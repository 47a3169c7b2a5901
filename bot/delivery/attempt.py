"""Where a send's request stands, so an interrupted send is known to be unsent or uncertain.

A bulk send waits for its turn in the rate limiter (and after a 429, for ``retry_after``)
before its request leaves. Work claimed only at that moment, right before the request, is
unsent whenever the claim has not happened yet; and a send interrupted while it waits between
tries (the server answered, so nothing was delivered) can go back to the queue. Only a request
that left without an answer is truly uncertain.

The bulk sender makes a ``SendAttempt`` per message and hands it to the rate limiter with the
request (``rate_limit_args["attempt"]``, python-telegram-bot's channel from a call to its rate
limiter); the limiter calls ``leaving`` right before each HTTP request and ``answered`` after.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class NotClaimed(Exception):  # noqa: N818 - a signal, not an error
    """The claim before the request said no (the work was taken or cancelled): nothing sent."""


@dataclass(slots=True)
class SendAttempt:
    """One message's way to the server, possibly over several tries."""

    #: Called once, right before the first request leaves; False means "do not send".
    claim: Callable[[], Awaitable[bool]] | None = None
    claimed: bool = False
    #: A request left and its answer has not come back (its outcome is unknown).
    in_flight: bool = False
    #: A request of this attempt succeeded.
    delivered: bool = False

    @property
    def unsent(self) -> bool:
        """True when nothing of this attempt reached anyone: no success, no open request."""
        return not self.in_flight and not self.delivered

    async def leaving(self) -> None:
        """The rate limiter's turn came: claim the work (once), then mark the request out."""
        if self.claim is not None and not self.claimed:
            if not await self.claim():
                raise NotClaimed
            self.claimed = True
        self.in_flight = True

    def answered(self, *, delivered: bool) -> None:
        """The server answered: the request is no longer in flight (``delivered`` on success)."""
        self.in_flight = False
        self.delivered = self.delivered or delivered


async def run_claimed(
    deliver: Callable[[SendAttempt], Awaitable[T]],
    claim: Callable[[], Awaitable[bool]] | None,
    unclaim: Callable[[], Awaitable[object]] | None,
) -> T | None:
    """``deliver(attempt)`` with the work claimed when its request leaves; None if the claim
    said no.

    If the task is cancelled (a shutdown) after the claim but while nothing is out or
    delivered (waiting out a 429), ``unclaim()`` gives the work back. A send that ended before
    any request left (nothing reached the rate limiter) is claimed afterwards, so its outcome
    can be recorded like any other.
    """
    attempt = SendAttempt(claim=claim)
    try:
        result = await deliver(attempt)
    except NotClaimed:
        return None
    except asyncio.CancelledError:
        if attempt.claimed and attempt.unsent and unclaim is not None:
            await asyncio.shield(unclaim())
        raise
    if claim is not None and not attempt.claimed and not await claim():
        return None
    return result
