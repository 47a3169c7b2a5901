"""/start and the `ob:` buttons: learn first, ask later.

/start shows one message — welcome, privacy notice, the language (preselected), "start
learning" — and that tap opens the first lesson card. The late questions (reminder time, work
unit, certificate name) are asked when they matter, with the same `ob:` buttons. The rules are
bot.learning.onboarding.OnboardingService; this module shows the messages.

Buttons: ``ob:go`` (accept the notice, start), ``ob:lang:<code>`` (the welcome in another
language), ``ob:time:<HHMM|custom|skip|menu>``, ``ob:unit:<n|other|skip|p:<page>>``,
``ob:name:<keep|edit>``.
"""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.handlers import lessons
from bot.handlers.keyboards import (
    default_time,
    language_keyboard,
    time_question,
    unit_question,
)
from bot.handlers.menus import set_staff_menu
from bot.handlers.paging import shows
from bot.handlers.render import button, dashboard, edit, expired, keyboard, send_screen
from bot.i18n import LANGUAGES, SafeHtml, detect_language, t
from bot.learning.certificates import code_of_payload
from bot.learning.onboarding import OnboardingStep
from bot.storage.users import User
from bot.training.cohorts import JoinResult


async def send_dashboard(update: Update, context: SinauContext, user: User) -> None:
    """Send the learner's dashboard to the current chat."""
    snap = await context.services.learning.snapshot(user.id)
    if snap is None or update.effective_chat is None:
        return
    text, markup = dashboard(context.lang, user.name, snap)
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


def join_text(lang: str, result: JoinResult) -> SafeHtml:
    """What opening a cohort link did, in one line."""
    name = result.cohort.name if result.cohort else ""
    return t(lang, f"cohort.join_{result.outcome}", name=name)


def welcome(lang: str, name: str) -> tuple[str, InlineKeyboardMarkup]:
    """The one /start message of a newcomer: welcome, privacy notice, language, start."""
    text = (f"{t(lang, 'onboarding.welcome', name=name)}\n\n{t(lang, 'onboarding.privacy')}\n\n"
            f"{t(lang, 'onboarding.how_to_start')}")
    languages = language_keyboard("ob", "lang", lang).inline_keyboard
    return text, keyboard([button(t(lang, "onboarding.begin"), data("ob", "go"))], *languages)


def _started_line(context: SinauContext, user: User) -> tuple[str, InlineKeyboardMarkup]:
    """The welcome once the learner started: their reminder time, and a button to change it."""
    lang = context.lang
    if user.nudge_time is None:
        text = t(lang, "onboarding.started_default", name=user.name, time=default_time(context))
    else:
        text = t(lang, "onboarding.started", name=user.name, time=user.nudge_time)
    return text, keyboard([button(t(lang, "onboarding.change_time"), data("ob", "time", "menu"))])


async def start(update: Update, context: SinauContext) -> None:
    """Welcome a newcomer (one message, one tap to the first card), or show a learner their
    dashboard."""
    message, chat, sender = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or sender is None:
        return
    verifying = code_of_payload(context.args[0]) if context.args else None
    if verifying is not None and chat.type == "private":
        # A certificate's QR code (t.me/<bot>?start=v_<code>): whoever scans it gets the
        # verdict, and nobody is walked into onboarding for it.
        from bot.handlers.progress import answer_verification

        await answer_verification(update, context, verifying)
        return
    user = context.user
    if user is None:
        if context.erased and chat.type == "private":
            # Erased: nothing is stored until the notice is accepted again (ob:go).
            await send_screen(context.bot, chat.id, welcome(context.lang, sender.first_name or ""))
        return
    if chat.type != "private":
        await message.reply_text(t(context.lang, "start.welcome", name=user.name))
        return
    payload = context.args[0] if context.args else None
    outcome = await context.services.onboarding.start(user, payload)
    user, lang = outcome.user, context.lang
    if outcome.onboarding:
        await send_screen(context.bot, chat.id, welcome(lang, user.name))
    else:
        await send_dashboard(update, context, user)
    if outcome.trainer is not None:
        key = {"welcome": "trainer.welcome", "already": "trainer.already_you",
               "invalid": "trainer.invite_invalid"}[outcome.trainer]
        await message.reply_text(t(lang, key))
        if outcome.trainer == "welcome":
            await set_staff_menu(context.bot, user.id, "trainer")
    if outcome.joined is not None:
        await message.reply_text(join_text(lang, outcome.joined))
        if outcome.joined.outcome == "joined" and await context.services.onboarding.claim(
                user, "unit"):
            await send_screen(context.bot, chat.id, unit_question(context))


async def _begin(update: Update, context: SinauContext) -> None:
    """ob:go: the notice accepted; the welcome says the reminder time, the first card follows."""
    query, sender = update.callback_query, update.effective_user
    assert query is not None and sender is not None
    services = context.services
    if context.erased:
        # They chose to start again: forget the erasure, then record them afresh.
        await services.privacy.start_afresh(sender.id)
        context.user = await services.users.seen(
            user_id=sender.id, first_name=sender.first_name or "", last_name=sender.last_name,
            username=sender.username, language_code=sender.language_code)
        context.erased = False
    user = context.user
    if user is None:
        await expired(query, context.lang)
        return
    was_new = not user.onboarded
    accepted = await services.onboarding.accept(user, context.lang)
    await query.answer()
    if was_new:
        text, markup = _started_line(context, accepted.user)
        if accepted.joined is not None:
            text = f"{text}\n\n{join_text(context.lang, accepted.joined)}"
        await edit(query, text, markup)
        if accepted.ask_unit and query.message is not None:
            await send_screen(context.bot, query.message.chat.id, unit_question(context))
    context.user = accepted.user
    await lessons.open_next(update, context, accepted.user)


async def _answered(update: Update, context: SinauContext, step: OnboardingStep) -> None:
    """Show what a late question's button or typed answer did."""
    lang, user = context.lang, step.user
    query = update.callback_query
    if step.ask == "time":
        text, markup = time_question(context, user, "onboarding.ask_time")
    elif step.ask.startswith("type_"):
        text, markup = t(lang, f"onboarding.{step.ask}"), None
        if step.problem is not None:
            text = t(lang, f"onboarding.{step.problem}")
    elif step.ask == "skipped":
        text, markup = t(lang, "onboarding.skipped"), None
    elif step.what == "time":
        text, markup = t(lang, "onboarding.time_saved", time=user.nudge_time or ""), None
    elif step.what == "unit":
        text, markup = t(lang, "onboarding.unit_saved", unit=user.unit or ""), None
    elif step.what == "nip":
        # The learner's own private chat: the NIP may be shown in full here.
        text, markup = t(lang, "onboarding.nip_saved", nip=user.nip or ""), None
    elif step.what in ("jabatan", "institution"):
        value = (user.jabatan if step.what == "jabatan" else user.institution) or ""
        text, markup = t(lang, f"onboarding.{step.what}_saved", value=value), None
    else:
        text, markup = t(lang, "onboarding.name_saved", name=user.name), None
    if query is not None:
        await edit(query, text, markup)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, reply_markup=markup)
    if (step.what in ("name", "nip") and step.ask == "saved"
            and update.effective_chat is not None):
        # The name or the NIP may be what a passed course's certificate waited for.
        from bot.handlers.evaluation import deliver_waiting

        await deliver_waiting(context, update.effective_chat.id, user, ask_next=True)


async def on_callback(update: Update, context: SinauContext) -> None:
    """Handle an `ob:` button: the welcome's start and language, and the late questions."""
    query = update.callback_query
    if query is None:
        return
    press = parse(query.data, "ob")
    if press is None:
        await _expired(query, context)
        return
    if press.action == "go":
        await _begin(update, context)
        return
    user = context.user
    if press.action == "lang":
        code = press.arg(0)
        if code not in LANGUAGES or (user is None and not context.erased):
            await _expired(query, context)
            return
        if user is not None and not user.onboarded:
            user = await context.services.onboarding.set_language(user, code) or user
        context.lang = code
        await query.answer()
        name = user.name if user is not None else query.from_user.first_name or ""
        await edit(query, *welcome(code, name))
        return
    if press.action == "unit" and len(press) == 2:
        await _unit_page(update, context, press.number(1))
        return
    step = (await context.services.onboarding.answer(user, press.action, press.arg(0))
            if user is not None and user.onboarded else None)
    if step is None:
        await _expired(query, context)
        return
    await query.answer()
    await _answered(update, context, step)


async def _unit_page(update: Update, context: SinauContext, page: int) -> None:
    """ob:unit:p:<n>: another page of the work-unit question, in place."""
    query, user = update.callback_query, context.user
    assert query is not None
    if user is None or not user.onboarded or not shows(query, "ob:unit:"):
        await _expired(query, context)
        return
    await query.answer()
    await edit(query, *unit_question(context, page))


async def _expired(query: CallbackQuery, context: SinauContext) -> None:
    """The "expired" answer, with the way back for a known learner (an erased person's way back is
    /start, which the welcome they get says)."""
    now = context.services.clock.now() if context.user is not None else None
    await expired(query, context.lang, now=now)


async def resend_welcome(update: Update, context: SinauContext, user: User) -> None:
    """A newcomer typed instead of tapping: the welcome again, in the language they wrote."""
    message = update.effective_message
    if message is None:
        return
    lang = detect_language(message.text) if message.text else None
    await send_screen(context.bot, message.chat_id, welcome(lang or context.lang, user.name))


async def on_text(update: Update, context: SinauContext) -> bool:
    """Typed text while a late question waits for it; False when none waits."""
    message, user = update.effective_message, context.user
    if not isinstance(message, Message) or user is None or not message.text:
        return False
    step = await context.services.onboarding.typed(user, message.text)
    if step is None:
        return False
    await _answered(update, context, step)
    return True
