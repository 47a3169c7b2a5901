"""What services hand to the sender and what they get back: plain data, no telegram imports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.storage.delivery import DeliveryCounters

__all__ = [
    "Button",
    "DeliveryCounters",
    "DeliveryResult",
    "DeliveryStatus",
    "Document",
    "Media",
    "OutgoingMessage",
    "Sender",
]

DeliveryStatus = Literal["sent", "blocked", "failed", "uncertain"]


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button that sends ``callback_data`` (at most 64 bytes) when pressed."""

    text: str
    callback_data: str

    def __post_init__(self) -> None:
        if len(self.callback_data.encode()) > 64:
            raise ValueError(f"callback_data longer than 64 bytes: {self.callback_data!r}")


@dataclass(frozen=True, slots=True)
class Document:
    """A file to attach: raw bytes and the name the recipient sees."""

    filename: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Media:
    """A photo or document Telegram already has, sent again by its ``file_id``."""

    kind: Literal["photo", "document"]
    file_id: str


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message for one chat, as a service describes it.

    ``at_most_once`` (the default) means a send whose outcome is unknown (a read timeout after
    the request left) is reported as ``uncertain`` instead of being retried, so the recipient
    never gets it twice; kinds that prefer at-least-once set it to False.

    ``follow_migration`` (the default): when the group was upgraded to a supergroup, the
    message is sent again to the new chat id. A caller that records where its message went
    (a discussion thread's anchor belongs to one chat) sets it to False and gets a failed
    result with ``migrated_to`` instead.
    """

    chat_id: int
    text: str
    kind: str = "nudge"
    buttons: tuple[tuple[Button, ...], ...] = ()
    document: Document | None = None
    media: Media | None = None
    disable_notification: bool = False
    message_thread_id: int | None = None
    at_most_once: bool = True
    follow_migration: bool = True


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The outcome of one send after all retries."""

    status: DeliveryStatus
    message_id: int | None = None
    error: str | None = None
    retries: int = 0
    # The supergroup the target group was upgraded to, when the send found out.
    migrated_to: int | None = None

    @property
    def sent(self) -> bool:
        """True when Telegram accepted the message."""
        return self.status == "sent"


Claim = Callable[[], Awaitable[bool]]
Unclaim = Callable[[], Awaitable[object]]


class Sender(Protocol):
    """Anything that can deliver an ``OutgoingMessage`` (the bulk sender, a test double)."""

    async def send(self, message: OutgoingMessage, *, claim: Claim | None = None,
                   unclaim: Unclaim | None = None) -> DeliveryResult | None:
        """Deliver ``message`` within the flood limits and report the outcome.

        With ``claim``, the work is claimed right before the request leaves (after the wait
        for the rate limiter's turn); a claim that says no sends nothing and gives None. A
        send stopped after the claim while nothing is out (waiting out a 429) calls
        ``unclaim`` to give the work back.
        """
        ...

