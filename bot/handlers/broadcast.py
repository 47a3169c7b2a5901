"""/broadcast: compose, choose the audience, preview, test, send or schedule, cancel (``bc:``).

The trainer's preview message becomes the progress message; sending itself lives in
bot.delivery.broadcast_runner, and choosing a time, the list of scheduled broadcasts and
their edits in bot.handlers.broadcast_schedule. The audience, course and lesson pickers show
eight choices a page (bot.handlers.paging): ``bc:pa:<draft>:<page>``, ``bc:pc:<draft>:<page>``,
``bc:pl:<draft>:<course>:<page>``. Only the cohorts the trainer may see are offered
(``CohortService.visible_to``), and "everyone" only when trainers are not limited to theirs.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.buttons import Press, data, parse
from bot.context import SinauContext
from bot.handlers import broadcast_schedule as schedule
from bot.handlers.auth import require_role
from bot.handlers.cohorts import show_menu
from bot.handlers.paging import paged, shows
from bot.i18n import SafeHtml
from bot.storage.broadcasts import Broadcast

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


async def answer_prompt(update: Update, context: SinauContext, kind: str, ref: str) -> None:
    """A trainer's message answering a broadcast question: content, a typed time, new text."""
    if kind == "bc_content":
        await answer_content(update, context, ref)
    elif kind == "bc_when":
        await schedule.answer_when(update, context, ref)
    elif kind == "bc_text":
        await schedule.answer_text(update, context, ref)


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
    await show_menu(update, *await _audience_view(context, draft.id, sender.id))


def _picker(context: SinauContext, bid: int, title: str, choices: list[tuple[str, str]],
            page: int, page_data: Any) -> tuple[str, Any]:
    """A page of one-button choices, the page row, then "cancel"; ``page_data(n)`` is the
    data of page n's button."""
    shown = paged(button_rows(*([choice] for choice in choices)), page, page_data,
                  context.lang)
    cancel = button_rows([(context.t("broadcast.btn_cancel"), data("bc", "x", bid))])
    return SafeHtml(shown.with_note(title, context.lang)), [*shown.rows, *cancel]


def _may_reach_everyone(context: SinauContext, user_id: int) -> bool:
    """Everyone is an audience for admins, and for trainers not limited to their cohorts."""
    training = context.services.training
    return not training.cohorts.limited or training.roles.is_admin(user_id)


async def _audience_view(context: SinauContext, bid: int, user_id: int,
                         page: int = 0) -> tuple[str, Any]:
    """Everyone (on every page), then a page of the visible cohorts, their stragglers and
    their groups."""
    cohorts = await context.services.training.cohorts.visible_to(user_id)
    choices = [(context.label("broadcast.btn_cohort", name=c.name),
                data("bc", "au", bid, "c", c.id)) for c in cohorts]
    choices += [(context.label("schedule.btn_behind", name=c.name), data("bc", "ab", bid, c.id))
                for c in cohorts]
    choices += [(context.label("broadcast.btn_group", name=c.name),
                 data("bc", "au", bid, "g", c.id))
                for c in cohorts if c.group_chat_id is not None]
    text, rows = _picker(context, bid, context.t("broadcast.ask_audience"), choices, page,
                         lambda n: data("bc", "pa", bid, n))
    everyone = button_rows([(context.t("broadcast.btn_everyone"), data("bc", "au", bid, "e"))]
                           if _may_reach_everyone(context, user_id) else [])
    return text, [*everyone, *rows]


async def _behind_courses(context: SinauContext, bid: int, cohort_id: int) -> tuple[str, Any]:
    """The cohort's courses with a deadline: the stragglers of which one?"""
    training = context.services.training
    cohort = await training.cohorts.get(cohort_id)
    catalogue = context.services.catalogue
    choices = []
    for assigned in await training.cohorts.courses(cohort_id):
        course = catalogue.course(assigned.course_key)
        if course is not None and assigned.deadline is not None:
            choices.append((course.title.get(context.lang),
                            data("bc", "ab", bid, cohort_id, course.key)))
    name = cohort.name if cohort else "?"
    title = context.t("schedule.pick_behind_course" if choices else
                      "schedule.no_deadline_courses", name=name)
    back = button_rows([(context.t("schedule.btn_back"), data("bc", "pa", bid, 0))])
    text, rows = _picker(context, bid, title, choices, 0, lambda n: data("bc", "pa", bid, 0))
    return text, [*rows[:-1], *back, *rows[-1:]]


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


async def audience_name(context: SinauContext, draft: Broadcast) -> str:
    """Who a broadcast goes to, in words (escaped Telegram HTML)."""
    if draft.audience_kind == "everyone":
        return context.t("broadcast.audience_everyone")
    cohort = await context.services.training.cohorts.get(draft.audience_ref or 0)
    name = cohort.name if cohort else "?"
    if draft.audience_kind == "behind":
        course = context.services.catalogue.course(draft.audience_course or "")
        return context.t("schedule.audience_behind", name=name,
                         course=course.title.get(context.lang) if course else "?")
    return context.t(f"broadcast.audience_{draft.audience_kind}", name=name)


def body_of(context: SinauContext, draft: Broadcast) -> str:
    """What a preview or the list shows of the content (Telegram HTML)."""
    return _body(context, draft)


async def preview(context: SinauContext, draft: Broadcast,
                  count: int | None = None) -> tuple[str, Any]:
    """The preview of a complete draft: who, how many, the quiet-hours and urgent notes, the
    content; send now, schedule, test-send, urgent, cancel."""
    service = context.services.training.broadcasts
    if count is None:
        count = await service.recipient_count(draft)
    head = context.t(
        "broadcast.preview", id=draft.id,
        kind=context.t(f"broadcast.kind_{draft.content_kind}"),
        audience=await audience_name(context, draft), count=count, body="",
    )
    quiet = context.services.settings.delivery.quiet_hours
    notes = [context.t("schedule.behind_note")] if draft.audience_kind == "behind" else []
    if quiet:
        notes.append(context.t("schedule.urgent_note") if draft.urgent
                     else context.t("schedule.quiet_note", quiet=quiet))
    if notes:
        head = SafeHtml(head.rstrip("\n") + "\n\n" + "\n".join(notes) + "\n\n")
    # The trainer's own text is already valid Telegram HTML; cut it for the preview only.
    body = _body(context, draft)
    room = TEXT_LIMIT - len(head) - 10
    text = SafeHtml(head + (body if len(body) <= room else "…"))
    urgent = [(context.label("schedule.btn_urgent_on" if draft.urgent else
                             "schedule.btn_urgent_off"), data("bc", "ur", draft.id))]
    rows = button_rows([(context.t("broadcast.btn_send"), data("bc", "go", draft.id))],
               [(context.t("schedule.btn_schedule"), data("bc", "sd", draft.id)),
                (context.t("schedule.btn_test"), data("bc", "ts", draft.id))],
               urgent if quiet else [],
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
    if action == "sl":
        new = press.args == ("n",)
        if press.args and not new and not shows(query, "bc:sl:"):   # a page press elsewhere
            await query.answer(context.t("common.expired_button"))
            return
        await query.answer()
        text, rows = await schedule.list_view(context, sender.id,
                                              0 if new or not press.args else press.number(0))
        if new:  # under a scheduled broadcast: that message stays its progress message
            await query.message.chat.send_message(text, reply_markup=InlineKeyboardMarkup(rows)
                                                  if rows else None)
        else:
            await show_menu(update, text, rows)
        return
    bid = press.number(0)
    training = context.services.training
    if action == "x":
        await _cancel(update, context, bid)
        return
    if action in schedule.ACTIONS:
        await schedule.on_press(update, context, press)
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
        await show_menu(update, *await _audience_view(context, bid, sender.id,
                                                      press.number(1)))
    elif action == "ab" and draft.content_kind is not None:
        await _choose_behind(update, context, draft, press)
    elif action == "ls" and len(parts) == 5:
        course = catalogue.course(parts[3])
        index = int(parts[4])
        if course is None or index >= len(course.lessons):
            await query.answer(context.t("common.expired_button"))
            return
        await query.answer()
        await training.broadcasts.set_lesson(bid, course.key, course.lessons[index].key)
        await training.prompts.close(sender.id)
        await show_menu(update, *await _audience_view(context, bid, sender.id))
    elif action == "au" and len(parts) >= 4 and draft.content_kind is not None:
        await _choose_audience(update, context, draft, parts[3:])
    elif action == "go" and draft.content_kind and draft.audience_kind:
        await _send_now(update, context, draft)
    elif action == "pv" and draft.content_kind and draft.audience_kind:
        await query.answer()
        await training.prompts.close(sender.id)
        await show_menu(update, *await preview(context, draft))
    elif action == "ur" and draft.content_kind and draft.audience_kind:
        await query.answer()
        await training.broadcasts.set_urgent(bid, not draft.urgent)
        fresh = await training.broadcasts.draft(bid, sender.id)
        if fresh is not None:
            await show_menu(update, *await preview(context, fresh))
    elif action == "ts" and draft.content_kind and draft.audience_kind:
        await _test_send(update, context, draft)
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
    if not await _may_address(context, draft.created_by, ref):
        await query.answer(context.t("common.expired_button"))
        return
    count = await context.services.training.broadcasts.set_audience(draft.id, kind, ref)
    if not count:
        await query.answer(context.t("broadcast.no_recipients"), show_alert=True)
        return
    await query.answer()
    fresh = await context.services.training.broadcasts.draft(draft.id, draft.created_by)
    assert fresh is not None
    await show_menu(update, *await preview(context, fresh, count))


async def _may_address(context: SinauContext, user_id: int, cohort_id: int | None) -> bool:
    """True when the trainer may send to this cohort (None: everyone) right now."""
    if cohort_id is None:
        return _may_reach_everyone(context, user_id)
    cohorts = context.services.training.cohorts
    cohort = await cohorts.get(cohort_id)
    return cohort is not None and not cohort.archived and await cohorts.may_see(user_id,
                                                                                cohort_id)


async def _choose_behind(update: Update, context: SinauContext, draft: Broadcast,
                         press: Press) -> None:
    """``bc:ab:<draft>:<cohort>``: its courses; ``...:<course>``: the audience is chosen."""
    query = update.callback_query
    assert query is not None
    cohort_id = press.number(1)
    if not await _may_address(context, draft.created_by, cohort_id):
        await query.answer(context.t("common.expired_button"))
        return
    if len(press.args) == 2:
        await query.answer()
        await show_menu(update, *await _behind_courses(context, draft.id, cohort_id))
        return
    course_key = press.arg(2)
    assigned = {c.course_key: c for c in
                await context.services.training.cohorts.courses(cohort_id)}
    if course_key not in assigned or assigned[course_key].deadline is None:
        await query.answer(context.t("common.expired_button"))
        return
    service = context.services.training.broadcasts
    # Zero is a fine answer here: who is behind is decided again when the broadcast starts.
    count = await service.set_audience(draft.id, "behind", cohort_id, course_key)
    fresh = await service.draft(draft.id, draft.created_by)
    if count is None or fresh is None:
        await query.answer(context.t("common.expired_button"))
        return
    await query.answer()
    await show_menu(update, *await preview(context, fresh, count))


async def _test_send(update: Update, context: SinauContext, draft: Broadcast) -> None:
    """The exact message to the trainer alone; the preview moves below it."""
    query = update.callback_query
    sender = update.effective_user
    assert query is not None and query.message is not None and sender is not None
    result = await context.services.training.broadcasts.test_send(
        draft, sender.id, context.lang, sender.language_code)
    if result is None or result.status != "sent":
        await query.answer(context.t("schedule.test_failed"), show_alert=True)
        return
    await query.answer(context.label("schedule.test_sent"))
    # The old preview loses its buttons; a fresh one follows the test, where the eye is.
    # PTB adds the default parse_mode to every request; editMessageReplyMarkup has none.
    await query.edit_message_reply_markup(None, api_kwargs={"parse_mode": None})
    text, rows = await preview(context, draft)
    await query.message.chat.send_message(text, reply_markup=InlineKeyboardMarkup(rows))


async def _send_now(update: Update, context: SinauContext, draft: Broadcast) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    services = context.services
    count = await services.training.broadcasts.confirm(
        draft.id, at=None, progress_chat_id=query.message.chat.id,
        progress_message_id=query.message.message_id,
    )
    if count is None:
        await query.answer(context.t("common.expired_button"))
        return
    await query.answer()
    await services.training.prompts.close(draft.created_by)  # a typed time is moot now
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
