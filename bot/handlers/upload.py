"""Course pack upload and versions: a trainer sends a .toml file (or /upload, then the file),
sees the draft's changes and publishes, tries or discards it; /versions, /restore_course."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.buttons import data, parse
from bot.content.models import Course
from bot.context import SinauContext
from bot.handlers.auth import require_role
from bot.handlers.paging import paged, shows
from bot.handlers.render import button, edit, keyboard, when_text
from bot.i18n import SafeHtml
from bot.storage.packs import VersionEvent
from bot.training.upload import CourseDiff, Pending, VersionScreen

logger = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096


def error_text(context: SinauContext, name: str, problems: list[str]) -> SafeHtml:
    """The problems as 'line: message', cut to fit one message, saying how many were left out."""
    import html

    lines: list[str] = []
    for number, problem in enumerate(problems):
        more = context.t("upload.more", count=len(problems) - number)
        candidate = context.t("upload.errors", name=name, count=len(problems),
                              lines=SafeHtml("\n".join([*lines, html.escape(problem)])))
        if len(candidate) + len(more) + 1 > MESSAGE_LIMIT:
            head = context.t("upload.errors", name=name, count=len(problems),
                             lines=SafeHtml("\n".join(lines)))
            return SafeHtml(f"{head}\n{more}")
        lines.append(html.escape(problem))
    return context.t("upload.errors", name=name, count=len(problems),
                     lines=SafeHtml("\n".join(lines)))


@require_role("trainer")
async def upload_command(update: Update, context: SinauContext) -> None:
    """/upload: ask for the course pack file."""
    message = update.effective_message
    sender = update.effective_user
    if message is None or sender is None:
        return
    await context.services.training.prompts.ask(sender.id, "upload")
    limit = context.services.settings.content.max_upload_bytes // 1024
    await message.reply_text(context.t("upload.ask", limit=limit))


async def answer_file(update: Update, context: SinauContext) -> None:
    """The answer to /upload: it must be a .toml document."""
    message = update.effective_message
    sender = update.effective_user
    if message is None or sender is None:
        return
    await context.services.training.prompts.close(sender.id)
    await receive(update, context)


@require_role("trainer")
async def on_document(update: Update, context: SinauContext) -> None:
    """A .toml document from a trainer: a course pack to check and keep as a draft."""
    await receive(update, context)


async def receive(update: Update, context: SinauContext) -> None:
    """Check type and size, download, validate, show the draft's screen or the problems."""
    message = update.effective_message
    if message is None:
        return
    document = message.document
    name = (document.file_name if document else None) or "?"
    if document is None or not name.lower().endswith(".toml"):
        await message.reply_text(context.t("upload.wrong_type", name=name))
        return
    limit = context.services.settings.content.max_upload_bytes
    declared = document.file_size or 0
    if declared > limit:
        await message.reply_text(context.t("upload.too_large", size=-(-declared // 1024),
                                           limit=limit // 1024))
        return
    try:
        file = await context.bot.get_file(document.file_id)
        content = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        logger.warning("course pack download failed: %s", exc)
        await message.reply_text(context.t("upload.download_failed"))
        return
    if len(content) > limit:
        await message.reply_text(context.t("upload.too_large", size=-(-len(content) // 1024),
                                           limit=limit // 1024))
        return
    sender = update.effective_user
    uploaded_by = sender.id if sender is not None else 0
    uploads = context.services.training.uploads
    result = await uploads.install(name, content, uploaded_by)
    if not result.accepted:
        await message.reply_text(error_text(context, name, result.problems))
        return
    assert result.course is not None
    screen = await uploads.screen(result.course.key)
    assert screen is not None
    text, markup = await screen_view(context, screen)
    if result.replaced is not None:
        text = SafeHtml(f"{context.t('versions.replaced', version=result.replaced.version)}"
                        f"\n\n{text}")
    if result.warnings:
        text = SafeHtml(f"{text}\n\n{warning_text(context, result.warnings)}")
    await message.reply_text(text, reply_markup=markup)


WARNINGS_SHOWN = 10   # each at most ~250 characters: the reply stays within one message


def warning_text(context: SinauContext, warnings: list[str]) -> SafeHtml:
    """The warnings of an accepted pack as 'line: message', the first few of them."""
    import html

    lines = "\n".join(html.escape(w) for w in warnings[:WARNINGS_SHOWN])
    text = context.t("upload.warnings", count=len(warnings), lines=SafeHtml(lines))
    if len(warnings) > WARNINGS_SHOWN:
        more = context.t("upload.warnings_more", count=len(warnings) - WARNINGS_SHOWN)
        text = SafeHtml(f"{text}\n{more}")
    return text


# --------------------------------------------------------------------------- versions

LISTED = 8   # lesson titles named per kind of change; the rest are counted


def _titles(context: SinauContext, course: Course, keys: tuple[str, ...]) -> str:
    """The lessons' titles (in the learner's language of this update), the first few."""
    import html

    names = []
    for key in keys[:LISTED]:
        lesson = course.lesson(key)
        names.append(html.escape(lesson.title.get(context.lang) if lesson else key))
    text = ", ".join(names)
    if len(keys) > LISTED:
        text += " " + context.t("versions.and_more", count=len(keys) - LISTED)
    return text


async def _pending_text(context: SinauContext, screen: VersionScreen,
                        pending: Pending) -> list[str]:
    """What the pending version is and changes, and whose progress it touches."""
    version, course, diff = pending.version, pending.course, pending.diff
    lines: list[str] = []
    if version.state == "trial" and version.cohort_id is not None:
        cohort = await context.services.training.cohorts.get(version.cohort_id)
        lines.append(context.t("versions.trial", version=version.version,
                               lessons=len(course.lessons),
                               cohort=cohort.name if cohort else f"#{version.cohort_id}"))
    else:
        lines.append(context.t("versions.draft", version=version.version,
                               lessons=len(course.lessons)))
    if screen.live is None:
        lines.append(context.t("versions.new_course"))
        return lines
    old = screen.live
    if diff.added:
        lines.append(context.t("versions.added", count=len(diff.added),
                               titles=SafeHtml(_titles(context, course, diff.added))))
    if diff.removed:
        lines.append(context.t("versions.removed", count=len(diff.removed),
                               titles=SafeHtml(_titles(context, old, diff.removed))))
    if diff.edited:
        lines.append(context.t("versions.edited", count=len(diff.edited),
                               titles=SafeHtml(_titles(context, course, diff.edited))))
    if diff.questions:
        lines.append(context.t("versions.questions", count=diff.questions))
    if diff.about:
        lines.append(context.t("versions.about"))
    if not diff.changed:
        lines.append(context.t("versions.no_change"))
    affected = pending.affected
    finished = affected.started - affected.part_way
    lines.append(context.t("versions.affected", part_way=affected.part_way))
    if affected.completed_removed:
        lines.append(context.t("versions.affected_removed", count=affected.completed_removed))
    if finished and diff.added:
        lines.append(context.t("versions.affected_finished", count=finished))
    lines.append(context.t("versions.kept"))
    return lines


async def screen_view(context: SinauContext, screen: VersionScreen
                      ) -> tuple[SafeHtml, InlineKeyboardMarkup]:
    """A course's version screen: live version, the pending one with its changes, buttons."""
    course = screen.pending.course if screen.pending else screen.live
    assert course is not None
    lines: list[str] = [context.t("versions.title", title=course.title.get(context.lang),
                       course=screen.course_key)]
    if screen.live is None:
        lines.append(context.t("versions.not_live"))
    elif screen.live_version:
        lines.append(context.t("versions.live", version=screen.live_version,
                               lessons=len(screen.live.lessons)))
    else:
        lines.append(context.t("versions.live_shipped", lessons=len(screen.live.lessons)))
    rows = []
    if screen.pending is not None:
        lines.append("")
        lines.extend(await _pending_text(context, screen, screen.pending))
        version = screen.pending.version
        rows.append([button(context.label("versions.btn_publish"), data("cv", "p", version.id))])
        rows.append([button(context.label("versions.btn_trial"), data("cv", "t", version.id))])
        rows.append([button(context.label("versions.btn_discard"),
                            data("cv", "x", version.id))])
    if screen.previous is not None and screen.live is not None:
        restore = (context.label("versions.btn_restore", version=screen.previous)
                   if screen.previous else context.label("versions.btn_restore_shipped"))
        rows.append([button(restore, data("cv", "r", screen.course_key,
                                          screen.live_version))])
    rows.append([button(context.label("versions.btn_history"),
                        data("cv", "h", screen.course_key))])
    return SafeHtml("\n".join(lines)), keyboard(*rows)


def _summary(context: SinauContext, text: str) -> str:
    """A stored diff in a few signs: '(+1 −1 ✎2 ?3)' (empty when nothing changed)."""
    diff = CourseDiff.from_json(text)
    if diff.new_course:
        return f"({context.label('versions.sum_new', count=len(diff.added))})"
    parts = [f"+{len(diff.added)}" if diff.added else "",
             f"−{len(diff.removed)}" if diff.removed else "",
             f"✎{len(diff.edited)}" if diff.edited else "",
             f"?{diff.questions}" if diff.questions else "",
             "ℹ️" if diff.about else ""]
    shown = " ".join(p for p in parts if p)
    return f"({shown})" if shown else ""


def _local(context: SinauContext, event: VersionEvent) -> str:
    """When an event happened, in the reader's time zone."""
    zone_name = context.user.timezone if context.user is not None else ""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = context.services.settings.zone
    return when_text(context.lang, event.done_at.astimezone(zone))


async def history_view(context: SinauContext, course_key: str
                       ) -> tuple[SafeHtml, InlineKeyboardMarkup]:
    """A course's latest decisions: when, what, which version, who, the diff it brought."""
    events = await context.services.training.uploads.history(course_key)
    lines: list[str] = [context.t("versions.history_title", course=course_key)]
    if not events:
        lines.append(context.t("versions.history_empty"))
    for event in events:
        version = (context.t("versions.v", version=event.version) if event.version
                   else context.t("versions.shipped"))
        cohort = (context.t("versions.in_cohort", cohort=event.cohort_name or
                            f"#{event.cohort_id}") if event.cohort_id is not None else "")
        lines.append(context.t(f"versions.did_{event.action}", when=_local(context, event),
                               version=version, cohort=cohort,
                               who=event.done_by_name or (f"#{event.done_by}" if event.done_by
                                                          else "—"),
                               summary=_summary(context, event.summary)))
    back = button(context.label("versions.btn_back"), data("cv", "v", course_key))
    return SafeHtml("\n".join(lines)), keyboard([back])


async def _course_list(context: SinauContext, page: int
                       ) -> tuple[SafeHtml, InlineKeyboardMarkup]:
    """Every live course, then those only drafted so far, one button each (a page)."""
    catalogue = context.services.catalogue.published
    names = {c.key: c.title.get(context.lang) for c in catalogue}
    for key in await context.services.training.uploads.courses():
        names.setdefault(key, key)   # a new course's draft: named by its key until live
    items = [[button(name, data("cv", "v", key))] for key, name in names.items()]
    shown = paged(items, page, lambda n: data("cv", "l", n), context.lang)
    text = shown.with_note(str(context.t("versions.list_title", count=len(items))),
                           context.lang)
    return SafeHtml(text), InlineKeyboardMarkup(shown.rows)


async def _cohort_picker(context: SinauContext, version_id: int, course_key: str,
                         trainer_id: int, page: int) -> tuple[SafeHtml, InlineKeyboardMarkup]:
    """The cohorts this trainer may steer, to try a version on one of them."""
    cohorts = await context.services.training.cohorts.visible_to(trainer_id)
    items = [[button(c.name, data("cv", "tc", version_id, c.id))] for c in cohorts]
    back = [button(context.label("versions.btn_back"), data("cv", "v", course_key))]
    if not items:
        return context.t("versions.no_cohorts"), keyboard(back)
    shown = paged(items, page, lambda n: data("cv", "t", version_id, n), context.lang)
    text = shown.with_note(str(context.t("versions.pick_cohort")), context.lang)
    return SafeHtml(text), InlineKeyboardMarkup([*shown.rows, back])


@require_role("trainer")
async def versions_command(update: Update, context: SinauContext) -> None:
    """/versions [KEY]: a course's versions, or the list of uploaded courses."""
    message = update.effective_message
    if message is None:
        return
    args = context.args or []
    if not args:
        text, markup = await _course_list(context, 0)
        await message.reply_text(text, reply_markup=markup)
        return
    screen = await context.services.training.uploads.screen(args[0].lower())
    if screen is None:
        await message.reply_text(context.t("versions.unknown_course", course=args[0]))
        return
    text, markup = await screen_view(context, screen)
    await message.reply_text(text, reply_markup=markup)


@require_role("trainer")
async def restore_command(update: Update, context: SinauContext) -> None:
    """/restore_course KEY: make the version live before the current one live again."""
    message = update.effective_message
    sender = update.effective_user
    if message is None or sender is None:
        return
    args = context.args or []
    if not args:
        await message.reply_text(context.t("versions.restore_usage"))
        return
    key = args[0].lower()
    uploads = context.services.training.uploads
    if await uploads.screen(key) is None:
        await message.reply_text(context.t("versions.unknown_course", course=args[0]))
        return
    decision = await uploads.restore(key, sender.id)
    if decision is None:
        await message.reply_text(context.t("versions.nothing_to_restore"))
        return
    screen = await uploads.screen(key)
    assert screen is not None
    text, markup = await screen_view(context, screen)
    done = _restored(context, decision.version)
    await message.reply_text(SafeHtml(f"{done}\n\n{text}"), reply_markup=markup)


def _restored(context: SinauContext, version: int) -> SafeHtml:
    """'Version 2 is live again for everyone' (or the shipped pack)."""
    if version:
        return context.t("versions.restored", version=version)
    return context.t("versions.restored_shipped")


@require_role("trainer")
async def on_button(update: Update, context: SinauContext) -> None:
    """The ``cv:`` buttons: course list, versions, history, restore, publish, trial, discard."""
    query = update.callback_query
    sender = update.effective_user
    if query is None or sender is None:
        return
    press = parse(query.data, "cv")
    # A page press only turns the pages of the list it is on (bot.handlers.paging).
    turns_page = press is not None and len(press) == (1 if press.action == "l" else 2)
    if press is None or (turns_page and not shows(query, f"cv:{press.action}:")):
        await query.answer(context.t("common.expired_button"))
        return
    uploads = context.services.training.uploads
    action = press.action
    if action == "l":
        await query.answer()
        await edit(query, *await _course_list(context, press.number(0) if len(press) else 0))
        return
    if action in ("v", "h", "r"):
        key = press.arg(0)
        if await uploads.screen(key) is None:
            await query.answer(context.t("common.expired_button"))
            return
        toast = ""
        if action == "h":
            await query.answer()
            await edit(query, *await history_view(context, key))
            return
        if action == "r":
            decision = await uploads.restore(key, sender.id, live=press.number(1))
            toast = (context.label("versions.decided") if decision is None
                     else str(_restored(context, decision.version)))
        await _answer_and_show(context, query, key, toast)
        return
    version = await uploads.version(press.number(0))
    if version is None:
        await query.answer(context.t("common.expired_button"))
        return
    key = version.course_key
    if action == "t":
        if version.state not in ("draft", "trial"):
            await _answer_and_show(context, query, key, context.label("versions.decided"))
            return
        await query.answer()
        page = press.number(1) if len(press) > 1 else 0
        await edit(query, *await _cohort_picker(context, version.id, key, sender.id, page))
        return
    if action == "tc":
        cohort_id = press.number(1)
        cohort = await context.services.training.cohorts.get(cohort_id)
        if (cohort is None or cohort.archived
                or not await context.services.training.cohorts.may_see(sender.id, cohort_id)):
            await query.answer(context.t("common.expired_button"))
            return
        decided = await uploads.try_on(version.id, cohort_id, sender.id)
        toast = (context.label("versions.trial_started", cohort=cohort.name) if decided
                 else context.label("versions.decided"))
    elif action == "p":
        decided = await uploads.publish(version.id, sender.id)
        toast = (context.label("versions.published", version=version.version) if decided
                 else context.label("versions.decided"))
    else:   # "x"
        decided = await uploads.discard(version.id, sender.id)
        toast = (context.label("versions.discarded", version=version.version) if decided
                 else context.label("versions.decided"))
    await _answer_and_show(context, query, key, toast)


async def _answer_and_show(context: SinauContext, query: CallbackQuery, course_key: str,
                           toast: str) -> None:
    """Answer the press (with ``toast``) and show the course's versions as they are now."""
    await query.answer(toast or None)
    screen = await context.services.training.uploads.screen(course_key)
    if screen is None:   # a brand-new course's draft was discarded: nothing left to show
        await edit(query, context.t("versions.gone", course=course_key), None)
        return
    text, markup = await screen_view(context, screen)
    await edit(query, text, markup)
