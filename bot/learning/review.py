"""FSRS spaced repetition (the ``fsrs`` package), with due dates at the start of a local day.

Ratings: a right answer is ``Rating.Good``, a wrong one ``Rating.Again`` (a multiple-choice
answer says nothing about how hard the recall felt, so Hard and Easy are never given).

The scheduler runs without learning or relearning steps and without fuzz. Sinau is a daily
micro-learning bot: a learner meets a question at most once a day, so minute-long steps would
only make an item due again within the same session; without them every interval is a whole
number of days. Without fuzz the same history always gives the same dates, so tests can hold
the package to them and a learner never sees a date move. One ``Scheduler`` is kept per
desired retention (a learner picks 0.85, 0.9 or 0.95 in /settings).

Due times are rounded down to the local midnight that starts the local date on which FSRS's
due moment falls: an item answered on Monday 20:00 with a 2-day interval is due from
Wednesday 00:00 in the learner's zone, not Wednesday 20:00. "Due on Wednesday" then means the
whole of Wednesday, and a morning nudge sees it. Reviewing up to a day early costs nothing:
FSRS counts elapsed whole days, so the item just gains a little less stability.

A lesson quiz's first answer is the card's first FSRS review (reading the lesson was the
exposure): Good or Again from a new card puts the question into the review queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from fsrs import Card, Rating, Scheduler, State

DEFAULT_RETENTION = 0.9
#: What /settings offers: higher retention means more reviews and better recall.
RETENTION_CHOICES = (0.85, 0.9, 0.95)
# Cards are rebuilt from a stored row for every review, so their id means nothing; a fixed
# id also spares fsrs.Card's id-from-the-clock (which sleeps a millisecond).
_CARD_ID = 0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Memory:
    """An item's FSRS memory state, as ``review_items`` stores it (None: never rated)."""

    stability: float | None = None
    difficulty: float | None = None
    state: int = int(State.Learning)
    last_review: datetime | None = None
    lapses: int = 0


@dataclass(frozen=True, slots=True)
class Reviewed:
    """One rating applied: the new memory, the local due moment, and what the log keeps."""

    memory: Memory
    rating: Rating
    due_at: datetime  # local midnight (see the module docstring)
    fsrs_due: datetime  # the package's own due moment
    elapsed_days: int | None  # whole days since the previous review
    retrievability: float | None  # predicted recall just before this review


@lru_cache(maxsize=16)
def scheduler(retention: float = DEFAULT_RETENTION) -> Scheduler:
    """The FSRS scheduler for a desired retention (whole days, no fuzz; see above)."""
    return Scheduler(desired_retention=retention, learning_steps=(), relearning_steps=(),
                     enable_fuzzing=False)


def rating(correct: bool) -> Rating:
    """Good for a right answer, Again for a wrong one."""
    return Rating.Good if correct else Rating.Again


def card(memory: Memory | None) -> Card:
    """The package's card for a stored memory (a new card for None or an unrated one)."""
    if memory is None or memory.stability is None or memory.difficulty is None:
        return Card(card_id=_CARD_ID, state=State.Learning, due=_EPOCH)
    state = State(memory.state)
    return Card(card_id=_CARD_ID, state=state, step=None if state == State.Review else 0,
                stability=memory.stability, difficulty=memory.difficulty, due=_EPOCH,
                last_review=memory.last_review)


def review(memory: Memory | None, correct: bool, now: datetime, zone: ZoneInfo,
           retention: float = DEFAULT_RETENTION) -> Reviewed:
    """Rate an answer given at ``now``; the due moment is rounded to the local day."""
    sched = scheduler(retention)
    before = card(memory)
    moment = now.astimezone(UTC)
    given = rating(correct)
    elapsed = (moment - before.last_review).days if before.last_review else None
    recall = sched.get_card_retrievability(before, moment) if before.last_review else None
    after, _log = sched.review_card(before, given, review_datetime=moment)
    lapsed = given == Rating.Again and before.state == State.Review
    assert after.stability is not None and after.difficulty is not None
    new = Memory(after.stability, after.difficulty, int(after.state), after.last_review,
                 (memory.lapses if memory else 0) + int(lapsed))
    return Reviewed(new, given, local_due(after.due, zone), after.due, elapsed, recall)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC moment at which ``day`` starts in ``zone``."""
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)


def local_due(moment: datetime, zone: ZoneInfo) -> datetime:
    """The local midnight that starts the local date on which ``moment`` falls."""
    return local_midnight(moment.astimezone(zone).date(), zone)


def retrievability(memory: Memory, now: datetime,
                   retention: float = DEFAULT_RETENTION) -> float:
    """The package's predicted probability that the learner recalls the item at ``now``."""
    return float(scheduler(retention).get_card_retrievability(card(memory), now.astimezone(UTC)))


def mean_recall(memories: Iterable[Memory], now: datetime,
                retention: float = DEFAULT_RETENTION) -> float | None:
    """Mean retrievability of the rated items (None when none is rated)."""
    values = [retrievability(m, now, retention) for m in memories if m.stability is not None]
    return sum(values) / len(values) if values else None


def percent(value: float) -> int:
    """A probability as a whole percentage, rounded half up (0.855 → 86)."""
    return int((Decimal(repr(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def forgotten_first(memories: Sequence[Memory], now: datetime) -> list[int]:
    """Indices of ``memories``, lowest retrievability first (stable: ties keep their order).

    A learner back after a long absence cannot do everything at once; the items they are
    most likely to have forgotten come first, and among equals the given order (oldest due
    first) decides.
    """
    recall = [retrievability(m, now) for m in memories]
    return sorted(range(len(memories)), key=lambda i: recall[i])
