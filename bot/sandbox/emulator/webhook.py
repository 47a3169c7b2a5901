"""Bot API webhook methods and the delivery of queued updates to the webhook."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import aiohttp

from .errors import invalid
from .updates import DEFAULT_ALLOWED, Webhook
from .world import EmulatorState, Handler, Params, Parsed

__all__ = ["HANDLERS"]

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LOOPBACK = re.compile(r"http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/", re.IGNORECASE)


def set_webhook(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """setWebhook; an empty url removes the webhook."""
    url = p["url"]
    if not url:
        return delete_webhook(s, p, parsed)
    # Loopback http is an emulator extension so a local bot can receive webhooks.
    if not (url.lower().startswith("https://") or _LOOPBACK.match(url)):
        raise invalid("bad webhook: An HTTPS URL must be provided for webhook")
    if "secret_token" in p and not _SECRET.fullmatch(p["secret_token"]):
        raise invalid("secret token contains unallowed characters")
    queue = s.updates
    if p.get("drop_pending_updates"):
        queue.clear()
    if "allowed_updates" in p:
        queue.allowed = frozenset(p["allowed_updates"]) or DEFAULT_ALLOWED
    queue.webhook = Webhook(url, p.get("secret_token"), p.get("max_connections", 40))
    queue.poll_gen += 1  # a waiting getUpdates ends with a conflict
    queue.notify()
    if queue.webhook_task is None or queue.webhook_task.done():
        queue.webhook_task = asyncio.get_running_loop().create_task(deliver(s))
    return True


def delete_webhook(s: EmulatorState, p: Params, parsed: Parsed) -> bool:
    """deleteWebhook: back to getUpdates."""
    queue = s.updates
    queue.webhook = None
    if queue.webhook_task is not None:
        queue.webhook_task.cancel()
        queue.webhook_task = None
    if p.get("drop_pending_updates"):
        queue.clear()
        s.notify_changed()
    return True


def get_webhook_info(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """getWebhookInfo."""
    queue = s.updates
    hook = queue.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(queue.queued),
    }
    if hook:
        info["max_connections"] = hook.max_connections
        if queue.allowed != DEFAULT_ALLOWED:
            info["allowed_updates"] = sorted(queue.allowed)
        if hook.last_error_date:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


def _chat_of(update: dict[str, Any]) -> Any:
    """The chat (or, without one, the user) an update is about; None when neither."""
    for key, payload in update.items():
        if key == "update_id" or not isinstance(payload, dict):
            continue
        for holder in (payload, payload.get("message")):
            if isinstance(holder, dict) and isinstance(holder.get("chat"), dict):
                return ("chat", holder["chat"].get("id"))
        for field in ("from", "user", "voter_chat"):
            if isinstance(payload.get(field), dict):
                return ("user", payload[field].get("id"))
    return None


async def deliver(s: EmulatorState) -> None:
    """Deliver queued updates to the webhook until it is removed, like Telegram: up to
    ``max_connections`` requests at once, one at a time per chat (so a chat's updates arrive
    in order), each repeated until the webhook answers 2xx."""
    queue = s.updates
    inflight: dict[int, asyncio.Task[None]] = {}
    busy: set[Any] = set()

    async def post(session: aiohttp.ClientSession, hook: Any, update: dict[str, Any],
                   chat: Any) -> None:
        headers = {}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        queue.delivered_at.setdefault(update["update_id"], time.perf_counter())
        try:
            async with session.post(hook.url, json=update, headers=headers) as resp:
                ok = 200 <= resp.status < 300
                error = f"Wrong response from the webhook: {resp.status}"
        except (aiohttp.ClientError, OSError) as exc:
            ok, error = False, f"Connection failed: {type(exc).__name__}"
        if ok:
            for index, (queued, _) in enumerate(queue.queued):
                if queued is update:
                    del queue.queued[index]
                    break
            s.notify_changed()
        else:
            hook.last_error_date = s.ts()
            hook.last_error_message = error
            await asyncio.sleep(0.2)
        busy.discard(chat)
        inflight.pop(update["update_id"], None)
        queue.notify()

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        try:
            while queue.webhook is not None:
                hook = queue.webhook
                waiting = queue.wakeup_event()
                held: set[Any] = set()   # chats with an earlier update not sent yet
                for update, _ in list(queue.queued):
                    if len(inflight) >= max(1, hook.max_connections):
                        break
                    uid = update["update_id"]
                    chat = _chat_of(update)
                    key = chat if chat is not None else ("update", uid)
                    if uid in inflight or key in busy or key in held:
                        held.add(key)
                        continue
                    busy.add(key)
                    inflight[uid] = asyncio.get_running_loop().create_task(
                        post(session, hook, update, key))
                await waiting.wait()
        finally:
            for task in list(inflight.values()):
                task.cancel()
            await asyncio.gather(*inflight.values(), return_exceptions=True)


HANDLERS: dict[str, Handler] = {
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
}
