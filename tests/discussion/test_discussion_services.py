"""Discussion services: opening threads, reply-chain membership, summaries, weekly ledger."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FixedClock
from bot.discussion.links import internal_id, message_link, thread_link
from bot.discussion.prompts import iso_week, week_start
from bot.discussion.summary import majority_language, summarize
from bot.storage import Database
from bot.storage.users import UserRepository
from tests.discussion.kit import DiscussionKit, discussion_kit

JAKARTA = ZoneInfo("Asia/Jakarta")
# A Wednesday, 08:00 in Jakarta.
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
FORUM = -1002000000001
PLAIN = -400000001

ID_TEXT = "Menurut saya pelayanan publik harus cepat, ramah dan transparan bagi semua warga."
EN_TEXT = "I think public service should be fast, friendly and transparent for every citizen."


class FakePort:
    """A GroupPort that records what it was asked to do."""

    def __init__(self, *, topics_right: bool = True, pin_right: bool = True) -> None:
        self.topics_right = topics_right
        self.pin_right = pin_right
        self.next_id = 100
        self.sent: list[tuple[int, str, int | None, int | None]] = []
        self.topics: list[tuple[int, str]] = []
        self.closed: list[tuple[int, int]] = []
        self.pins: list[tuple[str, int, int]] = []  # ("pin" | "unpin", chat, message)

    async def can_manage_topics(self, chat_id: int) -> bool:
        return self.topics_right

    async def create_topic(self, chat_id: int, name: str) -> int | None:
        self.next_id += 1
        self.topics.append((chat_id, name))
        return self.next_id

    async def send(self, chat_id: int, text: str, *, topic_id: int | None = None,
                   reply_to: int | None = None) -> int | None:
        assert topic_id != 1
        self.next_id += 1
        self.sent.append((chat_id, text, topic_id, reply_to))
        return self.next_id

    async def close_topic(self, chat_id: int, topic_id: int) -> bool:
        self.closed.append((chat_id, topic_id))
        return True

    async def pin(self, chat_id: int, message_id: int) -> bool:
        self.pins.append(("pin", chat_id, message_id))
        return self.pin_right

    async def unpin(self, chat_id: int, message_id: int) -> bool:
        self.pins.append(("unpin", chat_id, message_id))
        return self.pin_right


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def ds(db: Database, clock: FixedClock) -> DiscussionKit:
    users = UserRepository(db)
    for uid, name in [(1, "Ani"), (2, "Budi"), (3, "Citra <&>"), (4, "Dewi")]:
        await users.touch(user_id=uid, first_name=name, last_name=None, username=None,
                          telegram_language="id", timezone="Asia/Jakarta", now=NOW)
    d = discussion_kit(db, clock)
    await d.threads.register_group(FORUM, "supergroup", "Forum ASN", True)
    await d.threads.register_group(PLAIN, "group", "Grup ASN", False)
    return d


def test_links() -> None:
    assert internal_id(FORUM) == "2000000001"
    assert internal_id(PLAIN) is None
    assert internal_id(12345) is None
    assert thread_link(FORUM, topic_id=7, anchor_message_id=8) == "https://t.me/c/2000000001/7"
    assert thread_link(FORUM, topic_id=None, anchor_message_id=8) == (
        "https://t.me/c/2000000001/8")
    assert thread_link(PLAIN, topic_id=None, anchor_message_id=8) is None
    assert message_link(FORUM, 9, topic_id=7) == "https://t.me/c/2000000001/7/9"
    assert message_link(FORUM, 9, topic_id=1) == "https://t.me/c/2000000001/9"


async def test_forum_thread_is_a_topic(ds: DiscussionKit) -> None:
    port = FakePort()
    chat = await ds.chats.get(FORUM)
    assert chat is not None
    result = await ds.threads.open_thread(port, chat, title="  Etika   pelayanan ",
                                          opening_text="Ayo diskusi", opened_by=1)
    assert result.status == "opened" and result.thread is not None
    assert port.topics == [(FORUM, "Etika pelayanan")]
    topic = result.thread.message_thread_id
    assert port.sent == [(FORUM, "Ayo diskusi", topic, None)]
    assert result.link == f"https://t.me/c/2000000001/{topic}"
    found = await ds.threads.find(FORUM, topic_id=topic, is_topic=True, reply_to=None)
    assert found == result.thread
    # The General topic (and messages outside topics) belong to no thread.
    assert await ds.threads.find(FORUM, topic_id=1, is_topic=False, reply_to=None) is None


async def test_forum_without_topic_right_opens_nothing(ds: DiscussionKit) -> None:
    port = FakePort(topics_right=False)
    chat = await ds.chats.get(FORUM)
    assert chat is not None
    result = await ds.threads.open_thread(port, chat, title="x", opening_text="y", opened_by=1)
    assert result.status == "no_topic_right" and not result.ok
    assert port.sent == [] and port.topics == []


async def test_reply_chain_membership_is_transitive(ds: DiscussionKit, db: Database) -> None:
    port = FakePort()
    chat = await ds.chats.get(PLAIN)
    assert chat is not None
    opened = await ds.threads.open_thread(port, chat, title="Sampah", opening_text="Anchor",
                                          opened_by=1)
    thread = opened.thread
    assert thread is not None and thread.message_thread_id is None
    anchor = thread.anchor_message_id
    assert opened.link is None  # basic groups have no message links
    record = ds.participation.record
    first = await record(chat_id=PLAIN, message_id=500, user_id=2, topic_id=None,
                         is_topic=False, reply_to=anchor, text=ID_TEXT)
    assert first.counted and first.thread is not None and first.thread.id == thread.id
    # A reply to the reply belongs to the thread, and so does a reply to that one.
    second = await record(chat_id=PLAIN, message_id=501, user_id=3, topic_id=None,
                          is_topic=False, reply_to=500, text="setuju")
    third = await record(chat_id=PLAIN, message_id=502, user_id=4, topic_id=None,
                         is_topic=False, reply_to=501, text=EN_TEXT)
    assert second.counted and third.counted
    # Unrelated messages and replies to unknown messages are not part of it.
    stray = await record(chat_id=PLAIN, message_id=503, user_id=2, topic_id=None,
                         is_topic=False, reply_to=None, text="halo")
    other = await record(chat_id=PLAIN, message_id=504, user_id=2, topic_id=None,
                         is_topic=False, reply_to=499, text="halo")
    assert stray.thread is None and other.thread is None
    # The same message seen twice counts once.
    again = await record(chat_id=PLAIN, message_id=500, user_id=2, topic_id=None,
                         is_topic=False, reply_to=anchor, text=ID_TEXT)
    assert not again.counted
    assert await ds.repo.post_counts(thread.id) == (3, 3)
    # Text is not stored by default, but its language is.
    row = await db.fetch_one(
        "SELECT text, language FROM discussion_posts WHERE message_id = 500")
    assert row is not None and row["text"] is None and row["language"] == "id"


async def test_summary_languages_and_contributors(ds: DiscussionKit, clock: FixedClock) -> None:
    port = FakePort()
    chat = await ds.chats.get(FORUM)
    assert chat is not None
    thread = (await ds.threads.open_thread(port, chat, title="T", opening_text="P",
                                           opened_by=1)).thread
    assert thread is not None
    topic = thread.message_thread_id
    posts = [(2, EN_TEXT), (2, EN_TEXT + " Really."), (3, EN_TEXT), (4, ID_TEXT), (4, "ok")]
    for i, (uid, text) in enumerate(posts):
        clock.advance(timedelta(minutes=1))
        await ds.participation.record(chat_id=FORUM, message_id=200 + i, user_id=uid,
                                      topic_id=topic, is_topic=True, reply_to=None, text=text)
    await ds.threads.mark_best(thread, 203)
    fresh = await ds.repo.thread(thread.id)
    assert fresh is not None
    summary = await summarize(ds.repo, fresh)
    assert summary.replies == 5 and summary.participants == 3
    assert [(c.name, c.posts) for c in summary.top] == [("Budi", 2), ("Dewi", 2), ("Citra <&>", 1)]
    # "ok" is too short to judge and is left out.
    assert summary.languages == {"en": 3, "id": 1}
    assert summary.last_activity == NOW + timedelta(minutes=5)
    assert summary.best_by == "Dewi"
    assert await ds.threads.thread_language(fresh) == "en"
    mine = await ds.participation.of_member(4)
    assert (mine.posts, mine.threads_joined, mine.best_answers) == (2, 1, 1)
    assert (await ds.participation.of_member(1)).threads_opened == 1


def test_majority_language() -> None:
    assert majority_language({}) is None
    assert majority_language({"en": 2, "id": 2}) is None
    assert majority_language({"en": 1, "id": 2}) == "id"


async def test_best_answer_must_be_a_post_of_the_thread(ds: DiscussionKit) -> None:
    port = FakePort()
    chat = await ds.chats.get(PLAIN)
    assert chat is not None
    thread = (await ds.threads.open_thread(port, chat, title="T", opening_text="P",
                                           opened_by=1)).thread
    assert thread is not None
    assert await ds.threads.mark_best(thread, 999) is None
    await ds.participation.record(chat_id=PLAIN, message_id=600, user_id=2, topic_id=None,
                                  is_topic=False, reply_to=thread.anchor_message_id, text="x")
    assert (await ds.threads.mark_best(thread, 600)) is not None


async def test_close_stops_counting(ds: DiscussionKit) -> None:
    port = FakePort()
    chat = await ds.chats.get(FORUM)
    assert chat is not None
    thread = (await ds.threads.open_thread(port, chat, title="T", opening_text="P",
                                           opened_by=1)).thread
    assert thread is not None
    assert await ds.threads.close(port, thread, "Ditutup")
    assert not await ds.threads.close(port, thread, "Ditutup")
    assert port.closed == [(FORUM, thread.message_thread_id)]
    late = await ds.participation.record(chat_id=FORUM, message_id=300, user_id=2,
                                         topic_id=thread.message_thread_id, is_topic=True,
                                         reply_to=None, text="late")
    assert late.thread is not None and not late.counted


async def test_member_post_rate_warns_once(ds: DiscussionKit, clock: FixedClock) -> None:
    port = FakePort()
    chat = await ds.chats.get(FORUM)
    assert chat is not None
    thread = (await ds.threads.open_thread(port, chat, title="T", opening_text="P",
                                           opened_by=1)).thread
    assert thread is not None
    outcomes = []
    for i in range(14):
        outcomes.append(await ds.participation.record(
            chat_id=FORUM, message_id=700 + i, user_id=2, topic_id=thread.message_thread_id,
            is_topic=True, reply_to=None, text="spam"))
    assert sum(o.counted for o in outcomes) == 10
    assert sum(o.warn for o in outcomes) == 1
    clock.advance(timedelta(minutes=2))
    later = await ds.participation.record(
        chat_id=FORUM, message_id=800, user_id=2, topic_id=thread.message_thread_id,
        is_topic=True, reply_to=None, text="calm")
    assert later.counted


def test_iso_week_and_start() -> None:
    assert iso_week(NOW, JAKARTA) == "2026-W48"
    # Sunday 23:30 in Jakarta is still week 48 although it is Sunday 16:30 UTC.
    sunday = datetime(2026, 11, 29, 16, 30, tzinfo=UTC)
    assert iso_week(sunday, JAKARTA) == "2026-W48"
    assert iso_week(sunday + timedelta(hours=1), JAKARTA) == "2026-W49"
    start = week_start(NOW, JAKARTA, "mon", time(9, 0))
    assert start == datetime(2026, 11, 23, 9, 0, tzinfo=JAKARTA)


async def test_week_ledger_claims_once(ds: DiscussionKit) -> None:
    assert await ds.repo.claim_week(FORUM, "2026-W48", NOW)
    assert not await ds.repo.claim_week(FORUM, "2026-W48", NOW)
    assert await ds.repo.claim_week(PLAIN, "2026-W48", NOW)
    assert await ds.repo.week_state(FORUM, "2026-W48") == "claimed"
    await ds.repo.mark_week(FORUM, "2026-W48", "sent", NOW)
    assert await ds.repo.week_state(FORUM, "2026-W48") == "sent"
    assert await ds.repo.weeks_sent(FORUM) == 1


async def _cohort(db: Database, chat_id: int, courses: list[str], members: list[int]) -> None:
    async with db.transaction():
        [row] = await db.returning(
            "INSERT INTO cohorts (name, invite_code, created_by, group_chat_id, created_at)"
            " VALUES ('Angkatan 1', 'c_ABCDEFGHIJ', 1, ?, 0) RETURNING id", (chat_id,))
        for key in courses:
            await db.execute("INSERT INTO cohort_courses (cohort_id, course_key) VALUES (?, ?)",
                             (row["id"], key))
        for uid in members:
            await db.execute(
                "INSERT INTO cohort_members (cohort_id, user_id, joined_at) VALUES (?, ?, 0)",
                (row["id"], uid))


def _render(lang: str, course, lesson, is_forum: bool) -> tuple[str, str]:
    return lesson.title.get(lang), lesson.discussion.get(lang)


async def test_weekly_prompt_follows_course_order_once_per_week(
    ds: DiscussionKit, db: Database, clock: FixedClock
) -> None:
    catalogue = ds.prompts.catalogue
    courses = [c for c in catalogue if any(x.discussion for x in c.lessons)][:2]
    # Given in reverse order: the catalogue's order decides.
    await _cohort(db, FORUM, [courses[1].key, courses[0].key], [2, 3])
    port = FakePort()
    first = await ds.prompts.run_weekly(port, _render)
    expected = [x for x in courses[0].lessons if x.discussion][:2]
    assert [(o.state, o.lesson) for o in first] == [("sent", (courses[0].key, expected[0].key))]
    assert await ds.prompts.run_weekly(port, _render) == []
    assert len(port.topics) == 1
    clock.advance(timedelta(days=7))
    second = await ds.prompts.run_weekly(port, _render)
    assert [o.lesson for o in second] == [(courses[0].key, expected[1].key)]
    # Before Monday 09:00 of the next week nothing is due.
    clock.set(datetime(2026, 12, 7, 8, 0, tzinfo=JAKARTA))
    assert await ds.prompts.run_weekly(port, _render) == []


async def test_lesson_prompt_opens_then_reuses(ds: DiscussionKit, db: Database) -> None:
    catalogue = ds.prompts.catalogue
    course = next(c for c in catalogue if any(x.discussion for x in c.lessons))
    lesson = next(x for x in course.lessons if x.discussion)
    port = FakePort()
    none = await ds.prompts.lesson_thread(port, 2, course.key, lesson.key, _render)
    assert none.status == "no_group"
    await _cohort(db, PLAIN, [course.key], [2, 3])
    first = await ds.prompts.lesson_thread(port, 2, course.key, lesson.key, _render)
    assert first.status == "opened" and first.chat_id == PLAIN
    second = await ds.prompts.lesson_thread(port, 3, course.key, lesson.key, _render)
    assert second.status == "reused"
    assert len(port.sent) == 1


async def test_cohort_participation(ds: DiscussionKit, db: Database) -> None:
    await _cohort(db, PLAIN, [], [2, 3])
    port = FakePort()
    chat = await ds.chats.get(PLAIN)
    assert chat is not None
    thread = (await ds.threads.open_thread(port, chat, title="T", opening_text="P",
                                           opened_by=1)).thread
    assert thread is not None
    for i, uid in enumerate([2, 2, 3, 4]):  # user 4 is not in the cohort
        await ds.participation.record(chat_id=PLAIN, message_id=900 + i, user_id=uid,
                                      topic_id=None, is_topic=False,
                                      reply_to=thread.anchor_message_id, text="x")
    await ds.threads.mark_best(thread, 902)
    cohort_id = await db.fetch_value("SELECT id FROM cohorts")
    numbers = await ds.participation.of_cohort(cohort_id)
    assert (numbers.posts, numbers.posters, numbers.best_answers) == (3, 2, 1)
    assert (numbers.threads, numbers.open_threads) == (1, 1)
