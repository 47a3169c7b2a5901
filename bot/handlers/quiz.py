"""Lesson quizzes: inline-keyboard questions (qz:*) or native quiz polls (poll_answer)."""

from __future__ import annotations

from telegram import InputPollOption, Poll, Update

from bot.context import SinauContext
from bot.handlers.progress import send_certificate
from bot.handlers.render import (
    answered_message,
    button,
    edit,
    expired,
    int_args,
    keyboard,
    onboarded,
    question_message,
    review_idle_text,
)
from bot.i18n import t
from bot.learning import quiz as rules
from bot.learning.views import AnswerOutcome, LessonFinished, QuestionView, ReviewIdle
from bot.storage.users import User


def poll_mode(context: SinauContext) -> bool:
    """True when quizzes are native Telegram quiz polls."""
    return context.services.settings.learning.quiz_mode == "poll"


async def send_question(context: SinauContext, chat_id: int, user: User,
                        view: QuestionView) -> None:
    """Send a quiz or review question as a new message (or poll) and remember it."""
    lang, learning = context.lang, context.services.learning
    if not poll_mode(context):
        text, markup = question_message(lang, view)
        sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
        await learning.attach(view.session_id, chat_id, sent.message_id)
        return
    question = view.question
    if view.kind == "review":
        heading = f"🔁 {question.question.get(lang)}"
    else:
        heading = f"{view.position + 1}/{view.total} · {question.question.get(lang)}"
    # Plain text on purpose: parse modes are switched off so '&' or '<' need no escaping.
    sent = await context.bot.send_poll(
        chat_id,
        rules.clip(heading, rules.POLL_QUESTION_MAX),
        [InputPollOption(rules.clip(o.get(lang), rules.POLL_OPTION_MAX), text_parse_mode=None)
         for o in question.options],
        is_anonymous=False,
        type=Poll.QUIZ,
        correct_option_ids=[question.correct],
        explanation=rules.poll_explanation(question.explanation.get(lang)),
        explanation_parse_mode=None,
        question_parse_mode=None,
        # PTB adds the default parse_mode to every send, but sendPoll has no such parameter.
        api_kwargs={"parse_mode": None},
    )
    assert sent.poll is not None
    await learning.attach_poll(view, user, sent.poll.id, chat_id, sent.message_id)


async def send_finished(context: SinauContext, chat_id: int, user: User,
                        finished: LessonFinished) -> None:
    """The end of a lesson quiz: score, minutes, what next, and a certificate if earned."""
    lang = context.lang
    if finished.completed_now:
        lines = [t(lang, "learn.lesson_done", title=finished.lesson.title.get(lang),
                   right=finished.right, total=finished.total, minutes=finished.minutes)]
    else:
        lines = [t(lang, "learn.practice_done", right=finished.right, total=finished.total)]
    if finished.course_done and finished.completed_now:
        lines.append(t(lang, "learn.course_done", course=finished.course.title.get(lang)))
    first = (button(t(lang, "learn.next_lesson"), "learn:go") if finished.next_lesson
             else button(t(lang, "dashboard.courses"), "crs:list"))
    markup = keyboard([first, button(t(lang, "dashboard.progress"), "pg:show")])
    await context.bot.send_message(chat_id, "\n".join(lines), reply_markup=markup)
    if finished.certificate is not None:
        await send_certificate(context, chat_id, finished.certificate)


async def on_callback(update: Update, context: SinauContext) -> None:
    """qz:a:<session>:<position>:<option> answers; qz:n:<session>:<position> moves on."""
    query = update.callback_query
    user = await onboarded(update, context)
    if query is None or user is None or query.message is None:
        return
    data = query.data or ""
    learning, lang = context.services.learning, context.lang
    message_id = query.message.message_id
    if data.startswith("qz:a:") and (args := int_args(data, 3)) and data.count(":") == 4:
        outcome = await learning.answer(user, args[0], args[1], args[2], message_id)
        if outcome is None:
            await expired(query, lang)
            return
        await query.answer()
        await show_answer(context, query, outcome)
        if outcome.finished is not None:
            await send_finished(context, query.message.chat.id, user, outcome.finished)
    elif data.startswith("qz:n:") and (args := int_args(data, 2)) and data.count(":") == 3:
        view = await learning.next_question(user, args[0], args[1], message_id)
        if view is None:
            await expired(query, lang)
            return
        await query.answer()
        await edit(query, *question_message(lang, view))
    else:
        await expired(query, lang)


async def show_answer(context: SinauContext, query: object, outcome: AnswerOutcome) -> None:
    """Edit a question message to show the result, with the button that moves on."""
    view, lang = outcome.view, context.lang
    if view.kind == "review":
        next_button = button(t(lang, "review.next"), f"rv:n:{view.session_id}")
    elif not view.is_last:
        next_button = button(t(lang, "quiz.next"), f"qz:n:{view.session_id}:{view.position}")
    else:
        next_button = None
    await edit(query, *answered_message(lang, view, outcome.chosen, outcome.correct,  # type: ignore[arg-type]
                                        outcome.scored, next_button))


async def on_poll_answer(update: Update, context: SinauContext) -> None:
    """A vote in one of our quiz polls: grade it, then send what comes next."""
    answer, user = update.poll_answer, context.user
    if answer is None or user is None or answer.user is None or answer.user.id != user.id:
        return
    learning = context.services.learning
    outcome = await learning.answer_poll(user, answer.poll_id, list(answer.option_ids))
    if outcome is None:
        return
    chat_id = outcome.chat_id or user.id
    view = outcome.view
    if view.kind == "review":
        follow = await learning.next_review(user, view.session_id, outcome.message_id)
        if follow is not None:
            await send_review_next(context, chat_id, user, follow, after_review=True)
    elif outcome.finished is not None:
        await send_finished(context, chat_id, user, outcome.finished)
    else:
        nxt = await learning.next_question(user, view.session_id, view.position,
                                           outcome.message_id)
        if nxt is not None:
            await send_question(context, chat_id, user, nxt)


async def send_review_next(context: SinauContext, chat_id: int, user: User,
                           follow: QuestionView | ReviewIdle, *, after_review: bool) -> None:
    """Send the next due review question, or say when the next one falls due."""
    if isinstance(follow, QuestionView):
        await send_question(context, chat_id, user, follow)
    else:
        text = review_idle_text(context, user, follow, after_review=after_review)
        await context.bot.send_message(chat_id, text)
