"""Roles, trainer invites, cohorts, members and prompts over a real database."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.clock import FixedClock
from bot.storage import Database
from bot.storage.training import TrainingRepository
from bot.training.cohorts import clean_name, invite_link, parse_deadline
from bot.training.prompts import PromptBook
from bot.training.service import TrainingServices
from tests.training.conftest import ADMIN_ID, START, add_user


async def test_admin_is_trainer_and_learner_is_not(training: TrainingServices) -> None:
    roles = training.roles
    assert await roles.role_of(ADMIN_ID) == "admin"
    assert await roles.has(ADMIN_ID, "trainer")
    assert await roles.role_of(5) == "learner"
    assert not await roles.has(5, "trainer")


async def test_grant_and_revoke(training: TrainingServices, db: Database,
                                clock: FixedClock) -> None:
    await add_user(db, 5, "Sari", clock)
    roles = training.roles
    assert (await roles.grant_trainer(5, by=ADMIN_ID, known=True)).outcome == "granted"
    assert (await roles.grant_trainer(5, by=ADMIN_ID, known=True)).outcome == "already"
    assert (await roles.grant_trainer(77, by=ADMIN_ID, known=False)).outcome == "unknown"
    assert await roles.role_of(5) == "trainer"
    assert not await roles.has(5, "admin")
    assert await roles.staff_ids() == [5, ADMIN_ID]
    assert await roles.revoke_trainer(5)
    assert not await roles.revoke_trainer(5)
    assert await roles.role_of(5) == "learner"


async def test_trainer_invite_is_one_time(training: TrainingServices, db: Database,
                                          clock: FixedClock) -> None:
    await add_user(db, 5, "Sari", clock)
    await add_user(db, 6, "Budi", clock)
    code = await training.roles.new_trainer_invite(by=ADMIN_ID)
    assert re.fullmatch(r"t_[A-Za-z0-9]{10}", code)
    assert await training.roles.redeem_trainer_invite(code, 5)
    assert not await training.roles.redeem_trainer_invite(code, 6)
    assert await training.roles.role_of(5) == "trainer"
    assert await training.roles.role_of(6) == "learner"
    assert not await training.roles.redeem_trainer_invite("t_unknown123", 6)


async def test_cohort_lifecycle(training: TrainingServices, db: Database,
                                clock: FixedClock) -> None:
    cohorts = training.cohorts
    cohort = await cohorts.create("Kelurahan Bendan Ngisor 2026", by=ADMIN_ID)
    assert re.fullmatch(r"c_[A-Za-z0-9]{10}", cohort.invite_code)
    link = invite_link("sinau_bot", cohort.invite_code)
    assert link == f"https://t.me/sinau_bot?start={cohort.invite_code}"
    await add_user(db, 5, "Sari", clock, unit="Kelurahan Bendan Ngisor")
    await add_user(db, 6, "Budi", clock)
    assert (await cohorts.join(cohort.invite_code, 5)).outcome == "joined"
    assert (await cohorts.join(cohort.invite_code, 5)).outcome == "already"
    assert (await cohorts.join("c_nope000000", 6)).outcome == "invalid"
    assert (await cohorts.join(cohort.invite_code, 6)).outcome == "joined"
    fresh = await cohorts.get(cohort.id)
    assert fresh is not None and fresh.members == 2
    members = await cohorts.members(cohort.id)
    assert [m.name for m in members] == ["Budi", "Sari"]
    assert members[1].unit == "Kelurahan Bendan Ngisor"
    assert await cohorts.rename(cohort.id, "Bendan Ngisor A")
    assert await cohorts.toggle_course(cohort.id, "berakhlak")
    await cohorts.set_deadline(cohort.id, "berakhlak", date(2026, 6, 30))
    assert [(c.course_key, c.deadline) for c in await cohorts.courses(cohort.id)] == [
        ("berakhlak", "2026-06-30")
    ]
    assert not await cohorts.toggle_course(cohort.id, "berakhlak")
    assert await cohorts.courses(cohort.id) == []
    # Turned on again, the course comes back with its deadline, after the courses added since.
    assert await cohorts.toggle_course(cohort.id, "pelayanan-publik")
    assert await cohorts.toggle_course(cohort.id, "berakhlak")
    assert [(c.course_key, c.deadline) for c in await cohorts.courses(cohort.id)] == [
        ("pelayanan-publik", None), ("berakhlak", "2026-06-30")
    ]
    assert all(c.assigned_at is not None for c in await cohorts.courses(cohort.id))
    assert not await cohorts.toggle_course(cohort.id, "berakhlak")
    assert not await cohorts.toggle_course(cohort.id, "pelayanan-publik")
    await cohorts.archive(cohort.id)
    assert (await cohorts.join(cohort.invite_code, 7)).outcome == "archived"
    assert await cohorts.all() == []
    assert [c.name for c in await cohorts.all(archived=True)] == ["Bendan Ngisor A"]


async def test_group_link_moves(training: TrainingServices) -> None:
    a = await training.cohorts.create("A", by=ADMIN_ID)
    b = await training.cohorts.create("B", by=ADMIN_ID)
    await training.cohorts.link_group(a.id, -100)
    await training.cohorts.link_group(b.id, -100)
    linked = await training.cohorts.for_group(-100)
    assert linked is not None and linked.id == b.id
    fresh_a = await training.cohorts.get(a.id)
    assert fresh_a is not None and fresh_a.group_chat_id is None


async def test_prompts_survive_a_reload(training: TrainingServices, db: Database) -> None:
    await training.prompts.ask(5, "cohort_name")
    assert await training.prompts.current(5) is not None
    # As after a restart (or on another worker): a new book over the same database.
    again = PromptBook(TrainingRepository(db), FixedClock(START))
    prompt = await again.current(5)
    assert prompt is not None and prompt.kind == "cohort_name"
    await training.prompts.close(5)
    assert await again.current(5) is None
    assert await training.prompts.current(5) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-06-30", date(2026, 6, 30)), ("30-06-2026", date(2026, 6, 30)),
     ("30/6/2026", date(2026, 6, 30)), ("2026-02-30", None), ("besok", None)],
)
def test_parse_deadline(text: str, expected: date | None) -> None:
    assert parse_deadline(text) == expected


def test_clean_name() -> None:
    assert clean_name("  Kelurahan   Bendan  ") == "Kelurahan Bendan"
    assert clean_name("") is None
    assert clean_name("x" * 65) is None


def test_invite_link_rejects_bad_payload() -> None:
    with pytest.raises(ValueError):
        invite_link("sinau_bot", "c_bad code!")
