"""/progress, certificates (pg:show, pg:c:<course>), the dashboard (pg:home), /verify CODE (and
its deep link, /start v_<code>) and an admin's /revoke_cert CODE reason."""

from __future__ import annotations

from typing import Final
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, InputFile, Update

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.delivery.models import OutgoingMessage
from bot.handlers.auth import require_role
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
    programme_lines,
)
from bot.i18n import SafeHtml, choose_language, label, t
from bot.learning.certificates import REASON_MAX_LENGTH, Verification, format_long_date
from bot.learning.jp import format_jp
from bot.storage.certificates import CertificateRecord
from bot.storage.users import User


async def send_certificate(context: SinauContext, chat_id: int,
                           record: CertificateRecord) -> None:
    """Send a certificate PDF (generated in memory) with its verification code; a revoked
    one is not sent again, the learner is told why."""
    services = context.services
    lang = context.lang
    if record.revoked and record.revoked_at is not None:
        await context.bot.send_message(chat_id, t(
            lang, "certificate.sent_revoked", course=record.course_title, code=record.code,
            date=format_long_date(record.revoked_at.astimezone(services.settings.zone).date(),
                                  lang),
            reason=record.revoked_reason or "—"))
        return
    pdf = services.learning.certificate_pdf(
        record, context.bot.username or "sinau_bot",
        public_url=services.settings.web.public_url,
        issuer=services.settings.certificates.issuer)
    caption = t(lang, "certificate.sent", course=record.course_title, code=record.code)
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
    # The learner's cohorts, each with its path and deadlines (bot/learning/path.py).
    if programmes := await learning.paths(user):
        lines.append("\n".join(programme_lines(lang, programmes, learning.today(user))))
    results = await learning.course_results(user)
    evaluate: list[str] = []  # courses whose lessons are done and whose evaluation is not
    for c in shown[:PROGRESS_COURSES]:
        title = c.course.title.get(lang)
        line = t(lang, "progress.course_line", title=title, bar=bar(c.done, c.total),
                 done=c.done, total=c.total)
        result = results.get(c.course.key)
        if result is not None and result.passed:
            line = SafeHtml(f"{line}\n" + t(lang, "evaluation.progress_passed", course=title,
                                            score=result.best_score))
        elif c.complete:
            evaluate.append(c.course.key)
            note = (t(lang, "evaluation.progress_failed", course=title,
                      score=result.best_score, mark=c.course.pass_mark)
                    if result is not None else
                    t(lang, "evaluation.progress_ready", course=title, mark=c.course.pass_mark))
            line = SafeHtml(f"{line}\n{note}")
        lines.append(line)
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
    if evaluate:
        certificates.rows.insert(0, [button(t(lang, "evaluation.start"),
                                            data("ev", "s", evaluate[0]))])
    return text, keyboard(*certificates.rows) if certificates.rows else None


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
    """Whose certificate a code is, and whether it is valid (anyone may ask, anywhere)."""
    message = update.effective_message
    if message is None:
        return
    text = " ".join(context.args or [])
    if not text:
        await message.reply_text(context.t("certificate.verify_usage"))
        return
    await answer_verification(update, context, text)


async def answer_verification(update: Update, context: SinauContext, text: str) -> None:
    """Reply with the verdict on ``text`` (/verify CODE and the /start v_<code> deep link).

    The masked NIP is shown in private chats only: in a group, even a masked NIP is more than
    the other members need to see.
    """
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    settings = context.services.settings
    verdict = await context.services.learning.verify_certificate(
        text, issuer=settings.certificates.issuer)
    await message.reply_text(verification_text(
        context.lang, verdict, minutes_per_jp=settings.learning.minutes_per_jp,
        zone=settings.zone, private=chat.type == chat.PRIVATE))


def verification_text(lang: str, verdict: Verification, *, minutes_per_jp: int,
                      zone: ZoneInfo, private: bool) -> str:
    """The verdict as a message: what was found, or why nothing was (dates in ``zone``)."""
    if verdict.status == "malformed":
        return t(lang, "certificate.verify_malformed", code=verdict.code)
    if verdict.status == "unknown" or verdict.completed_on is None:
        return t(lang, "certificate.verify_not_found", code=verdict.code)
    who = {"code": verdict.code, "name": verdict.name, "unit": verdict.unit or "—"}
    if verdict.status == "revoked" and verdict.revoked_at is not None:
        lines: list[SafeHtml] = [t(
            lang, "certificate.verify_revoked", **who, reason=verdict.revoked_reason or "—",
            date=format_long_date(verdict.revoked_at.astimezone(zone).date(), lang))]
    else:
        lines = [t(lang, "certificate.verify_valid", **who)]
    if verdict.nip_masked:
        lines.append(t(lang, "certificate.verify_nip", nip=verdict.nip_masked) if private
                     else t(lang, "certificate.verify_nip_private"))
    lines.append(t(lang, "certificate.verify_course", course=verdict.course_title,
                   jp=format_jp(verdict.minutes, minutes_per_jp, lang)))
    if verdict.score is not None:
        lines.append(t(lang, "certificate.verify_score", score=verdict.score))
    lines.append(t(lang, "certificate.verify_date",
                   date=format_long_date(verdict.completed_on, lang)))
    lines.append(t(lang, "certificate.verify_issuer", issuer=verdict.issuer))
    return "\n".join(lines)


@require_role("admin")
async def revoke_certificate_command(update: Update, context: SinauContext) -> None:
    """/revoke_cert CODE reason…: revoke a certificate and tell its holder (admins only)."""
    message, sender = update.effective_message, update.effective_user
    if message is None or sender is None:
        return
    args = list(context.args or [])
    if len(args) < 2:
        await message.reply_text(context.t("certificate.revoke_usage"))
        return
    result = await context.services.learning.revoke_certificate(
        args[0], by=sender.id, reason=" ".join(args[1:]))
    lang, record = context.lang, result.record
    if result.status == "malformed":
        await message.reply_text(t(lang, "certificate.verify_malformed", code=result.code))
    elif result.status == "no_reason":
        await message.reply_text(t(lang, "certificate.revoke_usage"))
    elif result.status == "too_long":
        await message.reply_text(t(lang, "certificate.revoke_too_long", max=REASON_MAX_LENGTH))
    elif record is None:
        await message.reply_text(t(lang, "certificate.revoke_unknown", code=result.code))
    elif result.status == "already" and record.revoked_at is not None:
        await message.reply_text(t(
            lang, "certificate.revoke_already", code=record.code,
            date=format_long_date(
                record.revoked_at.astimezone(context.services.settings.zone).date(), lang),
            reason=record.revoked_reason or "—"))
    else:
        told = await _tell_holder(context, record)
        done = t(lang, "certificate.revoke_done", code=record.code, name=record.name,
                 course=record.course_title, reason=record.revoked_reason or "—")
        note = t(lang, "certificate.revoke_told" if told else "certificate.revoke_not_told")
        await message.reply_text(f"{done}\n{note}")


async def _tell_holder(context: SinauContext, record: CertificateRecord) -> bool:
    """Tell the holder of a revoked certificate, once, in their private chat; True if sent.

    Through the one sender: a holder who blocked the bot is marked inactive, never raised.
    """
    services = context.services
    holder = await services.users.get(record.user_id)
    lang = (choose_language(holder.language, holder.telegram_language) if holder is not None
            else record.language)
    result = await services.sender.send(OutgoingMessage(
        chat_id=record.user_id, kind="certificate",
        text=t(lang, "certificate.revoked_notice", course=record.course_title,
               code=record.code, reason=record.revoked_reason or "—"),
    ))
    return result is not None and result.status == "sent"
