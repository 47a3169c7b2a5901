"""Test driver: a basic group upgraded to a supergroup, as Telegram does it.

An admin enabling forum topics (or another supergroup-only setting) in a basic group makes
Telegram create a supergroup with a new id (-100...), with the same members and admins. The
bot, if it is in the group, gets two service messages: ``migrate_to_chat_id`` in the old group
and ``migrate_from_chat_id`` in the supergroup. From then on every method naming the old id
fails with 400 "group chat was upgraded to a supergroup chat" and
``parameters.migrate_to_chat_id`` (see ``EmulatorState.api_chat``), and nobody can write there.
"""

from __future__ import annotations

from typing import Any

from .driver import Driver, DriverError
from .state import FakeChat, FakeUser, Member

__all__ = ["MigrationDriver"]


class MigrationDriver(Driver):
    """``upgrade_to_supergroup`` and the service messages that announce it."""

    def upgrade_to_supergroup(
        self,
        chat: FakeChat,
        *,
        forum: bool = False,
        by: FakeUser | None = None,
        announce: bool = True,
    ) -> FakeChat:
        """Upgrade a basic group; returns the new supergroup (a forum with ``forum=True``).

        ``announce=False`` leaves out the two service messages, as if the bot missed them: it
        then learns of the upgrade only from the error of its next request to the old id.
        """
        old = self.chat(chat)
        if old.type != "group":
            raise DriverError(f"chat {old.id} is not a basic group")
        if old.migrated_to is not None:
            raise DriverError(f"chat {old.id} was already upgraded")
        actor = by or self._creator(old)
        member = old.members.get(actor.id)
        if member is None or member.status not in ("creator", "administrator"):
            raise DriverError(f"user {actor.id} is not an administrator of chat {old.id}")
        n = next(self._group_ids)
        new = FakeChat(
            -(1_000_000_000_000 + 2_000_000_000 + n),
            "supergroup",
            title=old.title,
            username=old.username,
            is_forum=forum,
            bot_joins_as_admin=old.bot_joins_as_admin,
            bot_join_rights=old.bot_join_rights,
        )
        if forum:
            new.next_message_id = 2  # message id 1 is the General topic's
        new.members = {uid: Member(m.status, dict(m.rights)) for uid, m in old.members.items()}
        new.bot_member = Member(old.bot_member.status, dict(old.bot_member.rights))
        self.chats[new.id] = new
        old.migrated_to = new.id
        if announce:
            self.announce_upgrade(old, by=actor)
        return new

    def announce_upgrade(
        self, chat: FakeChat, *, by: FakeUser | None = None, old_first: bool = True
    ) -> list[dict[str, Any]]:
        """Deliver the two service messages of an upgrade (again, or in the other order)."""
        old = self.chat(chat)
        if old.migrated_to is None:
            raise DriverError(f"chat {old.id} was not upgraded")
        new = self.chats[old.migrated_to]
        actor = by or self._creator(old)
        steps = [
            (old, {"migrate_to_chat_id": new.id}),
            (new, {"migrate_from_chat_id": old.id}),
        ]
        if not old_first:
            steps.reverse()
        return [
            self._user_message(actor, target, content, service=True)
            for target, content in steps
        ]

    def _creator(self, chat: FakeChat) -> FakeUser:
        for uid, member in chat.members.items():
            if member.status == "creator":
                return self.users[uid]
        raise DriverError(f"chat {chat.id} has no creator to upgrade it")
