"""The HTTP side of the emulator: lifecycle, routes, parameter decoding, dispatch, records."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from .errors import ApiError
from .flood import FloodController, FloodLimits
from .spec import METHODS, UploadedFile
from .state import (
    CallbackRecord,
    FakeChat,
    FakeUser,
    RequestRecord,
    StoredFile,
    StoredPoll,
)
from .updates import DEFAULT_ALLOWED, UpdatesMixin
from .validate import validate_params, validate_result

log = logging.getLogger(__name__)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class EmulatorCore(UpdatesMixin):
    """Server lifecycle, request decoding/validation/recording and the update queue."""

    _default_allowed = DEFAULT_ALLOWED

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        flood_limits: bool | FloodLimits = True,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "sinau_bot",
        clock: Any = None,
        check_results: bool = False,
        privacy_mode: bool = True,
        bot_name: str = "Sinau",
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
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
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self.requests: list[RequestRecord] = []
        self.violations: list[RequestRecord] = []
        self.internal_errors: list[str] = []
        self.flood_429_count = 0
        self.get_updates_count = 0
        self.dropped_updates = 0
        # Benchmark hooks: when each update was first handed out in a getUpdates response
        # (time.perf_counter(), by update_id), and callables told of every recorded request.
        self.delivered_at: dict[int, float] = {}
        self.request_listeners: list[Callable[[RequestRecord], None]] = []
        self.last_update_id = 0  # the id of the most recently queued update
        self._updates: deque[tuple[dict, datetime]] = deque()
        self._next_update_id = 100_000_001
        self._allowed: frozenset[str] = DEFAULT_ALLOWED
        self._poll_gen = 0
        self._update_event: asyncio.Event | None = None
        self._changed: asyncio.Event | None = None
        self._failures: dict[str, deque[ApiError]] = {}
        #: Seconds to hold a successful answer back, by method name (e.g. "sendMessage").
        self.answer_delays: dict[str, float] = {}
        self._inflight = 0
        self._last_request = 0.0
        self._last_queue_change = 0.0
        self._raw_update_ids: set[int] = set()
        self._webhook: dict[str, Any] | None = None
        self._webhook_task: asyncio.Task | None = None
        self._runner: web.AppRunner | None = None
        self._attachments: dict[str, UploadedFile] = {}
        self.url = ""
        # World state shared by the method mixins and the driver.
        self.stored_files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_seq = 0
        self.polls: dict[str, StoredPoll] = {}
        self._poll_seq = 0
        self.callback_answers: list[dict] = []
        self._callbacks: dict[str, CallbackRecord] = {}
        self.deleted_messages: list[tuple[int, int]] = []
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        self._handlers: dict[str, tuple[Callable, bool]] = {}
        for attr in dir(type(self)):
            if attr.startswith("_api_"):
                fn = getattr(self, attr)
                self._handlers[attr[5:].lower()] = (fn, inspect.iscoroutinefunction(fn))

    # ----------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Start listening; ``url`` becomes ``http://host:port``."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.on_response_prepare.append(self._date_header)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # access_log=None: aiohttp's access log would print the token inside the path.
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server  # aiohttp exposes the bound socket only here
        sock = server.sockets[0] if server is not None and server.sockets else None
        if sock is not None:
            self.port = sock.getsockname()[1]
        self.url = f"http://{self.host}:{self.port}"
        log.info("Bot API emulator listening on %s", self.url)

    async def stop(self) -> None:
        """Stop the server and wake every waiting getUpdates call."""
        self._poll_gen += 1
        self._notify_updates()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self):
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def files(self) -> dict[str, bytes]:
        """Stored file contents by file_id (uploads by the bot and by users)."""
        return {fid: f.data for fid, f in self.stored_files.items()}

    # --------------------------------------------------------------------- clock
    def now(self) -> datetime:
        """The emulator's current time (timezone-aware UTC)."""
        src = self._clock_source
        if src is None:
            return datetime.now(UTC) + self._offset
        # Accept either a clock object with now() (like bot.clock.Clock) or a plain callable.
        return (src.now() if hasattr(src, "now") else src()) + self._offset

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

    async def _date_header(self, request: web.Request, response: web.StreamResponse) -> None:
        """Every response's ``Date`` is the emulator's clock, as a moved server's would be."""
        response.headers["Date"] = format_datetime(self.now(), usegmt=True)

    def _ts(self) -> int:
        return int(self.now().timestamp())

    # ------------------------------------------------------------------- records
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
        queue = self._failures.setdefault(method.lower(), deque())
        for _ in range(count):
            queue.append(ApiError(error_code, description, retry_after=retry_after))

    def _changed_event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def _notify_changed(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    # ---------------------------------------------------------------------- http
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        received = time.perf_counter()
        path = request.path
        if path.startswith("/file/bot"):
            return await self._serve_file(path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return self._error_response(404, "Not Found")
        token, _, method = path[4:].partition("/")
        if token != self.token:
            return self._error_response(401, "Unauthorized")
        spec = METHODS.get(method.lower())
        if spec is None or "/" in method:
            return self._error_response(404, "Not Found")
        if spec.name == "getUpdates":
            self.get_updates_count += 1
        else:
            self._inflight += 1
        try:
            return await self._call(request, spec, received)
        finally:
            if spec.name != "getUpdates":
                self._inflight -= 1
                self._last_request = time.monotonic()
                self._notify_changed()

    async def _call(self, request: web.Request, spec: Any, received: float) -> web.Response:
        record_it = spec.name != "getUpdates"
        raw: dict[str, Any] = {}
        chat_id: Any = None
        try:
            raw, attachments = await self._read_params(request, spec)
            chat_id = raw.get("chat_id")
            failures = self._failures.get(spec.name.lower())
            if failures:
                injected_error = failures.popleft()
                err = ApiError(
                    injected_error.code,
                    injected_error.description,
                    retry_after=injected_error.retry_after,
                    migrate_to_chat_id=injected_error.migrate_to_chat_id,
                )
                err.injected = True
                raise err
            params, parsed = validate_params(spec, raw, form=True)
            chat_id = params.get("chat_id", chat_id)
            fn, is_async = self._handlers.get(spec.name.lower(), (None, False))
            if fn is None:
                raise ApiError(
                    400,
                    f"Bad Request: method {spec.name} is not supported by the emulator",
                    violation=True,
                )
            # Handlers are synchronous (except getUpdates), so this cannot leak across requests.
            self._attachments = attachments
            result = await fn(params, parsed) if is_async else fn(params, parsed)
        except ApiError as exc:
            if exc.code == 429 and not exc.injected:
                self.flood_429_count += 1
                exc.violation = True
            if record_it or exc.violation:
                self._record(spec.name, raw, False, exc, chat_id, exc.injected, received)
            log.debug("/bot<redacted>/%s -> %s %s", spec.name, exc.code, exc.description)
            return self._error_response(
                exc.code, exc.description, exc.retry_after, exc.migrate_to_chat_id
            )
        except Exception as exc:  # an emulator bug: report it to the tests, never hide it
            self.internal_errors.append(f"{spec.name}: {type(exc).__name__}: {exc}")
            log.exception("Emulator failure in /bot<redacted>/%s", spec.name)
            return self._error_response(500, "Internal Server Error")
        if self.check_results:
            if spec.name == "getUpdates":
                # Updates injected with send_update are malformed on purpose.
                result_to_check = [u for u in result if u["update_id"] not in self._raw_update_ids]
            else:
                result_to_check = result
            try:
                validate_result(spec.returns, result_to_check)
            except AssertionError as exc:
                self.internal_errors.append(f"{spec.name}: {exc}")
                return self._error_response(500, f"Internal Server Error: {exc}")
        if record_it:
            self._record(spec.name, raw, True, None, chat_id, False, received)
        delay = self.answer_delays.get(spec.name)
        if delay:
            # Done and stored, but the answer is slow to come back (a distant server): a
            # client that dies meanwhile cannot know the message arrived.
            await asyncio.sleep(delay)
        return web.Response(
            text=_dumps({"ok": True, "result": result}), content_type="application/json"
        )

    def _record(
        self,
        method: str,
        raw: dict[str, Any],
        ok: bool,
        exc: ApiError | None,
        chat_id: Any,
        injected: bool,
        received: float = 0.0,
    ) -> None:
        params = {
            k: (f"<file {v.filename}>" if isinstance(v, UploadedFile) else v)
            for k, v in raw.items()
        }
        rec = RequestRecord(
            method=method,
            params=params,
            ok=ok,
            error_code=exc.code if exc else None,
            description=exc.description if exc else None,
            timestamp=self.now(),
            chat_id=chat_id,
            violation=bool(exc and exc.violation),
            injected=injected,
            received=received,
        )
        if method != "getUpdates":
            self.requests.append(rec)
            for listener in self.request_listeners:
                listener(rec)
        if rec.violation:
            self.violations.append(rec)
            log.warning("Bot API violation in %s: %s", method, rec.description)

    @staticmethod
    def _error_response(
        code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ):
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        parameters: dict[str, int] = {}
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if parameters:
            body["parameters"] = parameters
        return web.Response(text=_dumps(body), status=code, content_type="application/json")

    async def _read_params(
        self, request: web.Request, spec: Any
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        params: dict[str, Any] = dict(request.query) if request.query_string else {}
        if not request.body_exists:
            return params, {}
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON body", violation=True) from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON body must be an object", violation=True)
            params.update(body)
            return params, {}
        if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            post = await request.post()
            attachments: dict[str, UploadedFile] = {}
            for key, value in post.items():
                if isinstance(value, web.FileField):
                    attachments[key] = UploadedFile(
                        value.filename or key,
                        value.content_type or "application/octet-stream",
                        value.file.read(),
                    )
                else:
                    params[key] = value
            if attachments:
                attachments = self._place_attachments(spec, params, attachments)
            return params, attachments
        raise ApiError(400, f"Bad Request: unsupported content type {ctype}", violation=True)

    def _place_attachments(
        self, spec: Any, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, UploadedFile]:
        """Put file parts either at their own parameter name or aside for attach://name."""
        fields = spec.fields
        referenced = " ".join(v for v in params.values() if isinstance(v, str))
        attached: dict[str, UploadedFile] = {}
        for name, upload in files.items():
            if name in fields:
                params[name] = upload
            elif f"attach://{name}" in referenced:
                attached[name] = upload
            else:
                raise ApiError(400, f"Bad Request: unknown parameter {name}", violation=True)
        return attached
