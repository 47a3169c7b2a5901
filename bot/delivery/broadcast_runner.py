"""Running broadcasts: one task per broadcast, the trainer's progress message (edited at most
every 3 seconds, only when its text changed), the final report, and the recovery report of
sends a crash left uncertain. A broadcast whose remaining recipients wait out their quiet
hours says so in its progress message and runs again, as a new task, when the first is due.

The broadcast service decides who gets what and sends through the bulk sender; this module is
its Telegram side (the progress message is an ordinary message edit).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError

from bot.buttons import data
from bot.i18n import SafeHtml, label, t
from bot.scheduling.runner import TaskHost
from bot.storage.broadcasts import Broadcast
from bot.training.broadcasts import BroadcastService, Progress

logger = logging.getLogger(__name__)


def progress_text(lang: str, progress: Progress) -> SafeHtml:
    """The trainer's progress message while a broadcast runs (or waits out quiet hours)."""
    text = t(lang, "broadcast.progress", id=progress.broadcast_id, sent=progress.sent,
             failed=progress.failed, blocked=progress.blocked, remaining=progress.remaining)
    if progress.held:
        text = SafeHtml(text + "\n" + t(lang, "schedule.held", count=progress.held))
    return text


def report_text(lang: str, progress: Progress) -> SafeHtml:
    """The final report (with the note about uncertain sends, if any)."""
    text = t(lang, "broadcast.report", id=progress.broadcast_id, sent=progress.sent,
             failed=progress.failed, blocked=progress.blocked, uncertain=progress.uncertain,
             cancelled=progress.cancelled)
    if progress.uncertain:
        text = SafeHtml(text + "\n\n" + t(lang, "broadcast.uncertain_note",
                                          count=progress.uncertain))
    return text


class BroadcastRunner:
    """Starts broadcast tasks on the host and keeps the trainer's progress message current."""

    def __init__(self, service: BroadcastService, bot: Any) -> None:
        self._service = service
        self._bot = bot
        # The leadership term whose start was followed by the recovery report (0: none yet).
        self.recovered_term = 0
        # What each progress message shows now: a broadcast that waited out quiet hours runs
        # again as a new task, and an identical edit is refused ("message is not modified").
        self._shown: dict[int, str] = {}

    def start(self, host: TaskHost, broadcast_id: int) -> None:
        """Run the broadcast as a task of the host (no-op if it already runs here)."""
        if self._service.is_running(broadcast_id) or not host.running:
            return
        host.create_task(self._run(host, broadcast_id), name=f"broadcast-{broadcast_id}")

    async def tick(self, host: TaskHost) -> None:
        """The periodic job: start due scheduled broadcasts and resume interrupted ones."""
        if not host.running:
            return
        await self._service.start_due()
        for broadcast_id in await self._service.to_run():
            self.start(host, broadcast_id)

    async def report_recovered(self) -> None:
        """At start: tell each trainer how many sends a crash left uncertain."""
        for broadcast_id, count in (await self._service.recover()).items():
            found = await self._service.get(broadcast_id)
            if found is None or found.progress_chat_id is None:
                continue
            try:
                await self._bot.send_message(found.progress_chat_id, t(
                    found.lang, "broadcast.uncertain_note", count=count))
                await self._service.mark_uncertain_reported(broadcast_id)
            except TelegramError as exc:
                logger.warning("could not report uncertain sends of %d: %s", broadcast_id, exc)

    async def _run(self, host: TaskHost, broadcast_id: int) -> None:
        broadcast = await self._service.get(broadcast_id)
        if broadcast is None:
            return
        lang = broadcast.lang
        shown = self._shown
        cancel = [[InlineKeyboardButton(label(lang, "broadcast.btn_cancel"),
                                        callback_data=data("bc", "x", broadcast_id))]]

        async def on_progress(progress: Progress) -> None:
            text = progress_text(lang, progress)
            if text == shown.get(broadcast_id):
                return  # Telegram answers "message is not modified" to an identical edit
            shown[broadcast_id] = text
            await self._edit(broadcast, text, cancel)

        try:
            final = await self._service.run(broadcast_id, on_progress=on_progress,
                                            should_stop=lambda: not host.running)
        except Exception:
            logger.exception("broadcast %d stopped by an error; it resumes on the next tick",
                             broadcast_id)
            return
        if final is None:
            return
        shown.pop(broadcast_id, None)
        report = report_text(lang, final)
        await self._edit(broadcast, report, None)
        if broadcast.progress_chat_id is not None:
            try:
                await self._bot.send_message(broadcast.progress_chat_id, report)
            except TelegramError as exc:
                logger.warning("could not send the report of broadcast %d: %s",
                               broadcast_id, exc)

    async def _edit(self, broadcast: Broadcast, text: str,
                    rows: list[list[InlineKeyboardButton]] | None) -> None:
        if broadcast.progress_chat_id is None or broadcast.progress_message_id is None:
            return
        try:
            await self._bot.edit_message_text(
                text, chat_id=broadcast.progress_chat_id,
                message_id=broadcast.progress_message_id,
                reply_markup=InlineKeyboardMarkup(rows) if rows else None,
            )
        except BadRequest as exc:
            if "not modified" not in str(exc):
                logger.info("progress of broadcast %d not edited: %s", broadcast.id, exc)
        except TelegramError as exc:
            logger.info("progress of broadcast %d not edited: %s", broadcast.id, exc)
