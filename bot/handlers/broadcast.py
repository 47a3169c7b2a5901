"""/broadcast: compose, choose the audience, preview, send or schedule, cancel (``bc:``).

The trainer's preview message becomes the progress message; sending itself lives in
``broadcast_delivery``. The audience, course and lesson pickers show eight choices a page
(bot.handlers.paging): ``bc:pa:<draft>:<page>``, ``bc:pc:<draft>:<page>``,
``bc:pl:<draft>:<course>:<page>``.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.handlers.auth import require_role
from bot.handlers.cohorts import show_menu
from bot.handlers.paging import paged
from bot.i18n import SafeHtml
from bot.storage.broadcasts import Broadcast
from bot.training.broadcasts import schedule_time

logger = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def button_rows(*rows: list[tuple[str, str]]) -> list[list[InlineKeyboardButton]]:
    """Inline keyboard rows from (text, callback data) pairs; empty rows are left out."""
    return [[InlineKeyboardButton(text, callback_data=callback) for text, callback in row]
            for row in rows if row]


# ---------------------------------------------------------------------------- composing


@require_role("trainer")
async def broadcast_command(update: Update, context: SinauContext) -> None:
    """/broadcast: start a draft and ask for its content."""
    sender = update.effective_user
    message = update.effective_message
    if sender is None or message is None or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    training = context.services.training
    draft = await training.broadcasts.new_draft(sender.id, context.lang)
    await training.prompts.ask(sender.id, "bc_content", str(draft.id))
    await message.reply_text(context.t("broadcast.ask_content"), reply_markup=InlineKeyboardMarkup(
        button_rows([(context.t("broadcast.btn_lesson"), data("bc", "lc", draft.id))],
            [(context.t("broadcast.btn_cancel"), data("bc", "x", draft.id))])))


async def answer_content(update: Update, context: SinauContext, ref: str) -> None:
    """The trainer's text, photo or document for the open draft."""
    message = update.effective_message
    sender = update.effective_user
    if message is None or sender is None:
        return
    training = context.services.training
    draft = await training.broadcasts.draft(int(ref), sender.id) if ref.isdigit() else None
    if draft is None:
        await training.prompts.close(sender.id)
        await message.reply_text(context.t("broadcast.expired"))
        return
    service = training.broadcasts
    if message.photo:
        caption = message.caption_html if message.caption else None
        await service.set_file(draft.id, "photo", message.photo[-1].file_id, caption)
    elif message.document is not None:
        caption = message.caption_html if message.caption else None
        await service.set_file(draft.id, "document", message.document.file_id, caption)
    elif message.text:
        # Telegram's limit counts the visible text (UTF-16 units), not the HTML markup: a
        # 4000-character text with bold words or "&" in it must go through.
        length = len(message.text.encode("utf-16-le")) // 2
        if length > TEXT_LIMIT:
            await message.reply_text(context.t("broadcast.too_long", length=length,
                                               limit=TEXT_LIMIT))
            return
        await service.set_text(draft.id, message.text_html)
    else:
        await message.reply_text(context.t("broadcast.bad_content"))
        return
    await training.prompts.close(sender.id)
    await show_menu(update, *await _audience_view(context, draft.id))


def _picker(context: SinauContext, bid: int, title: str, choices: list[tuple[str, str]],
            page: int, page_data: Any) -> tuple[str, Any]:
    """A page of one-button choices, the page row, then "cancel"; ``page_data(n)`` is the
    data of page n's button."""
    shown = paged(button_rows(*([choice] for choice in choices)), page, page_data,
                  context.lang)
    cancel = button_rows([(context.t("broadcast.btn_cancel"), data("bc", "x", bid))])
    return SafeHtml(shown.with_note(title, context.lang)), [*shown.rows, *cancel]


async def _audience_view(context: SinauContext, bid: int, page: int = 0) -> tuple[str, Any]:
    """Everyone (on every page), then a page of the cohorts and their groups."""
    cohorts = await context.services.training.cohorts.all()
    choices = [(context.label("broadcast.btn_cohort", name=c.name),
                data("bc", "au", bid, "c", c.id)) for c in cohorts]
    choices += [(context.label("broadcast.btn_group", name=c.name),
                 data("bc", "au", bid, "g", c.id))
                for c in cohorts if c.group_chat_id is not None]
    text, rows = _picker(context, bid, context.t("broadcast.ask_audience"), choices, page,
                         lambda n: data("bc", "pa", bid, n))
    everyone = button_rows([(context.t("broadcast.btn_everyone"), data("bc", "au", bid, "e"))])
    return text, [*everyone, *rows]


def _course_picker(context: SinauContext, bid: int, page: int = 0) -> tuple[str, Any]:
    """A page of the courses whose lesson the broadcast can be."""
    choices = [(c.title.get(context.lang), data("bc", "lc", bid, c.key))
               for c in context.services.catalogue]
    return _picker(context, bid, context.t("broadcast.pick_course"), choices, page,
                   lambda n: data("bc", "pc", bid, n))


def _lesson_picker(context: SinauContext, bid: int, course: Any,
                   page: int = 0) -> tuple[str, Any]:
    """A page of one course's lessons."""
    choices = [(lesson.title.get(context.lang), data("bc", "ls", bid, course.key, i))
               for i, lesson in enumerate(course.lessons)]
    title = context.t("broadcast.pick_lesson", course=course.title.get(context.lang))
    return _picker(context, bid, title, choices, page,
                   lambda n: data("bc", "pl", bid, course.key, n))


def _body(context: SinauContext, draft: Broadcast) -> str:
    """What the preview shows of the content."""
    if draft.content_kind == "lesson":
        lesson = context.services.catalogue.lesson(draft.course_key or "", draft.lesson_key or "")
        return f"📚 {html.escape(lesson.title.get(context.lang))}" if lesson else "📚"
    if draft.content_kind in ("photo", "document"):
        kind = context.t(f"broadcast.kind_{draft.content_kind}")
        return f"[{kind}] {draft.text or ''}"
    return draft.text or ""


async def _audience_name(context: SinauContext, draft: Broadcast) -> str:
    if draft.audience_kind == "everyone":
        return context.t("broadcast.audience_everyone")
    cohort = await context.services.training.cohorts.get(draft.audience_ref or 0)
    name = cohort.name if cohort else "?"
    return context.t(f"broadcast.audience_{draft.audience_kind}", name=name)


async def _preview(context: SinauContext, draft: Broadcast, count: int) -> tuple[str, Any]:
    head = context.t(
        "broadcast.preview", id=draft.id,
        kind=context.t(f"broadcast.kind_{draft.content_kind}"),
        audience=await _audience_name(context, draft), count=count, body="",
    )
    # The trainer's own text is already valid Telegram HTML; cut it for the preview only.
    body = _body(context, draft)
    room = TEXT_LIMIT - len(head) - 10
    text = SafeHtml(head + (body if len(body) <= room else "…"))
    rows = button_rows([(context.t("broadcast.btn_send"), data("bc", "go", draft.id))],
               [(context.t("broadcast.btn_in_hour"), data("bc", "sc", draft.id, "h")),
                (context.t("broadcast.btn_tomorrow"), data("bc", "sc", draft.id, "m"))],
               [(context.t("broadcast.btn_cancel"), data("bc", "x", draft.id))])
    return text, rows


@require_role("trainer")
async def on_button(update: Update, context: SinauContext) -> None:
    """The ``bc:`` buttons: lesson picking, audience, send, schedule, cancel."""
    query = update.callback_query
    sender = update.effective_user
    if query is None or sender is None or query.message is None:
        return
    press = parse(query.data, "bc")
    if press is None:
        await query.answer(context.t("common.expired_button"))
        return
    action, parts = press.action, [press.area, press.action, *press.args]
    bid = press.number(0)
    training = context.services.training
    if action == "x":
        await _cancel(update, context, bid)
        return
    draft = await training.broadcasts.draft(bid, sender.id)
    if draft is None:
        await query.answer(context.t("common.expired_button"))
        return
    catalogue = context.services.catalogue
    if (action == "lc" and len(parts) == 3) or action == "pc":
        await query.answer()
        page = press.number(1) if action == "pc" else 0
        await show_menu(update, *_course_picker(context, bid, page))
    elif action in ("lc", "pl") and catalogue.course(parts[3]) is not None:
        course = catalogue.course(parts[3])
        assert course is not None
        await query.answer()
        page = press.number(2) if action == "pl" else 0
        await show_menu(update, *_lesson_picker(context, bid, course, page))
    elif action == "pa" and draft.content_kind is not None:
        await query.answer()
        await show_menu(update, *await _audience_view(context, bid, press.number(1)))
    elif action == "ls" and len(parts) == 5:
        course = catalogue.course(parts[3])
        index = int(parts[4])
        if course is None or index >= len(course.lessons):
            await query.answer(context.t("common.expired_button"))
            return
        await query.answer()
        await training.broadcasts.set_lesson(bid, course.key, course.lessons[index].key)
        await training.prompts.close(sender.id)
        await show_menu(update, *await _audience_view(context, bid))
    elif action == "au" and len(parts) >= 4 and draft.content_kind is not None:
        await _choose_audience(update, context, draft, parts[3:])
    elif action in ("go", "sc") and draft.content_kind and draft.audience_kind:
        await _confirm(update, context, draft, parts[3] if len(parts) > 3 else None)
    else:
        await query.answer(context.t("common.expired_button"))


async def _choose_audience(update: Update, context: SinauContext, draft: Broadcast,
                           args: list[str]) -> None:
    query = update.callback_query
    assert query is not None
    kind = {"e": "everyone", "c": "cohort", "g": "group"}.get(args[0])
    ref = int(args[1]) if len(args) == 2 else None
    if kind is None or (kind != "everyone" and ref is None):
        await query.answer(context.t("common.expired_button"))
        return
    if ref is not None:
        cohort = await context.services.training.cohorts.get(ref)
        if cohort is None or cohort.archived:
            await query.answer(context.t("common.expired_button"))
            return
    count = await context.services.training.broadcasts.set_audience(draft.id, kind, ref)
    if not count:
        await query.answer(context.t("broadcast.no_recipients"), show_alert=True)
        return
    await query.answer()
    fresh = await context.services.training.broadcasts.draft(draft.id, draft.created_by)
    assert fresh is not None
    await show_menu(update, *await _preview(context, fresh, count))


async def _confirm(update: Update, context: SinauContext, draft: Broadcast,
                   choice: str | None) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    services = context.services
    at = None
    if choice is not None:
        at = schedule_time(choice, services.clock.now(), services.settings.zone)
        if at is None:
            await query.answer(context.t("common.expired_button"))
            return
    count = await services.training.broadcasts.confirm(
        draft.id, at=at, progress_chat_id=query.message.chat.id,
        progress_message_id=query.message.message_id,
    )
    if count is None:
        await query.answer(context.t("common.expired_button"))
        return
    await query.answer()
    cancel = button_rows([(context.t("broadcast.btn_cancel"), data("bc", "x", draft.id))])
    if at is not None:
        when = at.astimezone(services.settings.zone).strftime("%d-%m-%Y %H:%M")
        await show_menu(update, context.t("broadcast.scheduled", id=draft.id, when=when,
                                          count=count), cancel)
        return
    # The run's first progress report turns the preview into the progress message (editing
    # it here too would race that edit, or repeat it: "message is not modified").
    runner = services.broadcast_runner
    if runner is not None:
        runner.start(context.application, draft.id)


async def _cancel(update: Update, context: SinauContext, bid: int) -> None:
    query = update.callback_query
    sender = update.effective_user
    assert query is not None and sender is not None
    service = context.services.training.broadcasts
    found = await service.get(bid)
    roles = context.services.training.roles
    if found is None or (found.created_by != sender.id and not roles.is_admin(sender.id)):
        await query.answer(context.t("common.expired_button"))
        return
    if not await service.cancel(bid):
        await query.answer(context.t("broadcast.not_cancellable"))
        return
    await query.answer()
    await context.services.training.prompts.close(sender.id)
    key = "broadcast.cancelled_draft" if found.state == "draft" else "broadcast.cancelled"
    await show_menu(update, context.t(key, id=bid), [])
