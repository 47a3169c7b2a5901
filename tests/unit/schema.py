"""The schema every engine must reach from a blank database through all migrations."""

from __future__ import annotations

#: table -> its columns, in order. A migration that adds a table or a column updates this.
SCHEMA: dict[str, list[str]] = {
    "activity_days": ["user_id", "local_date", "lessons", "reviews"],
    "broadcast_recipients": [
        "broadcast_id", "chat_id", "user_id", "state", "message_id", "error", "updated_at",
        "held_until",
    ],
    "broadcasts": [
        "id", "created_by", "lang", "audience_kind", "audience_ref", "content_kind", "text",
        "course_key", "lesson_key", "file_id", "state", "scheduled_at", "progress_chat_id",
        "progress_message_id", "created_at", "started_at", "finished_at", "uncertain_reported",
        "urgent", "audience_course",
    ],
    "certificates": [
        "code", "user_id", "course_key", "course_title", "name", "unit", "minutes", "completed_on",
        "language", "issued_at", "nip", "score", "started_on", "issuer", "kind", "revoked_at",
        "revoked_reason", "revoked_by",
    ],
    "chat_migrations": ["old_chat_id", "new_chat_id", "migrated_at"],
    "course_packs": ["course_key", "content", "uploaded_by", "uploaded_at"],
    "course_version_events": [
        "id", "course_key", "version", "action", "cohort_id", "summary", "done_by", "done_at"
    ],
    "course_versions": [
        "id", "course_key", "version", "content", "state", "cohort_id", "summary",
        "uploaded_by", "uploaded_at"
    ],
    "chats": [
        "id", "type", "title", "is_forum", "language", "bot_status", "created_at", "updated_at"
    ],
    "cohort_courses": [
        "cohort_id", "course_key", "deadline", "position", "assigned_at", "active"
    ],
    "cohort_members": ["cohort_id", "user_id", "joined_at"],
    "cohort_trainers": ["cohort_id", "user_id", "assigned_by", "assigned_at"],
    "cohorts": [
        "id", "name", "invite_code", "created_by", "archived", "group_chat_id", "created_at"
    ],
    "deadline_reminders": [
        "user_id", "cohort_id", "course_key", "kind", "deadline", "ledger_id", "local_date",
        "created_at"
    ],
    "delivery_stats": [
        "day", "kind", "sent", "skipped", "blocked", "retried", "failed", "uncertain"
    ],
    "discussion_groups": [
        "chat_id", "who_may_open", "language", "welcome_sent_at", "created_at", "updated_at"
    ],
    "discussion_posts": [
        "id", "thread_id", "chat_id", "message_id", "user_id", "reply_to_message_id", "text",
        "language", "created_at"
    ],
    "discussion_threads": [
        "id", "chat_id", "message_thread_id", "anchor_message_id", "title", "course_key",
        "lesson_key", "opened_by", "state", "best_message_id", "created_at", "last_activity_at",
        "closed_at"
    ],
    "discussion_weekly_prompts": [
        "chat_id", "iso_week", "course_key", "lesson_key", "thread_id", "state", "claimed_at",
        "sent_at"
    ],
    "learning_sessions": [
        "id", "user_id", "kind", "course_key", "lesson_key", "question_key", "position",
        "answered", "correct", "parent_id", "chat_id", "message_id", "closed", "created_at",
        "updated_at", "seed",
    ],
    "lesson_progress": [
        "user_id", "course_key", "lesson_key", "furthest_card", "cards_done", "started_at",
        "completed_at", "completed_on", "minutes_credited"
    ],
    "nudge_ledger": [
        "id", "user_id", "local_date", "kind", "status", "reason", "message_id", "planned_at",
        "created_at", "sent_at"
    ],
    "nudge_schedules": [
        "user_id", "stopped", "paused_until", "ignored_streak", "backoff_announced",
        "last_local_date", "last_sent_date", "next_due_at", "due_local_date", "needs_plan",
        "plan_version"
    ],
    "privacy_course_totals": ["course_key", "certificates"],
    "privacy_erasures": ["month", "reason", "people"],
    "privacy_key": ["id", "secret"],
    "privacy_lesson_totals": ["course_key", "lesson_key", "completions", "minutes"],
    "privacy_question_totals": ["course_key", "lesson_key", "question_key", "answers", "correct"],
    "privacy_tombstones": ["person_hash", "erased_on", "reason"],
    "quiz_answers": [
        "id", "user_id", "course_key", "lesson_key", "question_key", "chosen", "correct",
        "is_first", "source", "answered_at"
    ],
    "quiz_polls": [
        "poll_id", "session_id", "user_id", "position", "chat_id", "message_id", "created_at"
    ],
    "review_items": [
        "user_id", "course_key", "lesson_key", "question_key", "lapses", "due_at",
        "created_at", "last_reviewed_at", "stability", "difficulty", "fsrs_state"
    ],
    "review_logs": [
        "id", "user_id", "course_key", "lesson_key", "question_key", "kind", "rating",
        "reviewed_at", "elapsed_days", "retrievability", "stability", "difficulty", "fsrs_state",
        "due_at", "retention"
    ],
    "roles": ["user_id", "role", "granted_by", "granted_at"],
    "trainer_invites": ["code", "created_by", "created_at", "used_by", "used_at"],
    "trainer_prompts": ["user_id", "kind", "ref", "created_at"],
    "user_searches": ["id", "user_id", "query", "created_at"],
    "users": [
        "id", "first_name", "last_name", "username", "telegram_language", "language",
        "display_name", "unit", "timezone", "start_payload", "onboarding_step", "onboarded_at",
        "is_active", "created_at", "last_seen_at", "current_course", "nudge_time", "nudge_days",
        "desired_retention", "asked", "nip", "jabatan", "institution",
    ],
    "course_results": [
        "user_id", "course_key", "attempts", "best_score", "last_at", "passed_at", "passed_on",
        "started_on", "minutes",
    ],
    "evaluation_answers": [
        "attempt_id", "user_id", "position", "lesson_key", "question_key", "chosen", "correct",
        "answered_at",
    ],
    "evaluation_attempts": [
        "id", "user_id", "course_key", "plan", "pass_mark", "position", "answered", "correct",
        "chat_id", "message_id", "started_at", "finished_at", "score", "passed",
    ],
}

# Tables only the PostgreSQL engine has: what several workers share (bot.storage.cluster).
POSTGRES_ONLY: dict[str, list[str]] = {
    "flood_chats": ["chat_id", "tokens", "stamp"],
    "flood_clock": ["id", "next_at", "pruned_at"],
    "flood_sends": ["id", "chat_id", "is_group", "released", "answered"],
    "inbox": ["update_id", "chat_id", "payload", "received_at", "attempts", "handled_at"],
}
