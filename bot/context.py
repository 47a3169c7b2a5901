"""A typed CallbackContext: handlers reach services, the learner and ``t()`` through it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.i18n import DEFAULT_LANGUAGE, SafeHtml, label, t

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Settings
    from bot.storage import Database
    from bot.storage.users import User
    from bot.wiring import Services


class BotData:
    """Application-wide state: set once in ``build_application`` and ``post_init``."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.clock: Clock | None = None
        self.services: Services | None = None
        self.db: Database | None = None  # built with the Application, opened in post_init


class SinauContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """The context every Sinau handler receives."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.user: User | None = None
        self.lang: str = DEFAULT_LANGUAGE
        # The sender's data was erased and they have not started again: nothing about them
        # may be stored (bot.handlers.middleware lets only /start and `ob:` presses through).
        self.erased: bool = False

    @property
    def services(self) -> Services:
        """The opened services (after post_init)."""
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are not open yet")
        return services

    def t(self, key: str, **params: Any) -> SafeHtml:
        """``t()`` in this update's language."""
        return t(self.lang, key, **params)

    def label(self, key: str, **params: Any) -> str:
        """``label()`` (a button's plain text) in this update's language."""
        return label(self.lang, key, **params)
