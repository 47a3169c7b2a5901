"""/progress, certificates (pg:show, pg:c:<course>), the dashboard (pg:home) and /verify CODE."""

from __future__ import annotations

from typing import Final

from telegram import InlineKeyboardMarkup, InputFile, Update

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.handlers.discussion import progress_line as discussion_line
from bot.handlers.paging import paged, shows
from bot.handlers.render import (
    bar,
    button,
    dashboard,
    edit,
    expired,
    jp_text,
    keyboard,
    onboarded,
    percent,
)
from bot.i18n import label, t
from bot.learning.certificates import format_long_date
from bot.storage.certificates import CertificateRecord
from bot.storage.users import User


async def send_certificate(context: SinauContext, chat_id: int,
                           record: CertificateRecord) -> None:
    """Send a certificate PDF (generated in memory) with its verification code."""
    learning = context.services.learning
    pdf = learning.certificate_pdf(record, context.bot.username or "sinau_bot")
    caption = t(context.lang, "certificate.sent", course=record.course_title, code=record.code)
    await context.bot.send_document(
        chat_id, InputFile(pdf, filename=f"sinau-{record.code}.pdf"), caption=caption
    )


#: Courses /progress lists by name; the rest are counted (all of them are in /courses), so the
#: message fits a phone screen however many courses a learner started.
PROGRESS_COURSES: Final = 4


async def progress_command(update: Update, context: SinauContext) -> None:
    """Completion per course, accuracy, streaks and JP this year (a new message)."""
    user = await onboarded(update, context)
    if user is None or update.effective_chat is None:
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    text, markup = await _progress(context, user)
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


async def _progress(context: SinauContext, user: User,
                    page: int = 0) -> tuple[str, InlineKeyboardMarkup | None]:
    """The progress text and a page of its certificate buttons (``pg:show:<page>``)."""
    lang, learning = context.lang, context.services.learning
    report = await learning.progress(user)
    current = learning.current_course_key(user)
    shown = [c for c in report.courses if c.started or c.done or c.course.key == current]
    if not shown and report.courses:
        shown = report.courses[:1]
    # The current course first, then the unfinished ones: those are what the learner is doing.
    shown.sort(key=lambda c: (c.course.key != current, c.complete))
    lines: list[str] = [t(lang, "progress.title")]
    lines += [t(lang, "progress.course_line", title=c.course.title.get(lang),
                bar=bar(c.done, c.total), done=c.done, total=c.total)
              for c in shown[:PROGRESS_COURSES]]
    if len(shown) > PROGRESS_COURSES:
        lines.append(t(lang, "progress.more_courses", count=len(shown) - PROGRESS_COURSES))
    stats = [
        t(lang, "progress.accuracy", right=report.right, total=report.answered,
          percent=percent(report.right, report.answered)) if report.answered
        else t(lang, "progress.accuracy_none"),
        t(lang, "progress.streak", current=report.current_streak,
          longest=report.longest_streak),
        t(lang, "progress.jp", year=learning.today(user).year,
          jp=jp_text(report.jp_year, lang), target=report.jp_target),
        t(lang, "progress.certificates", count=len(report.certificates)),
    ]
    # Group discussions (bot/discussion): shown once the learner took part.
    if discussed := await discussion_line(context, user.id):
        stats.append(discussed)
    lines.append("\n".join(stats))
    rows = [[button(label(lang, "progress.certificate_button", title=r.course_title),
                    data("pg", "c", r.course_key))] for r in report.certificates]
    certificates = paged(rows, page, lambda n: data("pg", "show", n), lang)
    text = certificates.with_note("\n\n".join(lines), lang)
    return text, keyboard(*certificates.rows) if rows else None


async def on_callback(update: Update, context: SinauContext) -> None:
    """pg:show shows progress; pg:home the dashboard (a new message); pg:c:<course> resends
    that course's certificate."""
    query = update.callback_query
    user = await onboarded(update, context)
    if query is None or user is None or query.message is None:
        return
    press = parse(query.data, "pg")
    if press is not None and press.action == "show" and not press.args:
        await progress_command(update, context)
        return
    if press is not None and press.action == "show" and shows(query, "pg:"):
        await query.answer()
        await edit(query, *await _progress(context, user, press.number(0)))
        return
    snap = (await context.services.learning.snapshot(user.id)
            if press is not None and press.action == "home" else None)
    if snap is not None:
        await query.answer()
        text, markup = dashboard(context.lang, user.name, snap)
        await context.bot.send_message(query.message.chat.id, text, reply_markup=markup)
        return
    record = (await context.services.learning.certificate(user, press.arg(0))
              if press is not None and press.action == "c" else None)
    if record is None:
        await expired(query, context.lang, now=context.services.clock.now())
        return
    await query.answer()
    await send_certificate(context, query.message.chat.id, record)


async def verify_command(update: Update, context: SinauContext) -> None:
    """Whose certificate a code is (anyone may ask)."""
    message = update.effective_message
    if message is None:
        return
    lang = context.lang
    text = " ".join(context.args or [])
    if not text:
        await message.reply_text(t(lang, "certificate.verify_usage"))
        return
    learning = context.services.learning
    record = await learning.verify(text)
    if record is None:
        await message.reply_text(t(lang, "certificate.verify_not_found", code=text[:40]))
        return
    await message.reply_text(t(
        lang, "certificate.verify_ok", code=record.code, name=record.name,
        unit=record.unit or "—", course=record.course_title,
        jp=learning.certificate_jp(record, lang),
        date=format_long_date(record.completed_on, lang),
    ))
