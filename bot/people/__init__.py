"""People: who the bot knows (users) and what they told it about themselves."""

from bot.people.service import UserService

__all__ = ["UserService"]
