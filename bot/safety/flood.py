"""Inbound flood control: how many updates one person may send before the bot stops listening."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.safety.rate import MemberRate

#: Default budget (config ``safety.*``): a person may send 20 updates (messages, presses,
#: votes) in any 2 seconds. Refused updates count too: the bot listens again once the person
#: pauses for a whole window.
UPDATES_PER_WINDOW = 20
WINDOW = timedelta(seconds=2)
#: At most one "slow down" note per person in this time.
NOTE_COOLDOWN = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class FloodDecision:
    """What to do with one update from a person."""

    allowed: bool  # handle it as usual
    warn: bool = False  # the first refused update in a while: say "slow down" once


class FloodGate:
    """Counts updates per person (in all chats together) and decides which ones are handled.

    Updates are counted as they arrive, before they queue behind their chat's earlier updates;
    the refused ones are remembered by update id until the flood handler deals with them.
    """

    def __init__(self, now: Callable[[], datetime], *, limit: int = UPDATES_PER_WINDOW,
                 window: timedelta = WINDOW, cooldown: timedelta = NOTE_COOLDOWN) -> None:
        self.rate = MemberRate(limit, window, cooldown, now)
        self.seen = 0
        self.dropped = 0
        self._refused: dict[int, FloodDecision] = {}

    def check(self, user_id: int) -> FloodDecision:
        """Count one update from ``user_id`` and say whether to handle it."""
        allowed, warn = self.rate.hit(user_id)
        self.seen += 1
        if not allowed:
            self.dropped += 1
        return FloodDecision(allowed, warn)

    def arrived(self, update_id: int, user_id: int) -> bool:
        """Count an arriving update; False (and remember why) when it is refused."""
        decision = self.check(user_id)
        if not decision.allowed:
            self._refused[update_id] = decision
        return decision.allowed

    def refused(self, update_id: int) -> FloodDecision | None:
        """The refusal recorded for this update on arrival (once), or None if it was admitted."""
        return self._refused.pop(update_id, None)
