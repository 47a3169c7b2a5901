"""Steps of the trainer tools for end-to-end tests: staff, cohorts, learners joining by link."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from tests.e2e.harness import Message, Sinau, button_data
from tests.e2e.learner import late_answer, text, with_data
from tests.e2e.trainer_screens import say

LINK = re.compile(r"https://t\.me/(\w+)\?start=(c_[A-Za-z0-9]{10})")


async def admin_and_trainer(start_sinau: Any, emulator: Any, *, limited: bool = False,
                            **overrides: Any) -> tuple[Sinau, Any, Any]:
    """Start the bot with one admin; the admin grants the trainer role to Tari by user id.
    ``limited``: trainers see only the cohorts they run (access.trainers_own_cohorts)."""
    admin = emulator.add_user("Admin", username="admin_kec")
    sinau: Sinau = await start_sinau(
        access={"admin_ids": [admin.id], "trainers_own_cohorts": limited}, **overrides)
    trainer = sinau.user("Tari", last_name="Widya")
    await sinau.send(admin, "/start")
    await sinau.send(trainer, "/start")
    replies = await sinau.send(admin, f"/grant {trainer.id}")
    assert "pelatih" in text(replies[-1]), text(replies[-1])
    assert await sinau.services.training.roles.role_of(trainer.id) == "trainer"
    return sinau, admin, trainer


async def create_cohort(sinau: Sinau, trainer: Any, name: str) -> tuple[int, str]:
    """/cohort new <name>; the cohort id and its invite payload (checked against the link)."""
    card = (await sinau.send(trainer, f"/cohort new {name}"))[-1]
    match = LINK.search(text(card))
    assert match is not None, text(card)
    assert match[1] == sinau.emu.bot_username
    found = [c for c in await sinau.services.training.cohorts.all() if c.invite_code == match[2]]
    assert len(found) == 1
    return found[0].id, match[2]


async def onboard_by_link(sinau: Sinau, user: Any, payload: str, lang: str = "id") -> Message:
    """A new learner opens the invite link and onboards by buttons: "start learning", then
    the work unit the cohort asks for (the first one), the Telegram name, 07:30. The first
    lesson card is returned."""
    sent = await sinau.send(user, f"/start {payload}")
    welcome = with_data(sent, "ob:go")
    if lang != "id":
        await sinau.press(user, welcome, data=f"ob:lang:{lang}")
    after = await sinau.press(user, welcome, data="ob:go")
    card = with_data(after, "ls:")
    # The welcome, once started, says what the cohort link did (nothing for other payloads).
    cohorts = sinau.services.training.cohorts
    open_ones, closed = await cohorts.all(), await cohorts.all(archived=True)
    done = text(sinau.message(user, welcome["message_id"]))
    for found, outcome in ((open_ones, "joined"), (closed, "archived")):
        for cohort in found:
            if cohort.invite_code == payload:
                assert done.endswith(say(f"cohort.join_{outcome}", name=cohort.name,
                                         lang=lang)), done
    joined = any(c.invite_code == payload for c in open_ones)
    unit_asked = [m for m in after if "ob:unit:skip" in button_data(m)]
    assert len(unit_asked) == int(joined), [text(m) for m in after]
    for answer in ("ob:unit:0", "ob:name:keep", "ob:time:0730"):
        await late_answer(sinau, user, welcome, answer)
    return card


async def learners_join(sinau: Sinau, payload: str, count: int, *, prefix: str = "Peserta",
                        batch: int = 10) -> list[Any]:
    """``count`` new learners join through the link, ``batch`` at a time."""
    users = [sinau.user(f"{prefix} {n:02d}") for n in range(count)]
    for start in range(0, count, batch):
        await asyncio.gather(*(onboard_by_link(sinau, u, payload)
                               for u in users[start:start + batch]))
    return users


def copies(sinau: Sinau, user: Any, marker: str) -> int:
    """How many bot messages in the user's chat contain ``marker``."""
    return sum(1 for m in sinau.emu.messages(user.id) if marker in text(m))


async def known_person(sinau: Sinau, name: str, *, username: str | None = None,
                       last_name: str | None = None, **profile: Any) -> Any:
    """A person who started Sinau (one /start), with ``profile`` fields (nip, unit) stored as
    /settings would store them."""
    user = sinau.user(name, username=username, last_name=last_name)
    await sinau.send(user, "/start")
    if profile:
        await sinau.services.users.update(user.id, **profile)
    return user


async def grant(sinau: Sinau, admin: Any, user: Any) -> None:
    """The admin makes ``user`` a trainer by their id."""
    await sinau.send(admin, f"/grant {user.id}")
    assert await sinau.services.training.roles.role_of(user.id) == "trainer"
