"""The one place where handlers are registered. Order matters: read the group comments."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)

from bot.handlers import (
    common,
    discussion,
    discussion_groups,
    errors,
    evaluation,
    flood,
    lessons,
    middleware,
    migration,
    nudges,
    onboarding,
    privacy,
    progress,
    quiz,
    review,
    settings,
)
from bot.handlers import trainer as trainer_tools
from bot.handlers.menus import COMMANDS, GROUP_COMMANDS

__all__ = ["COMMANDS", "GROUP_COMMANDS", "register"]


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add every handler to ``app`` in the order they must run."""
    # Group -2: inbound flood control, before any bookkeeping or database work. Updates are
    # counted as they arrive; one over its sender's budget gets at most one "slow down" note,
    # then ApplicationHandlerStop ends it here.
    flood.install(app)

    # Group -1: bookkeeping every update passes through first (who, which language, clock).
    # It never answers, so the feature handlers in group 0 still see the update.
    app.add_handler(TypeHandler(Update, middleware.track), group=-1)

    # Group 0: features. The first matching handler wins.
    # First of all: a group upgraded to a supergroup (the migrate_to / migrate_from service
    # messages). Its cohort link, settings and pending broadcasts follow it to the new chat id
    # before any feature writes to that group again.
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migration.on_migrate))
    # /start also takes the deep links: a cohort invite (c_...), a trainer invite (t_...) and
    # a certificate's verification (v_..., its QR code), answered without onboarding anyone.
    app.add_handlers(
        [
            CommandHandler("start", onboarding.start),
            CommandHandler("help", common.help_command),
        ]
    )

    # Learner journey (bot/learning): commands in private chats, and the buttons of the
    # onboarding, dashboard, course, lesson, quiz, review, progress and settings messages.
    # Every button handler re-checks the presser and the state; `nz:` belongs to the nudges.
    private = filters.ChatType.PRIVATE
    app.add_handlers(
        [
            CommandHandler("learn", lessons.learn_command, filters=private),
            CommandHandler("courses", lessons.courses_command, filters=private),
            CommandHandler("review", review.review_command, filters=private),
            CommandHandler("progress", progress.progress_command, filters=private),
            CommandHandler("settings", settings.settings_command, filters=private),
            CommandHandler("privacy", privacy.privacy_command),
            # Personal data rights: a JSON copy, erasure behind a `pv:` confirmation button.
            # Any chat, so a group gets "use a private chat" instead of silence.
            CommandHandler("mydata", privacy.mydata_command),
            CommandHandler("deleteme", privacy.deleteme_command),
            CallbackQueryHandler(privacy.on_callback, pattern=r"^pv:"),
            CommandHandler("verify", progress.verify_command),
            CallbackQueryHandler(onboarding.on_callback, pattern=r"^ob:"),
            CallbackQueryHandler(lessons.learn_command, pattern=r"^learn:go$"),
            CallbackQueryHandler(lessons.on_course_callback, pattern=r"^crs:"),
            CallbackQueryHandler(lessons.on_lesson_callback, pattern=r"^ls:"),
            CallbackQueryHandler(quiz.on_callback, pattern=r"^qz:"),
            CallbackQueryHandler(evaluation.on_callback, pattern=r"^ev:"),
            CallbackQueryHandler(review.on_callback, pattern=r"^rv:"),
            CallbackQueryHandler(progress.on_callback, pattern=r"^pg:"),
            CallbackQueryHandler(settings.on_callback, pattern=r"^st:"),
            PollAnswerHandler(quiz.on_poll_answer),
        ]
    )

    # Daily nudges (bot/scheduling): pause / stop / resume, and the `nz:` menu that
    # /settings opens (pause, days, time zone). Private chats only.
    app.add_handlers(
        [
            CommandHandler("pause", nudges.pause_command, filters=private),
            CommandHandler("stop_nudges", nudges.stop_command, filters=private),
            CommandHandler("resume", nudges.resume_command, filters=private),
            CallbackQueryHandler(nudges.on_callback, pattern=r"^nz:"),
        ]
    )

    # Trainer tools: commands and buttons, every one guarded by handlers.auth.require_role.
    app.add_handlers(trainer_tools.feature_handlers())
    # ... and an admin's /revoke_cert CODE reason (certificates; guarded the same way).
    app.add_handler(CommandHandler("revoke_cert", progress.revoke_certificate_command))

    # Group discussions (bot/discussion): the bot joining or leaving a group, the group
    # commands, and the `ds:` buttons (group settings, a lesson's discussion).
    app.add_handlers(
        [
            ChatMemberHandler(discussion_groups.bot_membership,
                              ChatMemberHandler.MY_CHAT_MEMBER),
            MessageHandler(filters.StatusUpdate.NEW_CHAT_MEMBERS, discussion_groups.bot_added),
            CommandHandler("discuss", discussion.discuss),
            CommandHandler("threads", discussion.threads),
            CommandHandler("summary", discussion.summary),
            CommandHandler("best", discussion.best),
            CommandHandler("close", discussion.close),
            CommandHandler("group_settings", discussion_groups.group_settings),
            CallbackQueryHandler(discussion.callback, pattern=r"^ds:"),
        ]
    )

    # Still group 0, last: a command nobody handled, in a private chat, gets a hint.
    app.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, common.unknown_command)
    )
    # ... any other message in a private chat goes to the one router that knows what waits
    # for it (a trainer's open question, a course pack, a typed onboarding or settings
    # answer) and otherwise gives a short pointer to the buttons, not silence. Edits and
    # service messages don't count.
    app.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
                       & ~filters.COMMAND & ~filters.StatusUpdate.ALL, common.private_message)
    )
    # ... and a button press no pattern above claims (forged data, a retired button) is
    # answered "expired", so every callback query gets its one answer.
    app.add_handler(CallbackQueryHandler(common.unknown_button))

    # Group 1: members' messages in groups are counted when they belong to a discussion
    # thread. Its own later group, so it never swallows a command or another handler's text.
    app.add_handler(
        MessageHandler(filters.ChatType.GROUPS & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
                       discussion_groups.track_post),
        group=1,
    )

    app.add_error_handler(errors.on_error)
