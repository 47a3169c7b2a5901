"""A course's final evaluation: ``ev:s:<course>`` starts (or continues) it, ``ev:a:<position>:
<option>`` answers, ``ev:ls:<course>:<lesson index>`` opens a lesson missed in it.

Questions are inline-keyboard messages edited in place, one tap per question; the score comes
at the end. The rules are in ``bot.learning.evaluation``.
"""

from __future__ import annotations

from telegram import Message, Update

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.handlers.keyboards import name_question, nip_question
from bot.handlers.progress import send_certificate
from bot.handlers.render import (
    AnswerFirst,
    Screen,
    as_new_message,
    button,
    edit,
    expired,
    keyboard,
    lesson_card,
    onboarded,
    question_message,
    send_screen,
    when_text,
)
from bot.i18n import t
from bot.learning.evaluation import EvaluationRefused, EvaluationResult, EvaluationStatus
from bot.storage.users import User


def offer(lang: str, status: EvaluationStatus) -> Screen:
    """'Every lesson is done: take the final evaluation' with its button."""
    course = status.course
    text = t(lang, "evaluation.offer", course=course.title.get(lang),
             questions=status.questions, mark=status.pass_mark)
    label = "evaluation.continue" if status.open_attempt else "evaluation.start"
    return text, keyboard([button(t(lang, label), data("ev", "s", course.key))],
                          [button(t(lang, "dashboard.courses"), data("crs", "list"))])


def refusal_text(context: SinauContext, user: User, refused: EvaluationRefused) -> str:
    """Why the evaluation cannot start now."""
    lang, status = context.lang, refused.status
    if refused.reason == "unknown" or status is None:
        return t(lang, "evaluation.unknown")
    course = status.course.title.get(lang)
    if refused.reason == "lessons":
        return t(lang, "evaluation.not_ready", course=course, done=status.lessons_done,
                 total=status.lessons_total)
    if refused.reason == "passed":
        return t(lang, "evaluation.already_passed", course=course,
                 score=status.best_score or 0)
    assert status.retake_at is not None
    when = when_text(lang, context.services.learning.local(user, status.retake_at))
    return t(lang, "evaluation.cooldown", course=course, when=when)


def result_screen(context: SinauContext, user: User, result: EvaluationResult) -> Screen:
    """The score, pass or fail, and what to do next."""
    lang, course = context.lang, result.course
    title = course.title.get(lang)
    if result.passed:
        lines = [t(lang, "evaluation.passed", course=title, score=result.score,
                   mark=result.pass_mark, right=result.right, total=result.total)]
        if result.first_pass:
            jp = context.services.learning.format_minutes_jp(result.minutes, lang)
            lines.append(t(lang, "evaluation.credited", jp=jp))
        return "\n".join(lines), keyboard(
            [button(t(lang, "dashboard.progress"), data("pg", "show"))],
            [button(t(lang, "dashboard.courses"), data("crs", "list"))])
    lines = [t(lang, "evaluation.failed", course=title, score=result.score,
               mark=result.pass_mark, right=result.right, total=result.total)]
    rows = []
    for key in result.missed_lessons:
        index = course.lesson_index(key)
        lesson = course.lesson(key)
        if index is None or lesson is None:
            continue
        rows.append([button(f"📖 {lesson.title.get(lang)}"[:64], data("ev", "ls", course.key,
                                                                    index))])
    if rows:
        lines.append(t(lang, "evaluation.study_again"))
    lines.append(t(lang, "evaluation.review_added"))
    if result.retake_at is not None:
        when = when_text(lang, context.services.learning.local(user, result.retake_at))
        lines.append(t(lang, "evaluation.retake_at", when=when))
    rows.append([button(t(lang, "evaluation.review_now"), data("rv", "go"))])
    return "\n".join(lines), keyboard(*rows)


async def send_result(context: SinauContext, chat_id: int, user: User,
                      result: EvaluationResult) -> None:
    """The result, then the certificate (or the one question it still waits for)."""
    await send_screen(context.bot, chat_id, result_screen(context, user, result))
    if result.certificate is not None:
        await send_certificate(context, chat_id, result.certificate)
    elif result.first_pass:
        await ask_for_certificate(context, chat_id, user)


async def deliver_waiting(context: SinauContext, chat_id: int, user: User, *,
                          ask_next: bool) -> None:
    """After the name or the NIP was given: send the certificates that waited for it; with
    ``ask_next``, ask for what the others still wait for (the NIP after the name)."""
    learning = context.services.learning
    issued = await learning.issue_pending_certificates(user)
    for record in issued:
        await send_certificate(context, chat_id, record)
    if ask_next and not issued and await learning.pending_certificates(user):
        await ask_for_certificate(context, chat_id, user)


async def ask_for_certificate(context: SinauContext, chat_id: int, user: User) -> None:
    """A passed course's certificate waits for the name to print, then for the NIP: ask the
    first that is missing (each question's answer asks the next)."""
    fresh = await context.services.users.get(user.id) or user
    if fresh.display_name is None:
        await send_screen(context.bot, chat_id, name_question(context.lang, fresh))
    elif fresh.nip is None:
        await context.services.onboarding.ask_nip(fresh)
        await send_screen(context.bot, chat_id, nip_question(context.lang))


async def on_callback(update: Update, context: SinauContext) -> None:
    """The ``ev:`` buttons."""
    query = update.callback_query
    user = await onboarded(update, context)
    if query is None or user is None or not isinstance(query.message, Message):
        return
    press, lang = parse(query.data, "ev"), context.lang
    learning, now = context.services.learning, context.services.clock.now()
    chat_id, message_id = query.message.chat.id, query.message.message_id
    if press is None:
        await expired(query, lang, now=now)
        return
    if press.action == "s":
        # Always inline buttons: the options' places are the attempt's own (balanced) order.
        show = as_new_message(context.bot, chat_id, lambda view: question_message(lang, view))
        wrapped = AnswerFirst(query, show, now)
        started = await learning.start_evaluation(user, press.args[0], wrapped)
        if isinstance(started, EvaluationRefused):
            await wrapped.settle(lang, ok=True)
            await context.bot.send_message(chat_id, refusal_text(context, user, started))
        return
    if press.action == "ls":
        course = learning.catalogue.course(press.args[0])
        index = press.number(1)
        if course is None or index >= len(course.lessons):
            await expired(query, lang, now=now)
            return
        await query.answer()
        await learning.open_lesson(user, course.key, course.lessons[index].key,
                                   as_new_message(context.bot, chat_id,
                                                  lambda view: lesson_card(lang, view)))
        return
    answered = await learning.answer_evaluation(user, chat_id, message_id, press.number(0),
                                                press.number(1))
    if answered is None:
        await expired(query, lang, now=now)
        return
    await query.answer()
    if answered.next_view is not None:
        await edit(query, *question_message(lang, answered.next_view))
        return
    assert answered.result is not None
    await edit(query, t(lang, "evaluation.done", course=answered.result.course.title.get(lang)),
               None)
    await send_result(context, chat_id, user, answered.result)
