"""/review: due spaced-review items one by one (rv:go, rv:a:<option>, rv:n)."""

from __future__ import annotations

from telegram import Message, Update

from bot.buttons import parse
from bot.context import SinauContext
from bot.handlers.quiz import in_place, poll_mode, presenter, send_review_idle, show_answer
from bot.handlers.render import AnswerFirst, edit, expired, onboarded, review_idle_text
from bot.learning.views import ReviewIdle


async def review_command(update: Update, context: SinauContext) -> None:
    """Serve the oldest due review item, or say when the next one falls due."""
    user = await onboarded(update, context)
    if user is None or update.effective_chat is None:
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    chat_id = update.effective_chat.id
    follow = await context.services.learning.start_review(user, presenter(context, chat_id))
    if isinstance(follow, ReviewIdle):
        await send_review_idle(context, chat_id, user, follow, after_review=False)


async def on_callback(update: Update, context: SinauContext) -> None:
    """Answer a review question, or move on to the next due item in the same message."""
    query = update.callback_query
    user = await onboarded(update, context)
    if query is None or user is None or not isinstance(query.message, Message):
        return
    press, lang, learning = parse(query.data, "rv"), context.lang, context.services.learning
    chat_id, message_id = query.message.chat.id, query.message.message_id
    if press is None:
        await expired(query, lang)
    elif press.action == "go":
        await review_command(update, context)
    elif press.action == "a":
        outcome = await learning.answer(user, chat_id, message_id, 0, press.number(0))
        if outcome is None:
            await expired(query, lang)
            return
        await query.answer()
        await show_answer(context, query, outcome)
    else:
        # The next item takes over this message (inline), or comes as a new poll.
        show = AnswerFirst(query, presenter(context, chat_id) if poll_mode(context)
                           else in_place(context, query))
        follow = await learning.next_review(user, chat_id, message_id, show)
        await show.settle(lang, ok=follow is not None)
        if isinstance(follow, ReviewIdle):
            await edit(query, review_idle_text(context, user, follow, after_review=True), None)
