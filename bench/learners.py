"""Simulated learners for the interactive benchmark: closed-loop journeys through the emulator.

Each learner waits for the bot's answer to one update before sending the next, as a person does.
The emulator's request listener routes every request the bot makes to the learner it answers,
and its timing hooks give the latency of each update.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.sandbox.emulator import BotApiEmulator, FakeUser, RequestRecord

Predicate = Callable[[RequestRecord], bool]
Script = list[tuple[str, str]]
STEP_TIMEOUT = 120.0


def sent_with(marker: str) -> Predicate:
    """A new message whose buttons contain ``marker``."""
    return lambda r: r.ok and r.method == "sendMessage" and marker in str(
        r.params.get("reply_markup", ""))


def edited_with(marker: str) -> Predicate:
    """An edit whose buttons contain ``marker``."""
    return lambda r: r.ok and r.method == "editMessageText" and marker in str(
        r.params.get("reply_markup", ""))


def any_of(*predicates: Predicate) -> Predicate:
    """True when one of ``predicates`` is."""
    return lambda r: any(p(r) for p in predicates)


def method_is(name: str) -> Predicate:
    """A successful request of method ``name``."""
    return lambda r: r.ok and r.method == name


@dataclass
class Sample:
    """One handled update: its kind, the two latencies in seconds, and when it completed."""

    kind: str
    first: float
    done: float
    at: float


@dataclass
class Waiting:
    """The request a learner waits for."""

    until: Predicate
    future: asyncio.Future[RequestRecord]
    first: float | None = None


class Learner:
    """One simulated person in a private chat with the bot."""

    def __init__(self, emu: BotApiEmulator, tracker: Tracker, user: FakeUser) -> None:
        self.emu = emu
        self.tracker = tracker
        self.user = user
        self.samples: list[Sample] = []
        self.script: Script = []
        self.waiting: Waiting | None = None
        tracker.by_chat[user.id] = self

    def on_request(self, record: RequestRecord) -> None:
        """A request from the bot for this learner's chat (or callback query)."""
        waiting = self.waiting
        if waiting is None or waiting.future.done():
            return
        if waiting.first is None:
            waiting.first = record.received
        if waiting.until(record):
            waiting.future.set_result(record)

    async def _act(self, kind: str, push: Callable[[], Any], until: Predicate) -> None:
        loop = asyncio.get_running_loop()
        waiting = self.waiting = Waiting(until, loop.create_future())
        query_id = await push()
        update_id = self.emu.last_update_id
        if isinstance(query_id, str):
            self.tracker.by_query[query_id] = self
        try:
            # asyncio.timeout, not wait_for: a cancelled run must end as a cancellation.
            async with asyncio.timeout(STEP_TIMEOUT):
                record = await waiting.future
        except TimeoutError:
            raise RuntimeError(
                f"learner {self.user.id}: no answer to {kind} within {STEP_TIMEOUT} s"
            ) from None
        delivered = self.emu.delivered_at[update_id]
        first = waiting.first if waiting.first is not None else record.received
        self.samples.append(
            Sample(kind, first - delivered, record.received - delivered, record.received)
        )
        self.waiting = None

    async def text(self, text: str, until: Predicate) -> None:
        """Type ``text`` and wait for the answer ``until`` matches."""
        self.script.append(("text", text))
        await self._act(text, lambda: self.emu.send_text(self.user, text), until)

    async def press(self, message_id: int, data: str, until: Predicate) -> None:
        """Press the button with ``data`` on a bot message and wait for the answer."""
        self.script.append(("press", data))
        kind = ":".join(data.split(":")[:2])
        await self._act(
            kind, lambda: self.emu.press_button(self.user, message_id, data=data), until
        )

    async def forge(self, message_id: int, data: str, until: Predicate) -> None:
        """A button press with ``data`` on a bot message that need not carry that button."""
        chat = self.emu.chat(self.user)
        kind = ":".join(data.split(":")[:2])
        await self._act(
            kind, lambda: self.emu.forge_callback(self.user, chat, message_id, data), until
        )

    def last_bot_message(self) -> int:
        """The id of the bot's latest message in this chat."""
        found = self.emu.last_message(self.user)
        assert found is not None
        return int(found["message_id"])

    def buttons(self, message_id: int) -> list[str]:
        """The callback data on a bot message, as it is now."""
        data = self.emu.chat(self.user).messages[message_id].data
        rows = (data.get("reply_markup") or {}).get("inline_keyboard") or []
        return [b.get("callback_data", "") for row in rows for b in row]

    def button(self, message_id: int, prefix: str) -> str | None:
        """The first button on a message whose data starts with ``prefix``."""
        return next((d for d in self.buttons(message_id) if d.startswith(prefix)), None)


class Tracker:
    """Routes every request the bot makes to the learner it answers."""

    def __init__(self, emu: BotApiEmulator) -> None:
        self.by_chat: dict[int, Learner] = {}
        self.by_query: dict[str, Learner] = {}
        emu.request_listeners.append(self.on_request)

    def forget(self, learner: Learner) -> None:
        """Stop routing requests to a learner who is done."""
        self.by_chat.pop(learner.user.id, None)

    def on_request(self, record: RequestRecord) -> None:
        """Hand ``record`` to its learner."""
        learner = None
        if record.method == "answerCallbackQuery":
            learner = self.by_query.pop(str(record.params.get("callback_query_id")), None)
        elif record.chat_id is not None:
            try:
                learner = self.by_chat.get(int(record.chat_id))
            except (TypeError, ValueError):
                learner = None
        if learner is not None:
            learner.on_request(record)


async def sinau_journey(learner: Learner) -> None:
    """/start, "start learning" (the first card), the reminder time, /learn, every card, the
    quiz, /progress."""
    await learner.text("/start", sent_with("ob:go"))
    welcome = learner.last_bot_message()
    await learner.press(welcome, "ob:go", sent_with("ls:"))
    await learner.forge(welcome, "ob:time:0730", edited_with(""))
    await learner.text("/learn", sent_with("ls:"))
    card = learner.last_bot_message()
    while (turn := learner.button(card, "ls:n:")) is not None:
        await learner.press(card, turn, edited_with("ls:"))
    start = learner.button(card, "ls:q:")
    assert start is not None, learner.buttons(card)
    await learner.press(card, start, sent_with("qz:a:"))
    question = learner.last_bot_message()
    while True:
        answer = learner.button(question, "qz:a:")
        assert answer is not None, learner.buttons(question)
        finished = sent_with("pg:show")
        await learner.press(question, answer, any_of(edited_with("qz:n:"), finished))
        following = learner.button(question, "qz:n:")
        if following is None:
            break
        await learner.press(question, following, edited_with("qz:a:"))
    await learner.text("/progress", method_is("sendMessage"))


async def echo_journey(learner: Learner, script: Script) -> None:
    """The same sequence of messages and presses, against the echo bot."""
    message_id = 0
    for kind, payload in script:
        if kind == "text":
            await learner.text(payload, method_is("sendMessage"))
            message_id = learner.last_bot_message()
        else:
            await learner.forge(message_id, payload, method_is("editMessageText"))
