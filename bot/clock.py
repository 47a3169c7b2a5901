"""The one source of "now" for Sinau's logic, so tests and the sandbox can move time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime


class Clock:
    """Wall-clock time in UTC plus an offset that only ever moves forward.

    Production runs with offset zero. The sandbox and tests move it with ``advance``; ``follow``
    lets the bot adopt the Bot API server's notion of time when the server's timestamps are
    clearly ahead of ours (a server whose clock was moved, or a host clock that lags).
    """

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self._offset = offset

    def now(self) -> datetime:
        """The current moment, timezone-aware UTC."""
        return datetime.now(UTC) + self._offset

    @property
    def offset(self) -> timedelta:
        """How far this clock is ahead of the host clock."""
        return self._offset

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        self._offset += delta

    def set(self, moment: datetime) -> None:
        """Move the clock forward to ``moment`` (aware); earlier moments are ignored."""
        gap = moment - self.now()
        if gap > timedelta(0):
            self._offset += gap

    def follow(self, observed: datetime, tolerance: timedelta = timedelta(minutes=2)) -> bool:
        """Adopt ``observed`` as now when it is more than ``tolerance`` ahead; True if moved."""
        if observed - self.now() > tolerance:
            self.set(observed)
            return True
        return False


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP ``Date`` header (RFC 9110, GMT) as aware UTC; None when missing or malformed."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000": the zone is unknown, HTTP dates are GMT anyway
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class FixedClock(Clock):
    """A clock that stands still until told to move: for unit tests of the services."""

    def __init__(self, start: datetime) -> None:
        super().__init__()
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The fixed moment."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move the fixed moment forward."""
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        self._now += delta

    def set(self, moment: datetime) -> None:
        """Move to ``moment`` if it is later."""
        self._now = max(self._now, moment.astimezone(UTC))
