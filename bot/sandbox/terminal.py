"""The terminal side of the sandbox: reading typed lines and rendering the bot's messages.

Entities become ANSI styles (or plain markers), buttons and poll options are numbered, and
documents and photos are saved to a downloads folder. The emulator stores what Telegram would
store, plain text plus entities, so the renderer works on entities like a Telegram client does;
``html_to_terminal`` parses Telegram HTML first.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.sandbox.emulator import BotApiEmulator, parse_html

Message = dict[str, Any]

EDITED = "(diedit)"
# Entity type -> (ANSI open, ANSI close) and (plain open, plain close).
_ANSI = {
    "bold": ("\x1b[1m", "\x1b[22m"),
    "italic": ("\x1b[3m", "\x1b[23m"),
    "underline": ("\x1b[4m", "\x1b[24m"),
    "strikethrough": ("\x1b[9m", "\x1b[29m"),
    "spoiler": ("\x1b[7m", "\x1b[27m"),
    "code": ("\x1b[36m", "\x1b[39m"),
    "pre": ("\x1b[36m", "\x1b[39m"),
    "text_link": ("\x1b[4m", "\x1b[24m"),
}
_PLAIN = {
    "bold": ("*", "*"),
    "italic": ("_", "_"),
    "strikethrough": ("~", "~"),
    "spoiler": ("||", "||"),
    "code": ("`", "`"),
    "pre": ("```", "```"),
}
_QUOTES = frozenset({"blockquote", "expandable_blockquote"})
QUOTE_PREFIX = "▍ "
_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


def strip_ansi(text: str) -> str:
    """``text`` without ANSI colour codes."""
    return _ANSI_CODE.sub("", text)


def _utf16_index(text: str) -> dict[int, int]:
    """Map each UTF-16 offset that starts a character (and the end) to a Python index."""
    index: dict[int, int] = {}
    u16 = 0
    for i, ch in enumerate(text):
        index[u16] = i
        u16 += 2 if ord(ch) > 0xFFFF else 1
    index[u16] = len(text)
    return index


def render_entities(text: str, entities: Iterable[dict], *, ansi: bool) -> str:
    """Render Telegram text plus entities: ANSI styles, or *bold* _italic_ markers when plain."""
    index = _utf16_index(text)
    opens: dict[int, list[tuple[int, str, dict]]] = {}
    closes: dict[int, list[tuple[int, str, dict]]] = {}
    for entity in entities:
        start = index.get(entity["offset"])
        end = index.get(entity["offset"] + entity["length"])
        if start is None or end is None or end <= start:
            continue
        opens.setdefault(start, []).append((end, entity["type"], entity))
        closes.setdefault(end, []).append((start, entity["type"], entity))
    table = _ANSI if ansi else _PLAIN
    out: list[str] = []
    quote_depth = 0
    for i in range(len(text) + 1):
        # Inner entities close first (the one that started last), outer ones open first.
        for _start, kind, entity in sorted(closes.get(i, []), key=lambda c: -c[0]):
            if kind in _QUOTES:
                quote_depth -= 1
            out.append(table.get(kind, ("", ""))[1])
            if kind == "text_link":
                out.append(f" <{entity.get('url', '')}>")
        for _end, kind, _entity in sorted(opens.get(i, []), key=lambda o: -o[0]):
            if kind in _QUOTES:
                quote_depth += 1
                out.append(QUOTE_PREFIX)
            out.append(table.get(kind, ("", ""))[0])
        if i < len(text):
            ch = text[i]
            out.append(ch)
            if ch == "\n" and quote_depth and i + 1 < len(text):
                out.append(QUOTE_PREFIX)
    return "".join(out)


def html_to_terminal(html: str, *, ansi: bool) -> str:
    """Render a Telegram-HTML string for the terminal (raises HtmlParseError if invalid)."""
    text, entities = parse_html(html)
    return render_entities(text, entities, ansi=ansi)


def format_size(size: int) -> str:
    """A human file size: 812 B, 12.3 KB, 1.4 MB."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def inline_buttons(message: Message) -> list[dict]:
    """The inline buttons of a message, row by row, flattened in the order they are numbered."""
    markup = message.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def _button_lines(message: Message) -> list[str]:
    markup = message.get("reply_markup") or {}
    lines: list[str] = []
    number = 0
    for row in markup.get("inline_keyboard", []):
        cells = []
        for button in row:
            number += 1
            label = button["text"]
            if "url" in button:
                label += f" ↗ <{button['url']}>"
            cells.append(f"[{number}] {label}")
        lines.append("  ".join(cells))
    return lines


def _poll_lines(poll: dict, *, ansi: bool) -> list[str]:
    question = render_entities(poll["question"], poll.get("question_entities", []), ansi=ansi)
    kind = "kuis/quiz" if poll["type"] == "quiz" else "polling/poll"
    state = ", ditutup/closed" if poll.get("is_closed") else ""
    lines = [f"📊 {question} ({kind}{state})"]
    for number, option in enumerate(poll["options"], start=1):
        text = render_entities(option["text"], option.get("text_entities", []), ansi=ansi)
        lines.append(f"  [{number}] {text}")
    return lines


@dataclass
class Downloads:
    """Saves the files the bot sends (documents, photos) into one folder, once each."""

    emulator: BotApiEmulator
    folder: Path
    _saved: dict[str, Path] = field(default_factory=dict)

    def save(self, file_id: str, name: str) -> Path | None:
        """Write the stored bytes of ``file_id`` as ``name`` (made unique); None if unknown."""
        if file_id in self._saved:
            return self._saved[file_id]
        try:
            data = self.emulator.file_bytes(file_id)
        except KeyError:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^\w.\- ]", "_", Path(name).name).strip() or "file"
        target = self.folder / safe
        stem, suffix, n = target.stem, target.suffix, 1
        while target.exists():
            n += 1
            target = self.folder / f"{stem}-{n}{suffix}"
        target.write_bytes(data)
        self._saved[file_id] = target
        return target


def _media_lines(message: Message, downloads: Downloads | None) -> list[str]:
    lines = []
    document = message.get("document")
    if document is not None:
        name = document.get("file_name") or "document"
        path = downloads.save(document["file_id"], name) if downloads else None
        where = f" → {path}" if path else ""
        lines.append(f"📄 {name} ({format_size(document.get('file_size', 0))}){where}")
    photos = message.get("photo")
    if photos:
        best = max(photos, key=lambda p: p.get("width", 0) * p.get("height", 0))
        name = f"photo-{message['message_id']}.jpg"
        path = downloads.save(best["file_id"], name) if downloads else None
        where = f" → {path}" if path else ""
        size = format_size(best.get("file_size", 0))
        lines.append(f"🖼 {name} {best.get('width')}×{best.get('height')} ({size}){where}")
    return lines


def _one_line(text: str, width: int = 60) -> str:
    """The first line of ``text``, cut to ``width`` characters."""
    first = text.split("\n", 1)[0]
    return first if len(first) <= width else first[: width - 1] + "…"


def render_message(
    message: Message,
    *,
    ansi: bool,
    downloads: Downloads | None = None,
    edited: bool = False,
    topic: str | None = None,
) -> list[str]:
    """The lines showing one bot message: text or caption, media, poll, numbered buttons."""
    lines: list[str] = _media_lines(message, downloads)
    if "text" in message:
        text = render_entities(message["text"], message.get("entities", []), ansi=ansi)
        lines[:0] = text.split("\n")
    elif message.get("caption"):
        caption = render_entities(
            message["caption"], message.get("caption_entities", []), ansi=ansi
        )
        lines.extend(caption.split("\n"))
    if "poll" in message:
        lines.extend(_poll_lines(message["poll"], ansi=ansi))
    pinned = message.get("pinned_message")
    if pinned is not None:
        lines.append(f"📌 menyematkan pesan / pinned a message: "
                     f"{_one_line(pinned.get('text') or pinned.get('caption') or '')}")
    if not lines:
        lines.append("(pesan tanpa teks / message without text)")
    lines.extend(_button_lines(message))
    marks = []
    if topic:
        marks.append(f"[#{topic}]")
    if edited:
        marks.append(EDITED)
    if marks:
        lines[0] = " ".join(marks) + " " + lines[0]
    return lines


def speaker_block(speaker: str, lines: list[str]) -> str:
    """``speaker ▸ first line`` with the other lines indented under it."""
    head = f"{speaker} ▸ "
    pad = " " * len(head)
    out = [head + lines[0]] + [pad + line if line else "" for line in lines[1:]]
    return "\n".join(out)


class ChatTracker:
    """Remembers which bot messages were shown, to print only new and edited ones."""

    def __init__(self, emulator: BotApiEmulator, *, ansi: bool, downloads: Downloads) -> None:
        self.emulator = emulator
        self.ansi = ansi
        self.downloads = downloads
        self._seen: dict[int, dict[int, tuple[Any, ...]]] = {}

    @staticmethod
    def _signature(message: Message) -> tuple[Any, ...]:
        # edit_date has whole seconds only: two quick edits need the content compared too.
        poll = message.get("poll") or {}
        return (
            message.get("edit_date"),
            message.get("text", message.get("caption")),
            repr(message.get("entities", message.get("caption_entities"))),
            repr(message.get("reply_markup")),
            poll.get("is_closed"),
        )

    def unseen(self, chat_id: int) -> list[tuple[Message, bool]]:
        """New or edited bot messages in the chat as ``(message, edited)``; marks them seen."""
        seen = self._seen.setdefault(chat_id, {})
        fresh: list[tuple[Message, bool]] = []
        for message in self.emulator.messages(chat_id):
            signature = self._signature(message)
            previous = seen.get(message["message_id"])
            if previous == signature:
                continue
            # Like a Telegram client: an edited message says so, even when first seen.
            fresh.append((message, previous is not None or "edit_date" in message))
            seen[message["message_id"]] = signature
        return fresh

    def pending(self, chat_id: int) -> int:
        """How many bot messages in the chat are new or edited since last shown (no marking)."""
        seen = self._seen.get(chat_id, {})
        return sum(
            1
            for m in self.emulator.messages(chat_id)
            if seen.get(m["message_id"]) != self._signature(m)
        )

    def render(self, chat_id: int, speaker: str, topics: dict[int, str] | None = None) -> str:
        """Every new or edited bot message in the chat as terminal text ("" if none)."""
        blocks = []
        for message, edited in self.unseen(chat_id):
            thread = message.get("message_thread_id")
            topic = (topics or {}).get(thread) if thread else None
            lines = render_message(
                message, ansi=self.ansi, downloads=self.downloads, edited=edited, topic=topic
            )
            blocks.append(speaker_block(speaker, lines))
        return "\n".join(blocks)


class LineReader:
    """Lines from stdin on a daemon thread, so Ctrl-C and SIGTERM never wait for a keypress.

    Interactive (a TTY): the prompt is shown only once the previous line's output is printed.
    """

    def __init__(self, *, interactive: bool, prompt: Callable[[], str]) -> None:
        self.interactive = interactive
        self._prompt = prompt
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._ready = threading.Event()
        self._asked = False
        self._loop = asyncio.get_running_loop()
        threading.Thread(target=self._read, name="sandbox-stdin", daemon=True).start()

    def _read(self) -> None:
        while True:
            line: str | None
            if self.interactive:
                self._ready.wait()
                self._ready.clear()
                try:
                    line = input(self._prompt())
                except (EOFError, KeyboardInterrupt, OSError):
                    line = None
            else:
                raw = sys.stdin.readline()
                line = raw.rstrip("\r\n") if raw else None
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line)
            if line is None:
                return

    async def next_line(self, timeout: float | None = None) -> str | None:  # noqa: ASYNC109
        """The next line, None at end of input; raises TimeoutError after ``timeout``."""
        if not self._asked:
            # One prompt per line: a timed-out wait must not let the thread prompt twice.
            self._ready.set()
            self._asked = True
        line = await asyncio.wait_for(self._queue.get(), timeout)
        self._asked = False
        return line


@contextlib.contextmanager
def terminal_kept(interactive: bool) -> Iterator[None]:
    """Line editing at an interactive prompt; the terminal's modes restored however we end."""
    saved = None
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401 - importing it gives input() editing and history
        with contextlib.suppress(ImportError, OSError, ValueError):
            import termios

            saved = termios.tcgetattr(sys.stdin.fileno())
    try:
        yield
    finally:
        if saved is not None:
            import termios

            with contextlib.suppress(OSError, termios.error):
                termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)
            # Ctrl-C or Ctrl-D leave the cursor after the prompt.
            print()
