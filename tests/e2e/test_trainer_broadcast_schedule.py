"""End to end: broadcasts scheduled by buttons or a typed time start when the clock reaches
their time (with the text edited meanwhile), a cancelled one never goes out, /scheduled lists
them, and a broadcast cancelled while it is being sent stops, its progress message showing the
live counts and then the final report.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.sandbox.emulator import BotApiEmulator
from bot.storage.broadcasts import BroadcastRepository
from tests.e2e.harness import Message, Sinau, button_data, buttons
from tests.e2e.learner import text, with_data
from tests.e2e.trainer_screens import (
    edits_of,
    failed_requests,
    press,
    say,
    start_draft,
    wait_report,
)
from tests.e2e.trainer_steps import admin_and_trainer, copies, create_cohort, learners_join

WIB = ZoneInfo("Asia/Jakarta")


async def preview_of(sinau: Sinau, trainer: Any, body: str, audience: str) -> tuple[int, Message]:
    """/broadcast, type ``body``, pick the audience (``e`` or ``c:<id>``); id and preview."""
    bid, _asked = await start_draft(sinau, trainer)
    picker = with_data(await sinau.send(trainer, body), "bc:au:")
    return bid, await press(sinau, trainer, picker, f"bc:au:{bid}:{audience}")


def figures(report: str) -> dict[str, int]:
    """'Label: number' lines of a progress text or report."""
    return {label: int(n) for label, n in re.findall(r"^(\w[\w ]*): (\d+)$", report, re.M)}


async def test_scheduled_broadcasts_start_on_time_or_never_when_cancelled(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Gajahmungkur")
    members = await learners_join(sinau, payload, 3)
    today = sinau.clock.now().astimezone(WIB).date()
    tomorrow, later_day = today + timedelta(days=1), today + timedelta(days=2)

    # Tomorrow at 07:00, by buttons: the day, then the hour (the trainer's zone, WIB).
    soon, preview = await preview_of(sinau, trainer, "Kerja bakti pukul 15.00", f"c:{cohort_id}")
    days = await press(sinau, trainer, preview, f"bc:sd:{soon}")
    assert text(days).startswith(say("schedule.pick_day", id=soon, zone="WIB").split("\n")[0])
    assert f"bc:sd:{soon}:{tomorrow:%Y%m%d}" in button_data(days)
    assert "Besok" in buttons(days)[:2]  # after "Hari ini" while one of today's hours is left
    hours = await press(sinau, trainer, days, f"bc:sd:{soon}:{tomorrow:%Y%m%d}")
    assert buttons(hours)[:5] == ["07:00", "09:00", "12:00", "15:00", "19:00"]
    scheduled = soon_message = await press(sinau, trainer, hours,
                                           f"bc:st:{soon}:{tomorrow:%Y%m%d}:0700")
    assert text(scheduled) == say("broadcast.scheduled", id=soon, count=3,
                                  when=f"{tomorrow:%d-%m-%Y} 07:00 WIB")
    assert button_data(scheduled) == [f"bc:ed:{soon}", f"bc:x:{soon}", "bc:sl:n"]
    stored = await BroadcastRepository(sinau.services.db).get(soon)
    assert stored is not None and stored.state == "scheduled"
    # Its list button answers below; the message stays (it becomes the progress message).
    [listing] = await sinau.press(trainer, scheduled, data="bc:sl:n")
    assert text(listing).startswith(say("schedule.list_title")) and f"#{soon}" in text(listing)
    assert text(sinau.message(trainer, scheduled["message_id"])) == text(scheduled)

    # The day after, typed: a bad format and a past time are refused, the question stays.
    later, preview = await preview_of(sinau, trainer, "Apel pagi dibatalkan", f"c:{cohort_id}")
    days = await press(sinau, trainer, preview, f"bc:sd:{later}")
    [asked] = await sinau.press(trainer, days, data=f"bc:ty:{later}")
    assert "DD-MM HH:MM" in text(asked)
    [refused] = await sinau.send(trainer, "lusa jam sembilan")
    assert "format waktunya tidak dikenali" in text(refused)
    [refused] = await sinau.send(trainer, f"{today:%d-%m-%Y} 00:00")
    assert text(refused) == say("schedule.past")
    [scheduled] = await sinau.send(trainer, f"{later_day:%d-%m} 09:00")
    assert text(scheduled) == say("broadcast.scheduled", id=later, count=3,
                                  when=f"{later_day:%d-%m-%Y} 09:00 WIB")

    # /scheduled lists both, soonest first; the first gets a new text.
    [listing] = await sinau.send(trainer, "/scheduled")
    assert text(listing).index(f"#{soon}") < text(listing).index(f"#{later}")
    assert button_data(listing) == [f"bc:ed:{soon}", f"bc:x:{soon}", f"bc:ed:{later}",
                                    f"bc:x:{later}"]
    editing = await press(sinau, trainer, listing, f"bc:ed:{soon}")
    assert f"bc:et:{soon}" in button_data(editing) and f"bc:sd:{soon}" in button_data(editing)
    await sinau.press(trainer, editing, data=f"bc:et:{soon}")
    [changed] = await sinau.send(trainer, "Kerja bakti pukul 16.00")
    assert text(changed) == say("schedule.text_changed", id=soon,
                                when=f"{tomorrow:%d-%m-%Y} 07:00 WIB")

    # The second is cancelled from its message.
    cancelled = await press(sinau, trainer, scheduled, f"bc:x:{later}")
    assert text(cancelled) == say("broadcast.cancelled", id=later)
    assert not button_data(cancelled)
    assert all(copies(sinau, u, "Kerja bakti") == 0 for u in members)

    # Two days on: the first one goes out, with its new text (its message becomes progress,
    # then the report); the cancelled one, due too by then, never does.
    await sinau.advance_to(datetime.combine(later_day, time(10), tzinfo=WIB))
    report = await wait_report(sinau, trainer, soon)
    assert figures(report)["Terkirim"] == 3
    assert all(copies(sinau, u, "Kerja bakti pukul 16.00") == 1 for u in members)
    assert all(copies(sinau, u, "15.00") == 0 for u in members)
    assert all(copies(sinau, u, "Apel pagi") == 0 for u in members)
    stored = await BroadcastRepository(sinau.services.db).get(later)
    assert stored is not None and stored.state == "cancelled"
    edits = edits_of(emulator, trainer.id, soon_message["message_id"])
    assert edits and edits[-1] == report
    assert say("broadcast.progress", id=soon, sent=0, failed=0, blocked=0, remaining=3) in edits
    # A cancel pressed on a finished broadcast changes nothing; nor does an edit.
    for forged in (f"bc:x:{soon}", f"bc:ed:{soon}"):
        answers = len(emulator.callback_answers)
        await emulator.forge_callback(trainer, emulator.chat(trainer),
                                      soon_message["message_id"], forged)
        await emulator.wait_for(lambda n=answers: len(emulator.callback_answers) > n)
    assert [a["text"] for a in emulator.callback_answers[-2:]] == [
        say("broadcast.not_cancellable"), say("schedule.not_editable")]
    [listing] = await sinau.send(trainer, "/scheduled")
    assert text(listing) == say("schedule.list_empty")
    assert failed_requests(emulator) == []


async def test_cancel_while_sending_stops_and_reports(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, admin, trainer = await admin_and_trainer(start_sinau, emulator)
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Bendanduwur")
    members = await learners_join(sinau, payload, 8)
    # The same bot and database again, sending one message a second: slow enough to cancel.
    await sinau.stop()
    sinau = await start_sinau(access={"admin_ids": [admin.id]},
                              delivery={"global_per_second": 1, "workers": 1})

    bid, preview = await preview_of(sinau, trainer, "Lomba kebersihan kantor", f"c:{cohort_id}")
    await sinau.press(trainer, preview, data=f"bc:go:{bid}")
    await emulator.wait_for(lambda: sum(copies(sinau, u, "Lomba") for u in members) >= 2,
                            timeout=30)
    progress = sinau.message(trainer, preview["message_id"])
    assert button_data(progress) == [f"bc:x:{bid}"]
    await sinau.press(trainer, progress, data=f"bc:x:{bid}")
    report = await wait_report(sinau, trainer, bid)

    counts = figures(report)
    received = sum(copies(sinau, u, "Lomba") for u in members)
    assert counts["Dibatalkan"] > 0
    assert counts["Terkirim"] == received
    assert counts["Terkirim"] + counts["Dibatalkan"] == len(members)
    assert max(copies(sinau, u, "Lomba") for u in members) == 1
    stored = await BroadcastRepository(sinau.services.db).get(bid)
    assert stored is not None and stored.state == "cancelled"
    # The progress message showed the counts while sending, then the cancel, then the report.
    edits = edits_of(emulator, trainer.id, preview["message_id"])
    progress_lines = [e for e in edits if e.startswith(f"📣 Siaran #{bid}")]
    assert progress_lines and figures(progress_lines[0])["Sisa"] == len(members)
    assert say("broadcast.cancelled", id=bid) in edits
    assert edits[-1] == report
    assert failed_requests(emulator) == []


async def test_scheduled_list_pages_through_every_broadcast(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Lempongsari")
    await learners_join(sinau, payload, 1)
    broadcasts = sinau.services.training.broadcasts
    start = sinau.clock.now() + timedelta(days=1)
    made = []
    for n in range(7):   # more than a page: none may be left out of the list
        draft = await broadcasts.new_draft(trainer.id, "id")
        await broadcasts.set_text(draft.id, f"Pengumuman {n}")
        await broadcasts.set_audience(draft.id, "cohort", cohort_id)
        assert await broadcasts.confirm(draft.id, at=start + timedelta(hours=n),
                                        progress_chat_id=trainer.id,
                                        progress_message_id=None) == 1
        made.append(draft.id)
    [first] = await sinau.send(trainer, "/scheduled")
    assert button_data(first)[-1] == "bc:sl:1"
    second = await press(sinau, trainer, first, "bc:sl:1")
    assert button_data(second)[-1] == "bc:sl:0"
    listed = [bid for page in (first, second) for bid in made if f"#{bid}" in text(page)]
    assert listed == made
    assert not any(f"#{bid}" in text(second) for bid in made[:5])
