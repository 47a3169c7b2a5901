"""The composition root: every repository, service, sender and runner is built here, once.

Read ``compose`` from top to bottom to see what depends on what: configuration and the clock,
then the database and the catalogue, then repositories, then services (each given what it
uses through its constructor), then the Telegram side (the bulk sender and the discussion
port), then the runners the periodic jobs drive. Nothing is patched after construction; the
one thing that changes at run time, the catalogue after an upload, lives in the
``CatalogueHolder`` every service reads.

``assemble`` opens what ``compose`` needs (the database, migrated; the course packs) and is
what the Application calls in post_init; tests call ``compose`` on a database they opened,
with a fake sender instead of the bot.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from bot.cluster.inbox import Handle, WebhookInbox
from bot.cluster.worker import Leadership, SoleInstance, Worker
from bot.config import Settings
from bot.content.catalogue import Catalogue, CatalogueHolder
from bot.content.loader import load_catalogue
from bot.delivery.broadcast_runner import BroadcastRunner
from bot.delivery.groups import GroupFollower, TelegramPort
from bot.delivery.models import Claim, DeliveryResult, OutgoingMessage, Sender, Unclaim
from bot.delivery.quiet import QuietHours
from bot.delivery.sender import BulkSender
from bot.delivery.stats import DeliveryStats
from bot.discussion import Discussion
from bot.discussion.migration import ChatMigrations
from bot.discussion.participation import ParticipationService
from bot.discussion.prompts import PromptService
from bot.discussion.threads import ThreadService
from bot.learning.onboarding import OnboardingService, format_time
from bot.learning.service import LearningService
from bot.people import UserService
from bot.privacy import PrivacyService
from bot.safety import FloodGate
from bot.safety.rate import MemberRate
from bot.scheduling.facts import LearningFacts
from bot.scheduling.nudges import NudgeService
from bot.scheduling.preferences import NudgePreferences
from bot.scheduling.runner import NudgeRunner
from bot.storage import Database, open_database
from bot.storage.broadcasts import BroadcastRepository
from bot.storage.certificates import CertificateRepository
from bot.storage.chat_migration import ChatMigrationRepository
from bot.storage.cluster import POLLING_LOCK, Inbox, WorkerSession
from bot.storage.delivery import DeliveryStatsRepository
from bot.storage.discussion import DiscussionRepository
from bot.storage.evaluations import EvaluationRepository
from bot.storage.learning import LearningRepository
from bot.storage.nudges import NudgeRepository
from bot.storage.packs import PackRepository
from bot.storage.postgres import PostgresDatabase
from bot.storage.privacy import PrivacyRepository
from bot.storage.reviews import ReviewRepository
from bot.storage.sessions import SessionRepository
from bot.storage.siasn import RecordRepository
from bot.storage.training import TrainingRepository
from bot.storage.training_stats import CohortStatsRepository
from bot.storage.users import ChatRepository, UserRepository
from bot.training.broadcasts import BroadcastService
from bot.training.cohorts import CohortService
from bot.training.prompts import PromptBook
from bot.training.roles import RoleService
from bot.training.service import TrainingServices
from bot.training.siasn import SiasnService
from bot.training.stats import StatsService
from bot.training.upload import CoursePacks

logger = logging.getLogger(__name__)


@dataclass
class Metrics:
    """Counters kept in memory for health checks and tests."""

    updates: int = 0
    unexpected_errors: int = 0


class AlreadyRunning(Exception):  # noqa: N818 - a refusal, reported as such
    """Another Sinau already runs on this database in a mode that allows only one."""


class NoSender:
    """The sender of a composition without Telegram: any send is a programming error."""

    async def send(self, message: OutgoingMessage, *, claim: Claim | None = None,
                   unclaim: Unclaim | None = None) -> DeliveryResult | None:
        """Refuse: nothing can be sent without a bot."""
        raise RuntimeError("this composition has no Telegram connection")


@dataclass(frozen=True)
class Services:
    """Everything a handler or a job may call, built by ``compose``.

    ``db`` is here for the CLI (backups), health checks and tests; handlers never use it.
    """

    settings: Settings
    clock: Clock
    db: Database
    catalogue: CatalogueHolder
    users: UserService
    onboarding: OnboardingService
    learning: LearningService
    nudges: NudgeService
    nudge_prefs: NudgePreferences
    nudge_runner: NudgeRunner
    delivery_stats: DeliveryStats
    sender: Sender
    training: TrainingServices
    discussion: Discussion
    # The Telegram side (None in a composition without a bot): the discussion port for
    # interactive replies, the group-upgrade follower, the broadcast runner.
    group_port: TelegramPort | None
    groups: GroupFollower | None
    broadcast_runner: BroadcastRunner | None
    privacy: PrivacyService
    flood: FloodGate
    # Who runs the periodic jobs: always this process, or the worker holding the lock.
    leadership: Leadership = field(default_factory=SoleInstance)
    # Several workers on one PostgreSQL database (webhook mode): this one.
    worker: Worker | None = None
    # Long polling on PostgreSQL: the session whose lock keeps a second instance out.
    guard: WorkerSession | None = None
    metrics: Metrics = field(default_factory=Metrics)


def compose(settings: Settings, clock: Clock, db: Database, catalogue: CatalogueHolder, *,
            bot: Any = None, sender: Sender | None = None, worker: Worker | None = None,
            guard: WorkerSession | None = None) -> Services:
    """Build every service over an open database, in dependency order."""
    zone = settings.zone
    # Bulk sends wait out these hours of each recipient's day (None: they never wait).
    window = settings.delivery.quiet
    quiet = QuietHours(*window) if window is not None else None
    # Repositories: one per aggregate, private to the services that receive them.
    user_repo = UserRepository(db)
    chat_repo = ChatRepository(db)
    learning_repo = LearningRepository(db)
    training_repo = TrainingRepository(db)
    nudge_repo = NudgeRepository(db)
    discussion_repo = DiscussionRepository(db)

    # Trainer tools that learner services build on (joining a cohort, trainer invites).
    roles = RoleService(training_repo, settings.access.admin_ids, clock, users=user_repo)
    cohorts = CohortService(training_repo, clock, roles=roles,
                            trainers_own_cohorts=settings.access.trainers_own_cohorts,
                            zone=zone)

    # Privacy first: people are recorded only if they were not erased (or started afresh).
    privacy = PrivacyService(PrivacyRepository(db), clock,
                             retention_months=settings.privacy.retention_months,
                             staff_ids=settings.access.admin_ids)
    users = UserService(user_repo, clock, default_timezone=settings.locale.timezone,
                        erased=privacy.is_erased)
    learning = LearningService(
        db, catalogue, clock, settings.learning, default_timezone=settings.locale.timezone,
        users=user_repo, records=learning_repo, reviews=ReviewRepository(db),
        sessions=SessionRepository(db), certificates=CertificateRepository(db),
        evaluations=EvaluationRepository(db), issuer=settings.certificates.issuer,
    )
    onboarding = OnboardingService(
        user_repo, learning_repo, cohorts, roles, clock, units=settings.learning.units,
        preset_times=[format_time(t) for t in settings.learning.nudge_times],
    )

    # Discussions: the upgrade record first, because the sender follows upgrades too.
    migrations = ChatMigrations(ChatMigrationRepository(db), clock)
    threads = ThreadService(discussion_repo, chat_repo, clock,
                            default_language=settings.locale.default_language,
                            migrations=migrations)

    # The Telegram side: one bulk sender for every bulk message, through the Application's
    # rate limiter; a 403 marks the learner inactive, an upgraded group is followed.
    delivery_stats = DeliveryStats(DeliveryStatsRepository(db), clock, zone)
    groups = GroupFollower(bot, migrations) if bot is not None else None
    if sender is None:
        sender = NoSender() if bot is None else BulkSender(
            bot, delivery_stats,
            on_blocked=lambda user_id: users.set_active(user_id, False),
            on_migrated=groups.follow if groups is not None else None,
            max_retries=settings.delivery.max_retries,
        )
    group_port = TelegramPort(bot) if bot is not None else None

    discussion = Discussion(
        threads=threads,
        participation=ParticipationService(
            discussion_repo, threads, store_text=settings.privacy.store_discussion_text),
        prompts=PromptService(discussion_repo, threads, catalogue, zone=zone,
                              weekday=settings.discussion.weekly_prompt_day,
                              at=settings.discussion.weekly_prompt_time, quiet=quiet),
        commands=MemberRate(5, timedelta(seconds=30), timedelta(minutes=1), clock.now),
        migrations=migrations,
    )
    stats = StatsService(CohortStatsRepository(db), training_repo, catalogue, clock, zone,
                         cohorts=cohorts, roles=roles,
                         minutes_per_jp=settings.learning.minutes_per_jp,
                         jp_target=settings.learning.annual_jp_target)
    training = TrainingServices(
        roles=roles,
        cohorts=cohorts,
        prompts=PromptBook(training_repo, clock),
        stats=stats,
        # The stragglers' audience is whoever stats finds behind when the broadcast starts.
        broadcasts=BroadcastService(BroadcastRepository(db), clock, sender, catalogue,
                                    workers=settings.delivery.workers, quiet=quiet, zone=zone,
                                    behind=stats.behind),
        uploads=CoursePacks(PackRepository(db), catalogue, clock, legacy_folder=(
            settings.database.sqlite_path.parent / "packs"
            if settings.database.engine == "sqlite" else None)),
        # The HR records: the SIASN sheet (riwayat kursus) and JP per person, for /export.
        siasn=SiasnService(RecordRepository(db), catalogue, clock, zone,
                           issuer=settings.certificates.issuer,
                           minutes_per_jp=settings.learning.minutes_per_jp,
                           jp_target=settings.learning.annual_jp_target),
    )

    nudges = NudgeService(nudge_repo, sender, LearningFacts(learning), delivery_stats,
                          settings, clock)
    broadcast_runner = (BroadcastRunner(training.broadcasts, bot) if bot is not None
                        else None)
    safety = settings.safety
    return Services(
        settings=settings,
        clock=clock,
        db=db,
        catalogue=catalogue,
        users=users,
        onboarding=onboarding,
        learning=learning,
        nudges=nudges,
        nudge_prefs=NudgePreferences(nudge_repo, clock, settings),
        nudge_runner=NudgeRunner(nudges),
        delivery_stats=delivery_stats,
        sender=sender,
        training=training,
        discussion=discussion,
        group_port=group_port,
        groups=groups,
        broadcast_runner=broadcast_runner,
        privacy=privacy,
        flood=FloodGate(clock.now, limit=safety.flood_updates,
                        window=timedelta(seconds=safety.flood_window_seconds)),
        leadership=worker if worker is not None else SoleInstance(),
        worker=worker,
        guard=guard,
    )


def load_packs(settings: Settings) -> Catalogue:
    """The shipped course packs plus settings.content.extra_packs (same key: the extra wins)."""
    courses = {c.key: c for c in load_catalogue()}
    if settings.content.extra_packs is not None:
        courses.update({c.key: c for c in load_catalogue(settings.content.extra_packs)})
    catalogue = Catalogue.of(courses.values())
    logger.info("loaded %d course(s)", len(catalogue))
    return catalogue


async def assemble(settings: Settings, clock: Clock, *, bot: Any = None,
                   db: Database | None = None) -> Services:
    """Open the database (migrated), load the packs, and compose the services.

    On PostgreSQL the process also opens its own session: in webhook mode it is a worker that
    may lead (bot.cluster.worker); in long-polling mode its lock keeps a second instance out.
    """
    db = db if db is not None else open_database(settings.database)
    await db.open()
    worker: Worker | None = None
    guard: WorkerSession | None = None
    try:
        version = await db.migrate()
        logger.info("database ready at schema version %d (%s)", version, db.describe())
        if isinstance(db, PostgresDatabase):
            session = WorkerSession(await db.session())
            if settings.clustered:
                worker = Worker(session, on_lost=_stop_this_process)
                await worker.start()
            elif not await session.try_lock(POLLING_LOCK):
                await session.close()
                raise AlreadyRunning(
                    f"another Sinau is already polling for updates on {db.describe()}")
            else:
                guard = session
        catalogue = CatalogueHolder(load_packs(settings))
        services = compose(settings, clock, db, catalogue, bot=bot, worker=worker,
                           guard=guard)
        # Packs uploaded earlier join the shipped ones (a broken one is skipped and logged).
        await services.training.uploads.load_stored()
    except BaseException:
        if worker is not None:
            await worker.stop()
        if guard is not None:
            await guard.close()
        await db.close()
        raise
    return services


def _stop_this_process() -> None:
    """A worker that lost its session stops as if asked to (its supervisor restarts it)."""
    os.kill(os.getpid(), signal.SIGTERM)


def webhook_inbox(services: Services, handle: Handle,
                  chat_of: Callable[[dict[str, Any]], int]) -> WebhookInbox:
    """This worker's side of the shared inbox (several workers, PostgreSQL)."""
    if services.worker is None:
        raise RuntimeError("the inbox needs a worker of a cluster (webhooks on PostgreSQL)")
    return WebhookInbox(Inbox(services.db), services.worker.session, handle, chat_of,
                        forget=services.privacy.forgotten)


async def close(services: Services) -> None:
    """Close what ``assemble`` opened."""
    try:
        await services.delivery_stats.flush()
    except Exception:  # noqa: BLE001 - counters are not worth a failed shutdown
        logger.warning("could not save the delivery counters", exc_info=True)
    if services.worker is not None:
        await services.worker.stop()
    if services.guard is not None:
        await services.guard.close()
    await services.db.close()
