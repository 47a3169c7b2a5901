"""End to end: an admin grants a trainer, the trainer's cohort fills through its invite link,
and broadcasts reach each active member exactly once, within the flood limits, across a restart.
"""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.emulator import BotApiEmulator
from tests.e2e.harness import Message, Sinau, button_data
from tests.e2e.learner import text, with_data
from tests.e2e.trainer_steps import (
    admin_and_trainer,
    copies,
    create_cohort,
    learners_join,
    onboard_by_link,
)


def figure(report: str, label: str) -> int:
    """The number after ``label:`` in a report."""
    match = re.search(rf"{label}: (\d+)", report)
    assert match is not None, report
    return int(match[1])


async def compose(sinau: Sinau, trainer: Any, body: str, audience: str) -> Message:
    """/broadcast, type the text, pick the audience ('e', 'c:<id>'); the preview message."""
    asked = (await sinau.send(trainer, "/broadcast"))[-1]
    assert "bc:x:" in " ".join(button_data(asked))
    picker = with_data(await sinau.send(trainer, body), "bc:au:")
    choice = next(d for d in button_data(picker) if d.startswith("bc:au:")
                  and d.endswith(f":{audience}"))
    await sinau.press(trainer, picker, data=choice)
    return sinau.message(trainer, picker["message_id"])


async def wait_report(sinau: Sinau, trainer: Any, broadcast_id: int,
                      timeout: float = 60) -> str:  # noqa: ASYNC109
    """Wait for the final report message of a broadcast."""
    def done() -> str | None:
        for message in sinau.emu.messages(trainer.id):
            if f"Siaran #{broadcast_id} selesai" in text(message) and not button_data(message):
                return text(message)
        return None

    return str(await sinau.emu.wait_for(done, timeout=timeout))


async def test_cohort_link_and_broadcast_reach_each_member_once(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    sinau, _admin, trainer = await admin_and_trainer(start_sinau, emulator)
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Bendan Ngisor 2026")

    # 45 new learners onboard through the link; 5 who were already onboarded open it later.
    joined = await learners_join(sinau, payload, 45)
    veterans = [sinau.user(f"Lama {n}") for n in range(5)]
    for user in veterans:
        await onboard_by_link(sinau, user, "welcome")
        replies = await sinau.send(user, f"/start {payload}")
        assert any("bergabung dengan kelompok" in text(m) for m in replies), \
            [text(m) for m in replies]
    members = joined + veterans
    cohort = await sinau.services.training.cohorts.get(cohort_id)
    assert cohort is not None and cohort.members == 50
    outsider = sinau.user("Bukan Anggota")
    await onboard_by_link(sinau, outsider, "welcome")

    # Three members block the bot before the broadcast.
    blocked = members[:3]
    for user in blocked:
        emulator.block_bot(user)
    await emulator.settle()

    marker = "Pengumuman rapat koordinasi"
    preview = await compose(sinau, trainer, f"<b>{marker}</b> hari Jumat pukul 08.00",
                            f"c:{cohort_id}")
    assert "bc:go:" in " ".join(button_data(preview)), text(preview)
    recipients = figure(text(preview), "Jumlah penerima")
    broadcast_id = int(re.search(r"#(\d+)", text(preview))[1])  # type: ignore[index]
    await sinau.press(trainer, preview, data=f"bc:go:{broadcast_id}")
    report = await wait_report(sinau, trainer, broadcast_id)

    for user in members[3:]:
        assert copies(sinau, user, marker) == 1, user.first_name
    for user in [*blocked, outsider]:
        assert copies(sinau, user, marker) == 0
    assert figure(report, "Terkirim") == 47
    assert figure(report, "Terkirim") + figure(report, "Diblokir") == recipients
    assert figure(report, "Gagal") == figure(report, "Tidak pasti") == 0
    assert emulator.flood_429_count == 0
    progress = sinau.services.training.broadcasts
    final = await progress.progress(broadcast_id)
    assert (final.sent, final.remaining) == (47, 0)


async def test_broadcast_interrupted_by_restart_finishes_without_duplicates(
    start_sinau: Any, emulator: BotApiEmulator
) -> None:
    # A slow global pace so the restart lands in the middle of the broadcast.
    sinau, _admin, trainer = await admin_and_trainer(
        start_sinau, emulator, delivery={"global_per_second": 4})
    cohort_id, payload = await create_cohort(sinau, trainer, "Kelurahan Lempongsari")
    members = await learners_join(sinau, payload, 30)
    marker = "Jadwal pelatihan daring"
    preview = await compose(sinau, trainer, marker, f"c:{cohort_id}")
    broadcast_id = int(re.search(r"#(\d+)", text(preview))[1])  # type: ignore[index]
    await sinau.press(trainer, preview, data=f"bc:go:{broadcast_id}")
    await emulator.wait_for(
        lambda: sum(copies(sinau, u, marker) for u in members) >= 8, timeout=30)

    await sinau.restart()
    report = await wait_report(sinau, trainer, broadcast_id)

    received = [copies(sinau, u, marker) for u in members]
    assert max(received) == 1                              # nobody got it twice
    final = await sinau.services.training.broadcasts.progress(broadcast_id)
    assert final.remaining == 0 and final.failed == final.blocked == 0
    assert final.sent + final.uncertain == 30
    assert figure(report, "Terkirim") == final.sent
    assert figure(report, "Tidak pasti") == final.uncertain
    # Every row marked sent was delivered; an uncertain row was delivered at most once.
    assert sum(received) >= final.sent
    assert sum(received) <= final.sent + final.uncertain
    assert emulator.flood_429_count == 0
