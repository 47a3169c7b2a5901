"""The fuzzing world: people and groups around one running bot, and how an action is played.

Actions are plain JSON-ready dicts (see fuzz_strategies), so a failing batch can be saved to
tests/hardening/regressions/ and replayed as it was.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.sandbox.emulator import (
    BotApiEmulator,
    DriverError,
    FakeChat,
    FakeUser,
    validate_object,
)
from tests.e2e.harness import Sinau, button_data
from tests.e2e.learner import onboard

Action = dict[str, Any]
REGRESSIONS = Path(__file__).parent / "regressions"


@dataclass
class World:
    """The running bot and everyone the fuzzer plays."""

    sinau: Sinau
    actors: list[FakeUser]  # stranger, two learners, trainer, admin, then new (hostile) people
    groups: list[FakeChat]  # a supergroup (bot admin), a plain group, a forum
    channel: dict[str, Any]
    cohort_id: int
    queries: list[str] = field(default_factory=list)
    fed: int = 0

    @property
    def emu(self) -> BotApiEmulator:
        """The emulator."""
        return self.sinau.emu

    def actor(self, index: int) -> FakeUser:
        """Anyone in the world, by any number."""
        return self.actors[index % len(self.actors)]

    async def chat(self, user: FakeUser, index: int) -> FakeChat:
        """0: the user's private chat; else a group, which the user joins first if needed."""
        if index % (len(self.groups) + 1) == 0:
            return self.emu.chat(user)
        group = self.groups[index % (len(self.groups) + 1) - 1]
        member = group.members.get(user.id)
        if member is None or not member.present:
            await self.emu.join_group(group, user)
        return group


async def build_world(start_sinau: Any, emulator: BotApiEmulator) -> World:
    """Start the bot (pacing off) and set up learners, staff, a cohort and three groups."""
    admin = emulator.add_user("Admin <b>&amp;</b>", username="admin_fz")
    sinau: Sinau = await start_sinau(access={"admin_ids": [admin.id]},
                                     delivery={"pacing": False})
    # The fuzz plays many people at machine speed: the group command budget would silence
    # most group commands, which is not what is being fuzzed here.
    sinau.services.discussion.commands.limit = 10_000
    # Likewise the inbound flood gate (test_flooding covers it): the fuzzer is a few people
    # sending thousands of updates in a minute.
    sinau.services.flood.rate.limit = 1_000_000
    stranger = sinau.user("\u202eOrang Asing", language_code=None)
    sari = sinau.user("Sari", language_code="id")
    eko = sinau.user("Eko", last_name="<i>Prasetyo</i>", language_code="en")
    trainer = sinau.user("Tari", username="tari_fz")
    await onboard(sinau, sari, "id")
    await onboard(sinau, eko, "en")
    await sinau.send(admin, "/start")
    await sinau.send(trainer, "/start")
    await sinau.send(admin, f"/grant {trainer.id}")
    await sinau.send(trainer, "/cohort new Angkatan Fuzz")
    cohorts = await sinau.services.training.cohorts.all()
    people = [stranger, sari, eko, trainer, admin]
    groups = []
    for title, kwargs in (("Grup <b>Diskusi</b>", {}),
                          ("Grup biasa", {"supergroup": False, "bot_is_admin": False}),
                          ("Forum \u200b", {"forum": True})):
        group = emulator.create_group(title, members=people, admins=[trainer, admin],
                                      with_bot=False, **kwargs)
        await emulator.add_bot_to_group(group, trainer)
        groups.append(group)
    await sinau.settle()
    await sinau.send(trainer, f"/linkgroup {cohorts[0].id}", chat=groups[0])
    channel = {"id": -1_001_999_000_111, "type": "channel", "title": "Kanal <b>"}
    return World(sinau, people, groups, channel, cohorts[0].id)


def _bot_messages(world: World, chat: FakeChat, with_buttons: bool) -> list[dict[str, Any]]:
    messages = world.emu.messages(chat)
    return [m for m in messages if button_data(m)] if with_buttons else messages


def _ts(world: World) -> int:
    return int(world.emu.now().timestamp())


async def play(world: World, action: Action) -> None:
    """Perform one action; actions no real client could perform are skipped."""
    try:
        await _play(world, action)
    except DriverError:
        return


async def _play(world: World, action: Action) -> None:
    emu = world.emu
    kind = action["k"]
    if kind == "user":
        world.actors.append(emu.add_user(action["first"], last_name=action.get("last"),
                                         username=action.get("username"),
                                         language_code=action.get("lang")))
        return
    if kind == "raw":
        raw = _raw(world, action)
        # Shaped as Telegram would send it: a malformed update would only test PTB's parser.
        validate_object("Update", {"update_id": 1, **raw}, "update")
        await emu.send_update(raw)
        return
    user = world.actor(action.get("u", 0))
    if kind == "addbot":
        group = world.groups[action["g"] % len(world.groups)]
        if not group.bot_member.present:
            await emu.add_bot_to_group(group, world.actors[3])
        return
    if kind in ("join", "leave"):
        group = world.groups[action["g"] % len(world.groups)]
        member = group.members.get(user.id)
        if member is not None and member.present:
            await emu.leave_group(group, user)
        else:
            await emu.join_group(group, user)
        return
    chat = await world.chat(user, action.get("c", 0))
    if kind == "text":
        await emu.send_text(user, action["t"], chat=chat)
    elif kind == "cmd":
        suffix = f"@{emu.bot_username}" if action.get("at") else ""
        args = f" {action['args']}" if action.get("args") else ""
        await emu.send_text(user, f"/{action['cmd']}{suffix}{args}", chat=chat)
    elif kind == "edit":
        mine = [m for m in emu.messages(chat, from_bot=False)
                if m.get("from", {}).get("id") == user.id and "text" in m]
        if mine:
            await emu.edit_text(user, mine[-1], action["t"])
    elif kind == "cb":
        messages = _bot_messages(world, chat, False)
        message_id = (messages[action["m"] % len(messages)]["message_id"] if messages
                      else action["m"])
        world.queries.append(await emu.forge_callback(user, chat, message_id, action["d"]))
    elif kind == "press":
        messages = _bot_messages(world, chat, True)
        if messages:
            message = messages[action["m"] % len(messages)]
            data = button_data(message)
            pick = data[action["b"] % len(data)]
            if pick:
                world.queries.append(await emu.forge_callback(user, chat, message["message_id"],
                                                              pick))
    elif kind == "doc":
        content = hashlib.sha256(str(action["seed"]).encode()).digest() * (action["size"] // 32)
        if action.get("toml"):
            content = action["toml"].encode()
        await emu.upload_document(user, action["name"], content, action["mime"], chat=chat,
                                  caption=action.get("caption"))
    elif kind == "poll":
        polls = [p for p in emu.polls.values() if not p.poll["is_closed"]]
        if polls:
            poll = polls[action["p"] % len(polls)]
            options = len(poll.poll["options"])
            await emu.answer_poll(user, poll.poll["id"], sorted({o % options
                                                                for o in action["o"]})[:1])


def _raw(world: World, action: Action) -> dict[str, Any]:
    """An update of a kind the bot may not handle, shaped as the Bot API sends it."""
    user = world.actor(action.get("u", 0)).to_api()
    group = world.groups[action.get("g", 0) % len(world.groups)].to_api()
    private = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    now = _ts(world)
    text = action.get("t", "")
    message = {"message_id": action.get("m", 1) % 2**31, "date": now, "chat": private,
               "from": user, "text": text}
    kind = action["kind"]
    body: Any
    if kind in ("channel_post", "edited_channel_post"):
        body = {"message_id": action.get("m", 1) % 2**31, "date": now, "chat": world.channel,
                "sender_chat": world.channel, "text": text}
        if kind == "edited_channel_post":
            body["edit_date"] = now
    elif kind in ("business_message", "edited_business_message"):
        body = dict(message, business_connection_id="bc-1")
    elif kind == "deleted_business_messages":
        body = {"business_connection_id": "bc-1", "chat": private, "message_ids": [1, 2]}
    elif kind == "message_reaction":
        body = {"chat": group, "message_id": 1, "user": user, "date": now,
                "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}
    elif kind == "message_reaction_count":
        body = {"chat": group, "message_id": 1, "date": now,
                "reactions": [{"type": {"type": "emoji", "emoji": "🔥"}, "total_count": 3}]}
    elif kind == "chat_join_request":
        body = {"chat": group, "from": user, "user_chat_id": user["id"], "date": now,
                "bio": text[:35]}
    elif kind == "inline_query":
        body = {"id": str(now), "from": user, "query": text[:128], "offset": ""}
    elif kind == "chosen_inline_result":
        body = {"result_id": "r1", "from": user, "query": text[:128]}
    elif kind == "shipping_query":
        body = {"id": "s1", "from": user, "invoice_payload": text[:32] or "x",
                "shipping_address": {"country_code": "ID", "state": "", "city": "Semarang",
                                     "street_line1": "Jl. 1", "street_line2": "",
                                     "post_code": "50000"}}
    elif kind == "pre_checkout_query":
        body = {"id": "p1", "from": user, "currency": "IDR", "total_amount": 1000,
                "invoice_payload": text[:32] or "x"}
    elif kind == "poll":
        body = {"id": "nope", "question": text[:150] or "?", "options": [
            {"persistent_id": "0", "text": "a", "voter_count": 1},
            {"persistent_id": "1", "text": "b", "voter_count": 0}],
            "total_voter_count": 1, "is_closed": False, "is_anonymous": True,
            "type": "regular", "allows_multiple_answers": False, "allows_revoting": False,
            "members_only": False}
    elif kind == "poll_answer":
        body = {"poll_id": text[:20] or "nope", "user": user, "option_ids": [0],
                "option_persistent_ids": ["0"]}
    elif kind in ("chat_member", "my_chat_member"):
        subject = world.emu.bot_user.to_api() if kind == "my_chat_member" else user
        body = {"chat": group if action.get("c", 1) else private, "from": user, "date": now,
                "old_chat_member": {"status": "member", "user": subject},
                "new_chat_member": {"status": action.get("status", "left"), "user": subject}}
        if body["new_chat_member"]["status"] == "kicked":
            body["new_chat_member"]["until_date"] = 0
    elif kind == "chat_boost":
        body = {"chat": group, "boost": {"boost_id": "b1", "add_date": now,
                                         "expiration_date": now + 86400,
                                         "source": {"source": "premium", "user": user}}}
    elif kind == "removed_chat_boost":
        body = {"chat": group, "boost_id": "b1", "remove_date": now,
                "source": {"source": "premium", "user": user}}
    elif kind == "odd_message":
        body = dict(message, **action["content"])
        body.pop("text")
        if action.get("c"):
            body["chat"] = group
        kind = "message"
    else:  # an edited message of someone, in private
        body = dict(message, edit_date=now)
        kind = "edited_message"
    return {kind: body}


def save_failure(batch: list[Action]) -> Path:
    """Keep a failing batch as a regression example (replayed first by test_fuzz)."""
    payload = json.dumps(batch, ensure_ascii=False, indent=1)
    digest = hashlib.sha256(payload.encode()).hexdigest()[:10]
    path = REGRESSIONS / f"found-{digest}.json"
    path.write_text(payload + "\n", encoding="utf-8")
    return path
