"""/review: due spaced-review items one by one (rv:go, rv:a:<session>:<option>, rv:n:<session>)."""

from __future__ import annotations

from telegram import Update

from bot.context import SinauContext
from bot.handlers.quiz import poll_mode, send_review_next, show_answer
from bot.handlers.render import (
    edit,
    expired,
    int_args,
    onboarded,
    question_message,
    review_idle_text,
)
from bot.learning.views import QuestionView


async def review_command(update: Update, context: SinauContext) -> None:
    """Serve the oldest due review item, or say when the next one falls due."""
    user = await onboarded(update, context)
    if user is None or update.effective_chat is None:
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    follow = await context.services.learning.start_review(user)
    await send_review_next(context, update.effective_chat.id, user, follow, after_review=False)


async def on_callback(update: Update, context: SinauContext) -> None:
    """Answer a review question, or move on to the next due item in the same message."""
    query = update.callback_query
    user = await onboarded(update, context)
    if query is None or user is None or query.message is None:
        return
    data, lang, learning = query.data or "", context.lang, context.services.learning
    message_id = query.message.message_id
    if data == "rv:go":
        await review_command(update, context)
    elif data.startswith("rv:a:") and (args := int_args(data, 2)) and data.count(":") == 3:
        outcome = await learning.answer(user, args[0], 0, args[1], message_id)
        if outcome is None:
            await expired(query, lang)
            return
        await query.answer()
        await show_answer(context, query, outcome)
    elif data.startswith("rv:n:") and (args := int_args(data, 1)) and data.count(":") == 2:
        follow = await learning.next_review(user, args[0], message_id)
        if follow is None:
            await expired(query, lang)
            return
        await query.answer()
        if isinstance(follow, QuestionView) and not poll_mode(context):
            # The next item takes over this message, so its buttons are only valid here.
            await learning.attach(follow.session_id, query.message.chat.id, message_id)
            await edit(query, *question_message(lang, follow))
        elif isinstance(follow, QuestionView):
            await send_review_next(context, query.message.chat.id, user, follow,
                                   after_review=True)
        else:
            await edit(query, review_idle_text(context, user, follow, after_review=True), None)
    else:
        await expired(query, lang)
