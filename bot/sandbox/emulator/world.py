"""The emulator's state: configuration, the world, the clock, the update queue and the records.

One ``EmulatorState`` is shared by every part of the emulator: the API methods (functions
that receive it, see ``table.py``), the HTTP server that records each request in it, and the
test driver, which extends it (``BotApiEmulator`` is the state with a server and a driver).
Only what more than one of those parts needs lives here.
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from .errors import ApiError, bad_request, chat_migrated
from .flood import FloodController, FloodLimits
from .spec import UploadedFile
from .state import (
    CallbackRecord,
    FakeChat,
    FakeUser,
    Member,
    RequestRecord,
    StoredFile,
    StoredPoll,
)
from .updates import UpdateQueue

__all__ = ["ClockSource", "EmulatorState", "Handler", "Params", "Parsed", "SupportsNow"]

#: Validated request parameters, by name.
Params = dict[str, Any]
#: Texts whose entities were parsed during validation: {field: (plain text, entities)}.
Parsed = dict[str, tuple[str, list[dict[str, Any]]]]


@runtime_checkable
class SupportsNow(Protocol):
    """A clock object like ``bot.clock.Clock``."""

    def now(self) -> datetime:
        """The current time (timezone-aware)."""
        ...


#: What the emulator's clock follows: a clock object with now() or a plain callable.
ClockSource = SupportsNow | Callable[[], datetime]


class EmulatorState:
    """Everything the emulator knows, and the few operations all its parts share."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        flood_limits: bool | FloodLimits = True,
        bot_username: str = "sinau_bot",
        clock: ClockSource | None = None,
        check_results: bool = False,
        privacy_mode: bool = True,
        bot_name: str = "Sinau",
    ) -> None:
        # ------------------------------------------------------------ configuration
        self.token = token
        self.bot_username = bot_username
        self.check_results = check_results
        self.privacy_mode = privacy_mode
        limits = flood_limits if isinstance(flood_limits, FloodLimits) else FloodLimits()
        self.flood: FloodController | None = (
            FloodController(limits) if flood_limits is not False else None
        )
        self._clock_source = clock
        self._offset = timedelta(0)
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456
        self.bot_user = FakeUser(bot_id, bot_name, username=bot_username, is_bot=True)
        # ---------------------------------------------------------------- the world
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self.stored_files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.file_seq = 0
        self.polls: dict[str, StoredPoll] = {}
        self.poll_seq = 0
        self.callbacks: dict[str, CallbackRecord] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.deleted_messages: list[tuple[int, int]] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        # Files attached to the request being handled (for attach://name references).
        self.attachments: dict[str, UploadedFile] = {}
        # ------------------------------------------------------------------ updates
        self._changed: asyncio.Event | None = None
        self.updates = UpdateQueue(self.now, self.notify_changed)
        # ------------------------------------------------------------------ records
        self.requests: list[RequestRecord] = []
        self.violations: list[RequestRecord] = []
        self.internal_errors: list[str] = []
        self.flood_429_count = 0
        self.get_updates_count = 0
        # Benchmark hook: callables told of every recorded request.
        self.request_listeners: list[Callable[[RequestRecord], None]] = []
        # Requests being handled now and time.monotonic() when the last one ended (settle).
        self.inflight = 0
        self.last_request = 0.0
        # ---------------------------------------------------------------- injection
        self.failures: dict[str, deque[ApiError]] = {}
        #: Seconds to hold a successful answer back, by method name (e.g. "sendMessage").
        self.answer_delays: dict[str, float] = {}

    # ------------------------------------------------------------------- clock
    def now(self) -> datetime:
        """The emulator's current time (timezone-aware UTC)."""
        src = self._clock_source
        if src is None:
            return datetime.now(UTC) + self._offset
        # Accept either a clock object with now() (like bot.clock.Clock) or a plain callable.
        return (src.now() if isinstance(src, SupportsNow) else src()) + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move the emulator clock forward by ``delta``."""
        if delta < timedelta(0):
            raise ValueError("the emulator clock only moves forward")
        self._offset += delta

    def set_time(self, when: datetime) -> None:
        """Move the emulator clock forward to ``when`` (timezone-aware, not in the past)."""
        if when.tzinfo is None:
            raise ValueError("when must be timezone-aware")
        gap = when - self.now()
        if gap < timedelta(0):
            raise ValueError("the emulator clock only moves forward")
        self._offset += gap

    def ts(self) -> int:
        """The emulator's current time as a Unix timestamp (message dates)."""
        return int(self.now().timestamp())

    # ----------------------------------------------------------------- changes
    def changed_event(self) -> asyncio.Event:
        """An event set at the next change of the world, the queue or the records."""
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def notify_changed(self) -> None:
        """Wake whoever waits for a change (``wait_for``)."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    # ----------------------------------------------------------------- updates
    def push_update(self, kind: str, payload: Any) -> dict[str, Any] | None:
        """Queue an update of ``kind`` if the bot's allowed_updates admit it."""
        return self.updates.push(kind, payload)

    def push_member_update(
        self, chat: FakeChat, subject: FakeUser, old: Member, new: Member, actor: FakeUser
    ) -> None:
        """A my_chat_member (the bot's own status) or chat_member update."""
        kind = "my_chat_member" if subject is self.bot_user else "chat_member"
        self.push_update(
            kind,
            {
                "chat": chat.to_api(),
                "from": actor.to_api(),
                "date": self.ts(),
                "old_chat_member": old.to_api(subject.to_api()),
                "new_chat_member": new.to_api(subject.to_api()),
            },
        )

    @property
    def pending_updates(self) -> int:
        """Number of queued updates not yet confirmed by the bot."""
        return len(self.updates.queued)

    @property
    def last_update_id(self) -> int:
        """The id of the most recently queued update (0 before the first)."""
        return self.updates.last_update_id

    @property
    def dropped_updates(self) -> int:
        """Updates not queued because the bot's allowed_updates left their kind out."""
        return self.updates.dropped

    @property
    def delivered_at(self) -> dict[int, float]:
        """Benchmark hook: when each update was first handed out (perf_counter, by id)."""
        return self.updates.delivered_at

    # ------------------------------------------------------------------- chats
    def private_chat(self, user: FakeUser) -> FakeChat:
        """The private chat of the bot with ``user`` (created on first use)."""
        chat = self.chats.get(user.id)
        if chat is None:
            chat = self.chats[user.id] = FakeChat(user.id, "private", user=user)
        return chat

    def api_chat(self, chat_id: int | str) -> FakeChat:
        """The chat a request names (id or @username), as the Bot API resolves it.

        A basic group that was upgraded fails with 400 and ``migrate_to_chat_id``.
        """
        if isinstance(chat_id, str):
            for chat in self.chats.values():
                if chat.username and f"@{chat.username}".lower() == chat_id.lower():
                    return chat
            raise bad_request("chat not found")
        found = self.chats.get(chat_id)
        if found is None:
            user = self.users.get(chat_id)
            if user is None:
                raise bad_request("chat not found")
            found = self.private_chat(user)
        if found.migrated_to is not None:
            raise chat_migrated(found.migrated_to)
        return found

    # ------------------------------------------------------------------- files
    def store_file(
        self, data: bytes, file_name: str | None, mime_type: str | None, folder: str
    ) -> StoredFile:
        """Keep uploaded bytes and give them a file_id (by the bot and by the driver)."""
        self.file_seq += 1
        seq = self.file_seq
        digest = hashlib.sha1(data, usedforsecurity=False).hexdigest()[:16]
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        elif mime_type:
            ext = mimetypes.guess_extension(mime_type) or ""
        stored = StoredFile(
            file_id=f"BQACAgIAAxk{seq:08d}{digest}",
            file_unique_id=f"AgAD{digest[:12]}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{folder}/file_{seq}{ext}",
        )
        self.stored_files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    @property
    def files(self) -> dict[str, bytes]:
        """Stored file contents by file_id (uploads by the bot and by users)."""
        return {fid: f.data for fid, f in self.stored_files.items()}

    # ----------------------------------------------------------------- records
    def reset_records(self) -> None:
        """Forget recorded requests, violations and counters (not the world state)."""
        self.requests.clear()
        self.violations.clear()
        self.internal_errors.clear()
        self.flood_429_count = 0
        self.get_updates_count = 0
        self.delivered_at.clear()

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        *,
        count: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail with the given error."""
        queue = self.failures.setdefault(method.lower(), deque())
        for _ in range(count):
            queue.append(ApiError(error_code, description, retry_after=retry_after))


#: An API method: (state, validated params, parsed texts) -> the method's result.
Handler = Callable[[EmulatorState, Params, Parsed], object]
