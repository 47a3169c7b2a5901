"""/stats (figures, who is behind, charts; ``ts:``) and /export (XLSX + CSV; ``ex:``).

Both show per-person data (names, progress, NIPs), so they answer only a trainer in the
private chat: in a group the bot answers in one line where to ask (a press: an alert only the
presser sees), and nothing else. /stats sends the cohort's report, then (when anyone is
behind schedule) the paged list of who is (``ts:b:<id>:<page>``), then a chart. /export's menu
lists the cohorts (a cohort's progress sheet, ``ex:c:<id>``) and ends with the reports of
bot.handlers.siasn (progress, SIASN riwayat kursus, JP per person) for all learners, a unit or
a cohort. Every cohort is re-checked against what the presser may see
(``CohortService.may_see``), on every press.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Update,
)

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.handlers import siasn
from bot.handlers.auth import require_role
from bot.handlers.cohorts import show_menu
from bot.handlers.discussion import stats_line as discussion_stats_line
from bot.handlers.paging import page_count, paged, shows
from bot.handlers.render import button
from bot.i18n import SafeHtml, label
from bot.learning.jp import format_decimal
from bot.storage.training import Cohort
from bot.training import charts, export
from bot.training.stats import CohortStats, Straggler

#: Members behind schedule on one page of their list.
BEHIND_PAGE = 15
_LIMIT = 4000


def _percent(value: float, lang: str) -> str:
    return format_decimal(Decimal(str(round(value, 1))), lang)


def _fit(text: str) -> SafeHtml:
    """Cut a pathological report at a line, within Telegram's 4096 characters."""
    return SafeHtml(text if len(text) <= _LIMIT else text[:_LIMIT - 10].rsplit("\n", 1)[0]
                    + "\n…")


#: Courses listed one per line in /stats (the rest are counted; the chart shows them all), so
#: the report fits a phone screen.
COURSE_LINES = 4


def render_stats(context: SinauContext, cohort: Cohort, stats: CohortStats) -> SafeHtml:
    """The /stats message of one cohort."""
    lang = context.lang
    courses = "\n".join(
        context.t("reports.course_deadline" if c.deadline else "reports.course_line",
                  title=c.course.title.get(lang), done=c.lessons_done,
                  total=c.lessons_possible, percent=f"{c.percent:.0f}", passed=c.passed,
                  members=c.members,
                  deadline=c.deadline.strftime("%d-%m-%Y") if c.deadline else "")
        for c in stats.courses[:COURSE_LINES]
    )
    if len(stats.courses) > COURSE_LINES:   # the chart below shows every course
        courses += "\n" + context.t("reports.more_courses",
                                    count=len(stats.courses) - COURSE_LINES)
    hardest = "\n".join(
        context.t("stats.hard_line", n=n, question=h.question.question.get(lang)[:120],
                  percent=f"{h.percent:.0f}", answers=h.answers)
        for n, h in enumerate(stats.hardest, start=1)
    )
    people = len({s.user_id for s in stats.behind})
    behind = (context.t("reports.behind_count", count=people) if people
              else context.t("reports.behind_none" if stats.deadlines
                             else "reports.behind_no_deadline"))
    none = context.t("stats.none")
    return _fit(context.t(
        "reports.report",
        name=cohort.name,
        members=stats.members,
        active=stats.active_7d,
        accuracy=none if stats.accuracy is None else f"{_percent(stats.accuracy, lang)}%",
        year=stats.year,
        jp=format_decimal(stats.jp_total, lang),
        target=stats.jp_target,
        reached=stats.reached_target,
        courses=SafeHtml(courses or none),
        done=stats.lessons_done,
        total=stats.lessons_possible,
        percent=f"{stats.percent:.0f}",
        behind=behind,
        min=stats.min_answers,
        hardest=SafeHtml(hardest or context.t("reports.hard_none", min=stats.min_answers)),
    ))


def render_behind(context: SinauContext, cohort: Cohort, behind: list[Straggler],
                  page: int) -> tuple[SafeHtml, list[list[InlineKeyboardButton]]]:
    """One page of the members behind schedule, with its « / › buttons."""
    lang = context.lang
    pages = page_count(len(behind), BEHIND_PAGE)
    number = min(max(page, 0), pages - 1)
    lines = "\n".join(
        context.t("reports.behind_overdue" if s.overdue else "reports.behind_line",
                  member=s.name, course=s.course.title.get(lang), done=s.lessons_done,
                  total=s.lessons_total, deadline=s.deadline.strftime("%d-%m-%Y"))
        for s in behind[number * BEHIND_PAGE:(number + 1) * BEHIND_PAGE]
    )
    title = context.t("reports.behind_title", name=cohort.name,
                      count=len({s.user_id for s in behind}))
    note = f"\n\n{context.t('paging.page', page=number + 1, pages=pages)}" if pages > 1 else ""
    nav = []
    if number > 0:
        nav.append(button(label(lang, "paging.previous"), data("ts", "b", cohort.id,
                                                               number - 1)))
    if number < pages - 1:
        nav.append(button(label(lang, "paging.next"), data("ts", "b", cohort.id, number + 1)))
    return _fit(f"{title}\n{lines}{note}"), [nav] if nav else []


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == "private"


async def _refuse_outside_private(update: Update, context: SinauContext) -> None:
    """Reports hold personal data: say, in one line, to ask in the private chat; send nothing
    else."""
    query = update.callback_query
    if query is not None:
        await query.answer(context.label("reports.private_alert"), show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(
            context.t("reports.private_only", bot=context.bot.username or ""),
            link_preview_options=LinkPreviewOptions(is_disabled=True))


def _staff_id(update: Update) -> int:
    user = update.effective_user
    assert user is not None  # require_role let the update through
    return user.id


async def _pick(update: Update, context: SinauContext, area: str, title_key: str,
                page: int = 0) -> None:
    """A page of the cohorts this staff member may see (``<area>:l:<page>`` turns it)."""
    cohorts = await context.services.training.cohorts.visible_to(_staff_id(update))
    if not cohorts:
        await show_menu(update, context.t("stats.no_cohorts"), [])
        return
    rows = [[InlineKeyboardButton(f"{c.name} · {c.members} 👥",
                                  callback_data=data(area, "c", c.id))]
            for c in cohorts]
    shown = paged(rows, page, lambda n: data(area, "l", n), context.lang)
    await show_menu(update, SafeHtml(shown.with_note(context.t(title_key), context.lang)),
                    shown.rows)


async def _turned_page(update: Update, context: SinauContext, area: str,
                       title_key: str) -> bool:
    """``<area>:l:<page>``: show that page of the cohort picker; False for any other press."""
    query = update.callback_query
    press = parse(query.data if query is not None else None, area)
    if query is None or press is None or press.action != "l":
        return False
    await query.answer()
    await _pick(update, context, area, title_key, press.number(0))
    return True


async def _visible(update: Update, context: SinauContext, cohort_id: int) -> Cohort | None:
    """The cohort, if it exists and this staff member may see it."""
    cohorts = context.services.training.cohorts
    if not await cohorts.may_see(_staff_id(update), cohort_id):
        return None
    return await cohorts.get(cohort_id)


async def _cohort_from_args(update: Update, context: SinauContext) -> Cohort | None:
    args = list(context.args or [])
    if len(args) == 1 and args[0].isdigit():
        return await _visible(update, context, int(args[0]))
    return None


async def _completion_chart(context: SinauContext, cohort: Cohort, stats: CohortStats
                            ) -> bytes:
    return await asyncio.to_thread(
        charts.completion_chart,
        [c.course.title.get(context.lang) for c in stats.courses],
        [c.percent for c in stats.courses],
        title=context.t("reports.chart", name=cohort.name),
        axis=context.t("reports.axis"),
    )


async def _send_stats(update: Update, context: SinauContext, cohort: Cohort) -> None:
    stats = await context.services.training.stats.cohort_stats(cohort.id)
    text = render_stats(context, cohort, stats)
    # Group discussions (bot/discussion): the members' replies and best answers.
    text = _fit(f"{text}\n\n{await discussion_stats_line(context, cohort.id)}")
    await show_menu(update, text, [])
    chat = update.effective_chat
    assert chat is not None
    if stats.behind:
        page, rows = render_behind(context, cohort, stats.behind, 0)
        await context.bot.send_message(chat.id, page,
                                       reply_markup=InlineKeyboardMarkup(rows) if rows else None)
    png = await _completion_chart(context, cohort, stats)
    await _send_photo(update, context, png, "completion.png",
                      [[InlineKeyboardButton(context.t("stats.btn_weekly"),
                                             callback_data=data("ts", "w", cohort.id))]])


async def _send_photo(update: Update, context: SinauContext, png: bytes, name: str,
                      rows: list[list[InlineKeyboardButton]]) -> None:
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_photo(chat.id, InputFile(png, filename=name),
                                 reply_markup=InlineKeyboardMarkup(rows))


async def _pressed_cohort(
    update: Update, query: CallbackQuery, context: SinauContext, actions: tuple[str, ...]
) -> tuple[str, int, Cohort] | None:
    """Parse ``<area>:<action>:<cohort id>[:<n>]`` and answer the press; None (answered) if
    stale or not the presser's to see."""
    press = parse(query.data)
    cohort = (await _visible(update, context, press.number(0))
              if press is not None and press.action in actions else None)
    if press is None or cohort is None:
        await query.answer(context.t("common.expired_button"))
        return None
    await query.answer()
    return press.action, press.number(1) if len(press) > 1 else 0, cohort


@require_role("trainer")
async def stats_command(update: Update, context: SinauContext) -> None:
    """/stats [cohort id]: a cohort's figures, who is behind, a chart (private chat only)."""
    if not _private(update):
        await _refuse_outside_private(update, context)
        return
    cohort = await _cohort_from_args(update, context)
    if cohort is None:
        await _pick(update, context, "ts", "stats.pick")
        return
    await _send_stats(update, context, cohort)


@require_role("trainer")
async def on_stats_button(update: Update, context: SinauContext) -> None:
    """``ts:c`` stats, ``ts:b`` a page of who is behind, ``ts:w`` / ``ts:p`` a chart."""
    query = update.callback_query
    if query is None:
        return
    if not _private(update):
        await _refuse_outside_private(update, context)
        return
    if await _turned_page(update, context, "ts", "stats.pick"):
        return
    if (query.data or "").startswith("ts:b:") and not shows(query, "ts:b:"):
        # A page press turns only the list it is on.
        await query.answer(context.t("common.expired_button"))
        return
    pressed = await _pressed_cohort(update, query, context, ("c", "w", "p", "b"))
    if pressed is None:
        return
    action, page, cohort = pressed
    training = context.services.training
    if action == "c":
        await _send_stats(update, context, cohort)
        return
    if action == "b":
        text, rows = render_behind(context, cohort,
                                   await training.stats.stragglers(cohort.id), page)
        await show_menu(update, text, rows)
        return
    if action == "p":
        png = await _completion_chart(context, cohort,
                                      await training.stats.cohort_stats(cohort.id))
        other = ("stats.btn_weekly", data("ts", "w", cohort.id))
    else:
        weekly = await training.stats.weekly(cohort.id)
        png = await asyncio.to_thread(
            charts.weekly_chart,
            [f"{d.day}/{d.month}" for d in weekly.mondays],
            weekly.active,
            title=context.t("stats.chart_weekly", name=cohort.name),
            axis=context.t("stats.axis_members"),
        )
        other = ("stats.btn_completion", data("ts", "p", cohort.id))
    await _send_photo(update, context, png, "chart.png",
                      [[InlineKeyboardButton(context.t(other[0]), callback_data=other[1])]])


async def _send_export(update: Update, context: SinauContext, cohort: Cohort) -> None:
    training = context.services.training
    rows = await training.stats.progress_rows(cohort.id)
    today = training.stats.today()
    xlsx = await asyncio.to_thread(export.to_xlsx, rows, title=cohort.name)
    csv_bytes = export.to_csv(rows)
    chat = update.effective_chat
    assert chat is not None
    stem = f"sinau-kelompok-{cohort.id}-{today.isoformat()}"
    await context.bot.send_document(
        chat.id, InputFile(xlsx, filename=f"{stem}.xlsx"),
        caption=context.t("export.caption_xlsx", name=cohort.name, date=today.isoformat()),
    )
    await context.bot.send_document(
        chat.id, InputFile(csv_bytes, filename=f"{stem}.csv"),
        caption=context.t("export.caption_csv", name=cohort.name, date=today.isoformat()),
    )


async def _export_menu(update: Update, context: SinauContext, page: int = 0) -> None:
    """A page of the cohorts (their progress sheets), then the reports (for all learners, a
    unit or a cohort)."""
    cohorts = await context.services.training.cohorts.visible_to(_staff_id(update))
    rows = [[InlineKeyboardButton(f"{c.name} · {c.members} 👥",
                                  callback_data=data("ex", "c", c.id))]
            for c in cohorts]
    shown = paged(rows, page, lambda n: data("ex", "l", n), context.lang)
    text = context.t("reports.menu" if cohorts else "reports.menu_empty")
    await show_menu(update, SafeHtml(shown.with_note(text, context.lang)),
                    [*shown.rows, *siasn.report_buttons(context)])


@require_role("trainer")
async def export_command(update: Update, context: SinauContext) -> None:
    """/export [cohort id]: progress, SIASN and JP reports as XLSX and CSV (private chat)."""
    if not _private(update):
        await _refuse_outside_private(update, context)
        return
    cohort = await _cohort_from_args(update, context)
    if cohort is None:
        await _export_menu(update, context)
        return
    await _send_export(update, context, cohort)


@require_role("trainer")
async def on_export_button(update: Update, context: SinauContext) -> None:
    """``ex:c:<id>`` exports a cohort, ``ex:l:<page>`` turns the menu; the rest: siasn."""
    query = update.callback_query
    if query is None:
        return
    if not _private(update):
        await _refuse_outside_private(update, context)
        return
    press = parse(query.data, "ex")
    if press is not None and press.action in siasn.ACTIONS:
        await siasn.on_press(update, context, press)
        return
    if press is not None and press.action == "l":
        await query.answer()
        await _export_menu(update, context, press.number(0))
        return
    pressed = await _pressed_cohort(update, query, context, ("c",))
    if pressed is None:
        return
    _, _, cohort = pressed
    await _send_export(update, context, cohort)
