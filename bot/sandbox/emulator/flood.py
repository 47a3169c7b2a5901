"""Telegram-like flood limits: a global sliding window, a per-chat token bucket, group windows."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FloodController", "FloodLimits"]


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Configurable limits; the defaults follow Telegram's published guidance."""

    global_per_second: int = 30
    paid_per_second: int = 1000
    chat_per_second: float = 1.0
    chat_burst: int = 3
    group_per_minute: int = 20


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


def _retry(seconds: float) -> int:
    # Telegram always answers with a whole number of seconds, at least 1.
    return max(1, math.ceil(seconds - 1e-9))


class FloodController:
    """Decides whether a message may be sent now; consumes capacity only when it may."""

    def __init__(
        self, limits: FloodLimits, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self._now = monotonic
        self._global: deque[float] = deque()
        self._paid: deque[float] = deque()
        self._buckets: dict[int, _Bucket] = {}
        self._groups: dict[int, deque[float]] = {}

    def check(self, chat_id: int, *, is_group: bool, paid: bool) -> int | None:
        """Return None and record the send if allowed, else the retry_after in seconds."""
        now = self._now()
        lim = self.limits
        window, cap = (
            (self._paid, lim.paid_per_second)
            if paid
            else (
                self._global,
                lim.global_per_second,
            )
        )
        while window and window[0] <= now - 1.0:
            window.popleft()
        waits: list[float] = []
        if len(window) >= cap:
            waits.append(window[len(window) - cap] + 1.0 - now)
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            bucket = self._buckets[chat_id] = _Bucket(float(lim.chat_burst), now)
        else:
            bucket.tokens = min(
                float(lim.chat_burst), bucket.tokens + (now - bucket.stamp) * lim.chat_per_second
            )
            bucket.stamp = now
        if bucket.tokens < 1.0:
            waits.append((1.0 - bucket.tokens) / lim.chat_per_second)
        group = None
        if is_group:
            group = self._groups.setdefault(chat_id, deque())
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= lim.group_per_minute:
                waits.append(group[len(group) - lim.group_per_minute] + 60.0 - now)
        if waits:
            return _retry(max(waits))
        window.append(now)
        bucket.tokens -= 1.0
        if group is not None:
            group.append(now)
        return None

    def reset(self) -> None:
        """Forget all recorded sends."""
        self._global.clear()
        self._paid.clear()
        self._buckets.clear()
        self._groups.clear()
