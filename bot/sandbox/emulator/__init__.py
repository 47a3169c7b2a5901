"""A strict, loopback Telegram Bot API emulator with a driver API for tests and the sandbox.

Usage::

    async with BotApiEmulator() as emu:
        bot = telegram.Bot(emu.token, base_url=f"{emu.url}/bot",
                           base_file_url=f"{emu.url}/file/bot")
        user = emu.add_user("Sari")
        await emu.send_text(user, "/start")
"""

from __future__ import annotations

from .actions import ActionsMixin
from .chats import ChatsMixin
from .driver import DriverError, DriverMixin, detect_entities
from .errors import ApiError
from .flood import FloodController, FloodLimits
from .html import HtmlParseError, parse_html, parse_text, utf16_len
from .media import MediaMixin
from .messages import MessagesMixin
from .migration import MigrationMixin
from .observe import ObserverMixin
from .pins import PinsMixin
from .server import EmulatorCore
from .spec import METHODS, SPEC_VERSION, TYPES
from .state import FakeChat, FakeUser, Member, RequestRecord, StoredFile, StoredPoll, Topic
from .validate import validate_object

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


class BotApiEmulator(
    ObserverMixin,
    ActionsMixin,
    MigrationMixin,
    DriverMixin,
    ChatsMixin,
    PinsMixin,
    MediaMixin,
    MessagesMixin,
    EmulatorCore,
):
    """The Telegram Bot API emulator: HTTP server, strict validation, world state and driver."""
