"""A strict, loopback Telegram Bot API emulator with a driver API for tests and the sandbox.

Usage::

    async with BotApiEmulator() as emu:
        bot = telegram.Bot(emu.token, base_url=f"{emu.url}/bot",
                           base_file_url=f"{emu.url}/file/bot")
        user = emu.add_user("Sari")
        await emu.send_text(user, "/start")

The emulator is composed of three parts:

* the state (``world.EmulatorState``): users, chats, messages, files, polls, the update
  queue (``updates.py``), the clock and the request records;
* the Bot API methods: a table from method name to a plain function that applies a request
  to the state (``table.py``, grouped in ``chats``, ``messages``, ``media``, ``pins``,
  ``webhook``), served over HTTP by ``server.ApiServer`` after validation against the spec;
* the driver, the tests' side: ``Driver`` and its parts (``actions``, ``migration``,
  ``observe``), which extend the state, play the users and observe the bot.

``BotApiEmulator`` is the state with the driver, plus the server that answers the bot.
"""

from __future__ import annotations

from typing import Self

from .actions import ActionsDriver
from .driver import DriverError, detect_entities
from .errors import ApiError
from .flood import FloodController, FloodLimits
from .html import HtmlParseError, parse_html, parse_text, utf16_len
from .media import document_object, photo_sizes
from .migration import MigrationDriver
from .observe import ObserverDriver
from .server import ApiServer
from .spec import METHODS, SPEC_VERSION, TYPES
from .state import FakeChat, FakeUser, Member, RequestRecord, StoredFile, StoredPoll, Topic
from .validate import validate_object
from .world import ClockSource

__all__ = [
    "METHODS",
    "SPEC_VERSION",
    "TYPES",
    "ApiError",
    "BotApiEmulator",
    "DriverError",
    "FakeChat",
    "FakeUser",
    "FloodController",
    "FloodLimits",
    "HtmlParseError",
    "Member",
    "RequestRecord",
    "StoredFile",
    "StoredPoll",
    "Topic",
    "detect_entities",
    "parse_html",
    "parse_text",
    "utf16_len",
    "validate_object",
]


class BotApiEmulator(ObserverDriver, ActionsDriver, MigrationDriver):
    """The Telegram Bot API emulator: HTTP server, strict validation, world state and driver."""

    document_object = staticmethod(document_object)
    photo_sizes = staticmethod(photo_sizes)

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        flood_limits: bool | FloodLimits = True,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "sinau_bot",
        clock: ClockSource | None = None,
        check_results: bool = False,
        privacy_mode: bool = True,
        bot_name: str = "Sinau",
    ) -> None:
        super().__init__(
            token,
            flood_limits=flood_limits,
            bot_username=bot_username,
            clock=clock,
            check_results=check_results,
            privacy_mode=privacy_mode,
            bot_name=bot_name,
        )
        self._server = ApiServer(self, host, port)

    # ----------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Start listening; ``url`` becomes ``http://host:port``."""
        await self._server.start()

    async def stop(self) -> None:
        """Stop the server and wake every waiting getUpdates call."""
        await self._server.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """``http://host:port`` once started (empty before)."""
        return self._server.url

    @property
    def host(self) -> str:
        """The address the server listens on."""
        return self._server.host

    @property
    def port(self) -> int:
        """The port the server listens on (the one chosen by the system once started)."""
        return self._server.port
