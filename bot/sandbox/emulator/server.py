"""The HTTP side of the emulator: lifecycle, routes, parameter decoding, dispatch, records.

A request to ``/bot<token>/<method>`` flows: decode the parameters (query, JSON or form with
files) -> an injected failure (``fail_next``), if any -> validation against the spec ->
the handler from the method table (``table.py``), or the update queue for getUpdates ->
optional result check -> the request is recorded in the state and answered.
``/file/bot<token>/<path>`` serves stored files.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from .errors import ApiError
from .spec import METHODS, MethodSpec, UploadedFile
from .state import RequestRecord
from .table import API_METHODS
from .validate import validate_params, validate_result
from .world import EmulatorState

__all__ = ["ApiServer"]

log = logging.getLogger(__name__)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _error_response(
    code: int,
    description: str,
    retry_after: int | None = None,
    migrate_to_chat_id: int | None = None,
) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    parameters: dict[str, int] = {}
    if migrate_to_chat_id is not None:
        parameters["migrate_to_chat_id"] = migrate_to_chat_id
    if retry_after is not None:
        parameters["retry_after"] = retry_after
    if parameters:
        body["parameters"] = parameters
    return web.Response(text=_dumps(body), status=code, content_type="application/json")


class ApiServer:
    """The loopback HTTP server that answers the bot's requests from an ``EmulatorState``."""

    def __init__(self, state: EmulatorState, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self.host = host
        self.port = port
        self.url = ""
        self._runner: web.AppRunner | None = None

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
        addresses = self._runner.addresses  # the bound sockets' (host, port, ...)
        if addresses:
            self.port = addresses[0][1]
        self.url = f"http://{self.host}:{self.port}"
        log.info("Bot API emulator listening on %s", self.url)

    async def stop(self) -> None:
        """Stop the server and wake every waiting getUpdates call."""
        self.state.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _date_header(self, request: web.Request, response: web.StreamResponse) -> None:
        """Every response's ``Date`` is the emulator's clock, as a moved server's would be."""
        response.headers["Date"] = format_datetime(self.state.now(), usegmt=True)

    # ---------------------------------------------------------------------- http
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        received = time.perf_counter()
        path = request.path
        if path.startswith("/file/bot"):
            return self._serve_file(path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return _error_response(404, "Not Found")
        token, _, method = path[4:].partition("/")
        if token != self.state.token:
            return _error_response(401, "Unauthorized")
        spec = METHODS.get(method.lower())
        if spec is None or "/" in method:
            return _error_response(404, "Not Found")
        state = self.state
        if spec.name == "getUpdates":
            state.get_updates_count += 1
        else:
            state.inflight += 1
        try:
            return await self._call(request, spec, received)
        finally:
            if spec.name != "getUpdates":
                state.inflight -= 1
                state.last_request = time.monotonic()
                state.notify_changed()

    async def _call(self, request: web.Request, spec: MethodSpec, received: float) -> web.Response:
        state = self.state
        record_it = spec.name != "getUpdates"
        raw: dict[str, Any] = {}
        chat_id: Any = None
        result: object = None
        try:
            raw, attachments = await self._read_params(request, spec)
            chat_id = raw.get("chat_id")
            failures = state.failures.get(spec.name.lower())
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
            if spec.name == "getUpdates":
                result = await state.updates.get_updates(params)
            else:
                handler = API_METHODS.get(spec.name.lower())
                if handler is None:
                    raise ApiError(
                        400,
                        f"Bad Request: method {spec.name} is not supported by the emulator",
                        violation=True,
                    )
                # Handlers are synchronous, so the attachments cannot leak across requests.
                state.attachments = attachments
                result = handler(state, params, parsed)
        except ApiError as exc:
            if exc.code == 429 and not exc.injected:
                state.flood_429_count += 1
                exc.violation = True
            if record_it or exc.violation:
                self._record(spec.name, raw, False, exc, chat_id, exc.injected, received)
            log.debug("/bot<redacted>/%s -> %s %s", spec.name, exc.code, exc.description)
            return _error_response(
                exc.code, exc.description, exc.retry_after, exc.migrate_to_chat_id
            )
        except Exception as exc:  # an emulator bug: report it to the tests, never hide it
            state.internal_errors.append(f"{spec.name}: {type(exc).__name__}: {exc}")
            log.exception("Emulator failure in /bot<redacted>/%s", spec.name)
            return _error_response(500, "Internal Server Error")
        if state.check_results:
            result_to_check = result
            if isinstance(result, list) and spec.name == "getUpdates":
                # Updates injected with send_update are malformed on purpose.
                raw_ids = state.updates.raw_update_ids
                result_to_check = [u for u in result if u["update_id"] not in raw_ids]
            try:
                validate_result(spec.returns, result_to_check)
            except AssertionError as exc:
                state.internal_errors.append(f"{spec.name}: {exc}")
                return _error_response(500, f"Internal Server Error: {exc}")
        if record_it:
            self._record(spec.name, raw, True, None, chat_id, False, received)
        delay = state.answer_delays.get(spec.name)
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
        state = self.state
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
            timestamp=state.now(),
            chat_id=chat_id,
            violation=bool(exc and exc.violation),
            injected=injected,
            received=received,
        )
        if method != "getUpdates":
            state.requests.append(rec)
            for listener in state.request_listeners:
                listener(rec)
        if rec.violation:
            state.violations.append(rec)
            log.warning("Bot API violation in %s: %s", method, rec.description)

    def _serve_file(self, rest: str) -> web.Response:
        token, _, file_path = rest.partition("/")
        if token != self.state.token:
            return _error_response(401, "Unauthorized")
        f = self.state.files_by_path.get(file_path)
        if f is None:
            return _error_response(404, "Not Found")
        return web.Response(body=f.data, content_type=f.mime_type or "application/octet-stream")

    async def _read_params(
        self, request: web.Request, spec: MethodSpec
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
                attachments = _place_attachments(spec, params, attachments)
            return params, attachments
        raise ApiError(400, f"Bad Request: unsupported content type {ctype}", violation=True)


def _place_attachments(
    spec: MethodSpec, params: dict[str, Any], files: dict[str, UploadedFile]
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
