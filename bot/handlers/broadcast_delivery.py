"""Running broadcasts: the message each recipient gets, sending through the bulk sender, the
trainer's progress message (edited at most every 3 seconds, only when its text changed), the
final report, and the JobQueue tick that starts scheduled broadcasts and resumes interrupted ones.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application

from bot.content.render import render_markdown
from bot.context import SinauContext
from bot.delivery.models import Button, DeliveryResult, Media, OutgoingMessage
from bot.i18n import SafeHtml, choose_language, t
from bot.storage.broadcasts import Broadcast, Recipient
from bot.training.broadcasts import Progress

logger = logging.getLogger(__name__)

TICK_JOB = "broadcasts-tick"
TICK_SECONDS = 2.0

App = Application[Any, Any, Any, Any, Any, Any]


def button_rows(*rows: list[tuple[str, str]]) -> list[list[InlineKeyboardButton]]:
    """Inline keyboard rows from (text, callback data) pairs; empty rows are left out."""
    return [[InlineKeyboardButton(text, callback_data=data) for text, data in row]
            for row in rows if row]

def progress_text(lang: str, progress: Progress) -> SafeHtml:
    return t(lang, "broadcast.progress", id=progress.broadcast_id, sent=progress.sent,
             failed=progress.failed, blocked=progress.blocked, remaining=progress.remaining)


def _report_text(lang: str, progress: Progress) -> SafeHtml:
    text = t(lang, "broadcast.report", id=progress.broadcast_id, sent=progress.sent,
             failed=progress.failed, blocked=progress.blocked, uncertain=progress.uncertain,
             cancelled=progress.cancelled)
    if progress.uncertain:
        text = SafeHtml(text + "\n\n" + t(lang, "broadcast.uncertain_note",
                                          count=progress.uncertain))
    return text


def outgoing(services: Any, broadcast: Broadcast, recipient: Recipient) -> OutgoingMessage:
    """The message one recipient gets (a lesson is rendered in the learner's language)."""
    if broadcast.content_kind in ("photo", "document"):
        return OutgoingMessage(chat_id=recipient.chat_id, text=broadcast.text or "",
                               kind="broadcast",
                               media=Media(broadcast.content_kind, broadcast.file_id or ""))
    if broadcast.content_kind != "lesson":
        return OutgoingMessage(chat_id=recipient.chat_id, text=broadcast.text or "",
                               kind="broadcast")
    lang = (choose_language(recipient.language, recipient.telegram_language)
            if recipient.user_id is not None else broadcast.lang)
    catalogue = services.catalogue
    course = catalogue.course(broadcast.course_key or "")
    lesson = catalogue.lesson(broadcast.course_key or "", broadcast.lesson_key or "")
    if course is None or lesson is None:  # removed by an upload since: send the hint only
        return OutgoingMessage(chat_id=recipient.chat_id, text=t(lang, "broadcast.lesson_hint"),
                               kind="broadcast")
    text = t(lang, "broadcast.lesson_message", title=lesson.title.get(lang),
             course=course.title.get(lang), card=SafeHtml(render_markdown(lesson.cards[0].get(
                 lang))))
    if recipient.user_id is None:
        # In a group the learner buttons do not apply; point at the private chat instead.
        return OutgoingMessage(chat_id=recipient.chat_id, kind="broadcast",
                               text=text + "\n\n" + t(lang, "broadcast.lesson_hint"))
    return OutgoingMessage(
        chat_id=recipient.chat_id, text=text, kind="broadcast",
        buttons=((Button(t(lang, "broadcast.btn_open_lesson"), f"crs:open:{course.key}"),),),
    )


def start_broadcast(app: App, broadcast_id: int) -> None:
    """Run the broadcast as an Application task (no-op if it already runs here)."""
    services = app.bot_data.services
    if services is None or services.training.broadcasts.is_running(broadcast_id):
        return
    app.create_task(_run(app, broadcast_id), name=f"broadcast-{broadcast_id}")


async def _run(app: App, broadcast_id: int) -> None:
    services = app.bot_data.services
    service = services.training.broadcasts
    broadcast = await service.repo.get(broadcast_id)
    if broadcast is None:
        return
    # The one bulk sender (bot.scheduling.tick.schedule_jobs made it in post_init).
    sender = services.sender
    lang = broadcast.lang
    shown = {"text": ""}

    async def send(b: Broadcast, recipient: Recipient) -> DeliveryResult:
        return await sender.send(outgoing(services, b, recipient))

    async def on_progress(progress: Progress) -> None:
        text = progress_text(lang, progress)
        if text == shown["text"]:
            return  # Telegram answers "message is not modified" to an identical edit
        shown["text"] = text
        await _edit(app, broadcast, text, button_rows([(t(lang, "broadcast.btn_cancel"),
                                                f"bc:x:{broadcast_id}")]))

    try:
        final = await service.run(broadcast_id, send, on_progress=on_progress,
                                  should_stop=lambda: not app.running)
    except Exception:
        logger.exception("broadcast %d stopped by an error; it resumes on the next tick",
                         broadcast_id)
        return
    if final is None:
        return
    report = _report_text(lang, final)
    await _edit(app, broadcast, report, None)
    if broadcast.progress_chat_id is not None:
        try:
            await app.bot.send_message(broadcast.progress_chat_id, report)
        except TelegramError as exc:
            logger.warning("could not send the report of broadcast %d: %s", broadcast_id, exc)


async def _edit(app: App, broadcast: Broadcast, text: str, rows: Any) -> None:
    if broadcast.progress_chat_id is None or broadcast.progress_message_id is None:
        return
    try:
        await app.bot.edit_message_text(
            text, chat_id=broadcast.progress_chat_id, message_id=broadcast.progress_message_id,
            reply_markup=InlineKeyboardMarkup(rows) if rows else None,
        )
    except BadRequest as exc:
        if "not modified" not in str(exc):
            logger.info("progress of broadcast %d not edited: %s", broadcast.id, exc)
    except TelegramError as exc:
        logger.info("progress of broadcast %d not edited: %s", broadcast.id, exc)


async def broadcast_tick(context: SinauContext) -> None:
    """The periodic job: start due scheduled broadcasts and resume interrupted ones."""
    services = context.bot_data.services
    if services is None or not context.application.running:
        return
    service = services.training.broadcasts
    await service.start_due()
    for broadcast_id in await service.to_run():
        start_broadcast(context.application, broadcast_id)


async def install(app: App) -> None:
    """post_init: report sends a crash left uncertain, then tick to resume and schedule."""
    services = app.bot_data.services
    service = services.training.broadcasts
    for broadcast_id, count in (await service.recover()).items():
        found = await service.repo.get(broadcast_id)
        if found is None or found.progress_chat_id is None:
            continue
        try:
            await app.bot.send_message(found.progress_chat_id, t(
                found.lang, "broadcast.uncertain_note", count=count))
            await service.repo.mark_uncertain_reported(broadcast_id)
        except TelegramError as exc:
            logger.warning("could not report uncertain sends of %d: %s", broadcast_id, exc)
    if app.job_queue is None:
        logger.warning("no job queue: scheduled broadcasts will not start")
        return
    app.job_queue.run_repeating(
        broadcast_tick, interval=TICK_SECONDS, first=0.5, name=TICK_JOB,
        # One tick at a time; ticks missed while the loop was busy collapse into one, and a
        # late tick still runs (the default 1 s grace would silently drop it).
        job_kwargs={"misfire_grace_time": 60, "coalesce": True, "max_instances": 1},
    )
