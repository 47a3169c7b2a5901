"""Broadcasts: the draft → scheduled → sending → done | cancelled state machine.

Delivery semantics (Telegram has no idempotency key, so exactly-once is impossible): each
recipient row is marked 'sending' right before its request leaves (after the rate limiter's
wait, see bot.delivery.attempt) and 'sent' with the message id after it. A row found 'sending'
when the process starts again may or may not have arrived, so it becomes 'uncertain' and is
reported, never resent: at most once per recipient. Pending rows resume; a send stopped while
it waited (for its turn, or out a 429) was never made and goes back to pending.

Quiet hours (``delivery.quiet_hours``) are applied per recipient, in the recipient's own zone
(a learner's, the bot's default for a group): a row reached inside them is held, still
pending, until they end, and the broadcast stays 'sending' until every row is settled; an
urgent broadcast skips them. The stragglers' audience ('behind') is resolved through
``behind(cohort_id, course_key)`` when the broadcast starts sending, not when it is created.
Times are chosen by bot.training.schedule; a moment already past is refused here too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.buttons import data
from bot.clock import Clock
from bot.content.catalogue import CatalogueHolder
from bot.content.render import render_markdown
from bot.delivery.models import Button, DeliveryResult, Media, OutgoingMessage, Sender
from bot.delivery.quiet import QuietHours, zone_of
from bot.delivery.workers import run_pool
from bot.i18n import SafeHtml, choose_language, t
from bot.storage.broadcasts import Broadcast, BroadcastRepository, Recipient
from bot.training.schedule import future

logger = logging.getLogger(__name__)

AUDIENCES = ("everyone", "cohort", "group", "behind")
CONTENT_KINDS = ("text", "lesson", "photo", "document")
#: Who is behind on a course in a cohort: (cohort id, course key) -> user ids.
Behind = Callable[[int, str], Awaitable[list[int]]]


@dataclass(frozen=True, slots=True)
class Progress:
    """Recipients per state for one broadcast."""

    broadcast_id: int
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    uncertain: int = 0
    cancelled: int = 0
    pending: int = 0
    sending: int = 0
    held: int = 0  # of the pending: waiting out their quiet hours

    @property
    def remaining(self) -> int:
        """Recipients not yet settled."""
        return self.pending + self.sending

    @property
    def total(self) -> int:
        """All recipients."""
        return (self.sent + self.failed + self.blocked + self.uncertain + self.cancelled
                + self.remaining)


class BroadcastService:
    """Compose, enqueue, run, cancel and recover broadcasts (no telegram here)."""

    def __init__(
        self, repo: BroadcastRepository, clock: Clock, sender: Sender,
        catalogue: CatalogueHolder, *, workers: int = 8, batch: int = 200,
        progress_every: float = 3.0, monotonic: Callable[[], float] = time.monotonic,
        quiet: QuietHours | None = None, zone: ZoneInfo | None = None,
        behind: Behind | None = None,
    ) -> None:
        self._repo = repo
        self._quiet = quiet
        self._zone = zone or ZoneInfo("Asia/Jakarta")
        self._behind = behind
        self._clock = clock
        self._sender = sender
        self._catalogue = catalogue
        self._workers = workers
        self._batch = batch
        self._progress_every = progress_every
        self._monotonic = monotonic
        self._cancelled: set[int] = set()
        self._running: set[int] = set()

    # ------------------------------------------------------------------ reading

    async def get(self, broadcast_id: int) -> Broadcast | None:
        """One broadcast, in whatever state."""
        return await self._repo.get(broadcast_id)

    async def upcoming(self, trainer_id: int | None, limit: int = 10,
                       offset: int = 0) -> list[Broadcast]:
        """Scheduled and sending broadcasts of a trainer (everyone's for None), soonest first,
        ``limit`` of them from ``offset``."""
        return await self._repo.upcoming(trainer_id, limit, offset)

    async def recipient_count(self, broadcast: Broadcast) -> int:
        """Its recipients: the rows frozen so far; the audience now for a draft; the
        stragglers now while a 'behind' broadcast waits for its time."""
        if broadcast.audience_kind == "behind" and broadcast.state in ("draft", "scheduled"):
            return len(await self._stragglers(broadcast))
        if broadcast.state == "draft":
            if broadcast.audience_kind is None:
                return 0
            return await self._repo.audience_size(broadcast.audience_kind,
                                                  broadcast.audience_ref)
        return await self._repo.recipient_count(broadcast.id)

    async def _stragglers(self, broadcast: Broadcast) -> list[int]:
        if self._behind is None or broadcast.audience_ref is None:
            return []
        return await self._behind(broadcast.audience_ref, broadcast.audience_course or "")

    def message_for(self, broadcast: Broadcast, recipient: Recipient) -> OutgoingMessage:
        """The message one recipient gets (a lesson is rendered in the learner's language)."""
        chat_id = recipient.chat_id
        if broadcast.content_kind in ("photo", "document"):
            return OutgoingMessage(chat_id=chat_id, text=broadcast.text or "", kind="broadcast",
                                   media=Media(broadcast.content_kind,  # type: ignore[arg-type]
                                               broadcast.file_id or ""))
        if broadcast.content_kind != "lesson":
            return OutgoingMessage(chat_id=chat_id, text=broadcast.text or "", kind="broadcast")
        lang = (choose_language(recipient.language, recipient.telegram_language)
                if recipient.user_id is not None else broadcast.lang)
        course = self._catalogue.course(broadcast.course_key or "")
        lesson = self._catalogue.lesson(broadcast.course_key or "", broadcast.lesson_key or "")
        if course is None or lesson is None:  # removed by an upload since: the hint only
            return OutgoingMessage(chat_id=chat_id, text=t(lang, "broadcast.lesson_hint"),
                                   kind="broadcast")
        text = t(lang, "broadcast.lesson_message", title=lesson.title.get(lang),
                 course=course.title.get(lang),
                 card=SafeHtml(render_markdown(lesson.cards[0].get(lang))))
        if recipient.user_id is None:
            # In a group the learner buttons do not apply; point at the private chat instead.
            return OutgoingMessage(chat_id=chat_id, kind="broadcast",
                                   text=text + "\n\n" + t(lang, "broadcast.lesson_hint"))
        return OutgoingMessage(
            chat_id=chat_id, text=text, kind="broadcast",
            buttons=((Button(t(lang, "broadcast.btn_open_lesson"),
                             data("crs", "open", course.key)),),),
        )

    # ------------------------------------------------------------------ composing

    async def new_draft(self, trainer_id: int, lang: str) -> Broadcast:
        """Start composing (an earlier unfinished draft of this trainer is dropped)."""
        return await self._repo.new_draft(trainer_id, lang, self._clock.now())

    async def draft(self, broadcast_id: int, trainer_id: int) -> Broadcast | None:
        """The broadcast if it is still a draft of this trainer."""
        found = await self._repo.get(broadcast_id)
        if found is None or found.state != "draft" or found.created_by != trainer_id:
            return None
        return found

    async def set_text(self, broadcast_id: int, html_text: str) -> bool:
        """The content is a text (Telegram HTML)."""
        return await self._repo.set_content(broadcast_id, "text", text=html_text)

    async def set_file(self, broadcast_id: int, kind: str, file_id: str,
                       caption_html: str | None) -> bool:
        """The content is a photo or a document the trainer sent, with its caption."""
        if kind not in ("photo", "document"):
            raise ValueError(kind)
        return await self._repo.set_content(broadcast_id, kind, text=caption_html,
                                           file_id=file_id)

    async def set_lesson(self, broadcast_id: int, course_key: str, lesson_key: str) -> bool:
        """The content is a lesson from the catalogue."""
        return await self._repo.set_content(broadcast_id, "lesson", course_key=course_key,
                                           lesson_key=lesson_key)

    async def set_audience(self, broadcast_id: int, kind: str, ref: int | None,
                           course_key: str | None = None) -> int | None:
        """Choose the audience ('behind': cohort ``ref``'s members behind on ``course_key``);
        the recipient count now, or None if not a draft any more."""
        if kind not in AUDIENCES or (kind == "behind") != (course_key is not None):
            raise ValueError(kind)
        if not await self._repo.set_audience(broadcast_id, kind, ref, course_key):
            return None
        if kind == "behind":
            assert ref is not None and course_key is not None
            return len(await self._behind(ref, course_key)) if self._behind else 0
        return await self._repo.audience_size(kind, ref)

    async def set_urgent(self, broadcast_id: int, urgent: bool) -> bool:
        """Mark a draft urgent: it goes out through its recipients' quiet hours."""
        return await self._repo.set_urgent(broadcast_id, urgent)

    async def confirm(self, broadcast_id: int, *, at: datetime | None, progress_chat_id: int,
                      progress_message_id: int | None) -> int | None:
        """Freeze the recipients and send now (``at`` None) or later; their number (for the
        stragglers scheduled later: how many are behind now). WhenError if ``at`` has passed.
        """
        now = self._clock.now()
        if at is not None:
            future(at, now)
        found = await self._repo.get(broadcast_id)
        if found is None or found.state != "draft":
            return None
        user_ids: list[int] | None = None
        if found.audience_kind == "behind":
            # Resolved when sending starts: now, or at the scheduled time (no rows until then).
            user_ids = await self._stragglers(found) if at is None else []
        count = await self._repo.enqueue(
            broadcast_id, scheduled_at=at, progress_chat_id=progress_chat_id,
            progress_message_id=progress_message_id, now=now, user_ids=user_ids,
        )
        if count is not None and at is not None and found.audience_kind == "behind":
            return len(await self._stragglers(found))
        return count

    async def set_progress_message(self, broadcast_id: int, chat_id: int,
                                   message_id: int) -> None:
        """The trainer's message edited into progress when sending starts."""
        await self._repo.set_progress_message(broadcast_id, chat_id, message_id)

    async def reschedule(self, broadcast_id: int, at: datetime) -> bool:
        """Move a scheduled broadcast; False once it started sending. WhenError if past."""
        return await self._repo.reschedule(broadcast_id, future(at, self._clock.now()))

    async def set_scheduled_text(self, broadcast_id: int, html_text: str) -> bool:
        """New text (or caption) for a scheduled broadcast; False once it started sending."""
        return await self._repo.set_scheduled_text(broadcast_id, html_text)

    async def test_send(self, broadcast: Broadcast, chat_id: int, lang: str,
                        telegram_language: str | None = None) -> DeliveryResult | None:
        """The exact message to the trainer's own chat, after a line saying it is a test.

        No recipient row is written: it is not part of the broadcast or its report. A
        broadcast to a group is shown as the group will see it."""
        as_group = broadcast.audience_kind == "group"
        recipient = Recipient(chat_id, None if as_group else chat_id, lang, telegram_language)
        message = replace(self.message_for(broadcast, recipient), kind="broadcast_test")
        await self._sender.send(OutgoingMessage(
            chat_id=chat_id, kind="broadcast_test",
            text=t(lang, "schedule.test_mark", id=broadcast.id)))
        return await self._sender.send(message)

    async def cancel(self, broadcast_id: int) -> bool:
        """Stop a broadcast: no further sends; pending rows become cancelled."""
        changed = await self._repo.cancel(broadcast_id, self._clock.now())
        if changed:
            self._cancelled.add(broadcast_id)
        return changed

    # ------------------------------------------------------------------ running

    async def mark_uncertain_reported(self, broadcast_id: int) -> None:
        """The trainer was told about the sends a crash left uncertain."""
        await self._repo.mark_uncertain_reported(broadcast_id)

    async def recover(self) -> dict[int, int]:
        """At start, before any send: rows left 'sending' become 'uncertain' (per broadcast)."""
        counted = await self._repo.recover_interrupted(self._clock.now())
        for broadcast_id, n in counted.items():
            logger.warning("broadcast %d: %d sends interrupted, marked uncertain",
                           broadcast_id, n)
        return counted

    async def start_due(self) -> list[int]:
        """Scheduled broadcasts whose time has come start sending (the stragglers' audience
        is resolved now); their ids."""
        started = []
        for found in await self._repo.due(self._clock.now()):
            user_ids = (await self._stragglers(found) if found.audience_kind == "behind"
                        else None)
            if await self._repo.start(found.id, self._clock.now(), user_ids):
                started.append(found.id)
        return started

    async def to_run(self) -> list[int]:
        """Broadcasts in state 'sending' with a send due (or only their end left) that no task
        of this process is running; one whose recipients all wait out quiet hours waits."""
        return [i for i in await self._repo.ids_to_run(self._clock.now())
                if i not in self._running]

    def is_running(self, broadcast_id: int) -> bool:
        """True while this process runs the broadcast."""
        return broadcast_id in self._running

    async def progress(self, broadcast_id: int) -> Progress:
        """Recipients per state now."""
        counts = await self._repo.counts(broadcast_id)
        held = await self._repo.held(broadcast_id, self._clock.now())
        return Progress(broadcast_id, **counts, held=held)

    async def run(
        self, broadcast_id: int, *,
        on_progress: Callable[[Progress], Awaitable[None]],
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Progress | None:
        """Send to every pending recipient; the final counts, or None if interrupted or
        waiting for quiet hours to end.

        ``should_stop`` is the process shutting down: no new send starts and the broadcast
        stays 'sending', to resume after the restart. A cancel stops new sends too, but the
        broadcast ends (its final counts are returned). Recipients inside their quiet hours
        are held; when only they are left the run reports once more and returns None, and the
        broadcast stays 'sending' until ``to_run`` offers it again.
        """
        broadcast = await self._repo.get(broadcast_id)
        if broadcast is None or broadcast.state != "sending" or broadcast_id in self._running:
            return None
        self._running.add(broadcast_id)
        try:
            return await self._run(broadcast, on_progress, should_stop)
        finally:
            self._running.discard(broadcast_id)

    async def _run(
        self, broadcast: Broadcast,
        on_progress: Callable[[Progress], Awaitable[None]], should_stop: Callable[[], bool],
    ) -> Progress | None:
        bid = broadcast.id
        last_report = self._monotonic()
        reporting = asyncio.Lock()

        def stopped() -> bool:
            return should_stop() or bid in self._cancelled

        async def report_if_due() -> None:
            nonlocal last_report
            if reporting.locked() or self._monotonic() - last_report < self._progress_every:
                return
            async with reporting:
                last_report = self._monotonic()
                await on_progress(await self.progress(bid))

        async def one(recipient: Recipient) -> None:
            if stopped():
                return
            chat_id = recipient.chat_id

            async def claim() -> bool:
                return not stopped() and await self._repo.claim(bid, chat_id, self._clock.now())

            # The row is claimed when the rate limiter lets the request go, not before the
            # wait: a crash then leaves 'sending' only the requests really out.
            result = await self._sender.send(
                self.message_for(broadcast, recipient), claim=claim,
                unclaim=lambda: self._repo.unclaim(bid, chat_id, self._clock.now()),
            )
            if result is None:
                return
            await self._repo.settle(bid, chat_id, result.status, message_id=result.message_id,
                                   error=result.error, now=self._clock.now())
            await report_if_due()

        await on_progress(await self.progress(bid))
        while not stopped():
            batch = await self._repo.pending(bid, self._batch, self._clock.now())
            if not batch:
                break
            batch = await self._hold_quiet(broadcast, batch)
            await run_pool(batch, one, workers=self._workers, should_stop=should_stop)
            fresh = await self._repo.get(bid)
            if fresh is None or fresh.state != "sending":
                break
        if should_stop():
            logger.info("broadcast %d interrupted by shutdown; it resumes at start", bid)
            return None
        if bid not in self._cancelled and await self._repo.held(bid, self._clock.now()):
            await on_progress(await self.progress(bid))
            logger.info("broadcast %d waits for its recipients' quiet hours to end", bid)
            return None
        await self._repo.finish(bid, self._clock.now())
        self._cancelled.discard(bid)
        return await self.progress(bid)

    async def _hold_quiet(self, broadcast: Broadcast,
                          batch: list[Recipient]) -> list[Recipient]:
        """Hold the recipients inside their quiet hours now; the ones to send to."""
        if self._quiet is None or broadcast.urgent:
            return batch
        now = self._clock.now()
        sendable, holds = [], []
        for recipient in batch:
            zone = (zone_of(recipient.timezone, self._zone) if recipient.user_id is not None
                    else self._zone)
            until = self._quiet.held_until(now, zone)
            if until is None:
                sendable.append(recipient)
            else:
                holds.append((recipient.chat_id, until))
        if holds:
            await self._repo.hold(broadcast.id, holds, now)
        return sendable
