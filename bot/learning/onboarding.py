"""Onboarding and settings rules: learn first, ask later; what a name, unit, nudge time and
invite payload may be."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from typing import Literal

from bot.clock import Clock
from bot.i18n import LANGUAGES
from bot.people.nip import NipError, parse_nip
from bot.storage.db import Conflict
from bot.storage.learning import LearningRepository
from bot.storage.users import User, UserRepository
from bot.training.cohorts import COHORT_INVITE_PREFIX, CohortService, JoinResult
from bot.training.roles import TRAINER_INVITE_PREFIX, RoleService

logger = logging.getLogger(__name__)

NAME_MAX = 64
UNIT_MAX = 80
_PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TIME_RE = re.compile(r"^\s*([01]?\d|2[0-3])[:.]([0-5]\d)\s*$")
_SPACES = re.compile(r"\s+")


def valid_payload(payload: str | None) -> str | None:
    """A /start payload worth keeping (1-64 of A-Z a-z 0-9 _ -), else None."""
    if payload and _PAYLOAD_RE.match(payload):
        return payload
    return None


def clean_text(text: str) -> str:
    """Text with runs of whitespace collapsed and the ends trimmed."""
    return _SPACES.sub(" ", text).strip()


def valid_name(text: str) -> str | None:
    """A certificate name of 1-64 characters, else None."""
    name = clean_text(text)
    return name if 0 < len(name) <= NAME_MAX else None


def valid_unit(text: str) -> str | None:
    """A work unit of 1-80 characters, else None."""
    unit = clean_text(text)
    return unit if 0 < len(unit) <= UNIT_MAX else None


def parse_time(text: str) -> str | None:
    """'7:30', '07.30' or '07:30' as 'HH:MM' (00:00-23:59), else None."""
    match = _TIME_RE.match(text)
    if not match:
        return None
    return f"{int(match[1]):02d}:{match[2]}"


def format_time(value: time) -> str:
    """A time as 'HH:MM'."""
    return f"{value.hour:02d}:{value.minute:02d}"


# --------------------------------------------------------------------------- the steps

# What users.onboarding_step holds: "welcome" while the /start message waits for its first
# tap; a late question waiting for typed text; or a /settings question waiting for typing.
WELCOME = "welcome"
LATE_TEXT_STEPS = ("name_text", "unit_text", "time_text", "nip_text")
SETTINGS_TEXT_STEPS = ("st_name", "st_unit", "st_time", "st_nip", "st_jabatan", "st_institution")

#: The questions asked when they matter, each once (users.asked): the reminder time after the
#: first lesson, the work unit when a cohort needs it, the certificate name before the first
#: certificate.
Late = Literal["time", "unit", "name", "nip"]
LATE: tuple[Late, ...] = ("time", "unit", "name", "nip")
#: What a learner can type in /settings: the late questions' answers, and how HR names their
#: position and institution (jabatan, instansi / OPD).
Typed = Literal["time", "unit", "name", "nip", "jabatan", "institution"]

Ask = Literal["type_name", "type_unit", "type_time", "type_nip", "type_jabatan",
              "type_institution", "saved", "skipped", "time"]
_SETTINGS_PROMPTS = {"name": "st_name", "unit": "st_unit", "time": "st_time", "nip": "st_nip",
                     "jabatan": "st_jabatan", "institution": "st_institution"}


@dataclass(frozen=True, slots=True)
class OnboardingStep:
    """What an answer to a late (or /settings) question did, for the handler to show.

    ``what`` is the question answered ('time', 'unit', 'name'); ``problem`` names a typed answer
    that was refused ('bad_name', 'bad_unit', 'bad_time'), and the same question is asked again.
    ``ask='time'`` means: show the reminder time choices.
    """

    ask: Ask
    user: User
    what: Typed | None = None
    problem: str | None = None
    settings: bool = False


@dataclass(frozen=True, slots=True)
class StartOutcome:
    """What /start did: a welcome for a newcomer, or the dashboard of a learner.

    ``joined`` and ``trainer`` report an invite payload (a cohort link, a trainer link).
    """

    user: User
    onboarding: bool
    joined: JoinResult | None = None
    trainer: Literal["welcome", "already", "invalid"] | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    """A newcomer accepted the privacy notice and began: the cohort their invite joined, and
    whether that cohort now wants their work unit (asked once, skippable)."""

    user: User
    joined: JoinResult | None
    ask_unit: bool


class OnboardingService:
    """Learn first, ask later.

    /start shows one message: a welcome with the privacy notice, the language (preselected from
    Telegram's ``language_code``) and "start learning". That tap — or any learner command, which
    does its job at once — accepts the notice and ends onboarding; the first lesson card follows.
    Nothing else is asked up front: until the learner picks a reminder time they get the
    configured default, and the time, the work unit and the certificate name are each asked
    once, when they matter (``LATE``). The state is in the database (``onboarding_step``,
    ``asked``), so a restart or another worker continues where the learner was.
    """

    def __init__(self, users: UserRepository, learning: LearningRepository,
                 cohorts: CohortService, roles: RoleService, clock: Clock, *,
                 units: Sequence[str], preset_times: Sequence[str]) -> None:
        self._users = users
        self._learning = learning
        self._cohorts = cohorts
        self._roles = roles
        self._clock = clock
        self.units = tuple(units)
        self.preset_times = tuple(preset_times)

    async def start(self, user: User, payload: str | None) -> StartOutcome:
        """/start (with an optional deep-link payload) in a private chat."""
        payload = valid_payload(payload)
        if payload is not None:
            user = await self._users.update_profile(user.id, start_payload=payload) or user
        trainer = None
        if payload is not None and payload.startswith(TRAINER_INVITE_PREFIX):
            trainer = await self._redeem_trainer(user, payload)
        if user.onboarded:
            joined = None
            if payload is not None and payload.startswith(COHORT_INVITE_PREFIX):
                joined = await self._cohorts.join(payload, user.id)
            return StartOutcome(user, onboarding=False, joined=joined, trainer=trainer)
        user = await self._users.update_profile(user.id, onboarding_step=WELCOME) or user
        return StartOutcome(user, onboarding=True, trainer=trainer)

    async def _redeem_trainer(self, user: User,
                              code: str) -> Literal["welcome", "already", "invalid"]:
        if await self._roles.has(user.id, "trainer"):
            return "already"
        return "welcome" if await self._roles.redeem_trainer_invite(code, user.id) else "invalid"

    async def set_language(self, user: User, value: str) -> User | None:
        """The language chosen on the welcome (or anywhere); None for an unknown code."""
        if value not in LANGUAGES:
            return None
        return await self._set(user, language=value)

    async def accept(self, user: User, language: str) -> Accepted:
        """The newcomer starts learning: the notice accepted, the language kept, onboarding
        done, the invite's cohort joined (once). Safe to call again: it changes nothing then."""
        if user.language is None and language in LANGUAGES:
            user = await self._set(user, language=language)
        if user.onboarded:
            return Accepted(user, None, ask_unit=False)
        await self._users.mark_onboarded(user.id, self._clock.now())
        if user.onboarding_step == WELCOME:
            await self._users.update_profile(user.id, onboarding_step=None)
        fresh = await self._users.get(user.id) or user
        joined = await self._cohorts.join_from_payload(fresh.start_payload, fresh.id)
        if joined is not None:
            logger.info("learner %s: cohort invite -> %s", fresh.id, joined.outcome)
        ask_unit = joined is not None and joined.outcome == "joined" and await self.claim(
            fresh, "unit")
        return Accepted(fresh, joined, ask_unit)

    async def claim(self, user: User, question: Late) -> bool:
        """True (once) when ``question`` should be asked now: it has no answer yet and was not
        asked before. Claiming records it as asked, so it is never asked twice."""
        answered = {"time": user.nudge_time, "unit": user.unit,
                    "name": user.display_name, "nip": user.nip}[question]
        if answered is not None or question in user.asked:
            return False
        return await self._users.mark_asked(user.id, question)

    async def answer(self, user: User, what: str, value: str) -> OnboardingStep | None:
        """A button answer to a late question (ob:<what>:<value>); None when it is not one."""
        if what == "time":
            if value == "menu":
                return OnboardingStep("time", user, "time")
            if value == "custom":
                return OnboardingStep("type_time", await self._set(
                    user, onboarding_step="time_text"), "time")
            if value == "skip":
                return OnboardingStep("skipped", user, "time")
            if (chosen := self.preset(value)) is not None:
                await self._learning.set_nudge(user.id, time=chosen)
                return OnboardingStep("saved", await self._users.get(user.id) or user, "time")
        if what == "unit":
            if value == "other":
                return OnboardingStep("type_unit", await self._set(
                    user, onboarding_step="unit_text"), "unit")
            if value == "skip":
                return OnboardingStep("skipped", user, "unit")
            if value.isdigit() and int(value) < len(self.units):
                return OnboardingStep("saved", await self._set(
                    user, unit=self.units[int(value)]), "unit")
        if what == "nip" and value == "skip":
            return OnboardingStep("skipped", await self.cancel_question(user), "nip")
        if what == "name":
            if value == "keep":
                name = valid_name(user.name) or user.name[:NAME_MAX]
                return OnboardingStep("saved", await self._set(user, display_name=name), "name")
            if value == "edit":
                return OnboardingStep("type_name", await self._set(
                    user, onboarding_step="name_text"), "name")
        return None

    def preset(self, value: str) -> str | None:
        """'0730' as '07:30' if it is one of the preset times (callback data has no ':')."""
        candidate = f"{value[:2]}:{value[2:]}" if len(value) == 4 else ""
        return candidate if candidate in self.preset_times else None

    async def ask_nip(self, user: User) -> User:
        """A certificate waits for the NIP: the next text answers it (asked once per
        certificate moment; /settings can always set it)."""
        await self.claim(user, "nip")
        return await self._set(user, onboarding_step="nip_text")

    async def ask_again(self, user: User, what: str) -> User:
        """/settings asks for a typed name, unit or time: the next text answers it."""
        return await self._set(user, onboarding_step=_SETTINGS_PROMPTS[what])

    async def cancel_question(self, user: User) -> User:
        """Forget a question that waits for typing (the learner went elsewhere)."""
        if user.onboarding_step is not None and user.onboarding_step != WELCOME:
            return await self._set_none(user)
        return user

    async def typed(self, user: User, text: str) -> OnboardingStep | None:
        """A typed answer while a late or /settings question waits for one; None when none
        waits (the welcome waits for a tap, not for text)."""
        step = user.onboarding_step
        if step in SETTINGS_TEXT_STEPS:
            what, settings = step.removeprefix("st_"), True
        elif step in LATE_TEXT_STEPS:
            what, settings = step.removesuffix("_text"), False
        else:
            return None
        if what == "name":
            name = valid_name(text)
            if name is None:
                return OnboardingStep("type_name", user, "name", "bad_name", settings)
            user = await self._users.update_profile(user.id, display_name=name,
                                                    onboarding_step=None) or user
            return OnboardingStep("saved", user, "name", settings=settings)
        if what == "nip":
            return await self._typed_nip(user, text, settings)
        if what == "jabatan" or what == "institution":
            field: Typed = "jabatan" if what == "jabatan" else "institution"
            value = valid_unit(text)
            if value is None:
                ask: Ask = "type_jabatan" if field == "jabatan" else "type_institution"
                return OnboardingStep(ask, user, field, "bad_unit", settings)
            user = await self._users.update_profile(user.id, **{field: value},
                                                    onboarding_step=None) or user
            return OnboardingStep("saved", user, field, settings=settings)
        if what == "unit":
            unit = valid_unit(text)
            if unit is None:
                return OnboardingStep("type_unit", user, "unit", "bad_unit", settings)
            user = await self._users.update_profile(user.id, unit=unit,
                                                    onboarding_step=None) or user
            return OnboardingStep("saved", user, "unit", settings=settings)
        nudge_time = parse_time(text)
        if nudge_time is None:
            return OnboardingStep("type_time", user, "time", "bad_time", settings)
        await self._learning.set_nudge(user.id, time=nudge_time)
        user = await self._set_none(user)
        return OnboardingStep("saved", user, "time", settings=settings)

    async def _typed_nip(self, user: User, text: str, settings: bool) -> OnboardingStep:
        """A typed NIP: stored only when valid and nobody else holds it; otherwise the
        specific mistake (length, a non-date, the sex digit ...) and nothing is stored."""
        parsed = parse_nip(text, self._clock.now().date())
        if isinstance(parsed, NipError):
            return OnboardingStep("type_nip", user, "nip", f"bad_nip_{parsed.problem}",
                                  settings)
        if parsed.value == user.nip:
            return OnboardingStep("saved", await self._set_none(user), "nip",
                                  settings=settings)
        try:
            updated = await self._users.update_profile(user.id, nip=parsed.value,
                                                       onboarding_step=None)
        except Conflict:
            logger.info("learner %s typed a NIP another learner holds", user.id)
            return OnboardingStep("type_nip", user, "nip", "nip_taken", settings)
        return OnboardingStep("saved", updated or user, "nip", settings=settings)

    async def _set(self, user: User, **fields: str) -> User:
        return await self._users.update_profile(user.id, **fields) or user

    async def _set_none(self, user: User) -> User:
        return await self._users.update_profile(user.id, onboarding_step=None) or user
