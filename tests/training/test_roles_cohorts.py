"""Roles, trainer invites, cohorts, members and prompts over a real database."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.clock import FixedClock
from bot.config import Settings
from bot.storage import Database
from bot.storage.training import TrainingRepository
from bot.storage.users import UserRepository
from bot.training.cohorts import clean_name, invite_link, parse_deadline
from bot.training.prompts import PromptBook
from bot.training.roles import STAFF_TTL, masked_nip
from bot.training.service import TrainingServices
from tests.conftest import composed
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


# ---------------------------------------------------------------- people and roles (issue 15)

async def _person(db: Database, clock: FixedClock, user_id: int, first: str, *,
                  last: str | None = None, username: str | None = None,
                  display: str | None = None, nip: str | None = None,
                  unit: str | None = None) -> None:
    users = UserRepository(db)
    await users.touch(user_id=user_id, first_name=first, last_name=last, username=username,
                      telegram_language="id", timezone="Asia/Jakarta", now=clock.now())
    await users.update_profile(user_id, display_name=display, nip=nip, unit=unit)


def _limited(db: Database, clock: FixedClock) -> TrainingServices:
    settings = Settings(access={"admin_ids": [ADMIN_ID], "trainers_own_cohorts": True})
    return composed(db, clock, settings).training


async def test_search_by_name_username_and_nip(training: TrainingServices, db: Database,
                                               clock: FixedClock) -> None:
    await _person(db, clock, 11, "Sari", last="Dewi", username="sari_dw",
                  nip="198503122010012003", unit="Kelurahan Bendan")
    await _person(db, clock, 12, "budi", display="Budi Santoso", username="BudiS")
    await _person(db, clock, 13, "Citra", nip="199001012015022014")
    roles = training.roles
    await roles.grant_trainer(12, by=ADMIN_ID, known=True)

    # Case does not matter, on the chosen display name and on the Telegram name alike.
    assert [p.id for p in (await roles.search("DEWI")).people] == [11]
    assert [p.id for p in (await roles.search("santoso")).people] == [12]
    assert [p.id for p in (await roles.search("BUDI")).people] == [12]
    # @username looks in usernames only ("@dewi" is nobody's username).
    assert [p.id for p in (await roles.search("@budis")).people] == [12]
    assert (await roles.search("@dewi")).total == 0
    # A NIP in full, a part of it (the last four digits), with spaces as typed from paper.
    assert [p.id for p in (await roles.search("198503122010012003")).people] == [11]
    assert [p.id for p in (await roles.search("2014")).people] == [13]
    assert [p.id for p in (await roles.search("19850312 201001 2 003")).people] == [11]
    # ... and never shown in full: all but the last four digits masked.
    [sari] = (await roles.search("sari")).people
    assert sari.nip == "1985**********2003"
    assert "198503122010012003" not in repr(sari.nip)
    assert (sari.role, sari.user.unit, sari.user.username) == ("learner", "Kelurahan Bendan",
                                                               "sari_dw")
    [budi] = (await roles.search("budi")).people
    assert (budi.role, budi.nip) == ("trainer", None)
    assert (await roles.search("   ")).total == 0


async def test_search_takes_like_wildcards_literally(training: TrainingServices, db: Database,
                                                     clock: FixedClock) -> None:
    await _person(db, clock, 21, "Ani", last="50%")
    await _person(db, clock, 22, "Ani", last="500")
    await _person(db, clock, 23, "Ana_Maria")
    await _person(db, clock, 24, "AnaXMaria")
    await _person(db, clock, 25, "Back\\slash")
    roles = training.roles
    assert [p.id for p in (await roles.search("50%")).people] == [21]
    assert [p.id for p in (await roles.search("ana_")).people] == [23]
    assert [p.id for p in (await roles.search("%")).people] == [21]
    assert [p.id for p in (await roles.search("_")).people] == [23]
    assert [p.id for p in (await roles.search("k\\s")).people] == [25]
    # The text is a parameter, never SQL: a quote is just a character nobody's name has.
    assert (await roles.search("' OR 1=1 --")).total == 0


async def test_search_pages_and_never_finds_erased_people(db: Database,
                                                          clock: FixedClock) -> None:
    services = composed(db, clock, Settings(access={"admin_ids": [ADMIN_ID]}))
    roles = services.training.roles
    for n in range(19):
        await _person(db, clock, 100 + n, f"Peserta {n:02d}")
    first = await roles.search("peserta")
    assert (first.total, first.pages, first.page, len(first.people)) == (19, 3, 0, 8)
    assert [p.user.name for p in first.people][:2] == ["Peserta 00", "Peserta 01"]
    last = await roles.search("peserta", 2)
    assert (last.first, [p.user.name for p in last.people]) == (
        17, ["Peserta 16", "Peserta 17", "Peserta 18"])
    assert (await roles.search("peserta", 99)).page == 2  # past the end: the last page
    assert await services.privacy.erase(105)
    after = await roles.search("peserta")
    assert after.total == 18
    assert (await roles.search("Peserta 05")).total == 0
    assert 105 not in [p.id for n in range(3) for p in (await roles.search("pes", n)).people]


async def test_saved_searches_belong_to_their_admin(training: TrainingServices) -> None:
    search = await training.roles.remember_search("sari", by=ADMIN_ID)
    assert await training.roles.saved_search(search, by=ADMIN_ID) == "sari"
    assert await training.roles.saved_search(search, by=ADMIN_ID + 1) is None
    assert await training.roles.saved_search(search + 1, by=ADMIN_ID) is None


async def test_staff_list_with_their_cohorts(training: TrainingServices, db: Database,
                                             clock: FixedClock) -> None:
    await _person(db, clock, ADMIN_ID, "Admin", username="admin_kec")
    await _person(db, clock, 31, "Tari", username="tari")
    await _person(db, clock, 32, "Budi")
    await _person(db, clock, 33, "Lina")  # a learner: not listed
    roles, cohorts = training.roles, training.cohorts
    for trainer in (31, 32):
        await roles.grant_trainer(trainer, by=ADMIN_ID, known=True)
    own = await cohorts.create("Bendan", by=31)
    other = await cohorts.create("Petompon", by=ADMIN_ID)
    assert await cohorts.toggle_trainer(other.id, 31, by=ADMIN_ID)
    staff = await roles.staff()
    assert [(p.user.name, p.role) for p in staff.people] == [
        ("Admin", "admin"), ("Budi", "trainer"), ("Tari", "trainer")]
    by_name = {p.user.name: [c.name for c in p.cohorts] for p in staff.people}
    assert by_name == {"Admin": ["Petompon"], "Budi": [], "Tari": ["Bendan", "Petompon"]}
    tari = await roles.person(31)
    assert tari is not None and [c.id for c in tari.cohorts] == [own.id, other.id]
    assert [p.id for p in await roles.trainers()] == [32, 31]
    # Only trainers are assigned (an admin sees every cohort anyway).
    with pytest.raises(ValueError):
        await cohorts.toggle_trainer(other.id, 33, by=ADMIN_ID)


async def test_limited_trainers_see_only_the_cohorts_they_run(db: Database,
                                                              clock: FixedClock) -> None:
    training = _limited(db, clock)
    roles, cohorts = training.roles, training.cohorts
    for trainer, name in ((41, "Tari"), (42, "Budi")):
        await _person(db, clock, trainer, name)
        await roles.grant_trainer(trainer, by=ADMIN_ID, known=True)
    tari_s = await cohorts.create("Bendan", by=41)
    budi_s = await cohorts.create("Petompon", by=42)
    admins = await cohorts.create("Kecamatan", by=ADMIN_ID)
    assert cohorts.limited
    assert [c.id for c in await cohorts.visible_to(41)] == [tari_s.id]
    assert await cohorts.may_see(41, tari_s.id) and not await cohorts.may_see(41, budi_s.id)
    assert {c.id for c in await cohorts.visible_to(ADMIN_ID)} == {
        tari_s.id, budi_s.id, admins.id}
    assert await cohorts.may_see(ADMIN_ID, budi_s.id)

    # An admin assigns Tari to the kecamatan cohort: she sees and steers it too.
    assert await cohorts.toggle_trainer(admins.id, 41, by=ADMIN_ID)
    assert [c.id for c in await cohorts.visible_to(41)] == [admins.id, tari_s.id]
    assert [c.id for c in await cohorts.cohorts_run_by(41)] == [admins.id, tari_s.id]
    assert await cohorts.may_see(41, admins.id) and not await cohorts.may_see(42, admins.id)
    assert await cohorts.trainers(admins.id) == [41]
    # Archived, her own cohort is still hers (to restore it), among the archived ones.
    await cohorts.archive(tari_s.id)
    assert await cohorts.may_see(41, tari_s.id)
    assert [c.id for c in await cohorts.visible_to(41, archived=True)] == [tari_s.id]
    assert [c.id for c in await cohorts.visible_to(41)] == [admins.id]
    # Unassigned again, and revoking the role takes every assignment away.
    assert not await cohorts.toggle_trainer(admins.id, 41, by=ADMIN_ID)
    assert not await cohorts.may_see(41, admins.id)
    assert await cohorts.toggle_trainer(admins.id, 42, by=ADMIN_ID)
    assert await roles.revoke_trainer(42)
    assert await cohorts.trainers(admins.id) == []

    # Not limited (the default): every trainer sees every cohort.
    free = composed(db, clock, Settings(access={"admin_ids": [ADMIN_ID]})).training.cohorts
    assert not free.limited and await free.may_see(41, budi_s.id)


async def test_members_are_removed_with_their_learning_kept(training: TrainingServices,
                                                            db: Database,
                                                            clock: FixedClock) -> None:
    cohort = await training.cohorts.create("Bendan", by=ADMIN_ID)
    await add_user(db, 5, "Sari", clock, unit="Kelurahan Bendan")
    await add_user(db, 6, "Budi", clock)
    for user in (5, 6):
        await training.cohorts.join(cohort.invite_code, user)
    member = await training.cohorts.member(cohort.id, 5)
    assert member is not None and (member.name, member.unit) == ("Sari", "Kelurahan Bendan")
    assert await training.cohorts.remove_member(cohort.id, 5)
    assert not await training.cohorts.remove_member(cohort.id, 5)
    assert await training.cohorts.member(cohort.id, 5) is None
    assert [m.user_id for m in await training.cohorts.members(cohort.id)] == [6]
    assert await UserRepository(db).get(5) is not None  # the person stays, only not a member
    assert (await training.cohorts.join(cohort.invite_code, 5)).outcome == "joined"
    assert [m.user_id for m in await training.cohorts.members(cohort.id, 1, size=1)] == [5]


async def test_relinking_a_group_asks_before_moving_it(training: TrainingServices) -> None:
    a = await training.cohorts.create("A", by=ADMIN_ID)
    b = await training.cohorts.create("B", by=ADMIN_ID)
    assert (await training.cohorts.link_group_asking(a.id, -100)).outcome == "linked"
    assert (await training.cohorts.link_group_asking(a.id, -100)).outcome == "already"
    asked = await training.cohorts.link_group_asking(b.id, -100)
    assert asked.outcome == "elsewhere" and asked.current is not None
    assert asked.current.id == a.id
    linked = await training.cohorts.for_group(-100)
    assert linked is not None and linked.id == a.id  # nothing moved yet


async def test_the_staff_check_is_cached_and_follows_grants(db: Database,
                                                            clock: FixedClock) -> None:
    settings = Settings(access={"admin_ids": [ADMIN_ID]})
    here = composed(db, clock, settings).training.roles
    other_worker = composed(db, clock, settings).training.roles
    await _person(db, clock, 51, "Tari")
    assert here.known_staff(ADMIN_ID) and not here.known_staff(51)
    await here.refresh_staff()
    await other_worker.refresh_staff()
    await here.grant_trainer(51, by=ADMIN_ID, known=True)
    assert here.known_staff(51)  # granted here: known at once
    assert not other_worker.known_staff(51)  # another worker: until its cache is stale
    assert not await other_worker.is_staff(51)
    clock.advance(STAFF_TTL)
    assert await other_worker.is_staff(51)
    await here.revoke_trainer(51)
    assert not here.known_staff(51) and not await here.is_staff(51)


def test_masked_nip_hides_the_middle() -> None:
    assert masked_nip("198503122010012003") == "1985**********2003"
    assert masked_nip(None) is None and masked_nip("") is None
    assert masked_nip("123") == "***"
