"""People (admins): /users finds someone by name, @username or NIP, /trainers lists the staff;
each result opens a card with grant / revoke buttons (``pp:``).

Lists and cards are personal data (names, units, a masked NIP), so they are shown only in a
private chat. The typed search is stored (``user_searches``) and its buttons carry only its id
and a page, re-read for the admin who pressed: a press is a request, re-checked every time.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.handlers.auth import require_role
from bot.handlers.cohorts import Keyboard, show_menu
from bot.handlers.menus import clear_staff_menu, set_staff_menu
from bot.handlers.render import button
from bot.i18n import SafeHtml, label
from bot.training.roles import PeoplePage, Person

#: The open question "who are you looking for?" (bot.training.prompts), answered by text.
SEARCH_PROMPT = "people_search"
#: A search longer than this is cut (no name, username or NIP is longer).
QUERY_MAX = 64


async def _show(update: Update, text: str, keyboard: Keyboard) -> None:
    """Edit the pressed message into this screen, or send it anew when that message has no
    text to edit (a chart, a document: a forged or stale press)."""
    query = update.callback_query
    message = query.message if query is not None else None
    if isinstance(message, Message) and message.text is None:
        await message.reply_text(text, reply_markup=InlineKeyboardMarkup(keyboard)
                                 if keyboard else None)
        return
    await show_menu(update, text, keyboard)


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == chat.PRIVATE


def _username(context: SinauContext, person: Person) -> str:
    username = person.user.username
    return context.t("people.username", username=username) if username else ""


def _role(context: SinauContext, person: Person) -> str:
    return context.t(f"people.role_{person.role}")


def _nav(context: SinauContext, page: PeoplePage, callback: Callable[[int], str]) -> Keyboard:
    """« / › for a people page (``callback`` builds a page's button data)."""
    row = []
    if page.page > 0:
        row.append(button(label(context.lang, "paging.previous"), callback(page.page - 1)))
    if page.page < page.pages - 1:
        row.append(button(label(context.lang, "paging.next"), callback(page.page + 1)))
    return [row] if row else []


def _with_page_note(context: SinauContext, text: str, page: PeoplePage) -> SafeHtml:
    if page.pages <= 1:
        return SafeHtml(text)
    return SafeHtml(text + "\n\n" + context.t("paging.page", page=page.page + 1,
                                              pages=page.pages))


def results_view(context: SinauContext, query: str, search_id: int,
                 page: PeoplePage) -> tuple[str, Keyboard]:
    """A page of search results: one line and one button per person, then « / ›."""
    if not page.total:
        return context.t("people.no_results", query=query), []
    lines = [context.t("people.results_title", query=query, count=page.total)]
    rows: Keyboard = []
    for number, person in enumerate(page.people, start=page.first):
        nip = context.t("people.nip_part", nip=person.nip) if person.nip else ""
        lines.append(context.t("people.line", n=number, name=person.user.name,
                               username=_username(context, person),
                               unit=person.user.unit or context.t("people.no_unit"),
                               role=_role(context, person), nip=nip))
        rows.append([InlineKeyboardButton(f"{number}. {person.user.name}", callback_data=data(
            "pp", "o", person.id, search_id, page.page))])
    rows += _nav(context, page, lambda n: data("pp", "p", search_id, n))
    return _with_page_note(context, "\n".join(lines), page), rows


def staff_view(context: SinauContext, page: PeoplePage) -> tuple[str, Keyboard]:
    """A page of the trainers and admins with the cohorts each runs."""
    if not page.total:
        return context.t("people.staff_empty"), []
    lines = [context.t("people.staff_title", count=page.total)]
    rows: Keyboard = []
    for number, person in enumerate(page.people, start=page.first):
        lines.append(context.t("people.staff_line", n=number, name=person.user.name,
                               username=_username(context, person),
                               role=_role(context, person),
                               cohorts=", ".join(c.name for c in person.cohorts) or "—"))
        rows.append([InlineKeyboardButton(f"{number}. {person.user.name}", callback_data=data(
            "pp", "o", person.id, 0, page.page))])
    rows += _nav(context, page, lambda n: data("pp", "t", n))
    return _with_page_note(context, "\n".join(lines), page), rows


def card_view(context: SinauContext, person: Person, search_id: int,
              page: int) -> tuple[str, Keyboard]:
    """A person's card: name, @username, unit, role, masked NIP, cohorts; grant or revoke."""
    text = context.t("people.card", name=person.user.name, username=_username(context, person),
                     unit=person.user.unit or context.t("people.no_unit"),
                     role=_role(context, person), nip=person.nip or context.t("people.no_nip"))
    if person.cohorts:
        text = SafeHtml(text + "\n" + context.t(
            "people.card_cohorts", names=", ".join(c.name for c in person.cohorts)))
    rows: Keyboard = []
    if person.role == "admin":
        text = SafeHtml(text + "\n\n" + context.t("people.admin_note"))
    elif person.role == "trainer":
        rows.append([button(context.label("people.btn_revoke"),
                            data("pp", "r", person.id, search_id, page))])
    else:
        rows.append([button(context.label("people.btn_grant"),
                            data("pp", "g", person.id, search_id, page))])
    back = data("pp", "p", search_id, page) if search_id else data("pp", "t", page)
    rows.append([button(context.label("people.btn_back"), back)])
    return text, rows


async def show_results(update: Update, context: SinauContext, query: str) -> None:
    """Search for ``query`` as this admin and show the first page of results."""
    sender = update.effective_user
    assert sender is not None
    query = " ".join(query.split())[:QUERY_MAX]
    roles = context.services.training.roles
    search_id = await roles.remember_search(query, by=sender.id)
    await show_menu(update, *results_view(context, query, search_id, await roles.search(query)))


async def ask_search(update: Update, context: SinauContext, key: str) -> None:
    """Ask who the admin is looking for; their next text is the search."""
    sender, message = update.effective_user, update.effective_message
    if sender is None or message is None:
        return
    await context.services.training.prompts.ask(sender.id, SEARCH_PROMPT)
    await message.reply_text(context.t(key))


@require_role("admin")
async def users_command(update: Update, context: SinauContext) -> None:
    """/users <name, @username or NIP>: find people (without a query: asks for one)."""
    message = update.effective_message
    if message is None:
        return
    if not _private(update):
        await message.reply_text(context.t("people.private_only"))
        return
    query = " ".join(context.args or []).strip()
    if not query:
        await ask_search(update, context, "people.ask_query")
        return
    await show_results(update, context, query)


async def answer_search(update: Update, context: SinauContext) -> None:
    """An admin's typed answer to "who are you looking for?" (routed by handlers.trainer)."""
    sender, message = update.effective_user, update.effective_message
    if sender is None or message is None or not message.text:
        return
    await context.services.training.prompts.close(sender.id)
    if not context.services.training.roles.is_admin(sender.id):
        await message.reply_text(context.t("people.refused_admin"))
        return
    await show_results(update, context, message.text.strip())


@require_role("admin")
async def trainers_command(update: Update, context: SinauContext) -> None:
    """/trainers: the trainers and admins known to the bot, with the cohorts they run."""
    message = update.effective_message
    if message is None:
        return
    if not _private(update):
        await message.reply_text(context.t("people.private_only"))
        return
    await show_menu(update, *staff_view(context, await context.services.training.roles.staff()))


@require_role("admin")
async def on_button(update: Update, context: SinauContext) -> None:
    """The ``pp:`` buttons: result and staff pages, a person's card, grant, revoke."""
    query, sender = update.callback_query, update.effective_user
    if query is None or sender is None:
        return
    press = parse(query.data, "pp")
    if press is None:
        await query.answer(context.t("common.expired_button"))
        return
    if not _private(update):
        await query.answer(context.label("people.private_only"), show_alert=True)
        return
    roles = context.services.training.roles
    if press.action == "t":
        await query.answer()
        await _show(update, *staff_view(context, await roles.staff(press.number(0))))
        return
    if press.action == "p":
        search_id, page = press.number(0), press.number(1)
        text = await roles.saved_search(search_id, by=sender.id)
        if text is None:
            await query.answer(context.label("people.search_expired"), show_alert=True)
            return
        await query.answer()
        await _show(update, *results_view(context, text, search_id,
                                              await roles.search(text, page)))
        return
    user_id, search_id, page = press.number(0), press.number(1), press.number(2)
    if search_id and await roles.saved_search(search_id, by=sender.id) is None:
        await query.answer(context.label("people.search_expired"), show_alert=True)
        return
    person = await roles.person(user_id)
    if person is None:
        await query.answer(context.t("common.expired_button"))
        return
    if press.action == "g" and person.role == "learner":
        await roles.grant_trainer(user_id, by=sender.id, known=True)
        await query.answer(context.label("people.granted", name=person.user.name))
        await set_staff_menu(context.bot, user_id, "trainer")
    elif press.action == "r" and person.role == "trainer":
        await roles.revoke_trainer(user_id)
        await query.answer(context.label("people.revoked", name=person.user.name))
        await clear_staff_menu(context.bot, user_id)
    else:
        await query.answer()
    fresh = await roles.person(user_id)
    assert fresh is not None
    await _show(update, *card_view(context, fresh, search_id, page))
