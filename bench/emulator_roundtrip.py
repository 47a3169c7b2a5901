"""Measure sendMessage round trips per second through the Bot API emulator with a real PTB Bot.

Run: ``python bench/emulator_roundtrip.py [--requests N] [--runs 3]``.  Flood limits are off; the
figures are the median of the runs, sequential (one caller) and with 16 concurrent callers.
A bare aiohttp client is measured too, and PTB's Bot over Sinau's own request class
(bot/transport.py, aiohttp): PTB's client side (httpx, object parsing) costs more than the
emulator itself, and client and server share one process and event loop here.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import aiohttp
import telegram
from telegram.request import BaseRequest, HTTPXRequest

from bot.clock import Clock
from bot.sandbox.emulator import BotApiEmulator
from bot.transport import BotApiRequest


async def _run(emu: BotApiEmulator, chat_id: int, total: int, callers: int,
               sinau: bool = False) -> float:
    # One connection per caller so concurrency is real, as in a bot with a connection pool.
    request: BaseRequest = (BotApiRequest(Clock(), emu.url, connection_pool_size=callers + 1)
                            if sinau else HTTPXRequest(connection_pool_size=max(callers, 1) + 1))
    bot = telegram.Bot(
        emu.token,
        base_url=f"{emu.url}/bot",
        base_file_url=f"{emu.url}/file/bot",
        request=request,
    )
    async with bot:
        per_caller = total // callers

        async def caller() -> None:
            """Send this caller's share of messages one after another."""
            for i in range(per_caller):
                await bot.send_message(chat_id, f"pesan {i}")

        start = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(callers)))
        elapsed = time.perf_counter() - start
    return per_caller * callers / elapsed


async def _run_raw(emu: BotApiEmulator, chat_id: int, total: int, callers: int) -> float:
    url = f"{emu.url}/bot{emu.token}/sendMessage"
    per_caller = total // callers
    async with aiohttp.ClientSession() as session:

        async def caller() -> None:
            """Send this caller's share of messages one after another."""
            for i in range(per_caller):
                data = {"chat_id": str(chat_id), "text": f"pesan {i}"}
                async with session.post(url, data=data) as resp:
                    await resp.read()

        start = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(callers)))
        elapsed = time.perf_counter() - start
    return per_caller * callers / elapsed


async def main() -> None:
    """Run the benchmark and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    async with BotApiEmulator(flood_limits=False) as emu:
        user = emu.add_user("Bench", started=True)
        async def _sinau(emu: BotApiEmulator, chat_id: int, total: int, callers: int) -> float:
            return await _run(emu, chat_id, total, callers, sinau=True)

        for label, runner in (("PTB Bot", _run), ("PTB+Sinau", _sinau), ("aiohttp", _run_raw)):
            for callers in (1, 16):
                rates = []
                for _ in range(args.runs):
                    rates.append(await runner(emu, user.id, args.requests, callers))
                    emu.reset_records()
                print(
                    f"{label:<9} {callers:>2} caller(s): median {statistics.median(rates):6.0f} "
                    f"round trips/s (runs: {', '.join(f'{r:.0f}' for r in rates)})"
                )


if __name__ == "__main__":
    asyncio.run(main())
