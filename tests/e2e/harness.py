"""End-to-end harness: the real Application polling the Bot API emulator over loopback HTTP.

Only the clock and the Bot API server are test doubles; every update goes through
python-telegram-bot's real HTTP client, Updater and handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from telegram import Update

from bot.app import SinauApp, build_application
from bot.clock import Clock
from bot.config import Settings
from bot.sandbox.emulator import BotApiEmulator
from bot.wiring import Services

Message = dict[str, Any]


class Sinau:
    """A running bot plus its emulator, with helpers to talk to it as users do."""

    def __init__(self, emu: BotApiEmulator, settings_factory: Callable[..., Settings],
                 **overrides: Any) -> None:
        self.emu = emu
        self._settings_factory = settings_factory
        self._overrides = overrides
        self.clock = Clock()
        self.app: SinauApp | None = None
        self.settings: Settings | None = None

    def _settings(self) -> Settings:
        sections = dict(self._overrides)
        telegram = dict(sections.pop("telegram", {}))
        telegram.update(token=self.emu.token, api_url=self.emu.url)
        return self._settings_factory(telegram=telegram, **sections)

    async def start(self) -> None:
        """Build and start the Application, polling the emulator."""
        self.settings = self._settings()
        self.app = build_application(self.settings, clock=self.clock)
        await self.app.initialize()
        if self.app.post_init:
            await self.app.post_init(self.app)
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES
        )

    async def stop(self) -> None:
        """Stop polling and shut the Application down (post_shutdown closes the database)."""
        if self.app is None:
            return
        app, self.app = self.app, None
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)

    async def restart(self) -> None:
        """Stop and start again on the same database, as after a redeploy."""
        await self.stop()
        await self.start()

    @property
    def services(self) -> Services:
        """The running bot's services."""
        assert self.app is not None and self.app.bot_data.services is not None
        return self.app.bot_data.services

    def user(self, first_name: str, *, language_code: str | None = "id", **kwargs: Any) -> Any:
        """A new Telegram user."""
        return self.emu.add_user(first_name, language_code=language_code, **kwargs)

    async def advance(self, delta: timedelta) -> None:
        """Move the bot's and the emulator's clocks forward together."""
        self.clock.advance(delta)
        self.emu.advance(delta)

    async def advance_to(self, moment: datetime) -> None:
        """Move both clocks forward to ``moment``."""
        await self.advance(moment - self.clock.now())

    def _busy(self) -> bool:
        app = self.app
        if app is None:
            return False
        return (not app.update_queue.empty()
                or app.update_processor.current_concurrent_updates > 0)

    async def settle(self) -> None:
        """Wait until the emulator is quiet and the bot has finished every update it fetched.

        The rate limiter may hold a reply back (Telegram allows about one message a second per
        chat) with no request in flight, so a quiet emulator alone can be a false "done".
        """
        while True:
            await self.emu.settle()
            if not self._busy():
                return
            await self.emu.wait_for(lambda: not self._busy(), timeout=30)

    def _chat_id(self, user: Any, chat: Any) -> int:
        return int(chat.id if chat is not None else user.id)

    async def send(
        self, user: Any, text: str, *, chat: Any = None, **kwargs: Any
    ) -> list[Message]:
        """Send ``text`` as ``user`` and return the bot messages sent to that chat meanwhile."""
        chat_id = self._chat_id(user, chat)
        before = len(self.emu.messages(chat_id))
        await self.emu.send_text(user, text, chat=chat, **kwargs)
        await self.settle()
        return self.emu.messages(chat_id)[before:]

    async def press(self, user: Any, message: Message | int, *, text: str | None = None,
                    data: str | None = None, chat: Any = None) -> list[Message]:
        """Press an inline button on a bot message; return new bot messages in that chat."""
        chat_id = self._chat_id(user, chat)
        before = len(self.emu.messages(chat_id))
        await self.emu.press_button(user, message, text=text, data=data, chat=chat)
        await self.settle()
        return self.emu.messages(chat_id)[before:]

    def last(self, user: Any, *, chat: Any = None) -> Message:
        """The latest bot message in the user's (or the given) chat, as it is now."""
        return self.emu.messages(self._chat_id(user, chat))[-1]

    def message(self, user: Any, message_id: int, *, chat: Any = None) -> Message:
        """A bot message by id, in its current (possibly edited) state."""
        for message in self.emu.messages(self._chat_id(user, chat)):
            if message["message_id"] == message_id:
                return message
        raise KeyError(message_id)


def buttons(message: Message) -> list[str]:
    """The texts of the inline buttons on a message, row by row."""
    markup = message.get("reply_markup") or {}
    return [button["text"] for row in markup.get("inline_keyboard", []) for button in row]


def button_data(message: Message) -> list[str]:
    """The callback data of the inline buttons on a message."""
    markup = message.get("reply_markup") or {}
    return [
        button.get("callback_data", "")
        for row in markup.get("inline_keyboard", [])
        for button in row
    ]
