"""Where a send's request stands, so an interrupted send is known to be unsent or uncertain.

A bulk send waits for its turn in the rate limiter (and after a 429, for ``retry_after``)
before its request leaves. Work claimed only at that moment, right before the request, is
unsent whenever the claim has not happened yet; and a send interrupted while it waits between
tries (the server answered, so nothing was delivered) can go back to the queue. Only a request
that left without an answer is truly uncertain.

Callers use :func:`send_claimed`; the rate limiter, running in the same task, calls
:func:`request_leaving` and :func:`answer_received` around each HTTP request. A context variable
keeps concurrent sends apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


_current: ContextVar[SendAttempt | None] = ContextVar("sinau_send_attempt", default=None)


@contextmanager
def attempt_scope(attempt: SendAttempt) -> Iterator[SendAttempt]:
    """Make ``attempt`` the current one for the sends awaited inside the block."""
    token = _current.set(attempt)
    try:
        yield attempt
    finally:
        _current.reset(token)


async def request_leaving() -> None:
    """The rate limiter's turn came: claim the work (once), then mark the request in flight."""
    attempt = _current.get()
    if attempt is None:
        return
    if attempt.claim is not None and not attempt.claimed:
        if not await attempt.claim():
            raise NotClaimed
        attempt.claimed = True
    attempt.in_flight = True


def answer_received(*, delivered: bool) -> None:
    """The server answered: the request is no longer in flight (``delivered`` on success)."""
    attempt = _current.get()
    if attempt is not None:
        attempt.in_flight = False
        attempt.delivered = attempt.delivered or delivered


async def send_claimed(
    send: Callable[[], Awaitable[T]],
    claim: Callable[[], Awaitable[bool]],
    unclaim: Callable[[], Awaitable[object]],
) -> T | None:
    """``send()`` with ``claim()`` run when its request leaves; None when the claim said no.

    If the task is cancelled (a shutdown) after the claim but while nothing is out or
    delivered (waiting out a 429), ``unclaim()`` gives the work back. A send that ended before
    reaching the rate limiter (no request made) is claimed afterwards, so its outcome can be
    recorded like any other.
    """
    attempt = SendAttempt(claim=claim)
    try:
        with attempt_scope(attempt):
            result = await send()
    except NotClaimed:
        return None
    except asyncio.CancelledError:
        if attempt.claimed and attempt.unsent:
            await asyncio.shield(unclaim())
        raise
    if not attempt.claimed and not await claim():
        return None
    return result
