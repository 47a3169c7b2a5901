"""/courses and /learn: choosing a course, paging through lesson cards (crs:*, ls:*, learn:go).

The course list shows eight courses a page (bot.handlers.paging): ``crs:list:<page>`` turns
the page in place, ``crs:back:<page>`` goes back from a course to the page it is on.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.handlers.discussion import lesson_thread_note
from bot.handlers.evaluation import offer as evaluation_offer
from bot.handlers.paging import page_of, paged, shows
from bot.handlers.quiz import presenter
from bot.handlers.render import (
    AnswerFirst,
    as_new_message,
    bar,
    button,
    edit,
    expired,
    keyboard,
    lesson_card,
    onboarded,
    send_screen,
)
from bot.i18n import t
from bot.learning.evaluation import EvaluationStatus
from bot.storage.users import User


async def _course_list(context: SinauContext, user: User,
                       page: int = 0) -> tuple[str, InlineKeyboardMarkup]:
    """One page of the courses: each with the learner's progress, and a button to open it."""
    lang, learning = context.lang, context.services.learning
    current = learning.current_course_key(user)
    courses = await learning.course_list(user)
    rows = [[button(f"{number}. {item.course.title.get(lang)}",
                    data("crs", "pick", item.course.key))]
            for number, item in enumerate(courses, start=1)]
    shown = paged(rows, page, lambda n: data("crs", "list", n), lang)
    lines = [t(lang, "learn.courses_title")]
    for item in shown.of(courses):
        marker = "✅" if item.complete else ("▶" if item.course.key == current else "•")
        lines.append(t(lang, "learn.course_line", marker=marker, title=item.course.title.get(lang),
                       bar=bar(item.done, item.total), done=item.done, total=item.total))
    return shown.with_note("\n\n".join(lines), lang), keyboard(*shown.rows)


def _page_of_course(context: SinauContext, key: str) -> int:
    """The course list page a course is on (the list is in catalogue order)."""
    keys = [course.key for course in context.services.catalogue]
    return page_of(keys.index(key)) if key in keys else 0


async def courses_command(update: Update, context: SinauContext) -> None:
    """List the courses with the learner's progress in each."""
    user = await onboarded(update, context)
    if user is None or update.effective_chat is None:
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    text, markup = await _course_list(context, user)
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


async def on_course_callback(update: Update, context: SinauContext) -> None:
    """crs:list (new message), crs:list:<page> (that page, in place of the list),
    crs:back[:<page>] (edit to the list), crs:pick:<key> (make current, in place of the list),
    crs:open:<key> (make current, as a new message: the message with the button, e.g. a
    broadcast lesson, stays as it was)."""
    query = update.callback_query
    user = await onboarded(update, context)
    if query is None or user is None:
        return
    press, lang = parse(query.data, "crs"), context.lang
    now = context.services.clock.now()
    if press is None:
        await expired(query, lang, now=now)
    elif press.action == "list" and not press.args:
        await courses_command(update, context)
    elif press.action in ("list", "back"):
        if not shows(query, "crs:"):
            await expired(query, lang, now=now)  # page data forged onto another message
            return
        await query.answer()
        await edit(query, *await _course_list(context, user, press.number(0) if press.args
                                              else 0))
    else:
        chosen = await context.services.learning.choose_course(user, press.arg(0))
        if chosen is None:
            await expired(query, lang, now=now)
            return
        await query.answer()
        course = chosen.course
        lines = [t(lang, "learn.course_detail", title=course.title.get(lang),
                   description=course.description.get(lang), bar=bar(chosen.done, chosen.total),
                   done=chosen.done, total=chosen.total, minutes=course.minutes),
                 t(lang, "learn.course_complete" if chosen.complete else "learn.course_current")]
        first = [] if chosen.complete else [button(t(lang, "dashboard.learn"),
                                                   data("learn", "go"))]
        if press.action == "open":
            await context.bot.send_message(user.id, "\n\n".join(lines), reply_markup=keyboard(
                first, [button(t(lang, "dashboard.courses"), data("crs", "list"))]))
            return
        back = data("crs", "back", _page_of_course(context, course.key))
        await edit(query, "\n\n".join(lines), keyboard(first, [button(t(lang, "learn.back"),
                                                                    back)]))


async def learn_command(update: Update, context: SinauContext) -> None:
    """Open the next lesson of the current course (/learn and the learn:go button)."""
    user = await onboarded(update, context)
    if user is None:
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    await open_next(update, context, user)


async def open_next(update: Update, context: SinauContext, user: User) -> None:
    """Send the card of the learner's next lesson to the current chat (its query answered)."""
    if update.effective_chat is None:
        return
    chat_id, lang = update.effective_chat.id, context.lang
    show = as_new_message(context.bot, chat_id, lambda view: lesson_card(lang, view))
    step = await context.services.learning.next_step(user, show)
    if isinstance(step, EvaluationStatus):
        await send_screen(context.bot, chat_id, evaluation_offer(lang, step))
    elif step is None:
        await context.bot.send_message(chat_id, t(lang, "learn.all_done"))


async def on_lesson_callback(update: Update, context: SinauContext) -> None:
    """ls:n:<card> next card; ls:q:<card> the quiz; ls:d:<card> the discussion (each of the
    pressed message, shown at that card)."""
    query = update.callback_query
    user = await onboarded(update, context)
    if query is None or user is None or not isinstance(query.message, Message):
        return
    press, lang, learning = parse(query.data, "ls"), context.lang, context.services.learning
    chat_id, message_id = query.message.chat.id, query.message.message_id
    now = context.services.clock.now()
    if press is None:
        await expired(query, lang, now=now)
    elif press.action == "n":
        view = await learning.turn_card(user, chat_id, message_id, press.number(0))
        if view is None:
            await expired(query, lang, now=now)
            return
        await query.answer()
        await edit(query, *lesson_card(lang, view))
    elif press.action == "q":
        show = AnswerFirst(query, presenter(context, chat_id), now)
        question = await learning.start_quiz(user, chat_id, message_id, press.number(0), show)
        await show.settle(lang, ok=question is not None)
    else:
        shown = await learning.lesson_on(user, chat_id, message_id)
        if shown is None or shown.lesson.discussion is None:
            await expired(query, lang, now=now)
            return
        await query.answer()
        # Group discussions: open (or reuse) the lesson's thread in the cohort group, link it.
        where = await lesson_thread_note(context, user.id, shown.course, shown.lesson)
        prompt = t(lang, "learn.discussion_prompt", prompt=shown.lesson.discussion.get(lang))
        await context.bot.send_message(chat_id, f"{prompt}\n\n{where}")
