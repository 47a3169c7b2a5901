"""The table of Bot API methods the emulator implements: lower-case name -> handler.

A handler is a plain function ``(state, params, parsed) -> result`` (see ``world.Handler``):
the server has already checked the request against the spec, and the handler applies it to
the ``EmulatorState`` and returns the method's result. Each group of methods lives in its
own module and lists its handlers in a ``HANDLERS`` dict. getUpdates is not in the table: it
is the one method that waits, served by the update queue (``updates.UpdateQueue``).
"""

from __future__ import annotations

from . import chats, media, messages, pins, webhook
from .spec import METHODS
from .world import Handler

__all__ = ["API_METHODS"]


def _build() -> dict[str, Handler]:
    table: dict[str, Handler] = {}
    for group in (chats, media, messages, pins, webhook):
        for name, handler in group.HANDLERS.items():
            key = name.lower()
            if key not in METHODS or METHODS[key].name != name:
                raise RuntimeError(f"{group.__name__}: {name} is not a Bot API method")
            if key in table:
                raise RuntimeError(f"{group.__name__}: {name} has two handlers")
            table[key] = handler
    return table


API_METHODS: dict[str, Handler] = _build()
