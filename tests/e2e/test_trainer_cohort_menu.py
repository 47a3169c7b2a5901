"""End to end: a trainer runs the /cohort menu by buttons and typed answers — creating, renaming
(a bad name first), a course deadline set and cleared (a bad date first), the members list, the
invite link, archiving and restoring.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.emulator import BotApiEmulator
from bot.training.cohorts import invite_link
from tests.e2e.harness import Message, Sinau, button_data, buttons
from tests.e2e.learner import text, with_data
from tests.e2e.trainer_screens import failed_requests, press, say
from tests.e2e.trainer_steps import admin_and_trainer, onboard_by_link

TOO_LONG = "Kelurahan " + "Gajahmungkur " * 5  # 75 characters: over the 64 allowed


async def open_menu(sinau: Sinau, trainer: Any) -> Message:
    """/cohort; the menu message."""
    return with_data(await sinau.send(trainer, "/cohort"), "ch:")


async def stored_courses(sinau: Sinau, cohort_id: int) -> dict[str, str | None]:
    """Assigned course → deadline, as stored."""
    return {c.course_key: c.deadline
            for c in await sinau.services.training.cohorts.courses(cohort_id)}


async def test_create_rename_and_deadlines_by_buttons(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    menu = await open_menu(sinau, trainer)
    assert text(menu) == say("cohort.list_empty", count=0)
    assert button_data(menu) == ["ch:n"]

    # New cohort: the menu asks for the name; a name over 64 characters is refused.
    asked = await press(sinau, trainer, menu, "ch:n")
    assert text(asked) == say("cohort.ask_name") and not button_data(asked)
    replies = await sinau.send(trainer, TOO_LONG)
    assert [text(m) for m in replies] == [say("cohort.bad_name")]
    assert await sinau.services.training.cohorts.all() == []
    card = (await sinau.send(trainer, "  Kelurahan   Bendan Duwur "))[-1]
    [cohort] = await sinau.services.training.cohorts.all()
    assert cohort.name == "Kelurahan Bendan Duwur"
    assert text(card).startswith(f"Kelurahan Bendan Duwur (#{cohort.id})")
    assert invite_link(emulator.bot_username, cohort.invite_code) in text(card)
    assert say("cohort.group_no", id=cohort.id) in text(card)
    assert set(button_data(card)) == {f"ch:c:{cohort.id}", f"ch:m:{cohort.id}:0",
                                      f"ch:r:{cohort.id}", f"ch:a:{cohort.id}", "ch:l"}

    # Rename: a bad name keeps the question open, a good one shows the card again.
    asked = await press(sinau, trainer, card, f"ch:r:{cohort.id}")
    assert text(asked) == say("cohort.ask_rename", name=cohort.name)
    replies = await sinau.send(trainer, TOO_LONG)
    assert [text(m) for m in replies] == [say("cohort.bad_name")]
    card = (await sinau.send(trainer, "Kelurahan Bendan Duwur <2026> & Co"))[-1]
    renamed = await sinau.services.training.cohorts.get(cohort.id)
    assert renamed is not None and renamed.name == "Kelurahan Bendan Duwur <2026> & Co"
    assert text(card).startswith("Kelurahan Bendan Duwur <2026> & Co (#")

    # Courses: tap one to assign it, then 📅 for its deadline.
    catalogue = sinau.services.catalogue
    course = catalogue.courses[0]
    title = course.title.get("id")
    courses = await press(sinau, trainer, card, f"ch:c:{cohort.id}")
    # Nine courses: eight a page (bot.handlers.paging), the page said under the title.
    assert text(courses) == say("cohort.courses_title", name=renamed.name) + "\n\n" + say(
        "paging.page", page=1, pages=2)
    assert f"▫️ {title}" in buttons(courses)
    courses = await press(sinau, trainer, courses, f"ch:t:{cohort.id}:{course.key}")
    assert f"✅ {title}" in buttons(courses)
    assert await stored_courses(sinau, cohort.id) == {course.key: None}

    asked = await press(sinau, trainer, courses, f"ch:d:{cohort.id}:{course.key}")
    assert text(asked) == say("cohort.ask_deadline") and not button_data(asked)
    for bad in ("31-02-2026", "besok"):
        replies = await sinau.send(trainer, bad)
        assert [text(m) for m in replies] == [say("cohort.bad_deadline")]
    # A date in the past is refused with a clear message; the question stays open.
    replies = await sinau.send(trainer, "01-01-2020")
    assert [text(m) for m in replies] == [say("path.deadline_past", date="01-01-2020")]
    assert await stored_courses(sinau, cohort.id) == {course.key: None}
    card = (await sinau.send(trainer, "30/06/2036"))[-1]
    until = say("cohort.until", date="2036-06-30")
    assert f"{title} ({until})" in text(card), text(card)
    assert await stored_courses(sinau, cohort.id) == {course.key: "2036-06-30"}

    # "-" clears the deadline; the course stays assigned.
    courses = await press(sinau, trainer, card, f"ch:c:{cohort.id}")
    await press(sinau, trainer, courses, f"ch:d:{cohort.id}:{course.key}")
    card = (await sinau.send(trainer, "-"))[-1]
    assert until not in text(card) and title in text(card)
    assert await stored_courses(sinau, cohort.id) == {course.key: None}

    # A deadline for a course not yet assigned assigns it too; tapping a course unassigns it.
    other = catalogue.courses[1]
    courses = await press(sinau, trainer, card, f"ch:c:{cohort.id}")
    await press(sinau, trainer, courses, f"ch:d:{cohort.id}:{other.key}")
    card = (await sinau.send(trainer, "2036-12-01"))[-1]
    assert await stored_courses(sinau, cohort.id) == {course.key: None, other.key: "2036-12-01"}
    courses = await press(sinau, trainer, card, f"ch:c:{cohort.id}")
    courses = await press(sinau, trainer, courses, f"ch:t:{cohort.id}:{course.key}")
    assert f"▫️ {title}" in buttons(courses)
    assert await stored_courses(sinau, cohort.id) == {other.key: "2036-12-01"}

    # Back to the card, then to the list, which names the cohort with its members.
    card = await press(sinau, trainer, courses, f"ch:o:{cohort.id}")
    assert text(card).startswith(renamed.name)
    menu = await press(sinau, trainer, card, "ch:l")
    assert text(menu) == say("cohort.list_title", count=1)
    assert buttons(menu)[0] == say("cohort.item", name=renamed.name, members=0)
    # The answers were plain text again: no open question is left.
    assert await sinau.services.training.prompts.current(trainer.id) is None
    assert failed_requests(emulator) == []


async def test_members_invite_link_and_archive(start_sinau: Any,
                                               emulator: BotApiEmulator) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    # /cohort new without a name asks for it.
    replies = await sinau.send(trainer, "/cohort baru")
    assert [text(m) for m in replies] == [say("cohort.ask_name")]
    card = (await sinau.send(trainer, "Kelurahan Petompon"))[-1]
    [cohort] = await sinau.services.training.cohorts.all()
    link = invite_link(emulator.bot_username, cohort.invite_code)
    assert link in text(card)

    # Two learners open the link from the card; the members list shows them with their unit.
    unit = sinau.services.settings.learning.units[0]
    ani, budi = sinau.user("Ani", last_name="Lestari"), sinau.user("Budi")
    for learner in (budi, ani):
        await onboard_by_link(sinau, learner, link.rsplit("=", 1)[1])
    members = await press(sinau, trainer, card, f"ch:m:{cohort.id}:0")
    assert text(members).splitlines() == [
        say("cohort.members_title", name=cohort.name, count=2),
        say("cohort.member_line", n=1, name=f"Ani Lestari — {unit}"),
        say("cohort.member_line", n=2, name=f"Budi — {unit}"),
    ]
    # One page: no paging arrows; "remove members", then back.
    assert button_data(members) == [f"ch:x:{cohort.id}:0", f"ch:o:{cohort.id}"]

    # Archive: the card says so and offers only restore and back; the link admits nobody.
    card = await press(sinau, trainer, members, f"ch:o:{cohort.id}")
    assert "Anggota: 2" in text(card)
    card = await press(sinau, trainer, card, f"ch:a:{cohort.id}")
    assert say("cohort.archived_note") in text(card)
    assert button_data(card) == [f"ch:u:{cohort.id}", "ch:l"]
    archived = await sinau.services.training.cohorts.get(cohort.id)
    assert archived is not None and archived.archived
    citra = sinau.user("Citra")
    await onboard_by_link(sinau, citra, cohort.invite_code)
    replies = await sinau.send(citra, f"/start {cohort.invite_code}")
    assert say("cohort.join_archived", name=cohort.name) in [text(m) for m in replies]
    assert (await sinau.services.training.cohorts.get(cohort.id)).members == 2  # type: ignore[union-attr]
    # An archived cohort cannot be renamed, nor be a broadcast's audience.
    await emulator.forge_callback(trainer, emulator.chat(trainer), card["message_id"],
                                  f"ch:r:{cohort.id}")
    await sinau.settle()
    assert await sinau.services.training.prompts.current(trainer.id) is None
    picker = with_data(await sinau.send(trainer, "/broadcast"), "bc:x:")
    picker = with_data(await sinau.send(trainer, "Rapat Jumat"), "bc:au:")
    assert not any(":c:" in d for d in button_data(picker))
    await sinau.press(trainer, picker, data=next(d for d in button_data(picker)
                                                 if d.startswith("bc:x:")))

    # Later, from a fresh /cohort, the archived cohort is still listed (marked 🗄) and can be
    # restored from its card; its link works again.
    menu = await open_menu(sinau, trainer)
    assert text(menu) == say("cohort.list_title", count=0)
    assert buttons(menu)[0] == "🗄 " + say("cohort.item", name=cohort.name, members=2)
    card = await press(sinau, trainer, menu, f"ch:o:{cohort.id}")
    card = await press(sinau, trainer, card, f"ch:u:{cohort.id}")
    assert say("cohort.archived_note") not in text(card)
    assert f"ch:a:{cohort.id}" in button_data(card)
    replies = await sinau.send(citra, f"/start {cohort.invite_code}")
    assert say("cohort.join_joined", name=cohort.name) in [text(m) for m in replies]
    assert failed_requests(emulator) == []
