"""The sandbox console: what a typed line does (``:`` commands, numbers, text), what it shows."""

from __future__ import annotations

import asyncio
import mimetypes
import re
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.sandbox.emulator import DriverError, FakeChat, FakeUser
from bot.sandbox.session import ADMIN_NAME, SandboxSession
from bot.sandbox.terminal import ChatTracker, Message, inline_buttons

DEFAULT_LEARNER = "Sari"
_RELATIVE = re.compile(r"^\+(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
_CLOCK = re.compile(r"^(?:(besok|tomorrow)\s+)?([01]?\d|2[0-3])[:.]([0-5]\d)$")
_NUMBER = re.compile(r"^\d{1,2}$")

HELP = """\
Perintah sandbox / sandbox commands:
  /start, /learn ...    perintah bot seperti di Telegram / bot commands as in Telegram
  1, 2, ...             tekan tombol [n] atau jawab polling / press button [n] or answer the poll
  :as NAME [id|en]      jadi pengguna lain / become another user (:as admin = the bot's admin)
  :group NAME           obrolan di grup / talk in a group (created on first use)
  :forum NAME           obrolan di forum / talk in a forum supergroup
  :topic [N|NAME]       topik forum / forum topic (no argument: list; 0 = General)
  :private              kembali ke obrolan pribadi / back to the private chat
  :time +1d|+2h|+30m    majukan jam bot / move the bot's clock forward
  :time 07:30           ke pukul 07:30 berikutnya / to the next 07:30 local time
  :time besok 07:30     ke pukul 07:30 esok hari / to 07:30 tomorrow (also: tomorrow 07:30)
  :block                blokir bot / block the bot (writing again unblocks it)
  :press LABEL          tekan tombol berlabel / press the button whose text contains LABEL
  :answer TEXT          jawab dengan pilihan yang memuat TEXT / answer with the option
                        containing TEXT (options are shuffled, so scripts name them)
  :say TEXT             kirim teks apa adanya / send TEXT as typed (e.g. a number)
  :upload PATH          kirim berkas / send a file as a document
  :help   :quit"""


def parse_time_spec(spec: str, now: datetime, zone: ZoneInfo) -> timedelta:
    """How far ``now`` is from ``+1d``/``+2h30m``/``+30m``, from the next ``07:30`` (local),
    or from ``besok 07:30`` (07:30 tomorrow, whatever the time of day now)."""
    spec = " ".join(spec.strip().lower().split())
    relative = _RELATIVE.match(spec)
    if relative and any(relative.groups()):
        days, hours, minutes = (int(g or 0) for g in relative.groups())
        return timedelta(days=days, hours=hours, minutes=minutes)
    clock = _CLOCK.match(spec)
    if clock:
        local = now.astimezone(zone)
        wanted = time(int(clock.group(2)), int(clock.group(3)))
        day = local.date() + timedelta(days=1 if clock.group(1) else 0)
        target = datetime.combine(day, wanted, tzinfo=zone)
        if target <= local:
            target = datetime.combine(day + timedelta(days=1), wanted, tzinfo=zone)
        return target - local
    raise ValueError(f"bad time {spec!r}: use +1d, +2h, +30m, +1d2h, HH:MM or besok HH:MM")


def _read_file(name: str) -> bytes:
    return Path(name).expanduser().read_bytes()


class Console:
    """One simulated person at a time, typing into one chat; prints what the bot sends."""

    def __init__(self, session: SandboxSession, *, ansi: bool, echo: bool) -> None:
        self.session = session
        self.emu = session.emu
        self.ansi = ansi
        self.echo = echo
        self.tracker = ChatTracker(self.emu, ansi=ansi, downloads=session.downloads)
        assert session.admin is not None
        self.users: dict[str, FakeUser] = {"admin": session.admin}
        self.groups: dict[str, FakeChat] = {}
        self.user = self._user(DEFAULT_LEARNER)
        self.chat: FakeChat | None = None  # None: the private chat with the bot
        self.topic: int | None = None
        self.failures = 0
        self._answers_seen = 0
        self._violations_seen = 0
        self._errors_seen = 0

    # ----------------------------------------------------------------- output
    def out(self, text: str) -> None:
        """Print one block of transcript."""
        if text:
            print(text, flush=True)

    def warn(self, text: str) -> None:
        """Print a problem; in a script it makes the exit code 1."""
        self.failures += 1
        self.out(f"⚠ {text}")

    def banner(self) -> None:
        """The first lines: what this is and how to get help."""
        self.out("Sinau sandbox: bot asli di emulator lokal, tanpa Telegram "
                 "/ the real bot on a local emulator, no Telegram.")
        if self.session.options.content is not None:
            self.out(f"Paket kursus / course pack: {self.session.options.content}")
        self.out(f"Anda / you: {self.user.first_name}. Ketik /start; :help = perintah sandbox "
                 "/ sandbox commands; :quit = keluar / exit.")

    def prompt(self) -> str:
        """``[Sari] `` or ``[Sari @ Diklat #Topik] ``."""
        where = ""
        if self.chat is not None:
            where = f" @ {self.chat.title}"
            if self.topic is not None:
                where += f" #{self.chat.topics[self.topic].name}"
        return f"[{self.user.first_name}{where}] "

    @property
    def chat_id(self) -> int:
        """The chat the person is typing in."""
        return self.chat.id if self.chat is not None else self.user.id

    def _user_chats(self, user: FakeUser) -> list[FakeChat]:
        chats = [self.emu.chat(user)]
        chats += [
            chat for chat in self.emu.chats.values()
            if chat.is_group and chat.members.get(user.id) and chat.members[user.id].present
        ]
        return chats

    def _label(self, chat: FakeChat) -> str:
        if chat.type == "private":
            return f"pribadi / private: {chat.user.first_name if chat.user else chat.id}"
        return f"{'forum' if chat.is_forum else 'grup / group'}: {chat.title}"

    def _render(self, chat: FakeChat) -> str:
        topics = {thread: topic.name for thread, topic in chat.topics.items()}
        return self.tracker.render(chat.id, self.emu.bot_user.first_name, topics)

    def show(self) -> None:
        """Print new and edited bot messages in the current chat, then in the user's others."""
        current = self.emu.chat(self.chat_id)
        self.out(self._render(current))
        for chat in self._user_chats(self.user):
            if chat.id != current.id and (text := self._render(chat)):
                self.out(f"── {self._label(chat)} ──")
                self.out(text)
        self._show_answers()
        self._show_problems()

    def show_background(self) -> None:
        """While idle at an interactive prompt: print what arrived, then the prompt again."""
        if not any(self.tracker.pending(c.id) for c in self._user_chats(self.user)):
            return
        sys.stdout.write("\r\x1b[2K")
        self.show()
        sys.stdout.write(self.prompt())
        sys.stdout.flush()

    def _show_answers(self) -> None:
        answers = self.emu.callback_answers
        for answer in answers[self._answers_seen:]:
            if answer["user_id"] != self.user.id:
                continue
            if answer.get("text"):
                self.out(f"{'⚠' if answer.get('show_alert') else '💬'} {answer['text']}")
            if answer.get("url"):
                self.out(f"↗ {answer['url']}")
        self._answers_seen = len(answers)

    def _show_problems(self) -> None:
        for record in self.emu.violations[self._violations_seen:]:
            self.warn(f"Bot API menolak / rejected {record.method}: {record.description}")
        self._violations_seen = len(self.emu.violations)
        errors = self.session.services.metrics.unexpected_errors
        if errors > self._errors_seen:
            self.warn("bot error: lihat log / see the log on stderr")
        self._errors_seen = errors

    def _others_waiting(self) -> None:
        for user in self.users.values():
            if user is self.user:
                continue
            waiting = sum(self.tracker.pending(c.id) for c in self._user_chats(user))
            if waiting:
                self.out(f"({waiting} pesan baru untuk / new message(s) for {user.first_name}: "
                         f":as {user.first_name})")

    # ------------------------------------------------------------------ input
    async def handle(self, line: str) -> bool:
        """Act on one typed line; False when the sandbox should end."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        if self.echo:
            self.out(f"{self.prompt()}{line}")
        try:
            if line.startswith(":"):
                return await self._command(line)
            if _NUMBER.match(line):
                await self._press(int(line))
            else:
                await self._send(line)
        except DriverError as exc:
            self.warn(str(exc))
        return True

    async def _after(self) -> None:
        await self.session.settle()
        self.show()

    async def _send(self, text: str) -> None:
        await self.emu.send_text(self.user, text, chat=self.chat, thread_id=self.topic)
        await self._after()

    def _in_thread(self) -> list[Message]:
        return [
            m for m in self.emu.messages(self.chat_id)
            if m.get("message_thread_id") == self.topic
        ]

    async def _press(self, number: int) -> None:
        messages = self._in_thread()
        last = messages[-1] if messages else None
        if last is not None and "poll" in last and not last["poll"].get("is_closed"):
            await self._answer_poll(last, number)
            return
        target = next((m for m in reversed(messages) if inline_buttons(m)), None)
        buttons = inline_buttons(target) if target else []
        if target is None or not 1 <= number <= len(buttons):
            self.warn(f"tidak ada tombol / no button [{number}]; :say {number} sends it as text")
            return
        await self._press_button(target, buttons[number - 1])

    async def _press_label(self, label: str) -> None:
        """Press the newest button whose text contains ``label`` (scripts survive reordering)."""
        wanted = label.casefold()
        for message in reversed(self._in_thread()):
            for button in inline_buttons(message):
                if wanted and wanted in button["text"].casefold():
                    await self._press_button(message, button)
                    return
        self.warn(f"tidak ada tombol / no button with {label!r}")

    async def _answer_option(self, fragment: str) -> None:
        """Press the letter of the newest question's option whose text contains ``fragment``
        (options are shown in a shuffled order, so a script names the option, not its place)."""
        wanted = fragment.casefold()
        for message in reversed(self._in_thread()):
            buttons = {b["text"]: b for b in inline_buttons(message)}
            for line in str(message.get("text") or "").splitlines():
                letter, dot, option = line.partition(". ")
                if dot and letter in buttons and wanted and wanted in option.casefold():
                    await self._press_button(message, buttons[letter])
                    return
        self.warn(f"tidak ada pilihan / no option with {fragment!r}")

    async def _press_button(self, target: Message, button: dict) -> None:
        if "callback_data" in button:
            query_id = await self.emu.press_button(
                self.user, target, text=button["text"], data=button["callback_data"],
                chat=self.chat,
            )
            await self._after()
            answered = {a["callback_query_id"] for a in self.emu.callback_answers}
            if query_id not in answered:
                # Telegram clients keep spinning until the bot answers the query.
                self.warn("bot tidak menjawab tombol / the bot did not answer the button press")
        elif "url" in button:
            self.out(f"↗ {button['url']}")
        elif "copy_text" in button:
            self.out(f"📋 {button['copy_text'].get('text', '')}")
        else:
            self.warn(f"tombol ini tidak didukung / button not supported here: {button['text']}")

    async def _answer_poll(self, message: Message, number: int) -> None:
        poll = message["poll"]
        options = poll["options"]
        if not 1 <= number <= len(options):
            self.warn(f"tidak ada pilihan / no option [{number}]")
            return
        await self.emu.answer_poll(self.user, poll["id"], [number - 1])
        chosen = f"[{number}] {options[number - 1]['text']}"
        correct = poll.get("correct_option_ids")
        if poll["type"] == "quiz" and correct:
            if number - 1 in correct:
                self.out(f"  ✓ {chosen} — benar / correct")
            else:
                right = ", ".join(f"[{i + 1}] {options[i]['text']}" for i in correct)
                self.out(f"  ✗ {chosen} — salah / wrong (benar / correct: {right})")
            if poll.get("explanation"):
                self.out(f"  💡 {poll['explanation']}")
        else:
            self.out(f"  ✓ {chosen}")
        await self._after()

    # --------------------------------------------------------------- commands
    async def _command(self, line: str) -> bool:
        name, _, arg = line[1:].partition(" ")
        name, arg = name.lower(), arg.strip()
        if name in ("quit", "q", "exit"):
            return False
        handlers = {
            "help": self._help,
            "as": self._as,
            "group": self._group,
            "forum": self._forum,
            "topic": self._topic,
            "private": self._private,
            "time": self._time,
            "block": self._block,
            "say": self._say,
            "press": self._press_label,
            "answer": self._answer_option,
            "upload": self._upload,
        }
        handler = handlers.get(name)
        if handler is None:
            self.warn(f"perintah sandbox tidak dikenal / unknown sandbox command :{name} (:help)")
        else:
            await handler(arg)
        return True

    async def _help(self, arg: str) -> None:
        self.out(HELP)

    def _user(self, name: str, language: str = "id") -> FakeUser:
        key = name.lower()
        if key not in self.users:
            self.users[key] = self.emu.add_user(name, language_code=language)
        return self.users[key]

    async def _as(self, arg: str) -> None:
        parts = arg.split()
        if not parts:
            self.warn("pakai / use :as NAME [id|en]")
            return
        language = parts.pop() if len(parts) > 1 and parts[-1] in ("id", "en") else "id"
        name = " ".join(parts)
        if name.lower() == "admin":
            name = ADMIN_NAME
        self.user = self._user(name, language)
        self.chat, self.topic = None, None
        self.out(f"── {self.user.first_name} ──")
        self.show()

    async def _enter_group(self, name: str, *, forum: bool) -> None:
        if not name:
            self.warn(f"pakai / use :{'forum' if forum else 'group'} NAME")
            return
        chat = self.groups.get(name.lower())
        if chat is None:
            chat = self.emu.create_group(
                name, supergroup=True, forum=forum, admins=[self.user], with_bot=False
            )
            self.groups[name.lower()] = chat
            await self.emu.add_bot_to_group(chat, self.user)
        elif chat.is_forum != forum:
            kind = "forum" if chat.is_forum else "grup / group"
            self.warn(f"{name} sudah ada sebagai / already exists as a {kind}")
            return
        elif not (chat.members.get(self.user.id) and chat.members[self.user.id].present):
            await self.emu.join_group(chat, self.user)
        self.chat, self.topic = chat, None
        self.out(f"── {self._label(chat)} ──")
        await self._after()

    async def _group(self, arg: str) -> None:
        await self._enter_group(arg, forum=False)

    async def _forum(self, arg: str) -> None:
        await self._enter_group(arg, forum=True)

    async def _topic(self, arg: str) -> None:
        chat = self.chat
        if chat is None or not chat.is_forum:
            self.warn("bukan forum / not in a forum: :forum NAME first")
            return
        topics = list(chat.topics.values())
        if not arg:
            listing = ["[0] General"] + [f"[{i}] {t.name}" for i, t in enumerate(topics, 1)]
            self.out("  ".join(listing))
            return
        if arg.isdigit():
            index = int(arg)
            if index > len(topics):
                self.warn(f"tidak ada topik / no topic [{index}]")
                return
            self.topic = topics[index - 1].thread_id if index else None
        else:
            found = next((t for t in topics if t.name.lower() == arg.lower()), None)
            if found is None:
                found = self.emu.create_topic(chat, arg, by=self.user)
            self.topic = found.thread_id
        name = chat.topics[self.topic].name if self.topic is not None else "General"
        self.out(f"── {chat.title} #{name} ──")
        await self._after()

    async def _private(self, arg: str) -> None:
        self.chat, self.topic = None, None
        self.out(f"── {self._label(self.emu.chat(self.user))} ──")
        self.show()

    async def _time(self, arg: str) -> None:
        settings = self.session.settings
        assert settings is not None
        if arg:
            try:
                delta = parse_time_spec(arg, self.session.clock.now(), settings.zone)
            except ValueError as exc:
                self.warn(str(exc))
                return
            await self.session.advance(delta)
        local = self.session.zone_now
        self.out(f"⏰ {local:%a %Y-%m-%d %H:%M} {local.tzname()}")
        if arg:
            self.show()
            self._others_waiting()

    async def _block(self, arg: str) -> None:
        self.emu.block_bot(self.user)
        self.out(f"🚫 {self.user.first_name} memblokir bot / blocked the bot "
                 "(menulis lagi membuka blokir / writing again unblocks)")
        await self._after()

    async def _say(self, arg: str) -> None:
        if arg:
            await self._send(arg)

    async def _upload(self, arg: str) -> None:
        path = Path(arg)
        try:
            data = await asyncio.to_thread(_read_file, arg)
        except OSError as exc:
            self.warn(f"{arg}: {exc.strerror}")
            return
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        await self.emu.upload_document(
            self.user, path.name, data, mime, chat=self.chat, thread_id=self.topic
        )
        await self._after()
