"""The flood-limit arithmetic: even global pacing, interactive first, per-chat and per-group."""

from __future__ import annotations

import asyncio

from bot.delivery.pacing import CATCH_UP, ChatLimits, Pacer


async def take(pacer: Pacer, bulk: bool, hold: float = 0.0) -> float:
    """Acquire a turn, keep it ``hold`` seconds, return the release moment."""
    loop = asyncio.get_running_loop()
    async with pacer.slot(bulk=bulk):
        released = loop.time()
        await asyncio.sleep(hold)
    return released


async def test_interactive_waiters_go_before_bulk_ones() -> None:
    pacer = Pacer(rate=50, capacity=100)
    order: list[str] = []

    async def named(name: str, bulk: bool) -> None:
        await take(pacer, bulk)
        order.append(name)

    bulk = [asyncio.create_task(named(f"b{i}", True)) for i in range(6)]
    await asyncio.sleep(0)  # the bulk callers are queued first
    interactive = [asyncio.create_task(named(f"i{i}", False)) for i in range(2)]
    await asyncio.gather(*bulk, *interactive)
    # b0 took the free slot at once; both interactive callers overtook the queued bulk ones.
    assert order[:3] == ["b0", "i0", "i1"]
    assert order[3:] == ["b1", "b2", "b3", "b4", "b5"]


class RecordingPacer(Pacer):
    """A Pacer that notes the moment it gives each turn (the waiter resumes a little later,
    by however long the event loop takes to run it: that jitter is not the pacer's)."""

    def __init__(self, **kwargs: float) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.moments: list[float] = []

    def _take(self, now: float) -> None:
        self.moments.append(now)
        super()._take(now)


async def test_releases_are_evenly_spaced_never_bursts() -> None:
    pacer = RecordingPacer(rate=100, capacity=1000)
    await asyncio.gather(*(take(pacer, True) for _ in range(40)))
    stamps = sorted(pacer.moments)
    assert len(stamps) == 40
    # A late event loop can only widen gaps; the catch-up allowance narrows one a little.
    floor = pacer.interval * (1 - CATCH_UP) - 1e-6
    assert all(b - a >= floor for a, b in zip(stamps, stamps[1:], strict=False))
    span = [stamps[i + 30] - stamps[i] for i in range(len(stamps) - 30)]
    assert min(span) >= 30 * pacer.interval - pacer.interval * CATCH_UP - 1e-6


async def test_window_counts_a_request_until_its_answer() -> None:
    # Fast pacing but a window of 5 per 0.2 s: slow answers must hold the next releases back.
    pacer = Pacer(rate=1000, capacity=5, window=0.2)
    loop = asyncio.get_running_loop()
    answers: list[float] = []

    async def slow() -> float:
        released = await take(pacer, True, hold=0.05)
        answers.append(loop.time())
        return released

    releases = sorted(await asyncio.gather(*(slow() for _ in range(12))))
    answers.sort()
    # The 6th release comes only after the 1st answer plus the window, and so on.
    for i in range(5, len(releases)):
        assert releases[i] >= answers[i - 5] + 0.2


async def test_held_bulk_does_not_hold_interactive() -> None:
    pacer = Pacer(rate=100, capacity=30)
    await take(pacer, True)
    pacer.hold_bulk(30)
    bulk = asyncio.create_task(take(pacer, True))
    await take(pacer, False)  # returns although bulk is held for 30 s
    assert not bulk.done()
    bulk.cancel()
    await asyncio.gather(bulk, return_exceptions=True)
    assert pacer.waiting == (0, 0)


async def test_cancelled_waiters_free_their_place() -> None:
    pacer = Pacer(rate=20, capacity=30)
    await take(pacer, True)
    first = asyncio.create_task(take(pacer, True))
    second = asyncio.create_task(take(pacer, True))
    await asyncio.sleep(0)
    first.cancel()
    await second
    assert first.cancelled()


async def test_one_chat_gets_a_short_burst_then_one_per_second() -> None:
    limits = ChatLimits(per_second=20.0, burst=3, group_per_minute=20)
    loop = asyncio.get_running_loop()
    released: list[float] = []
    answered: list[float] = []
    for _ in range(6):
        async with limits.slot(7, is_group=False):
            released.append(loop.time())
            await asyncio.sleep(0.01)
        answered.append(loop.time())
    # After a burst of 3, one token per 1/20 s, counted from the previous answer: the
    # k-th send after the burst waits for k/20 s of refill measured between answers.
    for i in range(3, 6):
        refill = sum(released[j + 1] - answered[j] for j in range(i))
        assert refill >= (i - 2) / 20 - 1e-3


async def test_group_window_caps_the_window() -> None:
    limits = ChatLimits(per_second=1000.0, burst=100, group_per_minute=3, group_window=0.3)
    loop = asyncio.get_running_loop()
    released: list[float] = []
    answered: list[float] = []
    for _ in range(7):
        async with limits.slot(-100, is_group=True):
            released.append(loop.time())
        answered.append(loop.time())
    for i in range(3, 7):
        assert released[i] >= answered[i - 3] + 0.3


async def test_other_chats_do_not_wait_and_idle_chats_are_forgotten() -> None:
    limits = ChatLimits(per_second=1000.0, burst=1, group_per_minute=20, max_idle_chats=10)
    for chat in range(10):
        async with limits.slot(chat, is_group=False):
            pass
    await asyncio.sleep(0.01)  # their buckets are full again
    for chat in range(10, 15):
        async with limits.slot(chat, is_group=False):
            pass
    assert len(limits) == 5
