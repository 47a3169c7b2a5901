"""Who may use what: every registered command and callback prefix, for every kind of person.

The rows are read from the Application's handlers, so a new command or button area that is
not in this table fails the test until someone decides who may use it. Each cell is played
through the emulator: "A" (allowed) means the bot does the thing (a reply, an edit or a
change in the database that is not a refusal); "R" (refused) means a polite refusal or
silence, and not a single row changed in any table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest

from bot.i18n import LANGUAGES, t
from bot.sandbox.emulator import BotApiEmulator, FakeChat, FakeUser
from bot.storage.users import UserRepository
from tests.e2e.harness import Message, Sinau, button_data
from tests.e2e.learner import data_of, onboard, text, with_data
from tests.hardening.conftest import diff_dumps, dump_database
from tests.hardening.registry import registered_commands, registered_patterns

ROLES = ("stranger", "learner", "trainer", "admin", "group_member", "group_admin")
# stranger: never sent /start; learner: onboarded; trainer and admin: Sinau staff (onboarded
# learners too); group_member and group_admin: a plain member and a Telegram administrator
# of the cohort's discussion group (not Sinau staff), acting in that group. Cells: S L T A M G.

#: command -> (arguments, expected per role).
COMMANDS: dict[str, tuple[str, str]] = {
    "start": ("", "AAAAAA"),
    "help": ("", "AAAAAA"),
    "learn": ("", "AAAARR"),
    "courses": ("", "AAAARR"),
    "review": ("", "AAAARR"),
    "progress": ("", "AAAARR"),
    "settings": ("", "AAAARR"),
    "pause": ("", "AAAARR"),
    "stop_nudges": ("", "AAAARR"),
    "resume": ("", "AAAARR"),
    "privacy": ("", "AAAAAA"),
    "mydata": ("", "AAAARR"),
    "deleteme": ("", "AAAARR"),
    "verify": ("ABCD-1234", "AAAAAA"),
    "grant": ("{spare}", "RRRARR"),
    "revoke": ("{spare}", "RRRARR"),
    "users": ("Cadang", "RRRARR"),
    "trainers": ("", "RRRARR"),
    "revoke_cert": ("SNU-AAAAA-AAAAA-AAAAA salah cetak", "RRRARR"),
    "trainer": ("", "RRAARR"),
    "linkgroup": ("{cohort}", "RRAARR"),
    "cohort": ("", "RRAARR"),
    "stats": ("", "RRAARR"),
    "export": ("", "RRAARR"),
    "broadcast": ("", "RRAARR"),
    "scheduled": ("", "RRAARR"),
    "upload": ("", "RRAARR"),
    "versions": ("", "RRAARR"),
    "restore_course": ("", "RRAARR"),
    "discuss": ("Topik uji", "RRRRAA"),
    "threads": ("", "RRRRAA"),
    "summary": ("", "RRRRAA"),
    "best": ("", "RRRRRA"),
    "close": ("", "RRRRRA"),
    "group_settings": ("", "RRRRRA"),
}

#: callback pattern -> (where a real button with that prefix comes from, expected per role).
#: Self-service buttons (a course choice, settings, pausing reminders, showing progress) act on
#: the presser's own account, so any onboarded person may press them; buttons bound to someone's
#: session, draft or group (a lesson page, a quiz answer, a broadcast, group settings) only work
#: for that someone. A stranger (seen, never started) pressing a self-service button in their
#: own private chat starts, as a command there does (learn first, ask later); a press on a
#: message in someone else's chat, or in a group, never starts anyone.
#: Sources: "learner:/cmd" = a button on the learner's reply to /cmd, likewise for "trainer"
#: and "group_admin"; "forged:data" = data nobody was shown.
CALLBACKS: dict[str, tuple[str, str]] = {
    "^ob:": ("forged:ob:language:id", "RRRRRR"),  # only someone still onboarding may press
    "^learn:go$": ("learner:/start", "AAAARR"),
    "^crs:": ("learner:/courses", "AAAARR"),
    "^ls:": ("learner:/learn", "RARRRR"),
    "^qz:": ("learner:quiz", "RARRRR"),
    # A final evaluation's answer finds its attempt by the message: a forged one finds none.
    "^ev:": ("forged:ev:a:0:0", "ARRRRR"),
    "^rv:": ("forged:rv:a:1:0", "ARRRRR"),  # no review is due in this world
    "^pg:": ("forged:pg:show", "AAAARR"),
    "^st:": ("learner:/settings", "AAAARR"),
    "^nz:": ("learner:/settings nz:", "AAAARR"),
    # "Cancel" carries no owner: anyone known (a stranger too: /deleteme is theirs as well)
    # gets "nothing was deleted" in their own chat, and nothing is.
    "^pv:": ("learner:/deleteme pv:keep", "AAAARR"),
    "^ch:": ("trainer:/cohort", "RRAARR"),
    "^ts:": ("trainer:/stats", "RRAARR"),
    "^ex:": ("trainer:/export", "RRAARR"),
    "^pp:": ("forged:pp:t:0", "RRRARR"),  # people (admins): the staff list's first page
    "^bc:": ("trainer:/broadcast", "RRARRR"),
    "^cv:": ("trainer:/versions", "RRAARR"),
    "^ds:": ("group_admin:/group_settings", "RRRRRA"),
    "*": ("forged:zz:nothing", "RRRRRR"),  # no handler claims it: "expired" for everyone
}

#: Button areas whose press finds its session by the message it was pressed on.
MESSAGE_BOUND = ("ls", "qz", "rv")

# The strict emulator, flood limits off (test_flooding covers them).
pytestmark = pytest.mark.emulator(flood_limits=False)

REFUSAL_KEYS = ("auth.refused", "people.refused_admin", "people.not_your_cohort",
                "common.expired_button", "onboarding.private_first",
                "discussion.only_in_group", "discussion.managers_only",
                "common.unknown_command", "privacy.private_only")


def refusals() -> set[str]:
    """Every refusal text, in both languages, as the emulator shows it (tags stripped)."""
    import re

    return {re.sub(r"<[^>]+>", "", str(t(lang, key))).replace("&lt;", "<").replace(
        "&gt;", ">").replace("&amp;", "&") for lang in LANGUAGES for key in REFUSAL_KEYS}


@dataclass
class Cast:
    """The people and the group of the table."""

    sinau: Sinau
    learner: FakeUser
    trainer: FakeUser
    admin: FakeUser
    member: FakeUser
    group_admin: FakeUser
    spare: FakeUser
    group: FakeChat
    cohort_id: int
    strangers: list[FakeUser]

    def person(self, role: str) -> FakeUser:
        """The user playing ``role`` (a new stranger every time: /start would spend one)."""
        if role == "stranger":
            return self.strangers.pop()
        return {"learner": self.learner, "trainer": self.trainer, "admin": self.admin,
                "group_member": self.member, "group_admin": self.group_admin}[role]

    def chat(self, role: str, user: FakeUser) -> FakeChat:
        """Where the role acts: the group for group roles, else their private chat."""
        return self.group if role.startswith("group_") else self.sinau.emu.chat(user)


async def cast_of(start_sinau: Any, emulator: BotApiEmulator) -> Cast:
    """Start the bot with an admin; a trainer, a learner, a cohort group and its members."""
    admin = emulator.add_user("Admin", username="admin_tabel")
    sinau: Sinau = await start_sinau(access={"admin_ids": [admin.id]},
                                     delivery={"pacing": False})
    # Who may do what, not how fast: no per-person or per-group budget gets in the way.
    sinau.services.flood.rate.limit = 1_000_000
    sinau.services.discussion.commands.limit = 1_000_000
    trainer, learner = sinau.user("Tari"), sinau.user("Sari")
    member, group_admin, spare = sinau.user("Gina"), sinau.user("Galih"), sinau.user("Cadang")
    await sinau.send(spare, "/start")
    for person in (admin, trainer, learner):
        await onboard(sinau, person, "id")
    await sinau.send(admin, f"/grant {trainer.id}")
    await sinau.send(trainer, "/cohort new Angkatan Tabel")
    cohort = (await sinau.services.training.cohorts.all())[0]
    group = emulator.create_group("Diskusi Tabel", members=[member, trainer],
                                  admins=[group_admin], with_bot=False)
    await emulator.add_bot_to_group(group, group_admin)
    await sinau.settle()
    await sinau.send(trainer, f"/linkgroup {cohort.id}", chat=group)
    # Background ticks (nudges, weekly prompts) write on their own schedule: hold them, so a
    # row that changed during a cell changed because of that cell.
    assert sinau.app is not None and sinau.app.job_queue is not None
    sinau.app.job_queue.scheduler.pause()
    # Strangers: seen once (a plain "halo", answered "type /start first"), never /start-ed.
    strangers = [sinau.user(f"Asing {n}", language_code="id")
                 for n in range(len(COMMANDS) + len(CALLBACKS))]
    for stranger in strangers:
        await emulator.send_text(stranger, "halo")
    await sinau.settle()
    return Cast(sinau, learner, trainer, admin, member, group_admin, spare, group, cohort.id,
                strangers)


async def settle(sinau: Sinau) -> None:
    """Wait until the bot handled everything and went quiet (a shorter quiet than the
    harness: background jobs are paused, so nothing comes after the update's own replies)."""
    while True:
        await sinau.emu.settle(quiet=0.05)
        if not sinau._busy():
            return
        await sinau.emu.wait_for(lambda: not sinau._busy(), timeout=30)


@dataclass
class Seen:
    """What the bot showed in the chats a cell can touch."""

    messages: dict[int, dict[int, Message]]


def _look(cast: Cast, chats: list[Any]) -> Seen:
    emu = cast.sinau.emu
    return Seen({emu.chat(c).id: {m["message_id"]: m for m in emu.messages(c)} for c in chats})


def _said(before: Seen, after: Seen) -> list[str]:
    """Texts of new bot messages and of bot messages whose text or buttons changed."""
    out = []
    for chat_id, now in after.messages.items():
        old = before.messages.get(chat_id, {})
        for mid, message in now.items():
            if mid not in old or (text(old[mid]), button_data(old[mid])) != (
                    text(message), button_data(message)):
                out.append(text(message) or "<media>")
    return out


async def _button_source(cast: Cast, source: str) -> tuple[str, FakeUser | None, int | None]:
    """(data, owner, message id) of a real button named by ``source`` (or forged data)."""
    sinau = cast.sinau
    if source.startswith("forged:"):
        return source.removeprefix("forged:"), None, None
    who, _, what = source.partition(":")
    owner = {"learner": cast.learner, "trainer": cast.trainer,
             "group_admin": cast.group_admin}[who]
    chat = cast.group if who == "group_admin" else None
    if what == "quiz":
        card = with_data(await sinau.send(owner, "/learn"), "ls:")
        while "ls:q:" not in "".join(button_data(card)):
            await sinau.press(owner, card, data=data_of(card, "ls:n:"))
            card = sinau.message(owner, card["message_id"])
        sent = await sinau.press(owner, card, data=data_of(card, "ls:q:"))
        message = with_data(sent, "qz:")
        return data_of(message, "qz:"), owner, message["message_id"]
    command, _, prefix = what.partition(" ")
    sent = await sinau.send(owner, command, chat=chat)
    if prefix == "nz:":
        settings = with_data(sent, "st:")
        opener = next(d for d in button_data(settings) if "nz" in d or "nudge" in d)
        await sinau.press(owner, settings, data=opener)
        sent = [sinau.message(owner, settings["message_id"])]
    wanted = prefix or _prefix_of(command, sent)
    message = with_data(sent, wanted)
    return data_of(message, wanted), owner, message["message_id"]


def _prefix_of(command: str, sent: list[Message]) -> str:
    for message in sent:
        for data in button_data(message):
            return data.split(":")[0] + ":"
    raise AssertionError(f"{command} showed no button: {[text(m) for m in sent]}")


async def _play_command(cast: Cast, role: str, name: str, args: str) -> tuple[str, Any]:
    user = cast.person(role)
    chat = cast.chat(role, user)
    words = args.format(spare=cast.spare.id, cohort=cast.cohort_id)
    before_db = await dump_database(cast.sinau.services.db)
    before = _look(cast, [chat, user])
    await cast.sinau.emu.send_text(user, f"/{name} {words}".strip(), chat=chat)
    await settle(cast.sinau)
    return await _verdict(cast, before_db, before, _look(cast, [chat, user]), [])


async def _play_press(cast: Cast, role: str, data: str, owner: FakeUser | None,
                      message_id: int | None) -> tuple[str, Any]:
    sinau = cast.sinau
    user = cast.person(role)
    chat = cast.chat(role, user)
    if owner is not None and owner is not user and data.split(":")[0] in MESSAGE_BOUND:
        # A lesson, quiz or review button acts on the message it was pressed on: someone
        # else's is pressed on the owner's message (as in a chat both can see).
        chat = sinau.emu.chat(owner)
    elif owner is not user or message_id is None:
        # Someone else's button (or forged data): pressed on the latest bot message they see.
        shown = sinau.emu.messages(chat)
        message_id = shown[-1]["message_id"] if shown else 1
    before_db = await dump_database(sinau.services.db)
    before = _look(cast, [chat, user])
    query = await sinau.emu.forge_callback(user, chat, message_id, data)
    await settle(sinau)
    answers = [a for a in sinau.emu.callback_answers if a["callback_query_id"] == query]
    assert len(answers) == 1, f"{role} {data}: answered {len(answers)} times"
    answer = [answers[0]["text"]] if answers[0]["text"] else []
    return await _verdict(cast, before_db, before, _look(cast, [chat, user]), answer)


async def _verdict(cast: Cast, before_db: Any, before: Seen, after: Seen,
                   answers: list[str]) -> tuple[str, Any]:
    changed = diff_dumps(before_db, await dump_database(cast.sinau.services.db))
    said = _said(before, after) + answers
    did = [s for s in said if s not in refusals()]
    return ("A" if did or changed else "R"), {"said": said, "changed": changed}


async def test_every_command_and_button_area_has_its_row(start_sinau: Any,
                                                        emulator: BotApiEmulator) -> None:
    sinau: Sinau = await start_sinau()
    assert sinau.app is not None
    assert registered_commands(sinau.app) == set(COMMANDS), "add the command to the table"
    assert registered_patterns(sinau.app) == set(CALLBACKS), "add the button area to the table"


async def test_authorization_table(start_sinau: Any, emulator: BotApiEmulator) -> None:
    cast = await cast_of(start_sinau, emulator)
    wrong: list[str] = []
    observed: dict[str, str] = {}
    for name, (args, expected) in COMMANDS.items():
        row = ""
        for role, want in zip(ROLES, expected, strict=True):
            got, detail = await _play_command(cast, role, name, args)
            row += got
            if got != want:
                wrong.append(f"/{name} as {role}: expected {want}, got {got}: {detail}")
        observed[f"/{name}"] = row
    for pattern, (source, expected) in CALLBACKS.items():
        data, owner, message_id = await _button_source(cast, source)
        row = ""
        for role, want in zip(ROLES, expected, strict=True):
            got, detail = await _play_press(cast, role, data, owner, message_id)
            row += got
            if got != want:
                wrong.append(f"{data!r} ({pattern}) as {role}: expected {want}, got {got}: "
                             f"{detail}")
        observed[pattern] = row
    table = "\n".join(f"{k:20} {v}" for k, v in observed.items())
    if os.environ.get("SINAU_AUTH_TABLE_PRINT"):
        print(table)
    cells = len(ROLES) * (len(COMMANDS) + len(CALLBACKS))
    assert sum(len(v) for v in observed.values()) == cells
    assert wrong == [], "\n".join([*wrong, "observed:", table])


#: Sinau staff in the cohort's group: commands and button areas that show per-person data
#: answer there with one line pointing to the private chat (a press: an alert only the presser
#: sees), and nothing else. Every other command and button is played too, by the trainer and
#: the admin in the group: none may bring a member's name, NIP, progress, file or chart there.
POINTER_IN_GROUP = {"stats", "export", "^ts:", "^ex:"}
STAFF = ("trainer", "admin")
NIP = "198503152010011002"


def pointer_texts() -> set[str]:
    """The one line a group gets instead of a report, as the emulator shows it (the link's
    tag stripped), in both languages."""
    import re

    return {re.sub(r"<[^>]+>", "", str(t(lang, "reports.private_only", bot="x")))
            for lang in LANGUAGES}


def report_buttons(cohort_id: int, year: int) -> list[str]:
    """Every kind of /stats and /export button, with real arguments."""
    return [f"ts:c:{cohort_id}", f"ts:w:{cohort_id}", f"ts:p:{cohort_id}",
            f"ts:b:{cohort_id}:0", "ts:l:0", f"ex:c:{cohort_id}", "ex:l:0", "ex:r:p",
            "ex:r:s", "ex:u:j:0", "ex:k:s:0", f"ex:a:p:{year}", f"ex:a:s:{year}",
            f"ex:kc:j:{cohort_id}:{year}", f"ex:kc:p:{cohort_id}:{year}"]


def personal(cast: Cast) -> list[str]:
    """What would give the cohort member away: her name and her NIP (and its digits)."""
    return [cast.learner.first_name, NIP, NIP[:8]]


async def behind_member(cast: Cast) -> None:
    """Sari joins the cohort, has a NIP, and is behind on a course due today."""
    sinau = cast.sinau
    cohort = await sinau.services.training.cohorts.get(cast.cohort_id)
    assert cohort is not None
    await sinau.send(cast.learner, f"/start {cohort.invite_code}")
    await UserRepository(sinau.services.db).update_profile(cast.learner.id, nip=NIP)
    await sinau.services.training.cohorts.set_deadline(
        cast.cohort_id, "berakhlak", sinau.services.training.stats.today())


async def test_staff_in_a_group_get_no_personal_data(start_sinau: Any,
                                                    emulator: BotApiEmulator) -> None:
    cast = await cast_of(start_sinau, emulator)
    sinau = cast.sinau
    await behind_member(cast)
    await emulator.join_group(cast.group, cast.admin)
    await settle(sinau)
    # In private the trainer's /stats names her (so the check below can fail).
    said = " ".join(text(m) for m in await sinau.send(cast.trainer, f"/stats {cast.cohort_id}"))
    assert cast.learner.first_name in said, said
    year = sinau.services.training.siasn.years()[0]
    assert sinau.app is not None
    wrong: list[str] = []

    def check(what: str, new: list[Message], answers: list[str], pointer: bool) -> None:
        shown = [text(m) for m in new] + answers
        for message in new:
            if {"document", "photo"} & set(message):
                wrong.append(f"{what}: a file or photo went to the group")
        for marker in personal(cast):
            if any(marker in s for s in shown):
                wrong.append(f"{what}: {marker!r} went to the group: {shown}")
        if not pointer:
            return
        lines = [text(m) for m in new]
        if answers:  # a press: only an alert to the presser, nothing in the group
            if lines or t("id", "reports.private_alert") not in answers:
                wrong.append(f"{what}: expected only the alert, got {shown}")
        elif len(lines) != 1 or lines[0] not in pointer_texts():
            wrong.append(f"{what}: expected one line pointing to the private chat: {shown}")

    def group_state() -> dict[int, tuple[str, list[str]]]:
        return {m["message_id"]: (text(m), button_data(m)) for m in emulator.messages(cast.group)}

    def changed(before: dict[int, tuple[str, list[str]]]) -> list[Message]:
        return [m for m in emulator.messages(cast.group)
                if before.get(m["message_id"]) != (text(m), button_data(m))]

    plays = [(name, COMMANDS.get(name, ("", ""))[0]) for name in
             sorted(registered_commands(sinau.app))]
    # A report command names its cohort too: straight to the report, were it allowed.
    plays += [(name, "{cohort}") for name in sorted(POINTER_IN_GROUP) if "^" not in name]
    for name, words in plays:
        args = words.format(spare=cast.spare.id, cohort=cast.cohort_id)
        for role in STAFF:
            user = cast.person(role)
            before = group_state()
            private_before = len(emulator.messages(user))
            await emulator.send_text(user, f"/{name} {args}".strip(), chat=cast.group)
            await settle(sinau)
            pointer = name in POINTER_IN_GROUP
            check(f"/{name} {args} by the {role}", changed(before), [], pointer)
            if pointer and len(emulator.messages(user)) != private_before:
                wrong.append(f"/{name} by the {role}: a report went to the private chat too")

    sources = [data for pattern, (source, _) in CALLBACKS.items()
               if pattern not in POINTER_IN_GROUP
               for data in [(await _button_source(cast, source))[0]]]
    for data in [*sources, *report_buttons(cast.cohort_id, year)]:
        for role in STAFF:
            user = cast.person(role)
            before = group_state()
            shown = emulator.messages(cast.group)
            query = await emulator.forge_callback(user, cast.group, shown[-1]["message_id"],
                                                  data)
            await settle(sinau)
            answers = [a["text"] for a in emulator.callback_answers
                       if a["callback_query_id"] == query and a["text"]]
            pointer = any(data.startswith(p.removeprefix("^")) for p in POINTER_IN_GROUP)
            check(f"{data!r} by the {role}", changed(before), answers, pointer)
    assert wrong == [], "\n".join(wrong)
