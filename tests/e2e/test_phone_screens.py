"""Phone-first: every screen fits a phone, long button lists are paged, "expired" shows the way.

A learner walks through the common screens with every shipped course (the default catalogue's
nine), a trainer through theirs with more cohorts than one page holds. Every state of every
message they were shown must be at most 700 visible characters (lesson cards, whose buttons
are ``ls:``, excepted: their length is the content's) and carry at most eight item rows,
besides the page row and up to two fixed rows (back, cancel, "other").
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from bot.handlers.render import STALE_AFTER
from bot.i18n import LANGUAGES, label, t
from bot.sandbox.emulator import BotApiEmulator
from tests.e2e.harness import Message, Sinau, button_data
from tests.e2e.learner import data_of, do_lesson, late_answer, onboard, text, welcome, with_data
from tests.e2e.trainer_steps import admin_and_trainer

PHONE_SCREEN = 700
PAGE_ITEMS = 8
EXTRA_ROWS = 2
NAV_LABELS = {label(lang, key) for lang in LANGUAGES for key in ("paging.previous",
                                                                  "paging.next")}


class Screens:
    """Every state of every bot message a user was shown, taken after each step."""

    def __init__(self, sinau: Sinau, user: Any) -> None:
        self.sinau, self.user = sinau, user
        self.seen: list[Message] = []

    def look(self) -> None:
        """Keep the chat's messages as they are now (edits replace earlier states)."""
        self.seen += copy.deepcopy(self.sinau.emu.messages(self.user.id))

    async def send(self, command: str) -> list[Message]:
        sent = await self.sinau.send(self.user, command)
        self.look()
        return sent

    async def press(self, message: Message, data: str) -> Message:
        """Press ``data`` on ``message``; the message as it is afterwards."""
        await self.sinau.press(self.user, message, data=data)
        self.look()
        return self.sinau.message(self.user, message["message_id"])


def rows_of(message: Message) -> list[list[dict[str, Any]]]:
    return list((message.get("reply_markup") or {}).get("inline_keyboard", []))


def item_rows(message: Message) -> int:
    """Rows of a keyboard that list items: all but the page row and up to two fixed rows."""
    rows = [r for r in rows_of(message) if not all(b["text"] in NAV_LABELS for b in r)]
    return max(0, len(rows) - EXTRA_ROWS)


def is_card(message: Message) -> bool:
    return any(d.startswith("ls:") for d in button_data(message))


def assert_fits(screens: Screens) -> None:
    too_long = {text(m)[:60]: len(text(m)) for m in screens.seen
                if not is_card(m) and len(text(m)) > PHONE_SCREEN}
    assert too_long == {}
    crowded = {text(m)[:60]: item_rows(m) for m in screens.seen if item_rows(m) > PAGE_ITEMS}
    assert crowded == {}


def nav(message: Message) -> list[str]:
    """The page row's button labels."""
    return [b["text"] for r in rows_of(message) for b in r if b["text"] in NAV_LABELS]


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_learner_screens_fit_a_phone(sinau: Sinau, lang: str) -> None:
    user = sinau.user("Sekar Ayu Kusumaningrum Wulandari", language_code=lang)
    screens = Screens(sinau, user)
    catalogue = list(sinau.services.catalogue)
    assert len(catalogue) == 9
    start = await welcome(sinau, user, lang)
    screens.look()
    await screens.press(start, "ob:go")
    for answer in ("ob:name:keep", "ob:time:0730"):
        await late_answer(sinau, user, start, answer)
    await screens.send("/help")

    # /courses: the first eight courses, "next ›"; page 2 the ninth, "‹ previous".
    listed = with_data(await screens.send("/courses"), "crs:pick:")
    assert len([d for d in button_data(listed) if d.startswith("crs:pick:")]) == 8
    assert nav(listed) == [label(lang, "paging.next")]
    assert "1/2" in text(listed)
    second = await screens.press(listed, "crs:list:1")
    assert [d for d in button_data(second) if d.startswith("crs:pick:")] == [
        f"crs:pick:{catalogue[8].key}"]
    assert nav(second) == [label(lang, "paging.previous")]
    detail = await screens.press(second, f"crs:pick:{catalogue[8].key}")
    back = await screens.press(detail, "crs:back:1")
    assert f"crs:pick:{catalogue[8].key}" in button_data(back)
    # A page out of range is clamped to the last page, never an error.
    await sinau.emu.forge_callback(user, sinau.emu.chat(user), back["message_id"], "crs:list:99")
    await sinau.settle()
    assert f"crs:pick:{catalogue[8].key}" in button_data(sinau.message(user, back["message_id"]))

    # A lesson of every course started, one finished with its quiz: /progress stays short.
    for course in catalogue:
        await sinau.services.learning.choose_course(
            await sinau.services.users.get(user.id), course.key)  # type: ignore[arg-type]
        await screens.send("/learn")
    screens.seen += copy.deepcopy(await do_lesson(sinau, user))
    screens.look()
    await screens.send("/progress")
    await screens.send("/review")

    # /settings and its screens; the units are paged too.
    menu = with_data(await screens.send("/settings"), "st:")
    for opener in ("st:lang", "st:time", "st:ret", "st:name"):
        await screens.press(menu, opener)
        menu = await screens.press(menu, "st:menu")
    await screens.press(menu, "nz:menu")
    units = sinau.services.settings.learning.units
    unit_screen = await screens.press(with_data(await screens.send("/settings"), "st:unit"),
                                      "st:unit")
    assert len([d for d in button_data(unit_screen) if d[8:].isdigit()]) == 8
    turned = await screens.press(unit_screen, "st:unit:p:1")
    assert f"st:unit:{len(units) - 1}" in button_data(turned)
    await screens.press(turned, f"st:unit:{len(units) - 1}")
    assert (await sinau.services.users.get(user.id)).unit == units[-1]  # type: ignore[union-attr]

    await screens.send("/privacy")
    await screens.send("/pause")
    await screens.send("/start")
    assert_fits(screens)


async def test_trainer_screens_fit_a_phone(start_sinau: Any, emulator: BotApiEmulator) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    screens = Screens(sinau, trainer)
    cohorts = [await sinau.services.training.cohorts.create(f"Kelurahan Uji {n:02d}",
                                                            by=trainer.id) for n in range(10)]
    await screens.send("/trainer")
    listed = with_data(await screens.send("/cohort"), "ch:o:")
    assert nav(listed) == [label("id", "paging.next")]
    listed = await screens.press(listed, "ch:l:1")
    assert len([d for d in button_data(listed) if d.startswith("ch:o:")]) == len(cohorts) - 8
    opened = int(data_of(listed, "ch:o:").split(":")[2])
    card = await screens.press(listed, f"ch:o:{opened}")
    courses = await screens.press(card, f"ch:c:{opened}")
    assert nav(courses) == [label("id", "paging.next")]
    await screens.press(courses, f"ch:c:{opened}:1")
    picker = with_data(await screens.send("/stats"), "ts:c:")
    picker = await screens.press(picker, "ts:l:1")
    await screens.press(picker, data_of(picker, "ts:c:"))
    picker = with_data(await screens.send("/export"), "ex:c:")
    await screens.press(picker, "ex:l:1")
    draft = with_data(await screens.send("/broadcast"), "bc:lc:")
    bid = data_of(draft, "bc:lc:").split(":")[2]
    courses = await screens.press(draft, f"bc:lc:{bid}")
    courses = await screens.press(courses, f"bc:pc:{bid}:1")
    lessons = await screens.press(courses, data_of(courses, f"bc:lc:{bid}:"))
    audience = await screens.press(lessons, data_of(lessons, f"bc:ls:{bid}:"))
    assert nav(audience) == [label("id", "paging.next")]
    await screens.press(audience, f"bc:pa:{bid}:1")
    assert_fits(screens)


async def test_the_work_unit_question_is_paged(start_sinau: Any, emulator: BotApiEmulator
                                               ) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    cohort = await sinau.services.training.cohorts.create("Kelurahan Sampangan", by=trainer.id)
    learner = sinau.user("Budi")
    sent = await sinau.send(learner, f"/start {cohort.invite_code}")
    after = await sinau.press(learner, with_data(sent, "ob:go"), data="ob:go")
    question = with_data(after, "ob:unit:skip")
    units = sinau.services.settings.learning.units
    assert "ob:unit:8" not in button_data(question) and "ob:unit:p:1" in button_data(question)
    await sinau.press(learner, question, data="ob:unit:p:1")
    turned = sinau.message(learner, question["message_id"])
    assert {"ob:unit:8", "ob:unit:other", "ob:unit:skip", "ob:unit:p:0"} <= set(
        button_data(turned))
    await sinau.press(learner, turned, data="ob:unit:8")
    assert (await sinau.services.users.get(learner.id)).unit == units[8]  # type: ignore[union-attr]
    # A page press forged onto another message (the lesson card) does not turn it into a list.
    card = with_data(after, "ls:")
    await sinau.emu.forge_callback(learner, sinau.emu.chat(learner), card["message_id"],
                                   "ob:unit:p:0")
    await sinau.settle()
    assert button_data(sinau.message(learner, card["message_id"])) == button_data(card)


async def test_an_expired_button_offers_the_way_back(sinau: Sinau) -> None:
    user = sinau.user("Sari")
    first = await onboard(sinau, user, "id")
    way_back = ["learn:go", "pg:home"]
    # A fresh message keeps its buttons: the press may be a double tap racing its own edit.
    card = with_data(await sinau.send(user, "/learn"), "ls:")  # a new session: first is stale
    await sinau.press(user, first, data=data_of(first, "ls:n:"))
    assert sinau.emu.callback_answers[-1]["text"] == t("id", "common.expired_button")
    assert button_data(sinau.message(user, first["message_id"])) == button_data(first)
    # Left alone long enough, the finished flow's buttons become the way back; text unchanged.
    await sinau.advance(STALE_AFTER + timedelta(minutes=1))
    await sinau.emu.forge_callback(user, sinau.emu.chat(user), card["message_id"], "ls:n:7")
    await sinau.settle()  # forged data: the live card keeps its buttons
    assert button_data(sinau.message(user, card["message_id"])) == button_data(card)
    await sinau.press(user, first, data=data_of(first, "ls:n:"))
    stale = sinau.message(user, first["message_id"])
    assert button_data(stale) == way_back and text(stale) == text(first)
    assert "/learn" in sinau.emu.callback_answers[-1]["text"]
    # The way back works: the dashboard, and learning on.
    home = await sinau.press(user, stale, data="pg:home")
    assert "learn:go" in button_data(with_data(home, "learn:go"))
    assert with_data(await sinau.press(user, stale, data="learn:go"), "ls:")
