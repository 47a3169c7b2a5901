"""The broadcast state machine: recipients, at-most-once, resume, cancel, recovery."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.delivery.attempt import SendAttempt
from bot.delivery.models import DeliveryResult, OutgoingMessage
from bot.storage import Database
from bot.storage.broadcasts import BroadcastRepository
from bot.training.broadcasts import BroadcastService, Progress
from bot.training.service import TrainingServices
from tests.fakes import Deliver, ScriptedSender
from tests.training.conftest import ADMIN_ID, add_user


async def run(service: BroadcastService, sender: ScriptedSender, bid: int, send: Deliver,
              **options: Any) -> Progress | None:
    """Run the broadcast with ``send`` playing the rate limiter and the server."""
    sender.deliver = send
    return await service.run(bid, **options)


class FakeSend:
    """Records sends; blocked chats answer 'blocked'; can stop the run after n sends."""

    def __init__(self, blocked: set[int] = frozenset(), stop_after: int | None = None) -> None:
        self.calls: list[int] = []
        self.blocked = set(blocked)
        self.stop_after = stop_after

    async def __call__(self, message: OutgoingMessage, attempt: SendAttempt) -> DeliveryResult:
        # As the rate limiter does when a request's turn comes: the broadcast claims it now.
        await attempt.leaving()
        self.calls.append(message.chat_id)
        await asyncio.sleep(0)
        attempt.answered(delivered=message.chat_id not in self.blocked)
        if message.chat_id in self.blocked:
            return DeliveryResult("blocked", error="Forbidden: bot was blocked by the user")
        return DeliveryResult("sent", message_id=len(self.calls))

    def stop(self) -> bool:
        return self.stop_after is not None and len(self.calls) >= self.stop_after


async def cohort_of(training: TrainingServices, db: Database, clock: FixedClock,
                    n: int) -> int:
    cohort = await training.cohorts.create("Bendan", by=ADMIN_ID)
    for user_id in range(1, n + 1):
        await add_user(db, user_id, f"L{user_id}", clock)
        await training.cohorts.join(cohort.invite_code, user_id)
    return cohort.id


async def ready(training: TrainingServices, cohort_id: int, text: str = "Halo") -> int:
    draft = await training.broadcasts.new_draft(ADMIN_ID, "id")
    assert await training.broadcasts.set_text(draft.id, text)
    assert await training.broadcasts.set_audience(draft.id, "cohort", cohort_id) is not None
    return draft.id


async def test_send_to_a_cohort(training: TrainingServices, sender: ScriptedSender,
                                db: Database, clock: FixedClock) -> None:
    cohort_id = await cohort_of(training, db, clock, 12)
    await add_user(db, 99, "Outsider", clock)
    service = training.broadcasts
    bid = await ready(training, cohort_id)
    assert await service.confirm(bid, at=None, progress_chat_id=ADMIN_ID,
                                 progress_message_id=1) == 12
    # A second press of "send" changes nothing.
    assert await service.confirm(bid, at=None, progress_chat_id=ADMIN_ID,
                                 progress_message_id=1) is None
    send = FakeSend(blocked={3, 7})
    reports: list[Progress] = []

    async def on_progress(progress: Progress) -> None:
        reports.append(progress)

    final = await run(service, sender, bid, send, on_progress=on_progress)
    assert final is not None
    assert sorted(send.calls) == list(range(1, 13))
    assert (final.sent, final.blocked, final.failed, final.remaining) == (10, 2, 0, 0)
    assert reports[0].pending == 12
    assert (await BroadcastRepository(db).get(bid)).state == "done"  # type: ignore[union-attr]
    # Running a finished broadcast again sends nothing.
    assert await run(service, sender, bid, send, on_progress=on_progress) is None
    assert len(send.calls) == 12


async def test_blocked_learners_are_not_recipients(training: TrainingServices, db: Database,
                                                   clock: FixedClock) -> None:
    cohort_id = await cohort_of(training, db, clock, 5)
    await db.execute("UPDATE users SET is_active = 0 WHERE id IN (2, 4)")
    bid = await ready(training, cohort_id)
    assert await BroadcastRepository(db).audience_size("cohort", cohort_id) == 3
    assert await training.broadcasts.confirm(bid, at=None, progress_chat_id=ADMIN_ID,
                                             progress_message_id=None) == 3


async def test_interrupted_run_resumes_without_duplicates(
    training: TrainingServices, sender: ScriptedSender, db: Database, clock: FixedClock
) -> None:
    cohort_id = await cohort_of(training, db, clock, 30)
    service = training.broadcasts
    bid = await ready(training, cohort_id)
    await service.confirm(bid, at=None, progress_chat_id=ADMIN_ID, progress_message_id=None)
    first = FakeSend(stop_after=10)

    async def quiet(progress: Progress) -> None:
        return None

    stopped = await run(service, sender, bid, first, on_progress=quiet, should_stop=first.stop)
    assert stopped is None
    # Simulate a crash with one request in flight: its row is still 'sending'.
    pending = await BroadcastRepository(db).pending(bid, 1)
    assert await BroadcastRepository(db).claim(bid, pending[0].chat_id, clock.now())
    assert await service.recover() == {bid: 1}
    assert await service.to_run() == [bid]
    second = FakeSend()
    final = await run(service, sender, bid, second, on_progress=quiet)
    assert final is not None
    assert set(first.calls).isdisjoint(second.calls)
    assert pending[0].chat_id not in second.calls  # uncertain: never resent
    assert (final.sent, final.uncertain, final.remaining) == (29, 1, 0)
    assert len(first.calls) + len(second.calls) == 29


async def test_cancel_stops_further_sends(training: TrainingServices, sender: ScriptedSender,
                                          db: Database, clock: FixedClock) -> None:
    cohort_id = await cohort_of(training, db, clock, 20)
    service = training.broadcasts
    bid = await ready(training, cohort_id)
    await service.confirm(bid, at=None, progress_chat_id=ADMIN_ID, progress_message_id=None)
    send = FakeSend()
    cancelled: list[bool] = []

    async def cancel_midway(message: OutgoingMessage, attempt: SendAttempt) -> DeliveryResult:
        if len(send.calls) >= 5 and not cancelled:
            cancelled.append(await service.cancel(bid))
        return await send(message, attempt)

    async def quiet(progress: Progress) -> None:
        return None

    final = await run(service, sender, bid, cancel_midway, on_progress=quiet)
    assert final is not None
    assert final.remaining == 0
    assert final.sent == len(send.calls) and final.sent < 20
    assert final.cancelled == 20 - final.sent
    assert (await BroadcastRepository(db).get(bid)).state == "cancelled"  # type: ignore[union-attr]


async def test_scheduled_broadcast_waits_for_its_time(
    training: TrainingServices, db: Database, clock: FixedClock
) -> None:
    cohort_id = await cohort_of(training, db, clock, 2)
    service = training.broadcasts
    bid = await ready(training, cohort_id)
    at = clock.now() + timedelta(hours=1)
    await service.confirm(bid, at=at, progress_chat_id=ADMIN_ID, progress_message_id=None)
    assert await service.start_due() == []
    assert await service.to_run() == []
    clock.advance(at - clock.now())
    assert await service.start_due() == [bid]
    assert await service.to_run() == [bid]


async def test_group_audience_is_the_linked_group(training: TrainingServices, db: Database,
                                                  clock: FixedClock) -> None:
    cohort_id = await cohort_of(training, db, clock, 3)
    bid = await ready(training, cohort_id)
    assert await training.broadcasts.set_audience(bid, "group", cohort_id) == 0
    await training.cohorts.link_group(cohort_id, -100200)
    assert await training.broadcasts.set_audience(bid, "group", cohort_id) == 1
    await training.broadcasts.confirm(bid, at=None, progress_chat_id=ADMIN_ID,
                                      progress_message_id=None)
    pending = await BroadcastRepository(db).pending(bid, 10)
    assert [(r.chat_id, r.user_id) for r in pending] == [(-100200, None)]


class StuckSend(FakeSend):
    """The first ``ok`` sends go through; then each send hangs: ``answered`` says whether the
    server had answered (a 429, waited out) or the request is still out when it hangs."""

    def __init__(self, ok: int, *, answered: bool) -> None:
        super().__init__()
        self.ok = ok
        self.answered = answered
        self.hanging: list[int] = []
        self.started = 0

    async def __call__(self, message: OutgoingMessage, attempt: SendAttempt) -> DeliveryResult:
        self.started += 1
        if self.started <= self.ok:
            return await super().__call__(message, attempt)
        await attempt.leaving()
        self.hanging.append(message.chat_id)
        if self.answered:
            attempt.answered(delivered=False)
        await asyncio.Event().wait()  # until the shutdown cancels it
        raise AssertionError("unreachable")

    def stop(self) -> bool:
        return bool(self.hanging)


@pytest.mark.parametrize("answered", [True, False])
async def test_a_send_stopped_while_waiting_goes_back_to_pending_one_in_flight_is_uncertain(
    training: TrainingServices, sender: ScriptedSender, db: Database, clock: FixedClock,
    answered: bool,
) -> None:
    cohort_id = await cohort_of(training, db, clock, 12)
    service = training.broadcasts
    bid = await ready(training, cohort_id)
    await service.confirm(bid, at=None, progress_chat_id=ADMIN_ID, progress_message_id=None)
    stuck = StuckSend(4, answered=answered)

    async def quiet(progress: Progress) -> None:
        return None

    stopped = await run(service, sender, bid, stuck, on_progress=quiet, should_stop=stuck.stop)
    assert stopped is None
    hanging = len(stuck.hanging)
    assert hanging >= 1
    counts = await BroadcastRepository(db).counts(bid)
    # Only the sends whose request was out stay 'sending' (uncertain after the restart).
    assert counts["sending"] == (0 if answered else hanging)
    assert counts["sent"] == 4 and counts["pending"] == 12 - 4 - counts["sending"]
    assert await service.recover() == ({} if answered else {bid: hanging})
    rest = FakeSend()
    final = await run(service, sender, bid, rest, on_progress=quiet)
    assert final is not None
    assert set(rest.calls).isdisjoint(stuck.calls)
    assert (set(stuck.hanging) <= set(rest.calls)) is answered  # waited-out sends resent
    assert (final.sent, final.uncertain) == ((12, 0) if answered else (12 - hanging, hanging))
