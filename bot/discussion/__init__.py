"""Group discussions: threads in forum topics or reply chains, participation, prompts."""

from __future__ import annotations

from dataclasses import dataclass

from bot.discussion.migration import ChatMigrations
from bot.discussion.participation import ParticipationService
from bot.discussion.prompts import PromptService
from bot.discussion.threads import ThreadService
from bot.safety.rate import MemberRate


@dataclass(frozen=True, slots=True)
class Discussion:
    """Everything the discussion handlers and jobs use (built in bot.wiring)."""

    threads: ThreadService
    participation: ParticipationService
    prompts: PromptService
    # More than 5 commands in 30 s from one member: one "slow down" note, then a minute of quiet.
    # The same counting rule as the inbound flood gate (bot.safety), with a group's budget.
    commands: MemberRate
    # Groups upgraded to supergroups: their state follows them to the new chat id.
    migrations: ChatMigrations
