"""Rows about one person in every table that can hold a user id, written with plain SQL.

The tests use it to prove that the export and the erasure reach every such table: when a
migration adds a personal table, add a row for it here (the registry test names it).
"""

from __future__ import annotations

from datetime import datetime

from bot.storage import Database, to_epoch


async def seed_person(db: Database, uid: int, *, name: str, now: datetime,
                      group_chat_id: int = -1_000_000_000_777, trainer: bool = True) -> None:
    """Give ``uid`` a row in every personal table (a trainer who also learns and posts)."""
    t = to_epoch(now)
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO users (id, first_name, last_name, username, telegram_language,"
            " language, display_name, unit, timezone, onboarded_at, created_at, last_seen_at,"
            " nudge_time) VALUES (?, ?, 'Kusumawati', ?, 'id', 'id', ?, 'Kelurahan Petompon',"
            " 'Asia/Jakarta', ?, ?, ?, '07:30')"
            " ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name,"
            " onboarded_at = excluded.onboarded_at",
            (uid, name, f"user{uid}", f"{name} Kusumawati", t, t, t))
        await conn.execute(
            "INSERT INTO chats (id, type, title, created_at, updated_at)"
            " VALUES (?, 'private', NULL, ?, ?) ON CONFLICT DO NOTHING", (uid, t, t))
        await conn.execute(
            "INSERT INTO chats (id, type, title, created_at, updated_at)"
            " VALUES (?, 'supergroup', 'Forum Petompon', ?, ?) ON CONFLICT DO NOTHING",
            (group_chat_id, t, t))
        await conn.execute(
            "INSERT INTO lesson_progress (user_id, course_key, lesson_key, cards_done,"
            " started_at, completed_at, completed_on, minutes_credited)"
            " VALUES (?, 'seed-course', 'l1', 1, ?, ?, '2026-01-05', 7)", (uid, t, t))
        await conn.execute(
            "INSERT INTO quiz_answers (user_id, course_key, lesson_key, question_key, chosen,"
            " correct, is_first, source, answered_at)"
            " VALUES (?, 'seed-course', 'l1', 'q1', 1, 1, 1, 'lesson', ?)", (uid, t))
        await conn.execute(
            "INSERT INTO review_items (user_id, course_key, lesson_key, question_key, due_at,"
            " created_at) VALUES (?, 'seed-course', 'l1', 'q1', ?, ?)", (uid, t, t))
        await conn.execute(
            "INSERT INTO review_logs (user_id, course_key, lesson_key, question_key, kind,"
            " rating, reviewed_at) VALUES (?, 'seed-course', 'l1', 'q1', 'lesson', 3, ?)",
            (uid, t))
        await conn.execute(
            "INSERT INTO activity_days (user_id, local_date, lessons) VALUES (?, '2026-01-05', 1)",
            (uid,))
        await conn.execute(
            "INSERT INTO certificates (code, user_id, course_key, course_title, name, unit,"
            " minutes, completed_on, language, issued_at) VALUES (?, ?, 'seed-course',"
            " 'Seed Course', ?, 'Kelurahan Petompon', 7, '2026-01-05', 'id', ?)",
            (f"SNU-{uid % 10000:04d}-SEED", uid, f"{name} Kusumawati", t))
        [attempt] = await conn.returning(
            "INSERT INTO evaluation_attempts (user_id, course_key, plan, pass_mark, chat_id,"
            " message_id, started_at) VALUES (?, 'seed-course', '[]', 70, ?, 12, ?)"
            " RETURNING id", (uid, uid, t))
        await conn.execute(
            "INSERT INTO evaluation_answers (attempt_id, user_id, position, lesson_key,"
            " question_key, chosen, correct, answered_at) VALUES (?, ?, 0, 'l1', 'q1', 0, 1, ?)",
            (attempt["id"], uid, t))
        await conn.execute(
            "INSERT INTO course_results (user_id, course_key, attempts, best_score, last_at)"
            " VALUES (?, 'seed-course', 1, 80, ?)", (uid, t))
        [row] = await conn.returning(
            "INSERT INTO learning_sessions (user_id, kind, course_key, lesson_key, chat_id,"
            " message_id, created_at, updated_at) VALUES (?, 'quiz', 'seed-course', 'l1', ?,"
            " 10, ?, ?) RETURNING id", (uid, uid, t, t))
        session = row["id"]
        await conn.execute(
            "INSERT INTO quiz_polls (poll_id, session_id, user_id, position, chat_id,"
            " message_id, created_at) VALUES (?, ?, ?, 0, ?, 11, ?)",
            (f"poll-{uid}", session, uid, uid, t))
        await conn.execute(
            "INSERT INTO nudge_ledger (user_id, local_date, status, planned_at, created_at)"
            " VALUES (?, '2026-01-05', 'sent', ?, ?)", (uid, t, t))
        if trainer:
            await conn.execute(
                "INSERT INTO roles (user_id, role, granted_by, granted_at)"
                " VALUES (?, 'trainer', ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
                " role = excluded.role, granted_by = excluded.granted_by,"
                " granted_at = excluded.granted_at", (uid, uid, t))
        await conn.execute(
            "INSERT INTO trainer_invites (code, created_by, created_at, used_by, used_at)"
            " VALUES (?, ?, ?, ?, ?)", (f"inv{uid}", uid, t, uid, t))
        [cohort_row] = await conn.returning(
            "INSERT INTO cohorts (name, invite_code, created_by, group_chat_id, created_at)"
            " VALUES ('Angkatan Petompon', ?, ?, ?, ?) RETURNING id",
            (f"c_{uid % 10**10:010d}", uid, group_chat_id, t))
        cohort = cohort_row["id"]
        await conn.execute(
            "INSERT INTO cohort_members (cohort_id, user_id, joined_at) VALUES (?, ?, ?)",
            (cohort, uid, t))
        await conn.execute(
            "INSERT INTO deadline_reminders (user_id, cohort_id, course_key, kind, deadline,"
            " local_date, created_at) VALUES (?, ?, 'seed-course', 'week', '2026-01-12',"
            " '2026-01-05', ?)", (uid, cohort, t))
        await conn.execute(
            "INSERT INTO cohort_trainers (cohort_id, user_id, assigned_by, assigned_at)"
            " VALUES (?, ?, ?, ?)", (cohort, uid, uid, t))
        await conn.execute(
            "INSERT INTO user_searches (user_id, query, created_at) VALUES (?, ?, ?)",
            (uid, f"{name} {uid}", t))
        await conn.execute(
            "INSERT INTO trainer_prompts (user_id, kind, created_at)"
            " VALUES (?, 'cohort_name', ?) ON CONFLICT (user_id) DO UPDATE SET"
            " kind = excluded.kind, ref = '', created_at = excluded.created_at", (uid, t))
        [broadcast_row] = await conn.returning(
            "INSERT INTO broadcasts (created_by, audience_kind, audience_ref, content_kind,"
            " text, state, progress_chat_id, progress_message_id, created_at)"
            " VALUES (?, 'cohort', ?, 'text', 'Rapat hari Jumat', 'done', ?, 5, ?)"
            " RETURNING id", (uid, cohort, uid, t))
        broadcast = broadcast_row["id"]
        await conn.execute(
            "INSERT INTO broadcast_recipients (broadcast_id, chat_id, user_id, state,"
            " updated_at) VALUES (?, ?, ?, 'sent', ?)", (broadcast, uid, uid, t))
        await conn.execute(
            "INSERT INTO discussion_groups (chat_id, created_at, updated_at)"
            " VALUES (?, ?, ?) ON CONFLICT DO NOTHING", (group_chat_id, t, t))
        [thread_row] = await conn.returning(
            "INSERT INTO discussion_threads (chat_id, anchor_message_id, title, opened_by,"
            " created_at, last_activity_at) VALUES (?, ?, 'Pelayanan prima', ?, ?, ?)"
            " RETURNING id", (group_chat_id, uid % 100000 + 700_000, uid, t, t))
        thread = thread_row["id"]
        await conn.execute(
            "INSERT INTO discussion_posts (thread_id, chat_id, message_id, user_id,"
            " created_at) VALUES (?, ?, ?, ?, ?)",
            (thread, group_chat_id, uid % 100000 + 800_000, uid, t))
        await conn.execute(
            "INSERT INTO course_packs (course_key, content, uploaded_by, uploaded_at)"
            " VALUES (?, 'key = \"x\"', ?, ?)", (f"pack-{uid}", uid, t))
        await conn.execute(
            "INSERT INTO course_versions (course_key, version, content, state, uploaded_by,"
            " uploaded_at) VALUES (?, 1, 'key = \"x\"', 'draft', ?, ?)", (f"pack-{uid}", uid, t))
        await conn.execute(
            "INSERT INTO course_version_events (course_key, version, action, done_by, done_at)"
            " VALUES (?, 1, 'trial', ?, ?)", (f"pack-{uid}", uid, t))
        if db.dialect.name == "postgresql":
            # A cluster's shared inbox and rate-limit ledger (bot.cluster) hold chat ids too.
            await conn.execute(
                "INSERT INTO inbox (update_id, chat_id, payload, received_at)"
                " VALUES (?, ?, '{}', ?)", (uid % 1_000_000 + 5_000_000, uid, float(t)))
            await conn.execute(
                "INSERT INTO flood_sends (chat_id, released) VALUES (?, ?)", (uid, float(t)))
            await conn.execute(
                "INSERT INTO flood_chats (chat_id, tokens, stamp) VALUES (?, 1, ?)",
                (uid, float(t)))
        # nudge_schedules comes from the users trigger.
