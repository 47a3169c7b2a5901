"""The update queue and getUpdates long polling, with Telegram's confirmation semantics."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from .errors import ApiError
from .spec import UPDATE_KINDS

# Like Telegram: without allowed_updates, everything except these opt-in kinds is delivered.
DEFAULT_ALLOWED = frozenset(UPDATE_KINDS) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
UPDATE_RETENTION = timedelta(hours=24)


class UpdatesMixin:
    """Queueing updates for the bot and serving them through getUpdates."""

    def _notify_updates(self) -> None:
        if self._update_event is not None:
            self._update_event.set()
            self._update_event = None
        self._notify_changed()

    def _push_update(self, kind: str, payload: Any) -> dict | None:
        """Queue an update of ``kind`` if the bot's allowed_updates admit it."""
        if kind not in self._allowed:
            self.dropped_updates += 1
            return None
        update = {"update_id": self._next_update_id, kind: payload}
        return self._push_raw(update)

    def _push_raw(self, update: dict) -> dict:
        if "update_id" not in update:
            update = {"update_id": self._next_update_id, **update}
        self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
        self.last_update_id = update["update_id"]
        self._updates.append((update, self.now()))
        self._last_queue_change = time.monotonic()
        self._notify_updates()
        return update

    def _confirm(self, offset: int) -> None:
        updates = self._updates
        before = len(updates)
        if offset > 0:
            while updates and updates[0][0]["update_id"] < offset:
                updates.popleft()
        elif offset < 0:
            while len(updates) > -offset:
                updates.popleft()
        if len(updates) != before:
            self._last_queue_change = time.monotonic()
            self._notify_changed()

    def _expire_updates(self) -> None:
        horizon = self.now() - UPDATE_RETENTION
        while self._updates and self._updates[0][1] < horizon:
            self._updates.popleft()

    @property
    def pending_updates(self) -> int:
        """Number of queued updates not yet confirmed by the bot."""
        return len(self._updates)

    async def _api_getUpdates(self, p: dict, parsed: dict) -> list[dict]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in p:
            # An empty list means "the default set"; the choice persists like on Telegram.
            self._allowed = frozenset(p["allowed_updates"]) or DEFAULT_ALLOWED
        self._poll_gen += 1
        generation = self._poll_gen
        self._notify_updates()  # terminates an earlier, still waiting getUpdates
        if "offset" in p:
            self._confirm(p["offset"])
        limit = p.get("limit", 100)
        deadline = time.monotonic() + max(0, p.get("timeout", 0))
        while True:
            if generation != self._poll_gen:
                raise ApiError(409, "Conflict: terminated by other getUpdates request")
            self._expire_updates()
            if self._updates:
                batch = [u for u, _ in list(self._updates)[:limit]]
                handed_out = time.perf_counter()
                for update in batch:
                    self.delivered_at.setdefault(update["update_id"], handed_out)
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            if self._update_event is None:
                self._update_event = asyncio.Event()
            event = self._update_event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return []
