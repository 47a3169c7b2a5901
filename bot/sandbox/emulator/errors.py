"""Error type shared by the emulator modules, carrying Telegram's error code and text."""

from __future__ import annotations


class ApiError(Exception):
    """A Bot API error response; ``violation`` marks errors caused by a malformed request."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        violation: bool = False,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.violation = violation
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id  # ResponseParameters of an upgraded group
        self.injected = False  # set for failures injected through fail_next


def bad_request(text: str, *, violation: bool = False) -> ApiError:
    """Build a 400 error with Telegram's ``Bad Request: `` prefix."""
    return ApiError(400, f"Bad Request: {text}", violation=violation)


def invalid(text: str) -> ApiError:
    """Build a 400 error caused by a request that breaks the spec (recorded as a violation)."""
    return ApiError(400, f"Bad Request: {text}", violation=True)


def chat_migrated(new_chat_id: int) -> ApiError:
    """The error for any method naming a basic group that was upgraded to a supergroup."""
    return ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                    migrate_to_chat_id=new_chat_id)
