"""/courses and /learn: choosing a course, paging through lesson cards (crs:*, ls:*, learn:go)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.context import SinauContext
from bot.handlers.discussion import lesson_thread_note
from bot.handlers.quiz import send_question
from bot.handlers.render import (
    bar,
    button,
    edit,
    expired,
    int_args,
    keyboard,
    lesson_card,
    onboarded,
)
from bot.i18n import t
from bot.storage.users import User


async def _course_list(context: SinauContext, user: User) -> tuple[str, InlineKeyboardMarkup]:
    lang, learning = context.lang, context.services.learning
    current = await learning.current_course_key(user)
    lines = [t(lang, "learn.courses_title")]
    rows = []
    for number, item in enumerate(await learning.course_list(user), start=1):
        title = item.course.title.get(lang)
        marker = "✅" if item.complete else ("▶" if item.course.key == current else "•")
        lines.append(t(lang, "learn.course_line", marker=marker, title=title,
                       bar=bar(item.done, item.total), done=item.done, total=item.total))
        rows.append([button(f"{number}. {title}", f"crs:pick:{item.course.key}")])
    return "\n\n".join(lines), keyboard(*rows)


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
    """crs:list (new message), crs:back (edit to the list), crs:pick:<key> (make current, in
    place of the list), crs:open:<key> (make current, as a new message: the message with the
    button, e.g. a broadcast lesson, stays as it was)."""
    query = update.callback_query
    user = await onboarded(update, context)
    if query is None or user is None:
        return
    data, lang = query.data or "", context.lang
    if data == "crs:list":
        await courses_command(update, context)
    elif data == "crs:back":
        await query.answer()
        await edit(query, *await _course_list(context, user))
    elif data.startswith(("crs:pick:", "crs:open:")):
        chosen = await context.services.learning.choose_course(user, data.split(":", 2)[2])
        if chosen is None:
            await expired(query, lang)
            return
        await query.answer()
        course = chosen.course
        lines = [t(lang, "learn.course_detail", title=course.title.get(lang),
                   description=course.description.get(lang), bar=bar(chosen.done, chosen.total),
                   done=chosen.done, total=chosen.total, minutes=course.minutes),
                 t(lang, "learn.course_complete" if chosen.complete else "learn.course_current")]
        first = [] if chosen.complete else [button(t(lang, "dashboard.learn"), "learn:go")]
        if data.startswith("crs:open:"):
            await context.bot.send_message(user.id, "\n\n".join(lines), reply_markup=keyboard(
                first, [button(t(lang, "dashboard.courses"), "crs:list")]))
            return
        await edit(query, "\n\n".join(lines),
                   keyboard(first, [button(t(lang, "learn.back"), "crs:back")]))
    else:
        await expired(query, lang)


async def learn_command(update: Update, context: SinauContext) -> None:
    """Open the next lesson of the current course (/learn and the learn:go button)."""
    user = await onboarded(update, context)
    if user is None or update.effective_chat is None:
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    chat_id, lang = update.effective_chat.id, context.lang
    view = await context.services.learning.open_next_lesson(user)
    if view is None:
        await context.bot.send_message(chat_id, t(lang, "learn.all_done"))
        return
    text, markup = lesson_card(lang, view)
    sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
    await context.services.learning.attach(view.session_id, chat_id, sent.message_id)


async def on_lesson_callback(update: Update, context: SinauContext) -> None:
    """ls:n:<session>:<card> next card; ls:q:<session> quiz; ls:d:<session> discussion."""
    query = update.callback_query
    user = await onboarded(update, context)
    if query is None or user is None or query.message is None:
        return
    data, lang, learning = query.data or "", context.lang, context.services.learning
    message_id, chat_id = query.message.message_id, query.message.chat.id
    if data.startswith("ls:n:") and (args := int_args(data, 2)) and data.count(":") == 3:
        view = await learning.turn_card(user, args[0], args[1], message_id)
        if view is None:
            await expired(query, lang)
            return
        await query.answer()
        await edit(query, *lesson_card(lang, view))
    elif data.startswith("ls:q:") and (args := int_args(data, 1)) and data.count(":") == 2:
        question = await learning.start_quiz(user, args[0], message_id)
        if question is None:
            await expired(query, lang)
            return
        await query.answer()
        await send_question(context, chat_id, user, question)
    elif data.startswith("ls:d:") and (args := int_args(data, 1)) and data.count(":") == 2:
        shown = await learning.lesson_of(user, args[0])
        if shown is None or shown.lesson.discussion is None:
            await expired(query, lang)
            return
        await query.answer()
        # Group discussions: open (or reuse) the lesson's thread in the cohort group, link it.
        where = await lesson_thread_note(context, user.id, shown.course, shown.lesson)
        prompt = t(lang, "learn.discussion_prompt", prompt=shown.lesson.discussion.get(lang))
        await context.bot.send_message(chat_id, f"{prompt}\n\n{where}")
    else:
        await expired(query, lang)
