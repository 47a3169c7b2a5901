"""The update queue and getUpdates long polling, with Telegram's confirmation semantics."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .errors import ApiError
from .spec import UPDATE_KINDS

__all__ = ["DEFAULT_ALLOWED", "UPDATE_RETENTION", "UpdateQueue", "Webhook"]

# Like Telegram: without allowed_updates, everything except these opt-in kinds is delivered.
DEFAULT_ALLOWED = frozenset(UPDATE_KINDS) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
UPDATE_RETENTION = timedelta(hours=24)


@dataclass(eq=False)
class Webhook:
    """The webhook set with setWebhook; while one is set, getUpdates is refused."""

    url: str
    secret_token: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


class UpdateQueue:
    """Updates waiting for the bot's confirmation, and who is waiting for them."""

    def __init__(self, now: Callable[[], datetime], on_change: Callable[[], None]) -> None:
        self._now = now
        self._on_change = on_change
        # Each queued update with the emulator time it was queued at.
        self.queued: deque[tuple[dict[str, Any], datetime]] = deque()
        self.next_update_id = 100_000_001
        self.allowed: frozenset[str] = DEFAULT_ALLOWED
        # Bumped by every getUpdates (and setWebhook/stop): an older, waiting call then ends.
        self.poll_gen = 0
        self.wakeup: asyncio.Event | None = None
        self.last_change = 0.0  # time.monotonic() of the last change to the queue
        self.raw_update_ids: set[int] = set()  # updates injected as given (send_update)
        self.last_update_id = 0  # the id of the most recently queued update
        self.dropped = 0
        # Benchmark hook: when each update was first handed out in a getUpdates response
        # (time.perf_counter(), by update_id).
        self.delivered_at: dict[int, float] = {}
        self.webhook: Webhook | None = None
        self.webhook_task: asyncio.Task[None] | None = None

    def notify(self) -> None:
        """Wake a waiting getUpdates or webhook delivery, and whoever waits for a change."""
        if self.wakeup is not None:
            self.wakeup.set()
            self.wakeup = None
        self._on_change()

    def wakeup_event(self) -> asyncio.Event:
        """The event the next ``notify`` sets."""
        if self.wakeup is None:
            self.wakeup = asyncio.Event()
        return self.wakeup

    def push(self, kind: str, payload: Any) -> dict[str, Any] | None:
        """Queue an update of ``kind`` if the bot's allowed_updates admit it."""
        if kind not in self.allowed:
            self.dropped += 1
            return None
        update = {"update_id": self.next_update_id, kind: payload}
        return self.push_raw(update)

    def push_raw(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update as given; an update_id is added if missing."""
        if "update_id" not in update:
            update = {"update_id": self.next_update_id, **update}
        self.next_update_id = max(self.next_update_id, update["update_id"]) + 1
        self.last_update_id = update["update_id"]
        self.queued.append((update, self._now()))
        self.last_change = time.monotonic()
        self.notify()
        return update

    def clear(self) -> None:
        """Drop every pending update (drop_pending_updates)."""
        self.queued.clear()

    def confirm(self, offset: int) -> None:
        """Forget the updates an offset confirms (a negative one keeps the last -offset)."""
        updates = self.queued
        before = len(updates)
        if offset > 0:
            while updates and updates[0][0]["update_id"] < offset:
                updates.popleft()
        elif offset < 0:
            while len(updates) > -offset:
                updates.popleft()
        if len(updates) != before:
            self.last_change = time.monotonic()
            self._on_change()

    def expire(self) -> None:
        """Forget updates older than Telegram keeps them."""
        horizon = self._now() - UPDATE_RETENTION
        while self.queued and self.queued[0][1] < horizon:
            self.queued.popleft()

    def close(self) -> None:
        """End every waiting getUpdates and the webhook delivery (the server stops)."""
        self.poll_gen += 1
        self.notify()
        if self.webhook_task is not None:
            self.webhook_task.cancel()
            self.webhook_task = None

    async def get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        """The getUpdates method: confirm, then return queued updates or wait for some."""
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in p:
            # An empty list means "the default set"; the choice persists like on Telegram.
            self.allowed = frozenset(p["allowed_updates"]) or DEFAULT_ALLOWED
        self.poll_gen += 1
        generation = self.poll_gen
        self.notify()  # terminates an earlier, still waiting getUpdates
        if "offset" in p:
            self.confirm(p["offset"])
        limit = p.get("limit", 100)
        deadline = time.monotonic() + max(0, p.get("timeout", 0))
        while True:
            if generation != self.poll_gen:
                raise ApiError(409, "Conflict: terminated by other getUpdates request")
            self.expire()
            if self.queued:
                batch = [u for u, _ in list(self.queued)[:limit]]
                handed_out = time.perf_counter()
                for update in batch:
                    self.delivered_at.setdefault(update["update_id"], handed_out)
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            event = self.wakeup_event()
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return []
