"""The arithmetic of Telegram's flood limits, with no Telegram in it.

Pacing the moments requests *leave* is not enough: connection pools, the event loop and the
network add jitter, and a server with a strict sliding window counts the moments they
*arrive*. So every limit here also counts a request from the moment it is released until
the moment its answer came back, and only then starts its window. A request arrives between
those two moments, so no ``capacity + 1`` requests can ever arrive within one window,
whatever the jitter.

``Pacer`` keeps the global limit (evenly spaced, interactive before bulk); ``ChatLimits``
keeps the per-chat and per-group ones.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

# Fraction of one interval by which a release may catch up after the event loop was late.
CATCH_UP = 0.25
# Added to every window: the two ends of a window are read from different clocks' ticks.
WINDOW_SLACK = 0.005


class Pacer:
    """Releases callers one at a time, evenly spaced at ``rate`` per second, interactive first.

    At most ``capacity`` requests are counted in any ``window``: in flight, or answered less
    than ``window`` seconds ago. Bulk callers can be held back for a while (after a 429)
    without holding back interactive ones.
    """

    def __init__(self, rate: float, capacity: int, window: float = 1.0) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("rate and capacity must be positive")
        self.interval = 1.0 / rate
        self.capacity = capacity
        self.window = window + WINDOW_SLACK
        self._slack = self.interval * CATCH_UP
        self._next = float("-inf")
        self._interactive: deque[asyncio.Future[None]] = deque()
        self._bulk: deque[asyncio.Future[None]] = deque()
        self._bulk_resume = float("-inf")
        self._in_flight = 0
        self._answered: deque[float] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = float("inf")
        self.released = 0

    @property
    def waiting(self) -> tuple[int, int]:
        """How many (interactive, bulk) callers are waiting."""
        return (
            sum(not f.done() for f in self._interactive),
            sum(not f.done() for f in self._bulk),
        )

    @contextlib.asynccontextmanager
    async def slot(self, *, bulk: bool) -> AsyncIterator[None]:
        """Wait for a turn, then hold it until the request is answered."""
        await self._acquire(bulk)
        try:
            yield
        finally:
            self._done()

    def hold_bulk(self, seconds: float) -> None:
        """Keep bulk callers back for ``seconds`` (interactive ones still go)."""
        loop = asyncio.get_running_loop()
        self._bulk_resume = max(self._bulk_resume, loop.time() + seconds)

    # ------------------------------------------------------------------ internals
    def _free_at(self, now: float) -> float:
        """The earliest moment the window has room (``now`` if it has room now)."""
        answered = self._answered
        while answered and answered[0] <= now - self.window:
            answered.popleft()
        excess = self._in_flight + len(answered) - self.capacity + 1
        if excess <= 0:
            return now
        if excess > len(answered):
            return float("inf")  # wait for an answer (it re-arms the timer)
        return answered[excess - 1] + self.window

    def _ready(self, now: float, bulk: bool) -> bool:
        return now >= self._next and self._free_at(now) <= now and (
            not bulk or now >= self._bulk_resume
        )

    async def _acquire(self, bulk: bool) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        queued = self._has(self._interactive) or (bulk and self._has(self._bulk))
        if not queued and self._ready(now, bulk):
            self._take(now)
            return
        future: asyncio.Future[None] = loop.create_future()
        (self._bulk if bulk else self._interactive).append(future)
        self._arm(loop)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._done()  # released just as we were cancelled: give the turn back
            raise

    def _take(self, now: float) -> None:
        self._next = max(self._next + self.interval, now + self.interval - self._slack)
        self._in_flight += 1
        self.released += 1

    def _done(self) -> None:
        loop = asyncio.get_running_loop()
        self._in_flight -= 1
        self._answered.append(loop.time())
        self._arm(loop)

    @staticmethod
    def _has(queue: deque[asyncio.Future[None]]) -> bool:
        while queue and queue[0].done():  # cancelled waiters
            queue.popleft()
        return bool(queue)

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        if self._has(self._interactive):
            at = max(self._next, self._free_at(now))
        elif self._has(self._bulk):
            at = max(self._next, self._free_at(now), self._bulk_resume)
        else:
            return
        if at == float("inf"):
            return  # an answer will re-arm
        if self._timer is not None:
            if self._timer_at <= at:
                return
            self._timer.cancel()
        self._timer_at = at
        self._timer = loop.call_at(at, self._fire, loop)

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        self._timer_at = float("inf")
        now = loop.time()
        if now >= self._next and self._free_at(now) <= now:
            if self._has(self._interactive):
                self._interactive.popleft().set_result(None)
                self._take(now)
            elif self._has(self._bulk) and now >= self._bulk_resume:
                self._bulk.popleft().set_result(None)
                self._take(now)
        self._arm(loop)


@dataclass(slots=True)
class _Chat:
    tokens: float
    stamp: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    answered: deque[float] | None = None  # groups: answer times of the latest sends
    users: int = 0


class ChatLimits:
    """Per-chat token buckets and per-group sliding windows.

    Sends to one chat go one at a time, in order. A token is taken when a send is released,
    and the refill only counts from the moment its answer came back, so the server, which
    refills between arrivals, always has at least as many tokens as we think.
    """

    def __init__(
        self, *, per_second: float, burst: int, group_per_minute: int,
        group_window: float = 60.0, max_idle_chats: int = 10_000,
    ) -> None:
        self.per_second = per_second
        self.burst = float(max(1, burst))
        self.group_per_minute = group_per_minute
        self.group_window = group_window + WINDOW_SLACK
        self._chats: dict[int | str, _Chat] = {}
        self._prune_at = max_idle_chats

    def wait_time(self, chat: _Chat, now: float, is_group: bool) -> float:
        """Seconds until ``chat`` may receive one more message."""
        tokens = min(self.burst, chat.tokens + (now - chat.stamp) * self.per_second)
        wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.per_second
        answered = chat.answered
        if is_group and answered is not None and len(answered) >= self.group_per_minute:
            wait = max(wait, answered[-self.group_per_minute] + self.group_window - now)
        return wait

    @contextlib.asynccontextmanager
    async def slot(self, key: int | str, *, is_group: bool) -> AsyncIterator[None]:
        """Wait until ``key`` may receive a message; hold the chat until it was answered."""
        loop = asyncio.get_running_loop()
        chat = self._chats.get(key)
        if chat is None:
            if len(self._chats) >= self._prune_at:
                self._prune(loop.time())
            chat = self._chats[key] = _Chat(self.burst, loop.time())
        chat.users += 1
        try:
            async with chat.lock:
                # The lock keeps everyone else off this chat, so one wait is enough.
                wait = self.wait_time(chat, loop.time(), is_group)
                if wait > 0:
                    await asyncio.sleep(wait)
                now = loop.time()
                chat.tokens = min(self.burst, chat.tokens + (now - chat.stamp) * self.per_second)
                chat.tokens -= 1.0
                chat.stamp = now
                try:
                    yield
                finally:
                    chat.stamp = loop.time()
                    if is_group:
                        if chat.answered is None:
                            chat.answered = deque(maxlen=self.group_per_minute)
                        chat.answered.append(chat.stamp)
        finally:
            chat.users -= 1

    def _prune(self, now: float) -> None:
        """Forget idle chats; the next prune waits until twice as many are known."""
        for key in [k for k, c in self._chats.items() if not c.users and self._idle(c, now)]:
            del self._chats[key]
        self._prune_at = max(self._prune_at, 2 * len(self._chats))

    def _idle(self, chat: _Chat, now: float) -> bool:
        """True when forgetting the chat changes nothing: bucket full, group window over."""
        full = chat.tokens + (now - chat.stamp) * self.per_second >= self.burst
        return full and (not chat.answered or chat.answered[-1] + self.group_window <= now)

    def __len__(self) -> int:
        return len(self._chats)
