"""Onboarding and settings rules: what a name, unit, nudge time and invite payload may be."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from typing import Literal

from bot.clock import Clock
from bot.i18n import LANGUAGES, detect_language
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

# The steps kept in users.onboarding_step. The *_text steps wait for typed text; the st_*
# ones are the same questions asked again from /settings.
STEPS = ("language", "name", "name_text", "unit", "unit_text", "time", "time_text")
SETTINGS_TEXT_STEPS = ("st_name", "st_unit", "st_time")


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


# --------------------------------------------------------------------------- the step machine

Ask = Literal["language", "name", "type_name", "unit", "type_unit", "time", "type_time", "done",
              "saved"]
_SETTINGS_PROMPTS = {"name": "st_name", "unit": "st_unit", "time": "st_time"}


@dataclass(frozen=True, slots=True)
class OnboardingStep:
    """What onboarding asks next (or that it is done), for the handler to show.

    ``problem`` names a typed answer that was refused ('bad_name', 'bad_unit', 'bad_time'); the
    same question is then asked again. ``joined`` is what the cohort invite the learner came
    with did, reported once onboarding is done.
    """

    ask: Ask
    user: User
    problem: str | None = None
    joined: JoinResult | None = None
    detected_language: str | None = None


@dataclass(frozen=True, slots=True)
class StartOutcome:
    """What /start did: a welcome into onboarding, or the dashboard of an onboarded learner.

    ``joined`` and ``trainer`` report an invite payload (a cohort link, a trainer link).
    """

    user: User
    onboarding: bool
    joined: JoinResult | None = None
    trainer: Literal["welcome", "already", "invalid"] | None = None


class OnboardingService:
    """The onboarding questionnaire: language, certificate name, unit, nudge time.

    Each answer moves ``users.onboarding_step`` on; the step is in the database, so a restart
    (or another worker) continues where the learner was. The cohort invite a learner came
    through is joined when onboarding ends, and reported then.
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
        user = await self._users.update_profile(user.id, onboarding_step="language") or user
        return StartOutcome(user, onboarding=True, trainer=trainer)

    async def _redeem_trainer(self, user: User,
                              code: str) -> Literal["welcome", "already", "invalid"]:
        if await self._roles.has(user.id, "trainer"):
            return "already"
        return "welcome" if await self._roles.redeem_trainer_invite(code, user.id) else "invalid"

    def waits_for(self, user: User, step: str) -> bool:
        """True when ``step`` is the question the learner's onboarding is at."""
        return not user.onboarded and user.onboarding_step == step

    async def choose(self, user: User, step: str, value: str) -> OnboardingStep | None:
        """A button answer to the current step; None when it is not the current step's."""
        if not self.waits_for(user, step):
            return None
        if step == "language" and value in LANGUAGES:
            user = await self._set(user, language=value, onboarding_step="name")
            return OnboardingStep("name", user)
        if step == "name" and value == "keep":
            name = valid_name(user.name) or user.name[:NAME_MAX]
            user = await self._set(user, display_name=name, onboarding_step="unit")
            return OnboardingStep("unit", user)
        if step == "name" and value == "edit":
            return OnboardingStep("type_name", await self._set(user, onboarding_step="name_text"))
        if step == "unit" and value == "other":
            return OnboardingStep("type_unit", await self._set(user, onboarding_step="unit_text"))
        if step == "unit" and value.isdigit() and int(value) < len(self.units):
            user = await self._set(user, unit=self.units[int(value)], onboarding_step="time")
            return OnboardingStep("time", user)
        if step == "time" and value == "custom":
            return OnboardingStep("type_time", await self._set(user, onboarding_step="time_text"))
        if step == "time" and (chosen := self.preset(value)) is not None:
            return await self._finish(user, chosen)
        return None

    def preset(self, value: str) -> str | None:
        """'0730' as '07:30' if it is one of the preset times (callback data has no ':')."""
        candidate = f"{value[:2]}:{value[2:]}" if len(value) == 4 else ""
        return candidate if candidate in self.preset_times else None

    async def ask_again(self, user: User, what: str) -> User:
        """/settings asks for a typed name, unit or time: the next text answers it."""
        return await self._set(user, onboarding_step=_SETTINGS_PROMPTS[what])

    async def cancel_question(self, user: User) -> User:
        """Forget a /settings question that waits for typing (the learner went elsewhere)."""
        if user.onboarded and user.onboarding_step is not None:
            return await self._set_none(user)
        return user

    async def typed(self, user: User, text: str) -> OnboardingStep | None:
        """A typed answer while onboarding (or /settings) waits for one; None when nothing
        waits."""
        step = user.onboarding_step
        if step in SETTINGS_TEXT_STEPS:
            return await self._settings_typed(user, step, text)
        if user.onboarded or step is None:
            return None
        if step == "language":
            return OnboardingStep("language", user, detected_language=detect_language(text))
        if step in ("name", "name_text"):
            name = valid_name(text)
            if name is None:
                return OnboardingStep("type_name", user, problem="bad_name")
            return OnboardingStep("unit", await self._set(user, display_name=name,
                                                          onboarding_step="unit"))
        if step in ("unit", "unit_text"):
            unit = valid_unit(text)
            if unit is None:
                return OnboardingStep("type_unit", user, problem="bad_unit")
            return OnboardingStep("time", await self._set(user, unit=unit,
                                                          onboarding_step="time"))
        if step in ("time", "time_text"):
            nudge_time = parse_time(text)
            if nudge_time is None:
                return OnboardingStep("type_time", user, problem="bad_time")
            return await self._finish(user, nudge_time)
        return None

    async def _settings_typed(self, user: User, step: str, text: str) -> OnboardingStep:
        if step == "st_name":
            name = valid_name(text)
            if name is None:
                return OnboardingStep("type_name", user, problem="bad_name")
            user = await self._users.update_profile(user.id, display_name=name,
                                                    onboarding_step=None) or user
        elif step == "st_unit":
            unit = valid_unit(text)
            if unit is None:
                return OnboardingStep("type_unit", user, problem="bad_unit")
            user = await self._users.update_profile(user.id, unit=unit,
                                                    onboarding_step=None) or user
        else:
            nudge_time = parse_time(text)
            if nudge_time is None:
                return OnboardingStep("type_time", user, problem="bad_time")
            await self._learning.set_nudge(user.id, time=nudge_time)
            user = await self._set_none(user)
        return OnboardingStep("saved", user)

    async def _set(self, user: User, **fields: str) -> User:
        return await self._users.update_profile(user.id, **fields) or user

    async def _set_none(self, user: User) -> User:
        return await self._users.update_profile(user.id, onboarding_step=None) or user

    async def _finish(self, user: User, nudge_time: str) -> OnboardingStep:
        """Save the nudge time, mark onboarding done, join the invite's cohort (once)."""
        await self._learning.set_nudge(user.id, time=nudge_time)
        await self._users.mark_onboarded(user.id, self._clock.now())
        fresh = await self._users.get(user.id) or user
        joined = await self._cohorts.join_from_payload(fresh.start_payload, fresh.id)
        if joined is not None:
            logger.info("learner %s: cohort invite -> %s", fresh.id, joined.outcome)
        return OnboardingStep("done", fresh, joined=joined)
