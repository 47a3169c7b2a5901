"""The framework floor: a minimal python-telegram-bot bot that echoes, run like Sinau.

``python -m bench.echo_bot`` reads the same environment as ``python -m bot run``
(SINAU_TELEGRAM__TOKEN, SINAU_TELEGRAM__API_URL). Every message gets a reply carrying one inline
button; every button press is answered and its message edited. It polls with the same
concurrency (64 updates at a time) and connection pool as Sinau, so the difference between the
two is Sinau's own work per update: middleware, SQLite, rendering, its rate limiter.
"""

from __future__ import annotations

import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)


def _markup(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Lagi", callback_data=data[:64])]])


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply to a message with its text and a button."""
    message = update.effective_message
    if message is not None and update.effective_chat is not None:
        await context.bot.send_message(
            update.effective_chat.id, f"echo: {message.text or '-'}",
            reply_markup=_markup("echo:again"),
        )


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button press and edit its message (the text changes on every press)."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    await query.edit_message_text(f"pressed {query.data} #{update.update_id}",
                                  reply_markup=_markup(query.data or "echo:again"))


def build(token: str, api_url: str, *, transport: str = "httpx") -> Application:  # type: ignore[type-arg]
    """The echo Application, configured like Sinau's (HTML defaults aside).

    ``transport="aiohttp"`` gives it Sinau's own HTTP client (bot/transport.py) instead of
    python-telegram-bot's default one: the control that separates the client from the rest.
    """
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .concurrent_updates(64)
    )
    if transport == "aiohttp":
        from bot.clock import Clock
        from bot.transport import BotApiRequest

        builder = builder.request(BotApiRequest(Clock(), api_url, connection_pool_size=64,
                                                pool_timeout=10)).get_updates_request(
            BotApiRequest(Clock(), api_url, connection_pool_size=1, read_timeout=20))
    else:
        builder = builder.connection_pool_size(64).pool_timeout(10)
    app = builder.build()
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.add_handler(CallbackQueryHandler(press))
    return app


def main() -> None:
    """Run the echo bot until SIGTERM."""
    app = build(os.environ["SINAU_TELEGRAM__TOKEN"], os.environ["SINAU_TELEGRAM__API_URL"],
                transport=os.environ.get("BENCH_ECHO_TRANSPORT", "httpx"))
    app.run_polling(allowed_updates=Update.ALL_TYPES, timeout=10)


if __name__ == "__main__":
    main()
