"""/export's reports (``ex:`` buttons): progress, the SIASN sheet and JP per person, XLSX + CSV.

The flow, from /export's menu: a report (``ex:r:<p|s|j>``), then whose records: all learners
(``ex:a:<r>:<year>``), a work unit (a page of units ``ex:u:<r>:<page>``, then
``ex:uc:<r>:<unit code>:<year>``) or a cohort (``ex:k:<r>:<page>``, then
``ex:kc:<r>:<cohort>:<year>``). The files come for this year; the last one carries a button for
the other year offered (the previous one, or back to this one). The files hold personal data
(NIP, names), so the whole of /export works in the private chat only (bot.handlers.stats).
Every scope goes through ``StatsService.reach``: a cohort the presser may not see is an expired
button, and a trainer limited to their own cohorts gets, for all learners or a unit, only the
members of those cohorts (and only their units to pick from).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update

from bot.buttons import Press, data
from bot.context import SinauContext
from bot.handlers.cohorts import show_menu
from bot.handlers.paging import paged
from bot.handlers.render import button
from bot.i18n import SafeHtml
from bot.training import export, sheets
from bot.training.siasn import Scope, jp_table, siasn_table, unit_code

#: The actions of the ``ex`` area this module answers.
ACTIONS = frozenset({"r", "a", "u", "uc", "k", "kc"})


#: The scope screen's text of each report.
_SCOPE_TEXT = {"p": "reports.scope_progress", "s": "export.scope_siasn", "j": "export.scope_jp"}


def report_buttons(context: SinauContext) -> list[list[InlineKeyboardButton]]:
    """The rows of /export's reports: progress, then the SIASN sheet and JP per person side by
    side (two rows, so a page of cohorts above still fits a phone screen)."""
    return [[button(context.label("reports.btn_progress"), data("ex", "r", "p"))],
            [button(context.label("export.btn_siasn"), data("ex", "r", "s")),
             button(context.label("export.btn_jp"), data("ex", "r", "j"))]]


def _staff_id(update: Update) -> int:
    user = update.effective_user
    assert user is not None  # the caller checked the role
    return user.id


async def _everyone(update: Update, context: SinauContext) -> Scope:
    """All learners, as the presser may read them (bot.training.stats.StatsService.reach)."""
    scope = await context.services.training.stats.reach(_staff_id(update), Scope.everyone())
    assert scope is not None  # only a cohort can be out of reach
    return scope


def _back(context: SinauContext, callback: str) -> list[InlineKeyboardButton]:
    return [button(context.label("export.btn_back"), callback)]


async def _scopes(update: Update, context: SinauContext, report: str) -> None:
    """The report's scope screen: all learners, a work unit, a cohort."""
    year, _ = context.services.training.siasn.years()
    text = context.t(_SCOPE_TEXT[report],
                     target=context.services.settings.learning.annual_jp_target)
    await show_menu(update, text, [
        [button(context.label("export.btn_all"), data("ex", "a", report, year))],
        [button(context.label("export.btn_unit"), data("ex", "u", report, 0))],
        [button(context.label("export.btn_cohort"), data("ex", "k", report, 0))],
        _back(context, data("ex", "l", 0)),
    ])


async def _units(update: Update, context: SinauContext, report: str, page: int) -> None:
    """A page of the work units learners (the presser may read) gave."""
    siasn = context.services.training.siasn
    units = await siasn.units(await _everyone(update, context))
    back = _back(context, data("ex", "r", report))
    if not units:
        await show_menu(update, context.t("export.pick_unit_empty"), [back])
        return
    year, _ = siasn.years()
    rows = [[button(unit, data("ex", "uc", report, unit_code(unit), year))] for unit in units]
    shown = paged(rows, page, lambda n: data("ex", "u", report, n), context.lang)
    await show_menu(update, SafeHtml(shown.with_note(context.t("export.pick_unit"),
                                                     context.lang)), [*shown.rows, back])


async def _cohorts(update: Update, context: SinauContext, report: str, page: int) -> None:
    """A page of the cohorts the presser may see."""
    training = context.services.training
    cohorts = await training.cohorts.visible_to(_staff_id(update))
    back = _back(context, data("ex", "r", report))
    if not cohorts:
        await show_menu(update, context.t("stats.no_cohorts"), [back])
        return
    year, _ = training.siasn.years()
    rows = [[button(f"{c.name} · {c.members} 👥", data("ex", "kc", report, c.id, year))]
            for c in cohorts]
    shown = paged(rows, page, lambda n: data("ex", "k", report, n), context.lang)
    await show_menu(update, SafeHtml(shown.with_note(context.t("export.pick_cohort"),
                                                     context.lang)), [*shown.rows, back])


async def _chosen(update: Update, context: SinauContext, press: Press
                  ) -> tuple[Scope, str, str, int, list[str]] | None:
    """(scope as the presser may read it, its label, its file-name part, year, the press's
    other args) of a final press; None when the year is not offered, or the unit or cohort is
    gone or out of the presser's reach."""
    training = context.services.training
    siasn = training.siasn
    year = press.number(len(press) - 1)
    if year not in siasn.years():
        return None
    if press.action == "a":
        return await _everyone(update, context), context.t("export.scope_all"), "semua", year, []
    if press.action == "uc":
        everyone = await _everyone(update, context)
        code = press.arg(1)
        unit = await siasn.unit_named(code, everyone)
        if unit is None:
            return None
        return (replace(everyone, kind="unit", unit=unit),
                context.t("export.scope_unit", unit=unit), f"unit-{code}", year, [code])
    cohort = await training.cohorts.get(press.number(1))
    scope = (None if cohort is None else
             await training.stats.reach(_staff_id(update), Scope.of_cohort(cohort.id)))
    if cohort is None or scope is None:
        return None
    return (scope, context.t("export.scope_cohort", name=cohort.name),
            f"kelompok-{cohort.id}", year, [str(cohort.id)])


async def _send(update: Update, context: SinauContext, press: Press) -> None:
    """Send the chosen report for the chosen scope and year (both files, or "nothing")."""
    query = update.callback_query
    assert query is not None
    chosen = await _chosen(update, context, press)
    if chosen is None:
        await query.answer(context.label("common.expired_button"))
        return
    await query.answer()
    scope, scope_label, slug, year, args = chosen
    report = press.arg(0)
    siasn = context.services.training.siasn
    this, previous = siasn.years()
    other = previous if year == this else this
    again = InlineKeyboardMarkup([[button(context.label("export.btn_year", year=other),
                                          data("ex", press.action, report, *args, other))]])
    chat = update.effective_chat
    assert chat is not None
    if report == "p":
        await _send_progress(update, context, scope, scope_label, slug, year, again)
        return
    if report == "s":
        rows = await siasn.course_rows(scope, year)
        table, stem, key = siasn_table(rows), "siasn", "export.caption_siasn"
        params: dict[str, object] = {"count": len(rows)}
        empty = context.t("export.empty_siasn", scope=scope_label, year=year)
    else:
        people = await siasn.jp_rows(scope, year)
        table, stem, key = jp_table(people), "jp", "export.caption_jp"
        params = {"count": len(people), "below": sum(1 for p in people if not p.met),
                  "target": context.services.settings.learning.annual_jp_target}
        empty = context.t("export.empty_jp", scope=scope_label)
    if not table.rows:
        await context.bot.send_message(chat.id, empty, reply_markup=again)
        return
    name = f"sinau-{stem}-{slug}-{year}"
    xlsx = await asyncio.to_thread(sheets.to_xlsx, table, title=f"{table.sheet} {year}")
    csv_bytes = await asyncio.to_thread(sheets.to_csv, table)
    for content, extension, markup in ((xlsx, "xlsx", None), (csv_bytes, "csv", again)):
        await context.bot.send_document(
            chat.id, InputFile(content, filename=f"{name}.{extension}"),
            caption=context.t(key, scope=scope_label, year=year, format=extension.upper(),
                              **params),
            reply_markup=markup,
        )


async def _send_progress(update: Update, context: SinauContext, scope: Scope,
                         scope_label: str, slug: str, year: int,
                         again: InlineKeyboardMarkup) -> None:
    """The progress sheet of a scope and year (both files, or "nobody")."""
    chat = update.effective_chat
    assert chat is not None
    rows = await context.services.training.stats.progress_sheet(scope, year)
    if not rows:
        await context.bot.send_message(
            chat.id, context.t("reports.empty_progress", scope=scope_label), reply_markup=again)
        return
    name = f"sinau-progres-{slug}-{year}"
    xlsx = await asyncio.to_thread(export.to_xlsx, rows, title=f"{scope_label} {year}",
                                   year=year)
    csv_bytes = export.to_csv(rows, year=year)
    for content, extension, markup in ((xlsx, "xlsx", None), (csv_bytes, "csv", again)):
        await context.bot.send_document(
            chat.id, InputFile(content, filename=f"{name}.{extension}"),
            caption=context.t("reports.caption_progress", scope=scope_label, year=year,
                              count=len(rows), format=extension.upper()),
            reply_markup=markup,
        )


async def on_press(update: Update, context: SinauContext, press: Press) -> None:
    """Answer one of ``ACTIONS`` (the caller checked the role and the private chat)."""
    query = update.callback_query
    assert query is not None
    report = press.arg(0)
    if press.action in ("a", "uc", "kc"):
        await _send(update, context, press)
        return
    await query.answer()
    if press.action == "r":
        await _scopes(update, context, report)
    elif press.action == "u":
        await _units(update, context, report, press.number(1))
    else:
        await _cohorts(update, context, report, press.number(1))
