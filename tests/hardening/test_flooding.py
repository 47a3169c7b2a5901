"""Flooding learners: one "slow down" note, replies within Telegram's per-chat limit, others
unaffected; and the counting rule itself on a fixed clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clock import FixedClock
from bot.i18n import t
from bot.safety import FloodGate, MemberRate
from bot.sandbox.emulator import BotApiEmulator
from tests.e2e.harness import Sinau
from tests.e2e.learner import onboard, text

T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


# ------------------------------------------------------------------ the counting rule
def test_member_rate_allows_the_budget_then_warns_once() -> None:
    clock = FixedClock(T0)
    rate = MemberRate(3, timedelta(seconds=2), timedelta(minutes=1), clock.now)
    assert [rate.hit(7) for _ in range(3)] == [(True, False)] * 3
    assert rate.hit(7) == (False, True)  # the first refusal warns
    assert [rate.hit(7) for _ in range(5)] == [(False, False)] * 5
    assert rate.hit(8) == (True, False)  # someone else is not affected
    # Still flooding one second later: refused events count, so still refused, no new note.
    clock.advance(timedelta(seconds=1))
    assert rate.hit(7) == (False, False)
    # A pause of a whole window: listened to again; over again within the cooldown: no note.
    clock.advance(timedelta(seconds=2))
    assert [rate.hit(7) for _ in range(3)] == [(True, False)] * 3
    assert rate.hit(7) == (False, False)
    # After the cooldown a new flood may be told again.
    clock.advance(timedelta(minutes=2))
    assert [rate.hit(7) for _ in range(3)] == [(True, False)] * 3
    assert rate.hit(7) == (False, True)


def test_member_rate_keys_by_chat_and_member_and_forgets_idle_ones() -> None:
    clock = FixedClock(T0)
    rate = MemberRate(1, timedelta(seconds=30), timedelta(minutes=1), clock.now)
    assert rate.hit(-100, 7) == (True, False)
    assert rate.hit(-200, 7) == (True, False)  # another group: its own budget
    assert rate.hit(-100, 7) == (False, True)
    for user in range(1000):
        rate.hit(-100, user)
    assert len(rate) == 1001
    clock.advance(timedelta(minutes=5))
    rate.hit(-100, 1)  # any event after a quiet spell sweeps the idle keys out
    assert len(rate) == 1


def test_flood_gate_remembers_refusals_by_update_until_handled() -> None:
    clock = FixedClock(T0)
    gate = FloodGate(clock.now, limit=2, window=timedelta(seconds=2))
    assert [gate.arrived(n, 7) for n in (1, 2, 3, 4)] == [True, True, False, False]
    assert gate.refused(1) is None
    first = gate.refused(3)
    assert first is not None and first.warn and not first.allowed
    again = gate.refused(4)
    assert again is not None and not again.warn
    assert gate.refused(3) is None  # handled once
    assert (gate.seen, gate.dropped) == (4, 2)


# ------------------------------------------------------------------ end to end
def _sends(emulator: BotApiEmulator, chat_id: int) -> list[Any]:
    return [r for r in emulator.requests
            if r.method == "sendMessage" and r.ok and str(r.chat_id) == str(chat_id)]


async def _push_round(sinau: Sinau, user: Any, texts: list[str]) -> None:
    """Queue ``texts`` at once (no waiting between them) and wait until the bot counted them."""
    flood = sinau.services.flood
    target = flood.seen + len(texts)
    for body in texts:
        await sinau.emu.send_text(user, body)
    await sinau.emu.wait_for(lambda: flood.seen >= target, timeout=10)


async def test_learner_sending_30_messages_a_second(sinau: Sinau, emulator: BotApiEmulator
                                                    ) -> None:
    flooder = sinau.user("Banjir", language_code="id")
    bystander = sinau.user("Tenang", language_code="en")
    await onboard(sinau, flooder, "id")
    await onboard(sinau, bystander, "en")
    await sinau.advance(timedelta(minutes=1))
    before = len(emulator.messages(flooder.id))
    # Three seconds of 30 messages a second: every other one a command that gets a reply.
    for second in range(3):
        await _push_round(sinau, flooder, [
            "/help" if i % 2 == 0 else f"halo {second}.{i} 🙂" for i in range(30)])
        if second < 2:
            await sinau.advance(timedelta(seconds=1))
    # Someone else is answered while the flooder's replies still wait for their chat's turn.
    await emulator.send_text(bystander, "/help")
    reply = await emulator.wait_for_message(bystander, timeout=10)
    assert "/learn" in text(reply)
    await sinau.settle()

    note = t("id", "flood.slow_down")
    said = [text(m) for m in emulator.messages(flooder.id)[before:]]
    assert said.count(note) == 1, said
    # The budget (20 updates) went to the first second: 10 of them were /help.
    helps = [s for s in said if "/learn" in s]
    assert len(helps) == 10, said
    assert sinau.services.flood.dropped == 70
    # Order, not speed: the bystander's answer came before the flooder's last reply.
    sends = _sends(emulator, flooder.id)
    bystander_at = emulator.requests.index(_sends(emulator, bystander.id)[-1])
    assert bystander_at < emulator.requests.index(sends[-1])

    # Never faster than Telegram allows in one chat: no 429, and in any one second at most
    # the burst plus one (the emulator's bucket: 3 at once, then one a second).
    assert emulator.flood_429_count == 0
    stamps = [r.received for r in sends[-len(said):]]
    burst = sinau.settings.delivery.chat_burst if sinau.settings else 3
    for i, start in enumerate(stamps):
        assert sum(1 for s in stamps[i:] if s - start < 1.0) <= burst + 1

    # Flooding again within the minute: refused again, but no second note.
    await sinau.advance(timedelta(seconds=5))
    await _push_round(sinau, flooder, ["lagi"] * 30)
    await sinau.settle()
    assert [text(m) for m in emulator.messages(flooder.id)].count(note) == 1

    # After a pause the learner is served as usual.
    await sinau.advance(timedelta(seconds=5))
    answer = await sinau.send(flooder, "/start")
    assert answer and all(text(m) != note for m in answer)


async def test_flooded_buttons_are_all_answered_and_change_nothing_twice(
    sinau: Sinau, emulator: BotApiEmulator
) -> None:
    user = sinau.user("Tombol", language_code="en")
    dashboard = await onboard(sinau, user, "en")
    await sinau.advance(timedelta(minutes=1))
    flood = sinau.services.flood
    target = flood.seen + 40
    chat = emulator.chat(user)
    # An old quiz answer pressed again and again: each admitted press is told it expired.
    queries = [await emulator.forge_callback(user, chat, dashboard["message_id"], "qz:a:1:0:0")
               for _ in range(40)]
    await emulator.wait_for(lambda: flood.seen >= target, timeout=10)
    await sinau.settle()
    answered = [a["callback_query_id"] for a in emulator.callback_answers]
    # Every press answered exactly once (buttons never spin); the refused ones silently.
    assert all(answered.count(q) == 1 for q in queries)
    refused = [a for a in emulator.callback_answers
               if a["callback_query_id"] in queries[20:]]
    assert all(not a.get("text") for a in refused)
    admitted = [a for a in emulator.callback_answers if a["callback_query_id"] in queries[:20]]
    assert all(a.get("text") == t("en", "common.expired_button") for a in admitted)
    note = t("en", "flood.slow_down")
    assert [text(m) for m in emulator.messages(user.id)].count(note) == 1


async def test_the_flood_budget_is_configurable(
    start_sinau: Callable[..., Awaitable[Sinau]], emulator: BotApiEmulator,
) -> None:
    sinau = await start_sinau(safety={"flood_updates": 5, "flood_window_seconds": 60})
    flooder = sinau.user("Banjir", language_code="id")
    await onboard(sinau, flooder, "id")
    await sinau.advance(timedelta(minutes=1))
    before = len(emulator.messages(flooder.id))
    await _push_round(sinau, flooder, ["/help"] * 8)
    await sinau.settle()
    said = [text(m) for m in emulator.messages(flooder.id)[before:]]
    assert sum("/learn" in s for s in said) == 5, said
    assert said.count(t("id", "flood.slow_down")) == 1
    # Still within the configured window (the paced replies took a few real seconds, too):
    # refused again, and no second note.
    await sinau.advance(timedelta(seconds=6))
    await _push_round(sinau, flooder, ["/help"])
    await sinau.settle()
    assert [text(m) for m in emulator.messages(flooder.id)[before:]] == said
