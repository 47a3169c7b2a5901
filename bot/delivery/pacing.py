"""The arithmetic of Telegram's flood limits, with no Telegram in it.

``Pacer`` spreads message sends evenly under the global limit and lets interactive requests
go before bulk ones; ``ChatLimits`` keeps the per-chat and per-group limits by reservation.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

# Fraction of one interval by which a release may catch up after the event loop was late.
# Any 31 consecutive releases still span at least 30 intervals minus this slack.
CATCH_UP = 0.25


class Pacer:
    """Releases waiters one at a time, at most ``rate`` per second, evenly spaced.

    Interactive waiters always go before bulk ones; bulk waiters can be held back for a while
    (after a 429) without holding back interactive ones. Releases never come in bursts: after
    an idle period the next release is immediate and the one after waits a full interval
    (minus a small catch-up allowance for a late event loop), so a server that counts messages
    in a strict sliding one-second window sees at most ``rate`` of them plus jitter.
    """

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._slack = self.interval * CATCH_UP
        self._next = float("-inf")
        self._interactive: deque[asyncio.Future[None]] = deque()
        self._bulk: deque[asyncio.Future[None]] = deque()
        self._bulk_resume = float("-inf")
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

    async def acquire(self, *, bulk: bool) -> None:
        """Wait for this caller's turn."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now >= self._next and not self._has(self._interactive) and (
            not bulk or (not self._has(self._bulk) and now >= self._bulk_resume)
        ):
            self._take(now)
            return
        future: asyncio.Future[None] = loop.create_future()
        (self._bulk if bulk else self._interactive).append(future)
        self._arm(loop)
        await future

    def hold_bulk(self, seconds: float) -> None:
        """Keep bulk waiters back for ``seconds`` (interactive ones still go)."""
        loop = asyncio.get_running_loop()
        self._bulk_resume = max(self._bulk_resume, loop.time() + seconds)

    def _take(self, now: float) -> None:
        self._next = max(self._next + self.interval, now + self.interval - self._slack)
        self.released += 1

    @staticmethod
    def _has(queue: deque[asyncio.Future[None]]) -> bool:
        while queue and queue[0].done():  # cancelled waiters
            queue.popleft()
        return bool(queue)

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._has(self._interactive):
            at = self._next
        elif self._has(self._bulk):
            at = max(self._next, self._bulk_resume)
        else:
            return
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
        if now >= self._next:
            if self._has(self._interactive):
                self._interactive.popleft().set_result(None)
                self._take(now)
            elif self._has(self._bulk) and now >= self._bulk_resume:
                self._bulk.popleft().set_result(None)
                self._take(now)
        self._arm(loop)


@dataclass(slots=True)
class _ChatState:
    tokens: float
    stamp: float
    group_times: deque[float] | None = None


class ChatLimits:
    """Per-chat token buckets and per-group sliding windows, kept by reservation.

    ``reserve`` books the caller's place and returns how long to wait for it, so sends to one
    chat stay in order and never exceed ``per_second`` (after a burst of ``burst``), and sends
    to one group never exceed ``group_per_minute`` in any minute.
    """

    def __init__(
        self,
        *,
        per_second: float,
        burst: int,
        group_per_minute: int,
        group_window: float = 60.0,
        max_idle_chats: int = 10_000,
    ) -> None:
        self.per_second = per_second
        self.burst = float(max(1, burst))
        self.group_per_minute = group_per_minute
        self.group_window = group_window
        self._prune_at = max_idle_chats
        self._chats: dict[int | str, _ChatState] = {}

    def reserve(self, chat: int | str, *, is_group: bool, now: float) -> float:
        """Book one send to ``chat`` and return the seconds to wait before making it."""
        state = self._chats.get(chat)
        if state is None:
            if len(self._chats) >= self._prune_at:
                self._prune(now)
                # Busy chats survive a prune; waiting for twice as many keeps pruning O(1)
                # per reservation on average.
                self._prune_at = max(self._prune_at, 2 * len(self._chats))
            state = self._chats[chat] = _ChatState(self.burst, now)
        else:
            state.tokens = min(self.burst, state.tokens + (now - state.stamp) * self.per_second)
            state.stamp = now
        state.tokens -= 1.0
        at = now if state.tokens >= 0 else now - state.tokens / self.per_second
        if is_group:
            times = state.group_times
            if times is None:
                times = state.group_times = deque(maxlen=self.group_per_minute)
            if len(times) == self.group_per_minute:
                at = max(at, times[0] + self.group_window)
            if times:
                at = max(at, times[-1])
            times.append(at)
        return at - now

    def _prune(self, now: float) -> None:
        """Forget chats whose bucket is full again and whose group window is over."""
        for key in list(self._chats):
            state = self._chats[key]
            full = state.tokens + (now - state.stamp) * self.per_second >= self.burst
            quiet = not state.group_times or state.group_times[-1] + self.group_window <= now
            if full and quiet:
                del self._chats[key]

    def __len__(self) -> int:
        return len(self._chats)
