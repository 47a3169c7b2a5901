"""Telegram's command menus: learners', groups', and each trainer's or admin's own."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeChat
from telegram.error import TelegramError

from bot.i18n import LANGUAGES, label

if TYPE_CHECKING:
    from bot.wiring import Services

logger = logging.getLogger(__name__)

# Commands in Telegram's menu, in menu order; each has "commands.<name>" in the catalogues.
COMMANDS: tuple[str, ...] = (
    "start", "learn", "courses", "review", "progress", "settings", "pause", "stop_nudges",
    "resume", "privacy", "mydata", "deleteme", "verify", "help",
)
# Group chats get the discussion commands instead.
GROUP_COMMANDS: tuple[str, ...] = ("discuss", "threads", "summary", "best", "close",
                                   "group_settings")
#: Commands of trainers and admins, shown in their own chat's menu (not in the learners' menu)
#: and listed by /trainer: every command guarded by require_role("trainer") or ("admin") is
#: in one of these (tests/e2e/test_trainer_tools.py checks it against the registered ones).
TRAINER_COMMANDS: tuple[str, ...] = ("trainer", "cohort", "broadcast", "scheduled", "stats",
                                     "export", "upload", "versions", "restore_course",
                                     "linkgroup")
ADMIN_COMMANDS: tuple[str, ...] = ("grant", "revoke", "users", "trainers", "revoke_cert")
# Commands described outside the "commands" table of the catalogues.
_DESCRIPTIONS = {"linkgroup": "people.cmd_linkgroup", "users": "people.cmd_users",
                 "trainers": "people.cmd_trainers", "scheduled": "schedule.cmd_scheduled",
                 "versions": "versions.cmd_versions", "restore_course": "versions.cmd_restore"}


def describe(lang: str, name: str) -> str:
    """A command's one-line description in ``lang`` (plain text, as menus show it)."""
    return label(lang, _DESCRIPTIONS.get(name, f"commands.{name}"))


def command_list(lang: str, names: tuple[str, ...] = COMMANDS) -> list[BotCommand]:
    """The commands ``names`` as Telegram's menu shows them, described in ``lang``."""
    return [BotCommand(name, describe(lang, name)) for name in names]


def staff_commands(lang: str, role: str) -> list[BotCommand]:
    """The menu of a trainer or admin: the learner commands plus theirs."""
    names = (*COMMANDS, *TRAINER_COMMANDS, *(ADMIN_COMMANDS if role == "admin" else ()))
    return command_list(lang, names)


async def set_staff_menu(bot: Any, user_id: int, role: str) -> None:
    """Show the trainer commands in this user's private chat menu, in both languages."""
    scope = BotCommandScopeChat(user_id)
    try:
        await bot.set_my_commands(staff_commands("id", role), scope=scope)
        for lang in LANGUAGES:
            await bot.set_my_commands(staff_commands(lang, role), scope=scope,
                                      language_code=lang)
    except TelegramError as exc:
        logger.info("could not set the staff menu for %s: %s", user_id, exc)


async def clear_staff_menu(bot: Any, user_id: int) -> None:
    """Back to the learners' menu after a revoke."""
    scope = BotCommandScopeChat(user_id)
    try:
        await bot.delete_my_commands(scope=scope)
        for lang in LANGUAGES:
            await bot.delete_my_commands(scope=scope, language_code=lang)
    except TelegramError as exc:
        logger.info("could not clear the staff menu for %s: %s", user_id, exc)


async def install(bot: Any, services: Services) -> None:
    """post_init: the learners' menu (the default is Indonesian), the groups' menu, and the
    menu of every trainer and admin the bot can reach."""
    await bot.set_my_commands(command_list("id"))
    for lang in LANGUAGES:
        await bot.set_my_commands(command_list(lang), language_code=lang)
    scope = BotCommandScopeAllGroupChats()
    for code in (None, *LANGUAGES):
        await bot.set_my_commands(command_list(code or "id", GROUP_COMMANDS), scope=scope,
                                  language_code=code)
    roles = services.training.roles
    for user_id in await roles.staff_ids():
        known = await services.users.get(user_id)
        if known is not None and known.is_active:
            await set_staff_menu(bot, user_id, await roles.role_of(user_id))
