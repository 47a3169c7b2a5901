"""Helpers for end-to-end tests of the trainer screens: what the trainer reads, presses, gets."""

from __future__ import annotations

import html
import re
from typing import Any

from bot.i18n import t
from bot.sandbox.emulator import BotApiEmulator
from tests.e2e.harness import Message, Sinau, button_data, buttons
from tests.e2e.learner import text


def plain(markup: str) -> str:
    """What a user sees of a Telegram-HTML text: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def say(key: str, lang: str = "id", **params: Any) -> str:
    """The catalogue text for ``key`` as the user reads it (Indonesian unless ``lang``)."""
    return plain(t(lang, key, **params))


def failed_requests(emulator: BotApiEmulator) -> list[tuple[str, str | None]]:
    """Bot API calls the emulator refused (a refused edit or send is a bug on these screens)."""
    return [(r.method, r.description) for r in emulator.requests if not r.ok]


async def press(sinau: Sinau, user: Any, message: Message, data: str) -> Message:
    """Press a button; the message as it is now (edited)."""
    await sinau.press(user, message, data=data)
    return sinau.message(user, message["message_id"])


async def start_draft(sinau: Sinau, trainer: Any) -> tuple[int, Message]:
    """/broadcast; the draft's id and the question asking for its content."""
    [asked] = await sinau.send(trainer, "/broadcast")
    assert text(asked) == say("broadcast.ask_content")
    assert buttons(asked) == [say("broadcast.btn_lesson"), say("broadcast.btn_cancel")]
    bid = int(button_data(asked)[0].rsplit(":", 1)[1])
    return bid, asked


def report_title(bid: int) -> str:
    """The first line of a broadcast's final report."""
    return say("broadcast.report", id=bid, sent=0, failed=0, blocked=0, uncertain=0,
               cancelled=0).splitlines()[0]


async def wait_report(sinau: Sinau, trainer: Any, bid: int) -> str:
    """The final report: the progress message edited into it, and the same report sent anew."""
    title = report_title(bid)

    def done() -> str | None:
        reports = [text(m) for m in sinau.emu.messages(trainer.id)
                   if text(m).startswith(title) and not button_data(m)]
        assert len(reports) <= 2, reports
        return reports[-1] if len(reports) == 2 and reports[0] == reports[1] else None

    return str(await sinau.emu.wait_for(done, timeout=60))


async def send_and_report(sinau: Sinau, trainer: Any, preview: Message, bid: int) -> str:
    """Press "send now" on the preview; the final report once the broadcast is done."""
    await sinau.press(trainer, preview, data=f"bc:go:{bid}")
    return await wait_report(sinau, trainer, bid)


def edits_of(emulator: BotApiEmulator, chat_id: int, message_id: int) -> list[str]:
    """The texts the bot edited one message to, in order (accepted edits only)."""
    return [plain(str(r.params.get("text", ""))) for r in emulator.requests
            if r.method == "editMessageText" and r.ok
            and str(r.params.get("chat_id")) == str(chat_id)
            and str(r.params.get("message_id")) == str(message_id)]
