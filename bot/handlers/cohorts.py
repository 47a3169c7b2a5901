"""/cohort: create, list, rename and archive cohorts, assign courses, see members (``ch:``).

The cohort list and a cohort's course list are paged, eight a page (bot.handlers.paging):
``ch:l:<page>`` and ``ch:c:<cohort>:<page>``.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.handlers.auth import require_role
from bot.handlers.paging import PAGE_SIZE, page_count, page_of, paged
from bot.i18n import SafeHtml
from bot.storage.training import Cohort
from bot.training.cohorts import (
    MEMBERS_PAGE,
    PastDeadline,
    clean_name,
    invite_link,
    parse_deadline,
)

Keyboard = list[list[InlineKeyboardButton]]
#: ``/cohort <word> <name>`` creates a cohort with any of these words (both languages).
CREATE_WORDS = frozenset({"buat", "baru", "create", "new"})


def _button(context: SinauContext, key: str, callback: str,
            **params: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(context.label(key, **params), callback_data=callback)


async def show_menu(update: Update, text: str, keyboard: Keyboard) -> None:
    """Edit the menu message when a button was pressed, else send a new one."""
    markup = InlineKeyboardMarkup(keyboard) if keyboard else None
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
        except BadRequest as exc:
            if "not modified" not in str(exc):
                raise
        return
    if update.effective_message is not None:
        await update.effective_message.reply_text(text, reply_markup=markup)


def _viewer(context: SinauContext) -> int:
    """Who is looking (the middleware recorded them before any trainer handler runs; 0, who
    may see nothing, if it could not)."""
    return context.user.id if context.user is not None else 0


async def _list_view(context: SinauContext, page: int = 0) -> tuple[str, Keyboard]:
    """A page of the cohorts this trainer may see (CohortService.visible_to), then "new"."""
    service = context.services.training.cohorts
    cohorts = await service.visible_to(_viewer(context))
    # Archived cohorts come last, marked 🗄: their card is the only way to restore them.
    archived = await service.visible_to(_viewer(context), archived=True)
    rows = [
        [_button(context, "cohort.item", data("ch", "o", c.id), name=c.name, members=c.members)]
        for c in cohorts
    ]
    rows += [[InlineKeyboardButton("🗄 " + context.label(
        "cohort.item", name=c.name, members=c.members), callback_data=data("ch", "o", c.id))]
        for c in archived]
    shown = paged(rows, page, lambda n: data("ch", "l", n), context.lang)
    key = "cohort.list_title" if cohorts or archived else "cohort.list_empty"
    text = shown.with_note(context.t(key, count=len(cohorts)), context.lang)
    return SafeHtml(text), [*shown.rows, [_button(context, "cohort.btn_new", data("ch", "n"))]]


async def card_view(context: SinauContext, cohort: Cohort) -> tuple[str, Keyboard]:
    """The cohort card: name, members, courses, group and the invite link."""
    catalogue = context.services.catalogue
    courses = await context.services.training.cohorts.courses(cohort.id)
    names = []
    for assigned in courses:
        course = catalogue.course(assigned.course_key)
        title = course.title.get(context.lang) if course else assigned.course_key
        if assigned.deadline:
            title += f" ({context.t('cohort.until', date=assigned.deadline)})"
        names.append(title)
    text = context.t(
        "cohort.card",
        name=cohort.name,
        id=cohort.id,
        members=cohort.members,
        courses=", ".join(names) or "—",
        group=context.t("cohort.group_yes") if cohort.group_chat_id else
        context.t("cohort.group_no", id=cohort.id),
        link=invite_link(context.bot.username, cohort.invite_code),
    )
    trainers = await context.services.training.cohorts.trainers(cohort.id)
    if trainers:
        names = await context.services.training.roles.names(trainers)
        text = SafeHtml(text + "\n" + context.t("people.card_trainers", names=", ".join(names)))
    if cohort.archived:
        text = SafeHtml(text + "\n" + context.t("cohort.archived_note"))
        return text, [[_button(context, "cohort.btn_restore", data("ch", "u", cohort.id))],
                      [_button(context, "cohort.btn_back", data("ch", "l"))]]
    rows = [
        [_button(context, "cohort.btn_courses", data("ch", "c", cohort.id)),
         _button(context, "cohort.btn_members", data("ch", "m", cohort.id, 0))],
        [_button(context, "cohort.btn_rename", data("ch", "r", cohort.id)),
         _button(context, "cohort.btn_archive", data("ch", "a", cohort.id))],
        [_button(context, "cohort.btn_back", data("ch", "l"))],
    ]
    if context.services.training.roles.is_admin(_viewer(context)):
        # Only an admin assigns trainers (with access.trainers_own_cohorts, what they see).
        rows.insert(2, [_button(context, "people.btn_trainers", data("ch", "k", cohort.id, 0))])
    return text, rows


async def _courses_view(context: SinauContext, cohort: Cohort,
                        page: int = 0) -> tuple[str, Keyboard]:
    """A page of the courses, each with its assigned mark and deadline button, then back."""
    assigned = {c.course_key: c for c in await context.services.training.cohorts.courses(
        cohort.id)}
    rows: Keyboard = []
    for course in context.services.catalogue:
        mark = "✅" if course.key in assigned else "▫️"
        rows.append([
            InlineKeyboardButton(f"{mark} {course.title.get(context.lang)}",
                                 callback_data=data("ch", "t", cohort.id, course.key)),
            _button(context, "cohort.btn_deadline", data("ch", "d", cohort.id, course.key)),
        ])
    shown = paged(rows, page, lambda n: data("ch", "c", cohort.id, n), context.lang)
    back = [_button(context, "cohort.btn_back", data("ch", "o", cohort.id))]
    text = shown.with_note(context.t("cohort.courses_title", name=cohort.name), context.lang)
    return SafeHtml(text), [*shown.rows, back]


def _course_page(context: SinauContext, key: str) -> int:
    """The page of the course list a course is on (catalogue order)."""
    keys = [course.key for course in context.services.catalogue]
    return page_of(keys.index(key)) if key in keys else 0


async def _members_view(context: SinauContext, cohort: Cohort, page: int) -> tuple[str, Keyboard]:
    members = await context.services.training.cohorts.members(cohort.id, page)
    lines: list[str] = [context.t("cohort.members_title", name=cohort.name,
                                  count=cohort.members)]
    for number, member in enumerate(members, start=page * MEMBERS_PAGE + 1):
        unit = f" — {member.unit}" if member.unit else ""
        inactive = "" if member.is_active else " ⛔"
        lines.append(context.t("cohort.member_line", n=number, name=member.name + unit)
                     + inactive)
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀️", callback_data=data("ch", "m", cohort.id, page - 1)))
    if (page + 1) * MEMBERS_PAGE < cohort.members:
        nav.append(InlineKeyboardButton("▶️", callback_data=data("ch", "m", cohort.id, page + 1)))
    rows = [nav] if nav else []
    if cohort.members and not cohort.archived:
        rows.append([_button(context, "people.btn_remove_members", data("ch", "x", cohort.id, 0))])
    rows.append([_button(context, "cohort.btn_back", data("ch", "o", cohort.id))])
    return SafeHtml("\n".join(lines)), rows


async def _remove_pick_view(context: SinauContext, cohort: Cohort,
                            page: int) -> tuple[str, Keyboard]:
    """A page of members as buttons: the one pressed is asked about before removal."""
    pages = page_count(cohort.members)
    page = min(max(page, 0), pages - 1)
    members = await context.services.training.cohorts.members(cohort.id, page, size=PAGE_SIZE)
    rows: Keyboard = [[InlineKeyboardButton(
        f"{m.name} — {m.unit}" if m.unit else m.name,
        callback_data=data("ch", "xm", cohort.id, m.user_id))] for m in members]
    nav = []
    if page > 0:
        nav.append(_button(context, "paging.previous", data("ch", "x", cohort.id, page - 1)))
    if page < pages - 1:
        nav.append(_button(context, "paging.next", data("ch", "x", cohort.id, page + 1)))
    if nav:
        rows.append(nav)
    rows.append([_button(context, "cohort.btn_back", data("ch", "m", cohort.id, 0))])
    text = context.t("people.remove_pick", name=cohort.name)
    if pages > 1:
        text = SafeHtml(text + "\n\n" + context.t("paging.page", page=page + 1, pages=pages))
    return text, rows


async def _trainers_view(context: SinauContext, cohort: Cohort,
                         page: int = 0) -> tuple[str, Keyboard]:
    """The trainers an admin may assign to the cohort, ✅ for the assigned ones (paged)."""
    trainers = await context.services.training.roles.trainers()
    assigned = set(await context.services.training.cohorts.trainers(cohort.id))
    rows = [[InlineKeyboardButton(
        ("✅ " if p.id in assigned else "▫️ ") + p.user.name,
        callback_data=data("ch", "kt", cohort.id, p.id))] for p in trainers]
    shown = paged(rows, page, lambda n: data("ch", "k", cohort.id, n), context.lang)
    key = "people.trainers_title" if trainers else "people.trainers_none"
    text = shown.with_note(context.t(key, name=cohort.name), context.lang)
    back = [_button(context, "cohort.btn_back", data("ch", "o", cohort.id))]
    return SafeHtml(text), [*shown.rows, back]


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == chat.PRIVATE


def _is_id(word: str) -> bool:
    """Plain digits short enough for an id column (no "²", no 30-digit number)."""
    return word.isascii() and word.isdigit() and len(word) <= 15


@require_role("trainer")
async def cohort_command(update: Update, context: SinauContext) -> None:
    """/cohort lists cohorts; /cohort buat <name> creates one; /cohort <number> opens one."""
    message = update.effective_message
    sender = update.effective_user
    if message is None or sender is None:
        return
    args = list(context.args or [])
    if not args:
        await show_menu(update, *await _list_view(context))
        return
    word = args[0].lower()
    if word in CREATE_WORDS:
        name = clean_name(" ".join(args[1:]))
        if name is None:
            await context.services.training.prompts.ask(sender.id, "cohort_name")
            await message.reply_text(context.t("cohort.ask_name"))
            return
        await _create(update, context, name)
        return
    cohorts = context.services.training.cohorts
    cohort = await cohorts.get(int(word)) if len(args) == 1 and _is_id(word) else None
    if cohort is None:
        await message.reply_text(context.t("people.cohort_usage"))
    elif not await cohorts.may_see(sender.id, cohort.id):
        await message.reply_text(context.t("people.not_your_cohort"))
    else:
        await show_menu(update, *await card_view(context, cohort))


async def _create(update: Update, context: SinauContext, name: str) -> None:
    sender = update.effective_user
    assert sender is not None
    cohort = await context.services.training.cohorts.create(name, by=sender.id)
    fresh = await context.services.training.cohorts.get(cohort.id)
    assert fresh is not None
    await show_menu(update, *await card_view(context, fresh))


async def answer_text(update: Update, context: SinauContext, kind: str, ref: str) -> None:
    """A trainer's typed answer to a cohort question (name, new name, deadline)."""
    message = update.effective_message
    sender = update.effective_user
    if message is None or sender is None:
        return
    prompts = context.services.training.prompts
    cohorts = context.services.training.cohorts
    text = message.text or ""
    if kind == "cohort_name":
        name = clean_name(text)
        if name is None:
            await message.reply_text(context.t("cohort.bad_name"))
            return
        await prompts.close(sender.id)
        await _create(update, context, name)
        return
    cohort_id, _, course_key = ref.partition(":")
    cohort = await cohorts.get(int(cohort_id)) if cohort_id.isdigit() else None
    if cohort is None:
        await prompts.close(sender.id)
        await message.reply_text(context.t("common.expired_button"))
        return
    if not await cohorts.may_see(sender.id, cohort.id):
        await prompts.close(sender.id)
        await message.reply_text(context.t("people.not_your_cohort"))
        return
    if kind == "cohort_rename":
        name = clean_name(text)
        if name is None:
            await message.reply_text(context.t("cohort.bad_name"))
            return
        await cohorts.rename(cohort.id, name)
    elif kind == "cohort_deadline":
        deadline = None if text.strip() == "-" else parse_deadline(text)
        if deadline is None and text.strip() != "-":
            await message.reply_text(context.t("cohort.bad_deadline"))
            return
        try:
            await cohorts.set_deadline(cohort.id, course_key, deadline)
        except PastDeadline:
            await message.reply_text(context.t("path.deadline_past", date=text.strip()))
            return
    await prompts.close(sender.id)
    fresh = await cohorts.get(cohort.id)
    assert fresh is not None
    await show_menu(update, *await card_view(context, fresh))


@require_role("trainer")
async def on_button(update: Update, context: SinauContext) -> None:
    """The ``ch:`` buttons: list, new, open, rename, archive, restore, courses, members."""
    query = update.callback_query
    sender = update.effective_user
    if query is None or sender is None:
        return
    press = parse(query.data, "ch")
    if press is None:
        await query.answer(context.t("common.expired_button"))
        return
    action, args = press.action, press.args
    training = context.services.training
    if action == "l":
        await query.answer()
        await show_menu(update, *await _list_view(context, press.number(0) if args else 0))
        return
    if action == "n":
        await training.prompts.ask(sender.id, "cohort_name")
        await query.answer()
        await show_menu(update, context.t("cohort.ask_name"), [])
        return
    cohort = await training.cohorts.get(press.number(0))
    if cohort is None:
        await query.answer(context.t("common.expired_button"))
        return
    if not await training.cohorts.may_see(sender.id, cohort.id):
        # A forged or stale button for a cohort another trainer runs: refused, nothing done.
        await query.answer(context.label("people.not_your_cohort"), show_alert=True)
        return
    if action in _PEOPLE_ACTIONS:
        await _people_button(update, context, cohort, press.action, press.number(1))
        return
    if action in _LINK_ACTIONS:
        await _link_button(update, context, cohort, action)
        return
    course_key = args[1] if len(args) > 1 else ""
    if action in ("t", "d") and context.services.catalogue.course(course_key) is None:
        await query.answer(context.t("common.expired_button"))
        return
    await query.answer()
    if action == "o":
        await show_menu(update, *await card_view(context, cohort))
    elif action == "r" and not cohort.archived:
        await training.prompts.ask(sender.id, "cohort_rename", str(cohort.id))
        await show_menu(update, context.t("cohort.ask_rename", name=cohort.name), [])
    elif action in ("a", "u"):
        await training.cohorts.archive(cohort.id, action == "a")
        fresh = await training.cohorts.get(cohort.id)
        assert fresh is not None
        await show_menu(update, *await card_view(context, fresh))
    elif action == "c":
        page = press.number(1) if len(args) > 1 else 0
        await show_menu(update, *await _courses_view(context, cohort, page))
    elif action == "t" and not cohort.archived:
        await training.cohorts.toggle_course(cohort.id, course_key)
        await show_menu(update, *await _courses_view(context, cohort,
                                                     _course_page(context, course_key)))
    elif action == "d" and not cohort.archived:
        await training.prompts.ask(sender.id, "cohort_deadline", f"{cohort.id}:{course_key}")
        await show_menu(update, context.t("cohort.ask_deadline"), [])
    elif action == "m":
        if not _private(update):
            await show_menu(update, context.t("people.private_only"), [])
            return
        await show_menu(update, *await _members_view(context, cohort, press.number(1)))


# Buttons about people in a cohort: removing members (private chats only: names and units),
# assigning trainers (admins only).
_PEOPLE_ACTIONS = frozenset({"x", "xm", "xy", "k", "kt"})
_LINK_ACTIONS = frozenset({"g", "gn"})


async def _people_button(update: Update, context: SinauContext, cohort: Cohort, action: str,
                         number: int) -> None:
    """``ch:x`` / ``xm`` / ``xy``: pick, confirm, remove a member; ``ch:k`` / ``kt``: the
    cohort's trainers (a page of them; assign or unassign one)."""
    query = update.callback_query
    assert query is not None
    training = context.services.training
    if not _private(update):
        await query.answer(context.label("people.private_only"), show_alert=True)
        return
    if action in ("k", "kt"):
        if not training.roles.is_admin(query.from_user.id):
            await query.answer(context.label("people.refused_admin"), show_alert=True)
            return
        if action == "kt":
            try:
                await training.cohorts.toggle_trainer(cohort.id, number, by=query.from_user.id)
            except ValueError:  # revoked since the list was shown
                await query.answer(context.t("common.expired_button"))
                return
        await query.answer()
        await show_menu(update, *await _trainers_view(context, cohort,
                                                      number if action == "k" else 0))
        return
    if cohort.archived:
        await query.answer(context.t("common.expired_button"))
        return
    if action == "x":
        await query.answer()
        await show_menu(update, *await _remove_pick_view(context, cohort, number))
        return
    member = await training.cohorts.member(cohort.id, number)
    if member is None:
        await query.answer(context.label("people.not_member"), show_alert=True)
        await show_menu(update, *await _remove_pick_view(context, cohort, 0))
        return
    if action == "xm":
        await query.answer()
        await show_menu(update, context.t("people.remove_confirm", member=member.name,
                                          name=cohort.name), [
            [_button(context, "people.btn_remove_yes", data("ch", "xy", cohort.id, number)),
             _button(context, "people.btn_cancel", data("ch", "x", cohort.id, 0))]])
        return
    await training.cohorts.remove_member(cohort.id, number)
    await query.answer(context.label("people.removed", member=member.name))
    fresh = await training.cohorts.get(cohort.id)
    assert fresh is not None
    await show_menu(update, *await _members_view(context, fresh, 0))


async def _link_button(update: Update, context: SinauContext, cohort: Cohort,
                       action: str) -> None:
    """``ch:g``: move the group this was pressed in to the cohort after all; ``ch:gn``: not."""
    query = update.callback_query
    assert query is not None
    chat = update.effective_chat
    if chat is None or chat.type not in (chat.GROUP, chat.SUPERGROUP) or cohort.archived:
        await query.answer(context.t("common.expired_button"))
        return
    cohorts = context.services.training.cohorts
    current = await cohorts.for_group(chat.id)
    await query.answer()
    if action == "g":
        await cohorts.link_group(cohort.id, chat.id)
        await show_menu(update, context.t("cohort.linked", name=cohort.name), [])
    elif current is not None:
        await show_menu(update, context.t("people.relink_kept", current=current.name), [])
    else:
        await show_menu(update, context.t("common.expired_button"), [])
