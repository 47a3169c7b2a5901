"""/stats (figures and charts, ``ts:``) and /export (XLSX + CSV for the BKPSDM, ``ex:``).

/export's menu lists the cohorts (a cohort's progress sheet, ``ex:c:<id>``) and ends with the
HR reports of bot.handlers.siasn (SIASN riwayat kursus, JP per person). Every export holds
personal data, so /export and its buttons work in the private chat only.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.handlers import siasn
from bot.handlers.auth import require_role
from bot.handlers.cohorts import show_menu
from bot.handlers.discussion import stats_line as discussion_stats_line
from bot.handlers.paging import paged
from bot.i18n import SafeHtml
from bot.learning.jp import format_decimal
from bot.storage.training import Cohort
from bot.training import charts, export
from bot.training.stats import CohortStats


def _percent(value: float, lang: str) -> str:
    return format_decimal(Decimal(str(round(value, 1))), lang)


def render_stats(context: SinauContext, cohort: Cohort, stats: CohortStats) -> SafeHtml:
    """The /stats message of one cohort."""
    lang = context.lang
    courses = "\n".join(
        context.t("stats.course_line", title=c.course.title.get(lang), done=c.completed,
                  members=c.members, percent=f"{c.percent:.0f}")
        for c in stats.courses
    )
    hardest = "\n".join(
        context.t("stats.hard_line", n=n, question=h.question.question.get(lang)[:120],
                  percent=f"{h.percent:.0f}", answers=h.answers)
        for n, h in enumerate(stats.hardest, start=1)
    )
    none = context.t("stats.none")
    text = context.t(
        "stats.report",
        name=cohort.name,
        members=stats.members,
        active=stats.active_7d,
        accuracy=none if stats.accuracy is None else f"{_percent(stats.accuracy, lang)}%",
        year=stats.year,
        jp=format_decimal(stats.jp_total, lang),
        target=stats.jp_target,
        reached=stats.reached_target,
        courses=SafeHtml(courses or none),
        hardest=SafeHtml(hardest or none),
    )
    # Nine courses and five questions fit easily; a pathological catalogue is cut, not refused.
    return text if len(text) <= 4000 else SafeHtml(text[:3990].rsplit("\n", 1)[0] + "\n…")


async def _pick(update: Update, context: SinauContext, area: str, title_key: str,
                page: int = 0) -> None:
    """A page of the cohorts to choose from (``<area>:l:<page>`` turns it)."""
    cohorts = await context.services.training.cohorts.all()
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


async def _cohort_from_args(context: SinauContext) -> Cohort | None:
    args = list(context.args or [])
    if len(args) == 1 and args[0].isdigit():
        return await context.services.training.cohorts.get(int(args[0]))
    return None


async def _send_stats(update: Update, context: SinauContext, cohort: Cohort) -> None:
    stats = await context.services.training.stats.cohort_stats(cohort.id)
    text = render_stats(context, cohort, stats)
    # Group discussions (bot/discussion): the members' replies and best answers.
    text = SafeHtml(f"{text}\n\n{await discussion_stats_line(context, cohort.id)}")
    await show_menu(update, text, [])
    png = await asyncio.to_thread(
        charts.completion_chart,
        [c.course.title.get(context.lang) for c in stats.courses],
        [c.percent for c in stats.courses],
        title=context.t("stats.chart_completion", name=cohort.name),
        axis=context.t("stats.axis_percent"),
    )
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
    query: CallbackQuery, context: SinauContext, actions: tuple[str, ...]
) -> tuple[str, Cohort] | None:
    """Parse ``<area>:<action>:<cohort id>`` and answer the press; None (answered) if stale."""
    press = parse(query.data)
    cohort = (await context.services.training.cohorts.get(press.number(0))
              if press is not None and press.action in actions else None)
    if press is None or cohort is None:
        await query.answer(context.t("common.expired_button"))
        return None
    await query.answer()
    return press.action, cohort


@require_role("trainer")
async def stats_command(update: Update, context: SinauContext) -> None:
    """/stats [cohort id]: the figures of a cohort and a completion chart."""
    cohort = await _cohort_from_args(context)
    if cohort is None:
        await _pick(update, context, "ts", "stats.pick")
        return
    await _send_stats(update, context, cohort)


@require_role("trainer")
async def on_stats_button(update: Update, context: SinauContext) -> None:
    """``ts:c:<id>`` shows a cohort's stats; ``ts:w:<id>`` / ``ts:p:<id>`` send a chart."""
    query = update.callback_query
    if query is None or await _turned_page(update, context, "ts", "stats.pick"):
        return
    pressed = await _pressed_cohort(query, context, ("c", "w", "p"))
    if pressed is None:
        return
    action, cohort = pressed
    if action == "c":
        await _send_stats(update, context, cohort)
        return
    if action == "p":
        stats = await context.services.training.stats.cohort_stats(cohort.id)
        png = await asyncio.to_thread(
            charts.completion_chart,
            [c.course.title.get(context.lang) for c in stats.courses],
            [c.percent for c in stats.courses],
            title=context.t("stats.chart_completion", name=cohort.name),
            axis=context.t("stats.axis_percent"),
        )
        other = ("stats.btn_weekly", data("ts", "w", cohort.id))
    else:
        weekly = await context.services.training.stats.weekly(cohort.id)
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


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == "private"


async def _refuse_outside_private(update: Update, context: SinauContext) -> None:
    """Exports hold personal data: say to use the private chat, and send nothing."""
    query = update.callback_query
    if query is not None:
        await query.answer(context.label("export.private_only"), show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(context.t("export.private_only"))


async def _export_menu(update: Update, context: SinauContext, page: int = 0) -> None:
    """A page of the cohorts (their progress sheets), then the HR reports."""
    cohorts = await context.services.training.cohorts.all()
    rows = [[InlineKeyboardButton(f"{c.name} · {c.members} 👥",
                                  callback_data=data("ex", "c", c.id))]
            for c in cohorts]
    shown = paged(rows, page, lambda n: data("ex", "l", n), context.lang)
    text = context.t("export.menu" if cohorts else "export.menu_empty")
    await show_menu(update, SafeHtml(shown.with_note(text, context.lang)),
                    [*shown.rows, *siasn.report_buttons(context)])


@require_role("trainer")
async def export_command(update: Update, context: SinauContext) -> None:
    """/export [cohort id]: a cohort's progress, or the SIASN and JP reports (XLSX and CSV)."""
    if not _private(update):
        await _refuse_outside_private(update, context)
        return
    cohort = await _cohort_from_args(context)
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
    pressed = await _pressed_cohort(query, context, ("c",))
    if pressed is None:
        return
    _, cohort = pressed
    await _send_export(update, context, cohort)
