"""The one counting rule for members who send too much: a sliding window with one warning."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta


class MemberRate:
    """Sliding-window limits per key (a member, or a member in a chat), with one warning per
    cooldown.

    Refused events count too, so someone who keeps flooding stays refused until they pause
    for a whole window. Memory is bounded: each key keeps at most ``limit + 1`` stamps, and
    keys idle for a window are swept out as time goes by.
    """

    def __init__(self, limit: int, window: timedelta, cooldown: timedelta,
                 now: Callable[[], datetime]) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window
        self.cooldown = cooldown
        self._now = now
        self._events: dict[Hashable, deque[datetime]] = {}
        self._quiet_until: dict[Hashable, datetime] = {}
        self._next_sweep: datetime | None = None

    def hit(self, *key: Hashable) -> tuple[bool, bool]:
        """Count one event for ``key``: (allowed, warn); ``warn`` is True once per cooldown."""
        now = self._now()
        self._sweep(now)
        events = self._events.get(key)
        if events is None:
            # limit + 1 stamps are enough to tell "over the limit within the window".
            events = self._events[key] = deque(maxlen=self.limit + 1)
        while events and events[0] <= now - self.window:
            events.popleft()
        events.append(now)
        if len(events) <= self.limit:
            return True, False
        quiet = self._quiet_until.get(key)
        if quiet is not None and now < quiet:
            return False, False
        self._quiet_until[key] = now + self.cooldown
        return False, True

    def forget_old(self) -> None:
        """Drop keys with no recent events and no running cooldown (keeps memory bounded)."""
        now = self._now()
        horizon = now - self.window
        for key in [k for k, ev in self._events.items() if not ev or ev[-1] <= horizon]:
            del self._events[key]
        for key in [k for k, until in self._quiet_until.items() if until <= now]:
            del self._quiet_until[key]

    def __len__(self) -> int:
        """How many keys are remembered (for tests of the memory bound)."""
        return len(self._events)

    def _sweep(self, now: datetime) -> None:
        # Amortised: at most one full pass per window, however many events arrive.
        if self._next_sweep is None or now >= self._next_sweep:
            if self._next_sweep is not None:
                self.forget_old()
            self._next_sweep = now + max(self.window, self.cooldown)
