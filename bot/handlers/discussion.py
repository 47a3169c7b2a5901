"""Discussion commands: /discuss, /threads, /summary, /best, /close and the ``ds:`` buttons."""

from __future__ import annotations

import html
from datetime import datetime

from telegram import Message, Update

from bot.buttons import parse
from bot.content.models import Course, Lesson
from bot.context import SinauContext
from bot.discussion.prompts import lesson_opening
from bot.discussion.threads import link_of
from bot.handlers import discussion_groups as groups
from bot.handlers.discussion_groups import is_manager, port, register, throttled, topic_of
from bot.i18n import SafeHtml, t
from bot.storage.discussion import Thread

_MAX_LISTED = 10


def _when(context: SinauContext, moment: datetime) -> str:
    return moment.astimezone(context.services.settings.zone).strftime("%d.%m %H:%M")


async def _answer(context: SinauContext, message: Message, text: str) -> None:
    """Reply in the same place (topic or reply chain), through the group limiter."""
    await port(context).send(message.chat_id, text, topic_id=topic_of(message),
                             reply_to=message.message_id)


async def _group_lang(context: SinauContext, chat_id: int) -> str:
    return await context.services.discussion.threads.group_language(chat_id)


async def _thread_here(context: SinauContext, message: Message) -> Thread | None:
    """The thread a command was sent in: its forum topic, or the message it replies to."""
    reply = message.reply_to_message
    return await context.services.discussion.threads.find(
        message.chat_id, topic_id=topic_of(message), is_topic=bool(message.is_topic_message),
        reply_to=reply.message_id if reply is not None else None,
    )


async def _group_command(update: Update, context: SinauContext) -> tuple[Message, str] | None:
    """Common start of group commands: registered group, not throttled; (message, lang)."""
    message, sender = update.effective_message, update.effective_user
    if message is None or sender is None:
        return None
    if await register(update, context) is None:
        await message.reply_text(context.t("discussion.only_in_group"))
        return None
    lang = await _group_lang(context, message.chat_id)
    if await throttled(update, context, lang):
        return None
    return message, lang


async def discuss(update: Update, context: SinauContext) -> None:
    """/discuss <title>: open a thread (a forum topic, or an anchor message to reply to)."""
    started = await _group_command(update, context)
    if started is None:
        return
    message, lang = started
    sender = update.effective_user
    assert sender is not None
    ds = context.services.discussion
    group = await ds.threads.group(message.chat_id)
    assert group is not None
    if group.who_may_open == "trainers" and not await is_manager(
        context, message.chat_id, sender.id
    ):
        await _answer(context, message, t(lang, "discussion.trainers_open_only"))
        return
    title = " ".join(context.args or [])
    if not title.strip():
        await _answer(context, message, t(lang, "discussion.discuss_usage"))
        return
    chat = await ds.threads.chat(message.chat_id)
    assert chat is not None
    name = context.user.name if context.user else sender.first_name
    how = t(lang, "discussion.how_topic" if chat.is_forum else "discussion.how_reply")
    opening = t(lang, "discussion.opening", title=" ".join(title.split())[:100], name=name,
                how=how)
    result = await ds.threads.open_thread(port(context), chat, title=title, opening_text=opening,
                                          opened_by=sender.id)
    if result.status == "no_topic_right":
        await _answer(context, message, t(lang, "discussion.no_topic_right"))
    elif result.status == "failed":
        await _answer(context, message, t(lang, "discussion.open_failed"))


async def threads(update: Update, context: SinauContext) -> None:
    """/threads: the group's open threads with reply counts, last activity and links."""
    started = await _group_command(update, context)
    if started is None:
        return
    message, lang = started
    ds = context.services.discussion
    rows, count = await ds.threads.open_threads(message.chat_id, _MAX_LISTED)
    if not rows:
        await _answer(context, message, t(lang, "discussion.no_threads"))
        return
    lines = [t(lang, "discussion.threads_title", count=count)]
    for row in rows:
        link = link_of(row.thread)
        title: str | SafeHtml = row.thread.title
        if link is not None:
            title = SafeHtml(f'<a href="{link}">{html.escape(row.thread.title, quote=False)}</a>')
        lines.append(t(lang, "discussion.threads_row", title=title, replies=row.replies,
                       when=_when(context, row.thread.last_activity_at)))
    if any(link_of(row.thread) is None for row in rows):
        lines.append(t(lang, "discussion.threads_no_links"))
    await _answer(context, message, "\n".join(lines))


async def summary(update: Update, context: SinauContext) -> None:
    """/summary in a thread: replies, participants, top contributors, languages, activity."""
    started = await _group_command(update, context)
    if started is None:
        return
    message, _ = started
    ds = context.services.discussion
    thread = await _thread_here(context, message)
    if thread is None:
        await _answer(context, message, t(started[1], "discussion.not_in_thread"))
        return
    lang = await ds.threads.thread_language(thread)
    s = await ds.threads.summary(thread)
    top = ", ".join(f"{c.name} ({c.posts})" for c in s.top) or "—"
    languages = ", ".join(f"{k} {v}" for k, v in sorted(s.languages.items(),
                                                        key=lambda kv: (-kv[1], kv[0]))) or "—"
    lines = [t(lang, "discussion.summary", title=thread.title, replies=s.replies,
               participants=s.participants, top=top, languages=languages,
               when=_when(context, s.last_activity))]
    if s.best_by is not None:
        lines.append(t(lang, "discussion.summary_best", name=s.best_by))
    if not thread.is_open:
        lines.append(t(lang, "discussion.summary_closed"))
    await _answer(context, message, "\n".join(lines))


async def _manager_command(
    update: Update, context: SinauContext
) -> tuple[Message, str] | None:
    """``_group_command`` for commands only trainers and group admins may use."""
    started = await _group_command(update, context)
    if started is None:
        return None
    message, lang = started
    sender = update.effective_user
    assert sender is not None
    if not await is_manager(context, message.chat_id, sender.id):
        await _answer(context, message, t(lang, "discussion.managers_only"))
        return None
    return started


async def best(update: Update, context: SinauContext) -> None:
    """/best as a reply to a post: a trainer marks it as the thread's best answer."""
    started = await _manager_command(update, context)
    if started is None:
        return
    message, lang = started
    target = message.reply_to_message
    thread = await _thread_here(context, message) if target is not None else None
    if target is None or thread is None:
        await _answer(context, message, t(lang, "discussion.best_usage"))
        return
    ds = context.services.discussion
    post = await ds.threads.mark_best(thread, target.message_id)
    if post is None:
        await _answer(context, message, t(lang, "discussion.best_usage"))
        return
    lang = await ds.threads.thread_language(thread)
    name = await ds.threads.member_name(post.user_id)
    await port(context).send(message.chat_id, t(lang, "discussion.best_marked", name=name),
                             topic_id=topic_of(message), reply_to=target.message_id)


async def close(update: Update, context: SinauContext) -> None:
    """/close in a thread: a trainer closes it (and its forum topic)."""
    started = await _manager_command(update, context)
    if started is None:
        return
    message, lang = started
    ds = context.services.discussion
    thread = await _thread_here(context, message)
    if thread is None:
        await _answer(context, message, t(lang, "discussion.not_in_thread"))
        return
    if not thread.is_open:
        await _answer(context, message, t(lang, "discussion.already_closed"))
        return
    lang = await ds.threads.thread_language(thread)
    replies, participants = await ds.threads.post_counts(thread)
    text = t(lang, "discussion.closed", replies=replies, participants=participants)
    await ds.threads.close(port(context), thread, text)


async def callback(update: Update, context: SinauContext) -> None:
    """Presses on ``ds:`` buttons: the group settings menu."""
    query = update.callback_query
    if query is None:
        return
    press = parse(query.data, "ds")
    if press is None:
        await query.answer(context.t("common.expired_button"))
        return
    await groups.settings_pressed(update, context, press.action, press.arg(0))


async def lesson_thread_note(context: SinauContext, user_id: int, course: Course,
                             lesson: Lesson) -> SafeHtml:
    """Open (or reuse) the lesson's thread in the learner's cohort group; say where it is."""
    ds = context.services.discussion
    found = await ds.prompts.lesson_thread(port(context), user_id, course.key, lesson.key,
                                           lesson_opening)
    chat = await ds.threads.chat(found.chat_id) if found.chat_id else None
    group = chat.title if chat and chat.title else ""
    if found.status in ("opened", "reused") and found.link:
        text = context.t("discussion.lesson_link", link=found.link, group=group)
    elif found.status in ("opened", "reused"):
        text = context.t("discussion.lesson_anchor", group=group,
                         title=lesson.title.get(context.lang))
    elif found.status == "no_topic_right":
        text = context.t("discussion.lesson_no_right", group=group)
    elif found.status == "no_group":
        text = context.t("discussion.lesson_no_group")
    else:
        text = context.t("discussion.open_failed")
    if found.closed:
        text = SafeHtml(f"{text}\n{context.t('discussion.lesson_closed')}")
    return text


async def progress_line(context: SinauContext, user_id: int) -> SafeHtml | None:
    """The learner's discussion numbers for /progress; None before they took part."""
    numbers = await context.services.discussion.participation.of_member(user_id)
    if not (numbers.posts or numbers.threads_opened):
        return None
    return context.t("discussion.progress", posts=numbers.posts, threads=numbers.threads_joined,
                     opened=numbers.threads_opened, best=numbers.best_answers)


async def stats_line(context: SinauContext, cohort_id: int) -> SafeHtml:
    """The cohort's discussion figures for the trainer's /stats."""
    n = await context.services.discussion.participation.of_cohort(cohort_id)
    return context.t("discussion.stats", posts=n.posts, posters=n.posters, best=n.best_answers,
                     threads=n.threads, open=n.open_threads)
