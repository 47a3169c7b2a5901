"""Lesson quizzes: inline-keyboard questions (qz:*) or native quiz polls (poll_answer)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal, cast

from telegram import (
    CallbackQuery,
    InlineKeyboardMarkup,
    InputPollOption,
    Message,
    Poll,
    Update,
)

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.handlers.evaluation import offer as evaluation_offer
from bot.handlers.keyboards import time_question
from bot.handlers.render import (
    answered_message,
    button,
    edit,
    expired,
    keyboard,
    onboarded,
    question_message,
    review_idle_text,
    send_screen,
)
from bot.i18n import SafeHtml, t
from bot.learning import quiz as rules
from bot.learning.service import Shown
from bot.learning.views import AnswerOutcome, LessonFinished, QuestionView, ReviewIdle
from bot.storage.users import User

Presenter = Callable[[QuestionView], Awaitable[Shown]]
# A poll's option index as python-telegram-bot types it (Telegram allows 12 options).
PollOption = Literal[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]


def poll_mode(context: SinauContext) -> bool:
    """True when quizzes are native Telegram quiz polls."""
    return context.services.settings.learning.quiz_mode == "poll"


def presenter(context: SinauContext, chat_id: int) -> Presenter:
    """Shows a question as a new message (inline buttons) or a native quiz poll."""
    lang = context.lang

    async def show(view: QuestionView) -> Shown:
        if not poll_mode(context):
            text, markup = question_message(lang, view)
            sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
            return Shown(chat_id, sent.message_id)
        question = view.question
        if view.kind == "review":
            heading = f"🔁 {question.question.get(lang)}"
        else:
            heading = f"{view.position + 1}/{view.total} · {question.question.get(lang)}"
        # Plain text on purpose: parse modes are switched off so '&' or '<' need no escaping.
        sent = await context.bot.send_poll(
            chat_id,
            rules.clip(heading, rules.POLL_QUESTION_MAX),
            [InputPollOption(rules.clip(o.get(lang), rules.POLL_OPTION_MAX),
                             text_parse_mode=None)
             for o in question.options],
            is_anonymous=False,
            type=Poll.QUIZ,
            # Telegram shows the options in its own random order per voter; votes still
            # name an option by its place in this list, which is its id in the pack.
            shuffle_options=True,
            # Course packs allow at most 10 options, so the index is always in range.
            correct_option_ids=[cast(PollOption, question.correct)],
            explanation=rules.poll_explanation(question.explanation.get(lang)),
            explanation_parse_mode=None,
            question_parse_mode=None,
            # PTB adds the default parse_mode to every send, but sendPoll has no such parameter.
            api_kwargs={"parse_mode": None},
        )
        assert sent.poll is not None
        return Shown(chat_id, sent.message_id, sent.poll.id)

    return show


def in_place(context: SinauContext, query: CallbackQuery) -> Presenter:
    """Shows a question by editing the pressed message (an inline review moving on)."""

    async def show(view: QuestionView) -> Shown:
        assert isinstance(query.message, Message)
        await edit(query, *question_message(context.lang, view))
        return Shown(query.message.chat.id, query.message.message_id)

    return show


async def send_finished(context: SinauContext, chat_id: int, finished: LessonFinished) -> None:
    """The end of a lesson quiz: score, minutes, what next, and a certificate if earned."""
    lang = context.lang
    if finished.completed_now:
        lines = [t(lang, "learn.lesson_done", title=finished.lesson.title.get(lang),
                   right=finished.right, total=finished.total, minutes=finished.minutes)]
    else:
        lines = [t(lang, "learn.practice_done", right=finished.right, total=finished.total)]
    first = (button(t(lang, "learn.next_lesson"), data("learn", "go")) if finished.next_lesson
             else button(t(lang, "dashboard.courses"), data("crs", "list")))
    markup: InlineKeyboardMarkup | None = keyboard(
        [first, button(t(lang, "dashboard.progress"), data("pg", "show"))])
    user = context.user
    if finished.course_done and finished.completed_now and user is not None:
        # Every lesson done: the course counts once its final evaluation is passed.
        status = await context.services.learning.evaluation_status(user, finished.course)
        if not status.passed:
            text, markup = evaluation_offer(lang, status)
            lines.append(SafeHtml(text))
    await context.bot.send_message(chat_id, "\n".join(lines), reply_markup=markup)
    await ask_when_it_matters(context, chat_id, finished)


async def ask_when_it_matters(context: SinauContext, chat_id: int,
                              finished: LessonFinished) -> None:
    """Learn first, ask later: after the first lesson, the reminder time (once, skippable).
    The certificate's name and NIP are asked when a course is passed (bot.handlers.evaluation)."""
    user = context.user
    if user is None or not finished.completed_now:
        return
    if await context.services.onboarding.claim(user, "time"):
        await send_screen(context.bot, chat_id, time_question(context, user))


async def on_callback(update: Update, context: SinauContext) -> None:
    """qz:a:<position>:<option> answers; qz:n:<position> moves on (on the pressed message)."""
    query = update.callback_query
    user = await onboarded(update, context)
    if query is None or user is None or not isinstance(query.message, Message):
        return
    press, lang = parse(query.data, "qz"), context.lang
    learning = context.services.learning
    chat_id, message_id = query.message.chat.id, query.message.message_id
    if press is None:
        await expired(query, lang, now=context.services.clock.now())
    elif press.action == "a":
        outcome = await learning.answer(user, chat_id, message_id, press.number(0),
                                        press.number(1))
        if outcome is None:
            await expired(query, lang, now=context.services.clock.now())
            return
        await query.answer()
        await show_answer(context, query, outcome)
        if outcome.finished is not None:
            await send_finished(context, chat_id, outcome.finished)
    else:
        view = await learning.next_question(user, chat_id, message_id, press.number(0))
        if view is None:
            await expired(query, lang, now=context.services.clock.now())
            return
        await query.answer()
        await edit(query, *question_message(lang, view))


async def show_answer(context: SinauContext, query: CallbackQuery,
                      outcome: AnswerOutcome) -> None:
    """Edit a question message to show the result, with the button that moves on."""
    view, lang = outcome.view, context.lang
    if view.kind == "review":
        next_button = button(t(lang, "review.next"), data("rv", "n"))
    elif not view.is_last:
        next_button = button(t(lang, "quiz.next"), data("qz", "n", view.position))
    else:
        next_button = None
    await edit(query, *answered_message(lang, view, outcome.chosen, outcome.correct,
                                        outcome.scored, next_button))


async def on_poll_answer(update: Update, context: SinauContext) -> None:
    """A vote in one of our quiz polls: grade it, then send what comes next."""
    answer, user = update.poll_answer, context.user
    if answer is None or user is None or answer.user is None or answer.user.id != user.id:
        return
    learning = context.services.learning
    outcome = await learning.answer_poll(user, answer.poll_id, list(answer.option_ids))
    if outcome is None or outcome.chat_id is None or outcome.message_id is None:
        return
    chat_id, message_id = outcome.chat_id, outcome.message_id
    view = outcome.view
    show = presenter(context, chat_id)
    if view.kind == "review":
        follow = await learning.next_review(user, chat_id, message_id, show)
        if isinstance(follow, ReviewIdle):
            await send_review_idle(context, chat_id, user, follow, after_review=True)
    elif outcome.finished is not None:
        await send_finished(context, chat_id, outcome.finished)
    else:
        await learning.next_question(user, chat_id, message_id, view.position, show)


async def send_review_idle(context: SinauContext, chat_id: int, user: User,
                           idle: ReviewIdle, *, after_review: bool) -> None:
    """Say that nothing is due (and when the next item falls due)."""
    await context.bot.send_message(chat_id, review_idle_text(context, user, idle,
                                                             after_review=after_review))
