"""Course pack upload: a trainer sends a .toml file (or /upload, then the file)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import SinauContext
from bot.handlers.auth import require_role
from bot.i18n import SafeHtml

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
    """A .toml document from a trainer: a course pack to check and activate."""
    await receive(update, context)


async def receive(update: Update, context: SinauContext) -> None:
    """Check type and size, download, validate, activate or list the problems."""
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
    result = await context.services.training.uploads.install(name, content, uploaded_by)
    if not result.accepted:
        await message.reply_text(error_text(context, name, result.problems))
        return
    assert result.course is not None
    key = "upload.activated_new" if result.is_new else "upload.activated_updated"
    text = context.t(key, title=result.course.title.get(context.lang),
                     lessons=len(result.course.lessons))
    if result.warnings:
        text = SafeHtml(f"{text}\n\n{warning_text(context, result.warnings)}")
    await message.reply_text(text)


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
