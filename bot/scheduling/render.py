"""The nudge as the learner reads it: short, phone-friendly, in their language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from bot.delivery.models import Button, OutgoingMessage
from bot.i18n import SafeHtml, t
from bot.scheduling.deadlines import PathCourse

LEARN_NOW = "learn:go"
ZONE_LABELS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


@dataclass(frozen=True, slots=True)
class NudgeFacts:
    """What the nudge tells: the learner's next step and progress."""

    learned_today: bool
    streak: int = 0
    lesson_title: str | None = None
    lesson_minutes: int | None = None
    reviews_due: int = 0
    jp_year: Decimal = Decimal(0)
    jp_target: int = 20
    # The courses of the learner's cohort paths, for deadline reminders and path notices.
    path: tuple[PathCourse, ...] = ()


def decimal_text(value: Decimal, lang: str) -> str:
    """One decimal with the language's separator: '2,2' in Indonesian, '2.2' in English."""
    text = f"{value:.1f}"
    return text if lang == "en" else text.replace(".", ",")


def zone_label(zone: str) -> str:
    """WIB / WITA / WIT for Indonesia's zones, the IANA name otherwise."""
    return ZONE_LABELS.get(zone, zone)


def date_text(day: date, lang: str) -> str:
    """'Rabu, 11 Jun' / 'Wednesday, 11 Jun'."""
    weekdays = t(lang, "nudge.weekday_names").split("|")
    months = t(lang, "nudge.month_names").split("|")
    return t(lang, "nudge.date", weekday=weekdays[day.weekday()], day=day.day,
             month=months[day.month - 1])


def _greeting(lang: str, name: str, local: time) -> SafeHtml:
    if local.hour < 11:
        key = "nudge.greeting_morning"
    elif local.hour < 15:
        key = "nudge.greeting_day"
    elif local.hour < 18:
        key = "nudge.greeting_afternoon"
    else:
        key = "nudge.greeting_evening"
    return t(lang, key, name=name)


def nudge_message(
    chat_id: int,
    lang: str,
    name: str,
    facts: NudgeFacts,
    local_now: datetime,
    *,
    backoff_gap: int | None = None,
    notices: Sequence[SafeHtml] = (),
) -> OutgoingMessage:
    """The daily nudge: the deadline reminders and path notices of the day (``notices``), what
    is next, reviews, streak, JP, and a button that starts it."""
    lines: list[str] = [_greeting(lang, name, local_now.time()), *notices]
    if facts.lesson_title:
        lines.append(t(lang, "nudge.next_lesson", title=facts.lesson_title,
                       minutes=facts.lesson_minutes or 0))
    elif not facts.reviews_due:
        lines.append(t(lang, "nudge.all_done"))
    if facts.reviews_due:
        lines.append(t(lang, "nudge.reviews", count=facts.reviews_due))
    if facts.streak > 0:
        lines.append(t(lang, "nudge.streak", days=facts.streak))
    lines.append(t(lang, "nudge.jp", jp=decimal_text(facts.jp_year, lang),
                   target=facts.jp_target))
    if backoff_gap:
        lines.append("")
        lines.append(t(lang, "nudge.backoff", days=backoff_gap))
    return OutgoingMessage(
        chat_id=chat_id,
        text="\n".join(lines),
        kind="nudge",
        buttons=((Button(t(lang, "nudge.button"), LEARN_NOW),),),
    )


def kept_note_message(chat_id: int, lang: str, facts: NudgeFacts,
                      notices: Sequence[SafeHtml] = ()) -> OutgoingMessage:
    """The light note for a learner who already learned today; with the day's deadline
    reminders and path notices it comes with a sound and the button that starts learning."""
    if facts.streak > 1:
        text = t(lang, "nudge.kept_streak", days=facts.streak)
    else:
        text = t(lang, "nudge.kept")
    buttons = ((Button(t(lang, "nudge.button"), LEARN_NOW),),) if notices else ()
    return OutgoingMessage(chat_id=chat_id, text="\n".join([*notices, text]), kind="nudge",
                           buttons=buttons, disable_notification=not notices)
