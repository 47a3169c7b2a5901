"""/export's HR reports (``ex:`` buttons): the SIASN sheet and JP per person, XLSX and CSV.

The flow, from /export's menu: a report (``ex:r:<s|j>``), then whose records: all learners
(``ex:a:<r>:<year>``), a work unit (a page of units ``ex:u:<r>:<page>``, then
``ex:uc:<r>:<unit code>:<year>``) or a cohort (``ex:k:<r>:<page>``, then
``ex:kc:<r>:<cohort>:<year>``). The files come for this year; the last one carries a button for
the other year offered (the previous one, or back to this one). The files hold personal data
(NIP, names), so the whole of /export works in the private chat only (bot.handlers.stats).
"""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update

from bot.buttons import Press, data
from bot.context import SinauContext
from bot.handlers.cohorts import show_menu
from bot.handlers.paging import paged
from bot.handlers.render import button
from bot.i18n import SafeHtml
from bot.training import sheets
from bot.training.siasn import Scope, jp_table, siasn_table, unit_code

#: The actions of the ``ex`` area this module answers.
ACTIONS = frozenset({"r", "a", "u", "uc", "k", "kc"})


def report_buttons(context: SinauContext) -> list[list[InlineKeyboardButton]]:
    """The two rows /export's menu ends with: the SIASN sheet and JP per person."""
    return [[button(context.label("export.btn_siasn"), data("ex", "r", "s"))],
            [button(context.label("export.btn_jp"), data("ex", "r", "j"))]]


def _back(context: SinauContext, callback: str) -> list[InlineKeyboardButton]:
    return [button(context.label("export.btn_back"), callback)]


async def _scopes(update: Update, context: SinauContext, report: str) -> None:
    """The report's scope screen: all learners, a work unit, a cohort."""
    year, _ = context.services.training.siasn.years()
    key = "export.scope_siasn" if report == "s" else "export.scope_jp"
    text = context.t(key, target=context.services.settings.learning.annual_jp_target)
    await show_menu(update, text, [
        [button(context.label("export.btn_all"), data("ex", "a", report, year))],
        [button(context.label("export.btn_unit"), data("ex", "u", report, 0))],
        [button(context.label("export.btn_cohort"), data("ex", "k", report, 0))],
        _back(context, data("ex", "l", 0)),
    ])


async def _units(update: Update, context: SinauContext, report: str, page: int) -> None:
    """A page of the work units learners gave."""
    siasn = context.services.training.siasn
    units = await siasn.units()
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
    """A page of the cohorts."""
    training = context.services.training
    cohorts = await training.cohorts.all()
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


async def _chosen(context: SinauContext, press: Press
                  ) -> tuple[Scope, str, str, int, list[str]] | None:
    """(scope, its label, its file-name part, year, the press's other args) of a final
    press; None when the year is not offered or the unit or cohort is gone."""
    siasn = context.services.training.siasn
    year = press.number(len(press) - 1)
    if year not in siasn.years():
        return None
    if press.action == "a":
        return Scope.everyone(), context.t("export.scope_all"), "semua", year, []
    if press.action == "uc":
        code = press.arg(1)
        unit = await siasn.unit_named(code)
        if unit is None:
            return None
        return (Scope.of_unit(unit), context.t("export.scope_unit", unit=unit),
                f"unit-{code}", year, [code])
    cohort = await context.services.training.cohorts.get(press.number(1))
    if cohort is None:
        return None
    return (Scope.of_cohort(cohort.id), context.t("export.scope_cohort", name=cohort.name),
            f"kelompok-{cohort.id}", year, [str(cohort.id)])


async def _send(update: Update, context: SinauContext, press: Press) -> None:
    """Send the chosen report for the chosen scope and year (both files, or "nothing")."""
    query = update.callback_query
    assert query is not None
    chosen = await _chosen(context, press)
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
