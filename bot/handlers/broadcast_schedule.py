"""Scheduling broadcasts: the day and hour picker, a typed time, /scheduled and its edits.

A draft's "schedule" and a scheduled broadcast's "change time" share one picker; the state of
the broadcast decides what a chosen time does (confirm the draft, or move the broadcast).
Times are in the trainer's own zone. ``bc:sd:<id>`` the days, ``bc:sd:<id>:<yyyymmdd>`` that
day's hours, ``bc:st:<id>:<yyyymmdd>:<hhmm>`` the time, ``bc:ty:<id>`` a typed one;
``bc:sl`` the list, ``bc:ed:<id>`` one broadcast, ``bc:et:<id>`` its new text. Who may touch
a scheduled broadcast is checked at every press: its author, or an admin; once it is sending
it can only be cancelled.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update

from bot.buttons import Press, data
from bot.context import SinauContext
from bot.delivery.quiet import zone_of
from bot.handlers import broadcast as compose
from bot.handlers.auth import require_role
from bot.handlers.cohorts import show_menu
from bot.i18n import SafeHtml
from bot.scheduling.render import date_text, zone_label
from bot.storage.broadcasts import Broadcast
from bot.training.schedule import (
    WhenError,
    local_moment,
    parse_when,
    preset_times,
    schedule_days,
)

#: The ``bc:`` actions handled here.
ACTIONS = frozenset({"sd", "st", "ty", "ed", "et"})
#: Broadcasts shown by /scheduled (the soonest first).
#: Broadcasts on one page of /scheduled (each a few lines and a row of buttons: a phone screen).
LIST_PAGE = 5
#: Characters of its content each line of the list shows.
SNIPPET = 60


@require_role("trainer")
async def scheduled_command(update: Update, context: SinauContext) -> None:
    """/scheduled: the trainer's scheduled and sending broadcasts, to edit or cancel."""
    sender, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if sender is None or chat is None:
        return
    if chat.type != "private":   # who sends what to whom stays out of the group: one line
        if message is not None:
            await message.reply_text(context.t("people.private_only"))
        return
    await show_menu(update, *await list_view(context, sender.id))


# ---------------------------------------------------------------------------- reading


async def _zone(context: SinauContext, user_id: int) -> ZoneInfo:
    """The trainer's own time zone (the bot's default when unknown)."""
    user = await context.services.users.get(user_id)
    return zone_of(user.timezone if user else None, context.services.settings.zone)


def when_text(moment: datetime | None, zone: ZoneInfo) -> str:
    """'08-12-2026 07:00 WIB'."""
    if moment is None:
        return "—"
    local = moment.astimezone(zone)
    return f"{local:%d-%m-%Y %H:%M} {zone_label(str(zone))}"


def _snippet(body: str) -> str:
    """One short plain line of a broadcast's content (HTML in, escaped HTML out)."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\n", " ").strip()
    return html.escape(plain if len(plain) <= SNIPPET else plain[:SNIPPET - 1] + "…")


async def _owned(context: SinauContext, user_id: int, bid: int) -> Broadcast | None:
    """The broadcast, if this user wrote it or is an admin."""
    found = await context.services.training.broadcasts.get(bid)
    if found is None:
        return None
    if found.created_by != user_id and not context.services.training.roles.is_admin(user_id):
        return None
    return found


async def list_view(context: SinauContext, user_id: int,
                    page: int = 0) -> tuple[str, Any]:
    """A page of the scheduled and sending broadcasts (everyone's for an admin): edit or
    cancel each; « / › turn the pages (``bc:sl:<page>``)."""
    training = context.services.training
    mine = None if training.roles.is_admin(user_id) else user_id
    page = max(0, page)
    found = await training.broadcasts.upcoming(mine, LIST_PAGE + 1, page * LIST_PAGE)
    if not found and page > 0:   # the last page emptied since it was drawn: the first
        return await list_view(context, user_id)
    if not found:
        return context.t("schedule.list_empty"), []
    more, found = len(found) > LIST_PAGE, found[:LIST_PAGE]
    zone = await _zone(context, user_id)
    lines, rows = [str(context.t("schedule.list_title"))], []
    for item in found:
        audience = await compose.audience_name(context, item)
        body = _snippet(compose.body_of(context, item))
        cancel = (context.label("schedule.btn_cancel_one", id=item.id), data("bc", "x", item.id))
        if item.state == "scheduled":
            count = await training.broadcasts.recipient_count(item)
            lines.append(context.t("schedule.list_line", id=item.id, audience=audience,
                                   when=when_text(item.scheduled_at, zone), count=count,
                                   body=SafeHtml(body)))
            rows.append([(context.label("schedule.btn_edit", id=item.id),
                          data("bc", "ed", item.id)), cancel])
        else:
            lines.append(context.t("schedule.list_sending", id=item.id, audience=audience,
                                   body=SafeHtml(body)))
            rows.append([cancel])
    nav = []
    if page > 0:
        nav.append((context.label("paging.previous"), data("bc", "sl", page - 1)))
    if more:
        nav.append((context.label("paging.next"), data("bc", "sl", page + 1)))
    if nav:
        rows.append(nav)
    return SafeHtml("\n".join(lines)), compose.button_rows(*rows)


async def _edit_view(context: SinauContext, item: Broadcast, user_id: int) -> tuple[str, Any]:
    """One scheduled broadcast: change its time or text, cancel it, back to the list."""
    zone = await _zone(context, user_id)
    body = compose.body_of(context, item)
    room = compose.TEXT_LIMIT - 400
    text = context.t("schedule.edit", id=item.id, when=when_text(item.scheduled_at, zone),
                     audience=await compose.audience_name(context, item),
                     body=SafeHtml(body if len(body) <= room else "…"))
    change = [(context.label("schedule.btn_change_time"), data("bc", "sd", item.id))]
    if item.content_kind != "lesson":
        change.append((context.label("schedule.btn_change_text"), data("bc", "et", item.id)))
    return text, compose.button_rows(
        change,
        [(context.label("schedule.btn_cancel_one", id=item.id), data("bc", "x", item.id))],
        [(context.t("schedule.btn_back"), data("bc", "sl"))])


def _scheduled_rows(context: SinauContext, bid: int) -> Any:
    """Under a "scheduled" message: edit, cancel, the list."""
    return compose.button_rows(
        [(context.label("schedule.btn_edit", id=bid), data("bc", "ed", bid)),
         (context.t("broadcast.btn_cancel"), data("bc", "x", bid))],
        [(context.t("schedule.btn_list"), data("bc", "sl", "n"))])


# ---------------------------------------------------------------------------- the picker


def _day_view(context: SinauContext, item: Broadcast, zone: ZoneInfo) -> tuple[str, Any]:
    """Today (while a preset hour is left), tomorrow and the days after; type; back."""
    now = context.services.clock.now()
    days = schedule_days(now, zone)
    names = {days[0]: context.label("schedule.btn_today"),
             days[1]: context.label("schedule.btn_tomorrow")}
    choices = [(names.get(day) or str(date_text(day, context.lang)),
                data("bc", "sd", item.id, f"{day:%Y%m%d}"))
               for day in days if preset_times(day, now, zone)]
    back = data("bc", "pv" if item.state == "draft" else "ed", item.id)
    text = context.t("schedule.pick_day", id=item.id, zone=zone_label(str(zone)))
    return text, compose.button_rows(
        *(choices[i:i + 2] for i in range(0, len(choices), 2)),
        [(context.t("schedule.btn_type"), data("bc", "ty", item.id)),
         (context.t("schedule.btn_back"), back)])


def _hour_view(context: SinauContext, item: Broadcast, day: date,
               zone: ZoneInfo) -> tuple[str, Any]:
    """The preset hours of one day still ahead; type; back to the days."""
    hours = preset_times(day, context.services.clock.now(), zone)
    title = context.t("schedule.pick_hour" if hours else "schedule.no_hours_left", id=item.id,
                      day=date_text(day, context.lang), zone=zone_label(str(zone)))
    return title, compose.button_rows(
        [(f"{at:%H:%M}", data("bc", "st", item.id, f"{day:%Y%m%d}", f"{at:%H%M}"))
         for at in hours],
        [(context.t("schedule.btn_type"), data("bc", "ty", item.id)),
         (context.t("schedule.btn_back"), data("bc", "sd", item.id))])


def _day_of(arg: str) -> date | None:
    try:
        return datetime.strptime(arg, "%Y%m%d").date()  # noqa: DTZ007 - a date, no time
    except ValueError:
        return None


def _time_of(arg: str) -> time | None:
    try:
        return time(int(arg) // 100, int(arg) % 100)
    except ValueError:
        return None


async def on_press(update: Update, context: SinauContext, press: Press) -> None:
    """The scheduling presses (``ACTIONS``) on a draft or a scheduled broadcast."""
    query, sender = update.callback_query, update.effective_user
    assert query is not None and sender is not None
    item = await _owned(context, sender.id, press.number(0))
    usable = item is not None and (item.state == "scheduled" or (
        item.state == "draft" and item.created_by == sender.id and item.content_kind
        and item.audience_kind and press.action in ("sd", "st", "ty")))
    if item is None or not usable:
        editable = item is not None and item.state in ("sending", "done", "cancelled")
        await query.answer(context.t("schedule.not_editable" if editable else
                                     "common.expired_button"), show_alert=editable)
        return
    zone = await _zone(context, sender.id)
    training = context.services.training
    if press.action == "sd" and len(press.args) == 1:
        await query.answer()
        await show_menu(update, *_day_view(context, item, zone))
    elif press.action == "sd":
        day = _day_of(press.arg(1))
        if day is None:
            await query.answer(context.t("common.expired_button"))
            return
        await query.answer()
        await show_menu(update, *_hour_view(context, item, day, zone))
    elif press.action == "st":
        day, at = _day_of(press.arg(1)), _time_of(press.arg(2))
        if day is None or at is None:
            await query.answer(context.t("common.expired_button"))
            return
        await _set_time(update, context, item, local_moment(day, at, zone), zone)
    elif press.action == "ty":
        await query.answer()
        await training.prompts.ask(sender.id, "bc_when", str(item.id))
        await query.message.reply_text(_ask_when(context, item, zone))  # type: ignore[union-attr]
    elif press.action == "ed":
        await query.answer()
        await show_menu(update, *await _edit_view(context, item, sender.id))
    elif press.action == "et" and item.content_kind != "lesson":
        await query.answer()
        await training.prompts.ask(sender.id, "bc_text", str(item.id))
        key = "schedule.ask_text" if item.content_kind == "text" else "schedule.ask_caption"
        await query.message.reply_text(context.t(key, id=item.id))  # type: ignore[union-attr]
    else:
        await query.answer(context.t("common.expired_button"))


def _example(context: SinauContext, zone: ZoneInfo) -> str:
    """Tomorrow at 09:00 as the trainer would type it."""
    tomorrow = schedule_days(context.services.clock.now(), zone)[1]
    return f"{tomorrow:%d-%m} 09:00"


def _ask_when(context: SinauContext, item: Broadcast, zone: ZoneInfo) -> str:
    return context.t("schedule.ask_when", id=item.id, zone=zone_label(str(zone)),
                     example=_example(context, zone))


async def _set_time(update: Update, context: SinauContext, item: Broadcast, at: datetime,
                    zone: ZoneInfo) -> None:
    """Confirm a draft for ``at``, or move a scheduled broadcast there (pressed or typed).

    The message that shows the time becomes the broadcast's progress message: the pressed
    one, or the reply to a typed time."""
    query, message = update.callback_query, update.effective_message
    assert message is not None
    service = context.services.training.broadcasts
    try:
        if item.state == "draft":
            count = await service.confirm(item.id, at=at, progress_chat_id=message.chat.id,
                                          progress_message_id=None)
        else:
            moved = await service.reschedule(item.id, at)
            fresh = await service.get(item.id)
            count = (await service.recipient_count(fresh)
                     if moved and fresh is not None else None)
    except WhenError:
        await _say(update, context, "schedule.past")
        return
    if count is None:
        await _say(update, context, "schedule.not_editable")
        return
    key = "broadcast.scheduled" if item.state == "draft" else "schedule.rescheduled"
    text = context.t(key, id=item.id, when=when_text(at, zone), count=count)
    rows = _scheduled_rows(context, item.id)
    if query is not None and query.message is not None:
        await query.answer()
        await show_menu(update, text, rows)
        shown_chat, shown_id = query.message.chat.id, query.message.message_id
    else:
        sent = await message.reply_text(text, reply_markup=InlineKeyboardMarkup(rows))
        shown_chat, shown_id = sent.chat.id, sent.message_id
    await service.set_progress_message(item.id, shown_chat, shown_id)


async def _say(update: Update, context: SinauContext, key: str) -> None:
    """An alert answering the press, or a reply to the typed message."""
    if update.callback_query is not None:
        await update.callback_query.answer(context.label(key), show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(context.t(key))


# ---------------------------------------------------------------------------- typed answers


async def _asked_about(update: Update, context: SinauContext, ref: str) -> Broadcast | None:
    """The broadcast a typed answer is for, while it can still change; else the question
    is closed and the trainer told."""
    message, sender = update.effective_message, update.effective_user
    assert message is not None and sender is not None
    item = await _owned(context, sender.id, int(ref)) if ref.isdigit() else None
    if item is not None and (item.state == "scheduled" or (
            item.state == "draft" and item.created_by == sender.id)):
        return item
    await context.services.training.prompts.close(sender.id)
    await message.reply_text(context.t("schedule.not_editable"))
    return None


async def answer_when(update: Update, context: SinauContext, ref: str) -> None:
    """A typed ``DD-MM HH:MM`` for the broadcast the picker asked about."""
    message, sender = update.effective_message, update.effective_user
    if message is None or sender is None:
        return
    item = await _asked_about(update, context, ref)
    if item is None:
        return
    zone = await _zone(context, sender.id)
    try:
        at = parse_when(message.text or "", context.services.clock.now(), zone)
    except WhenError as exc:
        # The question stays open: the next message can try again.
        await message.reply_text(context.t("schedule.past") if exc.reason == "past" else
                                 context.t("schedule.bad_when",
                                           example=_example(context, zone)))
        return
    await context.services.training.prompts.close(sender.id)
    await _set_time(update, context, item, at, zone)


async def answer_text(update: Update, context: SinauContext, ref: str) -> None:
    """The new text (or caption) of a scheduled broadcast."""
    message, sender = update.effective_message, update.effective_user
    if message is None or sender is None:
        return
    item = await _asked_about(update, context, ref)
    if item is None:
        return
    if not message.text:
        await message.reply_text(context.t("schedule.ask_text" if item.content_kind == "text"
                                           else "schedule.ask_caption", id=item.id))
        return
    # Telegram counts the visible text (UTF-16 units): 4096 for a text, 1024 for a caption.
    limit = compose.TEXT_LIMIT if item.content_kind == "text" else compose.CAPTION_LIMIT
    length = len(message.text.encode("utf-16-le")) // 2
    if length > limit:
        await message.reply_text(context.t("broadcast.too_long", length=length, limit=limit))
        return
    training = context.services.training
    if item.state != "scheduled" or not await training.broadcasts.set_scheduled_text(
            item.id, message.text_html):
        await training.prompts.close(sender.id)
        await message.reply_text(context.t("schedule.not_editable"))
        return
    await training.prompts.close(sender.id)
    zone = await _zone(context, sender.id)
    await message.reply_text(
        context.t("schedule.text_changed", id=item.id, when=when_text(item.scheduled_at, zone)),
        reply_markup=InlineKeyboardMarkup(_scheduled_rows(context, item.id)))
