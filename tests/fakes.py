"""Test doubles for the one Telegram-facing seam services use: the bulk ``Sender``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.delivery.attempt import SendAttempt, run_claimed
from bot.delivery.models import Claim, DeliveryResult, OutgoingMessage, Unclaim

Deliver = Callable[[OutgoingMessage, SendAttempt], Awaitable[DeliveryResult]]


class ScriptedSender:
    """A ``Sender`` whose deliveries a test scripts.

    ``deliver(message, attempt)`` plays the rate limiter and the server: it calls
    ``attempt.leaving()`` when its "request" leaves (the claim happens there) and
    ``attempt.answered(...)`` when the "server" answered, exactly as the real limiter does
    around each HTTP request. The claim/unclaim rules are the real ones (``run_claimed``).
    """

    def __init__(self, deliver: Deliver | None = None) -> None:
        self.deliver: Deliver = deliver or self.accept
        self.messages: list[OutgoingMessage] = []
        self._next_id = 1

    async def accept(self, message: OutgoingMessage, attempt: SendAttempt) -> DeliveryResult:
        """The default delivery: claimed, recorded, sent."""
        await attempt.leaving()
        self.messages.append(message)
        attempt.answered(delivered=True)
        self._next_id += 1
        return DeliveryResult("sent", message_id=self._next_id)

    async def send(self, message: OutgoingMessage, *, claim: Claim | None = None,
                   unclaim: Unclaim | None = None) -> DeliveryResult | None:
        """Deliver ``message`` with the script; the real claim semantics around it."""
        return await run_claimed(lambda attempt: self.deliver(message, attempt), claim, unclaim)

    def to(self, chat_id: int) -> list[OutgoingMessage]:
        """The messages recorded for one chat."""
        return [m for m in self.messages if m.chat_id == chat_id]
