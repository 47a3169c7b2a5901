"""/progress, certificates (pg:show, pg:c:<course>) and /verify CODE."""

from __future__ import annotations

from telegram import InputFile, Update

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.handlers.discussion import progress_line as discussion_line
from bot.handlers.render import bar, button, expired, jp_text, keyboard, onboarded, percent
from bot.i18n import label, t
from bot.learning.certificates import format_long_date
from bot.storage.certificates import CertificateRecord


async def send_certificate(context: SinauContext, chat_id: int,
                           record: CertificateRecord) -> None:
    """Send a certificate PDF (generated in memory) with its verification code."""
    learning = context.services.learning
    pdf = learning.certificate_pdf(record, context.bot.username or "sinau_bot")
    caption = t(context.lang, "certificate.sent", course=record.course_title, code=record.code)
    await context.bot.send_document(
        chat_id, InputFile(pdf, filename=f"sinau-{record.code}.pdf"), caption=caption
    )


async def progress_command(update: Update, context: SinauContext) -> None:
    """Completion per course, accuracy, streaks and JP this year."""
    user = await onboarded(update, context)
    if user is None or update.effective_chat is None:
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    lang, learning = context.lang, context.services.learning
    report = await learning.progress(user)
    current = learning.current_course_key(user)
    shown = [c for c in report.courses if c.started or c.done or c.course.key == current]
    if not shown and report.courses:
        shown = report.courses[:1]
    lines: list[str] = [t(lang, "progress.title")]
    lines += [t(lang, "progress.course_line", title=c.course.title.get(lang),
                bar=bar(c.done, c.total), done=c.done, total=c.total) for c in shown]
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
    await context.bot.send_message(update.effective_chat.id, "\n\n".join(lines),
                                   reply_markup=keyboard(*rows) if rows else None)


async def on_callback(update: Update, context: SinauContext) -> None:
    """pg:show shows progress; pg:c:<course> resends that course's certificate."""
    query = update.callback_query
    user = await onboarded(update, context)
    if query is None or user is None or query.message is None:
        return
    press = parse(query.data, "pg")
    if press is not None and press.action == "show":
        await progress_command(update, context)
        return
    record = (await context.services.learning.certificate(user, press.arg(0))
              if press is not None else None)
    if record is None:
        await expired(query, context.lang)
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
