"""Broadcast rate: 3,000 recipients through the real broadcast path of the real bot process.

Each run prepares a fresh database with the recipients (onboarded, active learners) and a text
broadcast to "everyone" already confirmed (state 'sending', recipients frozen), as a trainer's
"send now" leaves it; then starts ``python -m bot run`` against the emulator. The bot's
broadcast tick picks the broadcast up and sends it through BroadcastService, the bulk sender
and the rate limiter, exactly as in production. The emulator enforces Telegram's flood limits
and records every request; the rate is measured from the first to the last recipient's message.

The bulk sender has no paid-broadcast mode (``allow_paid_broadcast``), so the second figure
raises the limiter's global rate to 1,000/s (``SINAU_DELIVERY__GLOBAL_PER_SECOND=1000``) with
the emulator's global limit at 1,000/s too: it shows the sender's own ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import (
    OUT,
    TOKEN,
    Figure,
    Report,
    bot_env,
    fmt,
    fresh_db,
    quiet_emulator,
    spawn,
    wait_for_polling,
)
from bot.sandbox.emulator import BotApiEmulator, FloodLimits, RequestRecord
from bot.storage import SqliteDatabase, to_epoch
from bot.storage.broadcasts import BroadcastRepository

TELEGRAM_RATE = 30.0
TEXT = "📢 <b>Pengumuman</b>: pelatihan pelayanan publik dimulai Senin pukul 08.00."


async def prepare(db_path: Path, recipients: list[int], trainer: int) -> int:
    """A migrated database with the learners and a confirmed broadcast; its id."""
    now = datetime.now(UTC)
    stamp = to_epoch(now)
    async with SqliteDatabase(db_path) as db:
        await db.migrate()
        await db.execute_many(
            "INSERT INTO users (id, first_name, language, display_name, unit, timezone,"
            " nudge_time, onboarded_at, created_at, last_seen_at)"
            " VALUES (?, ?, 'id', ?, 'Kelurahan Lempongsari', 'Asia/Jakarta', '07:30', ?, ?, ?)",
            [(uid, f"Peserta {uid}", f"Peserta {uid}", stamp, stamp, stamp)
             for uid in recipients],
        )
        repo = BroadcastRepository(db)
        draft = await repo.new_draft(trainer, "id", now)
        await repo.set_content(draft.id, "text", text=TEXT)
        await repo.set_audience(draft.id, "everyone", None)
        count = await repo.enqueue(draft.id, scheduled_at=None, progress_chat_id=trainer,
                                   progress_message_id=None, now=now)
        assert count == len(recipients), count
        return draft.id


class SendLog:
    """The times at which the recipients' messages arrived."""

    def __init__(self, recipients: set[int], trainer: int) -> None:
        self.recipients = recipients
        self.trainer = trainer
        self.times: list[float] = []
        self.done = asyncio.Event()

    def on_request(self, record: RequestRecord) -> None:
        """Count a recipient's message; the report to the trainer ends the run."""
        if record.method != "sendMessage" or not record.ok:
            return
        chat = int(record.chat_id) if record.chat_id is not None else 0
        if chat in self.recipients:
            self.times.append(record.received)
        elif chat == self.trainer:
            self.done.set()


async def one_run(n: int, *, raised: bool, tag: str) -> dict[str, float]:
    """Send one broadcast to ``n`` recipients; its figures."""
    limits = FloodLimits(global_per_second=1000) if raised else FloodLimits()
    async with BotApiEmulator(token=TOKEN, flood_limits=limits) as emu:
        trainer = emu.add_user("Pelatih", started=True).id
        ids = [emu.add_user(f"Peserta {i}", started=True).id for i in range(n)]
        workdir = OUT / "broadcast" / tag
        db = fresh_db(workdir)
        await prepare(db, ids, trainer)
        log = SendLog(set(ids), trainer)
        emu.request_listeners.append(log.on_request)
        settings = {"nudges__enabled": "false", "discussion__weekly_prompt": "false"}
        if raised:
            settings["delivery__global_per_second"] = "1000"
        child = spawn(["-m", "bot", "run"], bot_env(emu.url, db, **settings),
                      workdir / "sinau.log")
        try:
            await wait_for_polling(emu, child)
            cpu0, wall0 = child.cpu_seconds(), time.perf_counter()
            # At 30/s, n messages take n/29 s; allow twice that plus the tick.
            await asyncio.wait_for(log.done.wait(), timeout=30 + 2 * n / 29)
            cpu, wall = child.cpu_seconds() - cpu0, time.perf_counter() - wall0
            violations = [v for v in emu.violations if v.error_code != 429]
        finally:
            await child.stop()
        times = sorted(log.times)
        if len(times) != n or violations or emu.internal_errors:
            raise RuntimeError(f"broadcast {tag}: {len(times)}/{n} sent, {violations[:3]}, "
                               f"{emu.internal_errors[:3]}\n{child.tail()}")
        span = times[-1] - times[0]
        return {
            "recipients": n, "seconds": span, "rate": (n - 1) / span,
            "flood_429": emu.flood_429_count, "bot_cpu_busy": cpu / wall,
            "cpu_ms_per_message": 1000 * cpu / n,
        }


METHOD = (
    "{n:,} recipients per run; each run a fresh database and a fresh `python -m bot run` "
    "whose broadcast tick sends a confirmed text broadcast through BroadcastService, the bulk "
    "sender (8 workers) and the rate limiter. The emulator enforces Telegram's limits (30 "
    "messages/s overall in any one-second window, 1/s per chat with a burst of 3) and answers "
    "429 to any excess; the rate is (messages − 1) ÷ time from the first to the last "
    "recipient's message arriving at the emulator."
)


async def measure_paced(n: int, runs: int) -> Report:
    """``runs`` broadcasts at Telegram's limits."""
    report = Report("broadcast", "Broadcast rate at Telegram's limits", METHOD.format(n=n))
    paced = []
    for i in range(runs):
        paced.append(await one_run(n, raised=False, tag=f"paced-{i}"))
        print(f"  broadcast at 30/s: {paced[-1]['rate']:.2f} msg/s, "
              f"429s {paced[-1]['flood_429']}", flush=True)
    fractions = [r["rate"] / TELEGRAM_RATE for r in paced]
    report.add(Figure("Achieved rate", "messages/s", [r["rate"] for r in paced],
                      how=f"{runs} runs × {n:,} recipients"))
    report.add(Figure("Achieved rate ÷ 30/s", "fraction", fractions, goal="≥ 0.95",
                      met=sorted(fractions)[len(fractions) // 2] >= 0.95))
    flood = [float(r["flood_429"]) for r in paced]
    report.add(Figure("429 answers", "count", flood, goal="0", met=max(flood) == 0))
    report.extra["runs"] = paced
    report.notes.append(
        "The bot process was busy at most "
        f"{fmt(100 * max(r['bot_cpu_busy'] for r in paced), 0)} % of one core: the rate is the "
        "limiter's pacing (30/s less its 3 % safety margin), not the machine."
    )
    return report


async def measure_ceiling(n: int, runs: int) -> Report:
    """``runs`` broadcasts with the limiter's global rate raised to 1,000/s."""
    report = Report(
        "broadcast_ceiling", "Broadcast: the sender's own ceiling",
        METHOD.format(n=n) + " The bulk sender has no allow_paid_broadcast mode, so instead "
        "of the paid limit the limiter's global rate is raised to 1,000/s "
        "(`SINAU_DELIVERY__GLOBAL_PER_SECOND=1000`) and the emulator's global limit with it: "
        "what remains is the sender's own ceiling.",
    )
    raised = []
    for i in range(runs):
        raised.append(await one_run(n, raised=True, tag=f"raised-{i}"))
        print(f"  broadcast, rate raised: {raised[-1]['rate']:.0f} msg/s", flush=True)
    report.add(Figure("Achieved rate, global rate raised to 1,000/s", "messages/s",
                      [r["rate"] for r in raised], how=f"{runs} runs × {n:,} recipients"))
    report.add(Figure("429 answers", "count", [float(r["flood_429"]) for r in raised]))
    report.add(Figure("Bot CPU per message", "ms", [r["cpu_ms_per_message"] for r in raised]))
    report.add(Figure("Bot CPU busy while sending", "cores",
                      [r["bot_cpu_busy"] for r in raised]))
    report.extra["runs"] = raised
    return report


def main() -> None:
    """Run the broadcast benchmark; bench/results/broadcast.json and broadcast_ceiling.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--part", choices=["paced", "ceiling", "both"], default="both")
    args = parser.parse_args()
    quiet_emulator()
    reports = []
    if args.part in ("paced", "both"):
        reports.append(asyncio.run(measure_paced(args.recipients, args.runs)))
    if args.part in ("ceiling", "both"):
        reports.append(asyncio.run(measure_ceiling(args.recipients, args.runs)))
    for report in reports:
        report.save()
        for figure in report.figures:
            print(f"{figure.name}: {fmt(figure.median, 2)} {figure.unit} {figure.runs}")


if __name__ == "__main__":
    main()
