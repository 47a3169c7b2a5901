"""/start: the onboarding questionnaire (buttons first), then the learner's dashboard.

The steps and their rules are bot.learning.onboarding.OnboardingService; this module shows the
question each step asks and the deep-link outcomes (a cohort joined, a trainer welcomed).
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update

from bot.buttons import data, parse
from bot.context import SinauContext
from bot.handlers.keyboards import language_keyboard, time_keyboard, unit_keyboard
from bot.handlers.menus import set_staff_menu
from bot.handlers.render import button, dashboard, edit, expired, keyboard
from bot.i18n import SafeHtml, choose_language, t
from bot.learning.onboarding import OnboardingStep, format_time
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


async def start(update: Update, context: SinauContext) -> None:
    """Welcome a new learner into onboarding, or show an onboarded one their dashboard."""
    message, user = update.effective_message, context.user
    if message is None or user is None or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        await message.reply_text(t(context.lang, "start.welcome", name=user.name))
        return
    payload = context.args[0] if context.args else None
    outcome = await context.services.onboarding.start(user, payload)
    user, lang = outcome.user, context.lang
    if outcome.onboarding:
        await message.reply_text(
            f"{t(lang, 'onboarding.welcome', name=user.name)}\n\n{t(lang, 'onboarding.privacy')}"
        )
        await message.reply_text(t(lang, "onboarding.ask_language"),
                                 reply_markup=language_keyboard("ob", "language", lang))
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


def _question(context: SinauContext, step: OnboardingStep
              ) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons that ask ``step.ask``."""
    lang, user = context.lang, step.user
    if step.ask == "language":
        return t(lang, "onboarding.ask_language"), language_keyboard("ob", "language", lang)
    if step.ask == "name":
        return t(lang, "onboarding.ask_name", name=user.name), keyboard(
            [button(t(lang, "onboarding.name_keep"), data("ob", "name", "keep"))],
            [button(t(lang, "onboarding.name_change"), data("ob", "name", "edit"))],
        )
    if step.ask == "unit":
        return t(lang, "onboarding.ask_unit"), unit_keyboard(context, "ob", "unit", lang)
    if step.ask == "time":
        default = format_time(context.services.settings.learning.default_nudge_time)
        return (t(lang, "onboarding.ask_time"),
                time_keyboard(context, "ob", "time", lang, default))
    prompt = {"type_name": "onboarding.type_name", "type_unit": "onboarding.type_unit",
              "type_time": "onboarding.type_time"}[step.ask]
    return t(lang, prompt), None


async def _done(update: Update, context: SinauContext, step: OnboardingStep, *,
                in_place: bool) -> None:
    user, lang = step.user, context.lang
    text = t(lang, "onboarding.done", name=user.name, time=user.nudge_time or "")
    if step.joined is not None:  # came with a cohort link
        text = SafeHtml(f"{text}\n\n{join_text(lang, step.joined)}")
    if in_place and update.callback_query is not None:
        await edit(update.callback_query, text, None)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)
    await send_dashboard(update, context, user)


async def on_callback(update: Update, context: SinauContext) -> None:
    """Handle an onboarding button (ob:<step>:<value>) if it belongs to the current step."""
    query, user = update.callback_query, context.user
    if query is None or user is None:
        return
    press = parse(query.data, "ob")
    step = (await context.services.onboarding.choose(user, press.action, press.arg(0))
            if press is not None and query.from_user.id == user.id else None)
    if step is None:
        await expired(query, context.lang)
        return
    if step.user.language:
        context.lang = step.user.language
    await query.answer()
    if step.ask == "done":
        await _done(update, context, step, in_place=True)
        return
    await edit(query, *_question(context, step))


async def on_text(update: Update, context: SinauContext) -> bool:
    """Typed text while an onboarding step waits for it; False when none waits."""
    message, user = update.effective_message, context.user
    if not isinstance(message, Message) or user is None or not message.text:
        return False
    step = await context.services.onboarding.typed(user, message.text)
    if step is None:
        return False
    if step.ask == "language":
        # Typed instead of pressed: ask again, in the language the text seems to be in.
        context.lang = step.detected_language or choose_language(None, user.telegram_language)
    if step.problem is not None:
        await message.reply_text(t(context.lang, f"onboarding.{step.problem}"))
        return True
    if step.ask == "done":
        await _done(update, context, step, in_place=False)
        return True
    text, markup = _question(context, step)
    await message.reply_text(text, reply_markup=markup)
    return True
