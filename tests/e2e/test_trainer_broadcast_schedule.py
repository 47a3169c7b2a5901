"""End to end: scheduled broadcasts start when the clock reaches their time, a cancelled one
never goes out, and a broadcast cancelled while it is being sent stops, its progress message
showing the live counts and then the final report.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.sandbox.emulator import BotApiEmulator
from bot.storage.broadcasts import BroadcastRepository
from tests.e2e.harness import Message, Sinau, button_data
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
    now = sinau.clock.now()

    # In one hour.
    soon, preview = await preview_of(sinau, trainer, "Kerja bakti pukul 15.00", f"c:{cohort_id}")
    scheduled = soon_message = await press(sinau, trainer, preview, f"bc:sc:{soon}:h")
    when = (now + timedelta(hours=1)).astimezone(WIB)
    assert text(scheduled) in [say("broadcast.scheduled", id=soon, count=3,
                                   when=(when + timedelta(minutes=m)).strftime("%d-%m-%Y %H:%M"))
                               for m in (0, 1)]
    assert button_data(scheduled) == [f"bc:x:{soon}"]
    stored = await BroadcastRepository(sinau.services.db).get(soon)
    assert stored is not None and stored.state == "scheduled"

    # Tomorrow at 07:00, then cancelled from its message.
    later, preview = await preview_of(sinau, trainer, "Apel pagi dibatalkan", f"c:{cohort_id}")
    scheduled = await press(sinau, trainer, preview, f"bc:sc:{later}:m")
    tomorrow = (now.astimezone(WIB) + timedelta(days=1)).strftime("%d-%m-%Y")
    assert text(scheduled) == say("broadcast.scheduled", id=later, count=3,
                                  when=f"{tomorrow} 07:00")
    cancelled = await press(sinau, trainer, scheduled, f"bc:x:{later}")
    assert text(cancelled) == say("broadcast.cancelled", id=later)
    assert not button_data(cancelled)
    assert all(copies(sinau, u, "Kerja bakti") == 0 for u in members)

    # Two days on: the first one goes out (its message becomes progress, then the report); the
    # cancelled one, due too by then, never does.
    await sinau.advance(timedelta(days=2))
    report = await wait_report(sinau, trainer, soon)
    assert figures(report)["Terkirim"] == 3
    assert all(copies(sinau, u, "Kerja bakti") == 1 for u in members)
    assert all(copies(sinau, u, "Apel pagi") == 0 for u in members)
    stored = await BroadcastRepository(sinau.services.db).get(later)
    assert stored is not None and stored.state == "cancelled"
    edits = edits_of(emulator, trainer.id, soon_message["message_id"])
    assert edits and edits[-1] == report
    assert say("broadcast.progress", id=soon, sent=0, failed=0, blocked=0, remaining=3) in edits
    # A cancel pressed on a finished broadcast changes nothing.
    answers = len(emulator.callback_answers)
    await emulator.forge_callback(trainer, emulator.chat(trainer), soon_message["message_id"],
                                  f"bc:x:{soon}")
    await emulator.wait_for(lambda: len(emulator.callback_answers) > answers)
    assert emulator.callback_answers[-1]["text"] == say("broadcast.not_cancellable")
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
