"""Text and keyboards of the learner journey, built from the catalogues and service results."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden

from bot.buttons import data
from bot.content.render import render_markdown, split_html, visible_length
from bot.i18n import SafeHtml, label, t
from bot.learning import review as review_rules
from bot.learning.certificates import format_long_date
from bot.learning.jp import format_decimal
from bot.learning.path import Programme, deadline_text
from bot.learning.quiz import letter
from bot.learning.service import Shown
from bot.learning.views import LearnerSnapshot, LessonView, QuestionView, Recall, ReviewIdle

MESSAGE_LIMIT = 4096
BAR_WIDTH = 10

Row = Sequence[InlineKeyboardButton]


def button(text: str, data: str) -> InlineKeyboardButton:
    """An inline button with callback data (at most 64 bytes, checked here)."""
    if len(data.encode()) > 64:
        raise ValueError(f"callback data too long: {data!r}")
    return InlineKeyboardButton(text, callback_data=data)


def keyboard(*rows: Row) -> InlineKeyboardMarkup:
    """An inline keyboard of the non-empty rows."""
    return InlineKeyboardMarkup([list(row) for row in rows if row])


Screen = tuple[str, InlineKeyboardMarkup | None]


async def send_screen(bot: Any, chat_id: int, screen: Screen) -> Message:
    """Send a screen (text and its buttons) as a new message."""
    text, markup = screen
    sent: Message = await bot.send_message(chat_id, text, reply_markup=markup)
    return sent


def as_new_message(bot: Any, chat_id: int,
                   screen_of: Callable[[Any], Screen]) -> Callable[[Any], Awaitable[Shown]]:
    """A presenter that sends each view as a new message (``screen_of`` renders it)."""

    async def show(view: Any) -> Shown:
        sent = await send_screen(bot, chat_id, screen_of(view))
        return Shown(chat_id, sent.message_id)

    return show


def esc(text: str) -> str:
    """Plain text made safe for HTML."""
    return html.escape(text, quote=False)


def bar(done: int, total: int) -> str:
    """A text progress bar, e.g. '▰▰▰▱▱▱▱▱▱▱'."""
    filled = 0 if total <= 0 else min(BAR_WIDTH, round(BAR_WIDTH * done / total))
    return "▰" * filled + "▱" * (BAR_WIDTH - filled)


def percent(right: int, total: int) -> int:
    """right/total as a whole percentage, rounded half up."""
    value = Decimal(100 * right) / Decimal(total)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def jp_text(value: Decimal, lang: str) -> str:
    """A JP value with one decimal in the language's style."""
    return format_decimal(value, lang)


def when_text(lang: str, moment: datetime) -> str:
    """A local moment as '3 Maret 2026 pukul 00:00'."""
    return t(lang, "review.when", date=format_long_date(moment.date(), lang),
             time=moment.strftime("%H:%M"))


def fit(text: str) -> str:
    """Guard the 4096 limit: content is validated far below it, so this only trims a margin."""
    if visible_length(text) <= MESSAGE_LIMIT:
        return text
    return split_html(text, MESSAGE_LIMIT - 1)[0] + "…"


# --------------------------------------------------------------------------- dashboard


def dashboard(lang: str, name: str, snap: LearnerSnapshot) -> tuple[str, InlineKeyboardMarkup]:
    """The learner's home screen: what is next, reviews due, streak and JP."""
    lines = [t(lang, "dashboard.greeting", name=name), ""]
    if snap.lesson_title is not None and snap.course_title is not None:
        lines.append(t(lang, "dashboard.next", lesson=snap.lesson_title.get(lang),
                       minutes=snap.lesson_minutes, course=snap.course_title.get(lang)))
    else:
        lines.append(t(lang, "dashboard.all_done"))
    if snap.programmes and snap.today is not None:
        lines.extend(["", *programme_lines(lang, snap.programmes, snap.today), ""])
    lines.append(t(lang, "dashboard.reviews", count=snap.reviews_due))
    lines.append(t(lang, "dashboard.streak", days=snap.streak))
    lines.append(t(lang, "dashboard.jp", jp=jp_text(snap.jp_year, lang), target=snap.jp_target))
    markup = keyboard(
        [button(t(lang, "dashboard.learn"), data("learn", "go"))],
        [button(t(lang, "dashboard.courses"), data("crs", "list")),
         button(t(lang, "dashboard.review"), data("rv", "go")),
         button(t(lang, "dashboard.progress"), data("pg", "show"))],
    )
    return "\n".join(lines), markup


#: Cohorts and courses per cohort the dashboard and /progress list (the rest are counted), so a
#: learner in many cohorts still gets a message that fits a phone screen.
PROGRAMMES_SHOWN: Final = 3
STEPS_SHOWN: Final = 6


def programme_lines(lang: str, programmes: Sequence[Programme], today: date) -> list[str]:
    """Each of the learner's cohorts by name with its path: every course's progress and
    deadline (on the learner's local ``today``), the one /learn continues marked."""
    lines: list[str] = []
    for programme in programmes[:PROGRAMMES_SHOWN]:
        lines.append(t(lang, "path.programme", cohort=programme.name))
        following = programme.next_step
        for step in programme.steps[:STEPS_SHOWN]:
            title = step.progress.course.title.get(lang)
            if step.passed:
                lines.append(t(lang, "path.step_passed", title=title))
                continue
            marker = t(lang, "path.marker_next" if step is following else "path.marker_todo")
            done, total = step.progress.done, step.progress.total
            lines.append(
                t(lang, "path.step_deadline", marker=marker, title=title, done=done,
                  total=total, deadline=deadline_text(lang, step.deadline, today))
                if step.deadline is not None else
                t(lang, "path.step", marker=marker, title=title, done=done, total=total))
        if len(programme.steps) > STEPS_SHOWN:
            lines.append(t(lang, "path.more_courses",
                           count=len(programme.steps) - STEPS_SHOWN))
    if len(programmes) > PROGRAMMES_SHOWN:
        lines.append(t(lang, "path.more_cohorts", count=len(programmes) - PROGRAMMES_SHOWN))
    return lines


# --------------------------------------------------------------------------- lessons


def lesson_card(lang: str, view: LessonView) -> tuple[str, InlineKeyboardMarkup]:
    """One card of a lesson with its paging or quiz/discussion buttons."""
    header = t(lang, "learn.card_header", title=view.lesson.title.get(lang), card=view.card + 1,
               cards=view.cards)
    body = render_markdown(view.lesson.cards[view.card].get(lang))
    if view.last:
        row = [button(t(lang, "learn.quiz"), data("ls", "q", view.card))]
        if view.lesson.discussion is not None:
            row.append(button(t(lang, "learn.discussion"), data("ls", "d", view.card)))
    else:
        row = [button(t(lang, "learn.next"), data("ls", "n", view.card))]
    return fit(f"{header}\n\n{body}"), keyboard(row)


# --------------------------------------------------------------------------- questions


def question_body(lang: str, view: QuestionView, due: int | None = None) -> str:
    """Header, question and lettered options."""
    if view.kind == "review":
        header = t(lang, "review.header", title=view.lesson.title.get(lang),
                   count=due if due is not None else view.total)
        if view.recall is not None:
            header = SafeHtml(f"{header}\n{recall_line(lang, view.recall)}")
    elif view.kind == "evaluation":
        header = t(lang, "evaluation.header", course=view.course.title.get(lang),
                   number=view.position + 1, total=view.total)
    else:
        header = t(lang, "quiz.header", title=view.lesson.title.get(lang),
                   number=view.position + 1, total=view.total)
    options = "\n".join(f"{letter(place)}. {esc(view.question.options[option].get(lang))}"
                        for place, option in enumerate(view.shown))
    return fit(f"{header}\n\n{esc(view.question.question.get(lang))}\n\n{options}")


def question_message(lang: str, view: QuestionView) -> tuple[str, InlineKeyboardMarkup]:
    """An inline-keyboard question: option letters in one row, in the order shown; each
    button names its option's id, so the answer does not depend on where it stood."""
    shown = enumerate(view.shown)
    if view.kind == "review":
        row = [button(letter(place), data("rv", "a", option)) for place, option in shown]
    elif view.kind == "evaluation":
        row = [button(letter(place), data("ev", "a", view.position, option))
               for place, option in shown]
    else:
        row = [button(letter(place), data("qz", "a", view.position, option))
               for place, option in shown]
    return question_body(lang, view), keyboard(row)


def answered_message(lang: str, view: QuestionView, chosen: int, correct: bool, scored: bool,
                     next_button: InlineKeyboardButton | None) -> tuple[str, Any]:
    """The question after an answer: right/wrong, the correct option, the explanation."""
    question = view.question
    lines = [question_body(lang, view), ""]
    if correct:
        lines.append(t(lang, "quiz.right"))
    else:
        places = view.shown
        answer = f"{letter(places.index(question.correct))}. {question.correct_option.get(lang)}"
        lines.append(t(lang, "quiz.wrong", answer=answer))
        lines.append(t(lang, "quiz.chosen", letter=letter(places.index(chosen))))
    lines.append(f"<i>{esc(question.explanation.get(lang))}</i>")
    if view.kind == "quiz" and not scored:
        lines.append(t(lang, "quiz.practice"))
    markup = keyboard([next_button]) if next_button is not None else None
    return fit("\n".join(lines)), markup


def recall_line(lang: str, recall: Recall) -> str:
    """'🧠 Ingatan Anda untuk <course>: ±86 %' (the mean FSRS retrievability, rounded)."""
    return t(lang, "review.recall", course=recall.course.title.get(lang),
             percent=review_rules.percent(recall.value))


def review_idle_text(context: Any, user: Any, idle: ReviewIdle, *, after_review: bool) -> str:
    """'Nothing due, next: <local date and time>' (or 'done for now' after reviewing), or that
    today's review limit is reached; then the predicted recall of the current course."""
    lang = context.lang
    if idle.next_due is None:
        text = t(lang, "review.done_empty" if after_review else "review.nothing_yet")
    else:
        when = when_text(lang, context.services.learning.local(user, idle.next_due))
        if idle.limit is not None:
            text = t(lang, "review.limit_reached", limit=idle.limit, waiting=idle.waiting,
                     when=when)
        else:
            text = t(lang, "review.done" if after_review else "review.nothing_due", when=when)
    if idle.recall is not None:
        text = SafeHtml(f"{text}\n{recall_line(lang, idle.recall)}")
    return text


# --------------------------------------------------------------------------- edits

_TAG = re.compile(r"<[^<>]*>")


def plain(text: str) -> str:
    """What Telegram shows for HTML ``text`` (tags dropped, entities decoded, trimmed)."""
    return html.unescape(_TAG.sub("", text)).strip()


def _same(message: Message | None, text: str, markup: InlineKeyboardMarkup | None) -> bool:
    if message is None:
        return False
    current = message.reply_markup.to_dict() if message.reply_markup else None
    wanted = markup.to_dict() if markup is not None and markup.inline_keyboard else None
    return (message.text or "").strip() == plain(text) and current == wanted


async def edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit the pressed message, unless the edit would not change it (Telegram refuses those)."""
    message = query.message if isinstance(query.message, Message) else None
    if _same(message, text, markup):
        return
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


def safe(text: str) -> SafeHtml:
    """Mark already-built HTML as safe to pass into ``t()``."""
    return SafeHtml(text)


# --------------------------------------------------------------------------- callbacks


class AnswerFirst:
    """Wraps a presenter so the press is answered right before the view is shown.

    A press gets exactly one answer: ``settle`` answers it afterwards when nothing was shown
    (with the "expired" note when the press led nowhere).
    """

    def __init__(self, query: CallbackQuery, show: Callable[[Any], Awaitable[Any]],
                 now: datetime | None = None) -> None:
        self._query = query
        self._show = show
        self._now = now  # for ``expired``: when the press arrived
        self.answered = False

    async def __call__(self, view: Any) -> Any:
        await self._query.answer()
        self.answered = True
        return await self._show(view)

    async def settle(self, lang: str, *, ok: bool) -> None:
        """Answer the press if the presenter did not run."""
        if self.answered:
            return
        if ok:
            await self._query.answer()
        else:
            await expired(self._query, lang, now=self._now)


#: An expired press on a message nobody touched for this long gets the way back in place of
#: the message's buttons (``expired``).
STALE_AFTER: Final = timedelta(minutes=30)


def way_back(lang: str) -> InlineKeyboardMarkup:
    """The row that gets a learner back on track: continue learning, or the dashboard."""
    return keyboard([button(label(lang, "common.way_back_learn"), data("learn", "go")),
                     button(label(lang, "common.way_back_home"), data("pg", "home"))])


async def expired(query: CallbackQuery, lang: str, *, now: datetime | None = None) -> None:
    """Answer a stale, foreign or forged press: a toast that says where to go (/learn).

    A toast cannot carry a button, so in the presser's own private chat the pressed message's
    buttons become the way back (``way_back``: its text stays) — but only when they are
    surely a finished flow: the pressed data is really one of the message's buttons (forged
    data never touches a live quiz or lesson), and the message was neither sent nor edited
    for ``STALE_AFTER``. The age rule is what keeps a message in use: a double tap's second
    press carries the message as it was before the first press edited it, so without it the
    fresh buttons the first press just showed would be replaced. ``now`` is the bot's clock;
    without it only the toast is given. Nothing new is sent, and nothing at all happens in
    groups, where the buttons belong to everyone.
    """
    await query.answer(t(lang, "common.expired_button"))
    if now is None or not _finished(query, now):
        return
    # Already the way back, deleted, or the chat is gone: the toast said it all.
    with contextlib.suppress(BadRequest, Forbidden):
        # PTB adds the default parse_mode to every request; editMessageReplyMarkup has none.
        await query.edit_message_reply_markup(way_back(lang), api_kwargs={"parse_mode": None})


def _finished(query: CallbackQuery, now: datetime) -> bool:
    """True when the pressed message is a bot message of a finished flow (see ``expired``)."""
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return False
    if message.chat.type != message.chat.PRIVATE or message.chat.id != query.from_user.id:
        return False
    pressed = [b.callback_data for row in message.reply_markup.inline_keyboard for b in row]
    if query.data not in pressed:
        return False
    touched = message.edit_date or message.date
    return now - touched >= STALE_AFTER


async def onboarded(update: Any, context: Any) -> Any:
    """The learner, onboarded now if they were not yet.

    Learn first, ask later: a learner command or button does its job at any point of
    onboarding. Using it accepts the privacy notice the welcome shows, which one line says
    (with the default reminder time). None only when there is no learner (e.g. a bot).
    """
    user = context.user
    if user is None:
        if update.callback_query is not None:
            await update.callback_query.answer()
        return None
    if user.onboarded:
        return user
    chat = update.effective_chat
    if chat is None or chat.type != "private" or chat.id != user.id:
        # Starting happens in one's own private chat: never by a press in a group, nor by
        # a press on a message in someone else's chat.
        hint = t(context.lang, "onboarding.private_first")
        if update.callback_query is not None:
            await update.callback_query.answer(hint)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(hint)
        return None
    accepted = await context.services.onboarding.accept(user, context.lang)
    context.user = accepted.user
    default = context.services.settings.learning.default_nudge_time
    line = t(context.lang, "onboarding.implicit", time=f"{default:%H:%M}")
    if accepted.joined is not None:
        joined = accepted.joined
        name = joined.cohort.name if joined.cohort else ""
        said = t(context.lang, f"cohort.join_{joined.outcome}", name=name)
        line = SafeHtml(f"{line}\n{said}")
    await context.bot.send_message(chat.id, line)
    return accepted.user
