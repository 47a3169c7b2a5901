"""A small pool of concurrent workers over a stream of jobs, that can be told to stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


async def run_pool(
    items: Iterable[T],
    handle: Callable[[T], Awaitable[object]],
    *,
    workers: int,
    should_stop: Callable[[], bool] = lambda: False,
    drain_seconds: float = 3.0,
    poll_seconds: float = 0.1,
) -> int:
    """Run ``handle`` over ``items`` with ``workers`` at a time; return how many finished.

    Several sends in flight let the rate limiter, not the latency of one request, set the
    pace. When ``should_stop`` turns true no new item starts; items in flight get
    ``drain_seconds`` to finish and are then cancelled (their outcome is the caller's
    "uncertain" case). ``handle`` must not raise; an exception is logged and the item counted
    as not finished.
    """
    source = iter(items)
    finished = 0

    async def worker() -> None:
        nonlocal finished
        for item in source:
            if should_stop():
                return
            try:
                await handle(item)
            except Exception:
                logger.exception("a delivery job failed")
                continue
            finished += 1

    tasks = [asyncio.create_task(worker()) for _ in range(max(1, workers))]
    loop = asyncio.get_running_loop()
    deadline: float | None = None
    try:
        pending = set(tasks)
        while pending:
            _, pending = await asyncio.wait(pending, timeout=poll_seconds)
            if pending and should_stop():
                if deadline is None:
                    deadline = loop.time() + drain_seconds
                elif loop.time() >= deadline:
                    logger.warning("stopping: cancelling %d sends in flight", len(pending))
                    break
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:
        # Workers log ordinary exceptions; anything else (SystemExit, ...) must not vanish.
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    return finished
