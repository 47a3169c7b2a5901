"""Discussion prompts: a lesson's "Discuss" button links its thread; the weekly prompt."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta

from bot.sandbox.emulator import BotApiEmulator
from bot.storage.discussion import DiscussionRepository
from bot.storage.training import TrainingRepository
from tests.e2e.discussion_helpers import bot_says, text
from tests.e2e.harness import Sinau
from tests.e2e.learner import ZONE, data_of, onboard, read_lesson

StartSinau = Callable[..., Awaitable[Sinau]]


def _bot_topics(group: object) -> list[str]:
    return [tp.name for tp in group.topics.values() if tp.created_by_bot]  # type: ignore[attr-defined]


async def _runs_past(sinau: Sinau, n: int) -> None:
    """Wait until the weekly check has run ``n`` more times on the running bot."""
    prompts = sinau.services.discussion.prompts
    target = prompts.runs + n
    await sinau.emu.wait_for(lambda: sinau.services.discussion.prompts.runs >= target)


async def test_weekly_prompt_once_per_week_also_across_restart(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    trainer = emulator.add_user("Tari")
    member = emulator.add_user("Ani")
    sinau = await start_sinau(access={"admin_ids": [trainer.id]}, nudges={"tick_seconds": 0.2})
    group = emulator.create_group("Angkatan 1", forum=True, members=[member], admins=[trainer],
                                  with_bot=False)
    await emulator.add_bot_to_group(group, trainer)
    await emulator.settle()
    # Link on a Monday morning: linked later in the week, the week's prompt is due at once.
    local = sinau.clock.now().astimezone(ZONE)
    monday = local.date() + timedelta(days=7 - local.weekday())
    await sinau.advance_to(datetime.combine(monday, time(8, 0), tzinfo=ZONE))
    training = sinau.services.training
    cohort = await training.cohorts.create("Angkatan 1", by=trainer.id)
    await training.cohorts.toggle_course(cohort.id, "pelayanan-publik")
    await training.cohorts.link_group(cohort.id, group.id)
    course = sinau.services.catalogue.course("pelayanan-publik")
    assert course is not None
    first, second = (lesson.title.get("id") for lesson in course.lessons[:2])

    await sinau.advance_to(datetime.combine(monday, time(8, 30), tzinfo=ZONE))
    await _runs_past(sinau, 2)
    assert _bot_topics(group) == []  # not before Monday 09:00

    await sinau.advance_to(datetime.combine(monday, time(9, 5), tzinfo=ZONE))
    prompt = await bot_says(emulator, group, first)
    assert course.lessons[0].discussion is not None
    assert course.lessons[0].discussion.get("id") in text(prompt)
    assert group.topics[prompt["message_thread_id"]].name == first  # posted inside its topic
    await _runs_past(sinau, 3)
    assert _bot_topics(group) == [first]

    # A redeploy in the same week sends nothing new.
    await sinau.restart()
    await _runs_past(sinau, 3)
    assert _bot_topics(group) == [first]

    # Next week: the next lesson in the course order.
    await sinau.advance(timedelta(days=7))
    await bot_says(emulator, group, second)
    await _runs_past(sinau, 3)
    assert _bot_topics(group) == [first, second]
    repo = DiscussionRepository(sinau.services.db)
    assert await repo.weeks_sent(group.id) == 2


async def test_lesson_discussion_button_links_the_cohort_thread(
    start_sinau: StartSinau, emulator: BotApiEmulator
) -> None:
    trainer = emulator.add_user("Tari")
    ani, budi = emulator.add_user("Ani"), emulator.add_user("Budi")
    sinau = await start_sinau(access={"admin_ids": [trainer.id]})
    group = emulator.create_group("Angkatan 2", members=[ani, budi], admins=[trainer],
                                  with_bot=False)
    await emulator.add_bot_to_group(group, trainer)
    await emulator.settle()
    for learner in (ani, budi):
        await onboard(sinau, learner, "id")
    training = sinau.services.training
    cohort = await training.cohorts.create("Angkatan 2", by=trainer.id)
    snapshot = await sinau.services.learning.snapshot(ani.id)
    assert snapshot is not None and snapshot.course_key
    await training.cohorts.toggle_course(cohort.id, snapshot.course_key)
    await training.cohorts.link_group(cohort.id, group.id)
    now = sinau.clock.now()
    for learner in (ani, budi):
        await TrainingRepository(sinau.services.db).add_member(cohort.id, learner.id, now)

    internal = str(group.id).removeprefix("-100")
    links = []
    for learner in (ani, budi):
        lesson, card = await read_lesson(sinau, learner)
        shown = await sinau.press(learner, card, data=data_of(card, "ls:d:"))
        reply = next(m for m in shown if "t.me/c/" in str(m.get("entities")))
        assert lesson.discussion is not None and lesson.discussion.get("id") in text(reply)
        links += [e["url"] for e in reply["entities"] if e["type"] == "text_link"]
    anchors = [m for m in emulator.messages(group) if lesson.title.get("id") in text(m)]
    assert len(anchors) == 1  # opened once, then reused
    assert links == [f"https://t.me/c/{internal}/{anchors[0]['message_id']}"] * 2
