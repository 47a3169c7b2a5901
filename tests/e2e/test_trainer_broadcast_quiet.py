"""End to end: a broadcast scheduled at 23:00 waits until 06:00 in each recipient's own zone,
a test-send reaches only the trainer (and is not in the report), and the stragglers' audience
reaches exactly the members behind when the broadcast starts.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.sandbox.emulator import BotApiEmulator
from tests.e2e.harness import Sinau, button_data
from tests.e2e.learner import do_lesson, text, with_data
from tests.e2e.test_trainer_broadcast_schedule import figures, preview_of
from tests.e2e.trainer_screens import edits_of, failed_requests, press, say, wait_report
from tests.e2e.trainer_steps import admin_and_trainer, copies, create_cohort, learners_join

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")


async def move_to_makassar(sinau: Sinau, user: Any) -> None:
    """The learner picks WITA in /settings."""
    settings = (await sinau.send(user, "/settings"))[-1]
    await sinau.press(user, settings, data="nz:menu")
    await sinau.press(user, sinau.message(user, settings["message_id"]), data="nz:tz:wita")
    found = await sinau.services.users.get(user.id)
    assert found is not None and found.timezone == "Asia/Makassar"


async def test_a_broadcast_at_23_waits_until_06_in_each_recipients_zone(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, _admin, trainer = await admin_and_trainer(
        start_sinau, emulator, delivery={"quiet_hours": "21:00-06:00"})
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Petompon")
    jakarta, makassar = await learners_join(sinau, payload, 2)
    await move_to_makassar(sinau, makassar)
    # Tomorrow at 10:00 WIB: day everywhere; the trainer types 23:00 of that day.
    day = sinau.clock.now().astimezone(WIB).date() + timedelta(days=1)
    await sinau.advance_to(datetime.combine(day, time(10), tzinfo=WIB))

    bid, preview = await preview_of(sinau, trainer, "Rapat koordinasi Senin", f"c:{cohort_id}")
    assert say("schedule.quiet_note", quiet="21:00-06:00") in text(preview)
    assert f"bc:ur:{bid}" in button_data(preview)
    days = await press(sinau, trainer, preview, f"bc:sd:{bid}")
    await sinau.press(trainer, days, data=f"bc:ty:{bid}")
    [scheduled] = await sinau.send(trainer, f"{day:%d-%m} 23:00")
    assert text(scheduled) == say("broadcast.scheduled", id=bid, count=2,
                                  when=f"{day:%d-%m-%Y} 23:00 WIB")

    # 23:00 WIB (midnight WITA): it starts, and both recipients are held.
    await sinau.advance_to(datetime.combine(day, time(23), tzinfo=WIB))
    waiting = say("broadcast.progress", id=bid, sent=0, failed=0, blocked=0, remaining=2
                  ) + "\n" + say("schedule.held", count=2)
    await emulator.wait_for(lambda: text(sinau.message(trainer, scheduled["message_id"]))
                            == waiting, timeout=30)
    assert copies(sinau, jakarta, "Rapat koordinasi") == 0
    assert copies(sinau, makassar, "Rapat koordinasi") == 0

    # 05:00 WIB is 06:00 WITA: Makassar gets it, Jakarta still sleeps.
    await sinau.advance_to(datetime.combine(day + timedelta(days=1), time(5), tzinfo=WIB))
    await emulator.wait_for(lambda: copies(sinau, makassar, "Rapat koordinasi") == 1,
                            timeout=30)
    received = [m for m in emulator.messages(makassar.id) if "Rapat koordinasi" in text(m)]
    local = datetime.fromtimestamp(received[0]["date"], WITA)
    assert (local.hour, local.date()) == (6, day + timedelta(days=1))
    await emulator.wait_for(lambda: say("schedule.held", count=1) in text(
        sinau.message(trainer, scheduled["message_id"])), timeout=30)
    assert copies(sinau, jakarta, "Rapat koordinasi") == 0

    # 06:00 WIB: Jakarta too, and the report.
    await sinau.advance_to(datetime.combine(day + timedelta(days=1), time(6), tzinfo=WIB))
    report = await wait_report(sinau, trainer, bid)
    assert figures(report)["Terkirim"] == 2
    assert copies(sinau, jakarta, "Rapat koordinasi") == 1
    assert copies(sinau, makassar, "Rapat koordinasi") == 1
    edits = edits_of(emulator, trainer.id, scheduled["message_id"])
    assert waiting in edits and edits[-1] == report
    assert failed_requests(emulator) == []


async def test_urgent_goes_out_at_night(start_sinau: Any, emulator: BotApiEmulator) -> None:
    sinau, _admin, trainer = await admin_and_trainer(
        start_sinau, emulator, delivery={"quiet_hours": "21:00-06:00"})
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Lempongsari")
    members = await learners_join(sinau, payload, 2)
    day = sinau.clock.now().astimezone(WIB).date() + timedelta(days=1)
    await sinau.advance_to(datetime.combine(day, time(23, 30), tzinfo=WIB))

    bid, preview = await preview_of(sinau, trainer, "Banjir: kantor tutup", f"c:{cohort_id}")
    marked = await press(sinau, trainer, preview, f"bc:ur:{bid}")
    assert say("schedule.urgent_note") in text(marked)
    await sinau.press(trainer, marked, data=f"bc:go:{bid}")
    report = await wait_report(sinau, trainer, bid)
    assert figures(report)["Terkirim"] == 2
    assert all(copies(sinau, u, "Banjir") == 1 for u in members)
    assert failed_requests(emulator) == []


async def test_a_test_send_reaches_only_the_trainer(start_sinau: Any,
                                                    emulator: BotApiEmulator) -> None:
    sinau, admin, trainer = await admin_and_trainer(start_sinau, emulator)
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Sampangan")
    members = await learners_join(sinau, payload, 2)

    bid, preview = await preview_of(sinau, trainer, "Uji coba <b>siaran</b> & pengumuman",
                                    f"c:{cohort_id}")
    sent = await sinau.press(trainer, preview, data=f"bc:ts:{bid}")
    assert emulator.callback_answers[-1]["text"] == say("schedule.test_sent")
    mark, exact, fresh = sent
    assert text(mark).startswith(say("schedule.test_mark", id=bid).split("\n")[0])
    assert text(exact) == "Uji coba <b>siaran</b> & pengumuman"  # as typed, entities intact
    assert not button_data(sinau.message(trainer, preview["message_id"]))
    assert f"bc:go:{bid}" in button_data(fresh)
    assert all(copies(sinau, u, "Uji coba") == 0 for u in members)
    assert copies(sinau, admin, "Uji coba") == 0

    await sinau.press(trainer, fresh, data=f"bc:go:{bid}")
    report = await wait_report(sinau, trainer, bid)
    counts = figures(report)
    assert counts["Terkirim"] == 2 and sum(counts.values()) == 2  # the test is not counted
    assert all(copies(sinau, u, "Uji coba") == 1 for u in members)
    # The trainer has the test alone (and the previews); the broadcast did not reach them.
    body = "Uji coba <b>siaran</b> & pengumuman"
    assert [text(m) for m in emulator.messages(trainer.id)].count(body) == 1
    assert failed_requests(emulator) == []


async def test_the_stragglers_broadcast_reaches_exactly_the_members_behind(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Bendungan")
    cohorts = sinau.services.training.cohorts
    today = sinau.clock.now().astimezone(WIB).date()
    await cohorts.set_deadline(cohort_id, "berakhlak", today + timedelta(days=10))
    steady, late, later = await learners_join(sinau, payload, 3)
    for _ in range(2):  # two of the four lessons: on pace six days in
        await do_lesson(sinau, steady)

    # Today nobody is behind yet; the broadcast is scheduled for six days on, 09:00.
    bid, picker = await start_tagged_draft(sinau, trainer, "Ayo kejar materi BerAKHLAK")
    courses = await press(sinau, trainer, picker, f"bc:ab:{bid}:{cohort_id}")
    assert f"bc:ab:{bid}:{cohort_id}:berakhlak" in button_data(courses)
    preview = await press(sinau, trainer, courses, f"bc:ab:{bid}:{cohort_id}:berakhlak")
    assert say("schedule.behind_note") in text(preview)
    due = today + timedelta(days=6)
    days = await press(sinau, trainer, preview, f"bc:sd:{bid}")
    hours = await press(sinau, trainer, days, f"bc:sd:{bid}:{due:%Y%m%d}")
    await press(sinau, trainer, hours, f"bc:st:{bid}:{due:%Y%m%d}:0900")

    await sinau.advance_to(datetime.combine(due, time(9, 1), tzinfo=WIB))
    behind = await sinau.services.training.stats.behind(cohort_id, "berakhlak")
    assert sorted(behind) == sorted([late.id, later.id])
    report = await wait_report(sinau, trainer, bid)
    assert figures(report)["Terkirim"] == 2
    assert copies(sinau, late, "Ayo kejar") == 1 and copies(sinau, later, "Ayo kejar") == 1
    assert copies(sinau, steady, "Ayo kejar") == 0
    assert failed_requests(emulator) == []


async def start_tagged_draft(sinau: Sinau, trainer: Any, body: str) -> tuple[int, Any]:
    """/broadcast and its text; the draft's id and the audience picker."""
    [asked] = await sinau.send(trainer, "/broadcast")
    bid = int(button_data(asked)[0].rsplit(":", 1)[1])
    picker = with_data(await sinau.send(trainer, body), "bc:au:")
    return bid, picker
