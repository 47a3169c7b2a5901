"""The weekly discussion prompt waits out the quiet hours of bulk sends (the groups' zone):
a group linked at 02:53 gets it at 06:00, not at once; the setting is checked at start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FixedClock
from bot.config import ConfigError, Settings, load_settings
from bot.storage import Database
from tests.conftest import composed
from tests.discussion.test_discussion_services import FORUM, FakePort, _cohort, _render

# Wednesday 25 November 2026, 02:53 in Jakarta: after the week's Monday 09:00 prompt moment.
AT_0253 = datetime(2026, 11, 24, 19, 53, tzinfo=UTC)


async def test_a_group_linked_at_night_gets_its_prompt_when_quiet_hours_end(
    db: Database,
) -> None:
    clock = FixedClock(AT_0253)
    services = composed(db, clock, Settings(delivery={"quiet_hours": "21:00-06:00"}))
    prompts = services.discussion.prompts
    await services.discussion.threads.register_group(FORUM, "supergroup", "Forum ASN", True)
    course = next(c for c in prompts.catalogue if any(x.discussion for x in c.lessons))
    await _cohort(db, FORUM, [course.key], [])
    port = FakePort()
    assert await prompts.run_weekly(port, _render) == []
    clock.advance(timedelta(hours=3, minutes=6))  # 05:59
    assert await prompts.run_weekly(port, _render) == []
    assert port.topics == [] and port.sent == []
    clock.advance(timedelta(minutes=1))  # 06:00
    [outcome] = await prompts.run_weekly(port, _render)
    assert outcome.state == "sent" and len(port.topics) == 1


async def test_without_quiet_hours_the_prompt_goes_at_once(db: Database) -> None:
    services = composed(db, FixedClock(AT_0253), Settings(delivery={"quiet_hours": ""}))
    prompts = services.discussion.prompts
    await services.discussion.threads.register_group(FORUM, "supergroup", "Forum ASN", True)
    course = next(c for c in prompts.catalogue if any(x.discussion for x in c.lessons))
    await _cohort(db, FORUM, [course.key], [])
    [outcome] = await prompts.run_weekly(FakePort(), _render)
    assert outcome.state == "sent"


def test_quiet_hours_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.delenv("SINAU_DELIVERY__QUIET_HOURS", raising=False)
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    settings = load_settings()
    assert settings.delivery.quiet_hours == "21:00-06:00"
    assert [f"{t:%H:%M}" for t in settings.delivery.quiet or ()] == ["21:00", "06:00"]
    monkeypatch.setenv("SINAU_DELIVERY__QUIET_HOURS", "")
    assert load_settings().delivery.quiet is None
    for bad in ("21-6", "21:00", "06:00-06:00", "malam"):
        monkeypatch.setenv("SINAU_DELIVERY__QUIET_HOURS", bad)
        with pytest.raises(ConfigError) as error:
            load_settings()
        assert "delivery.quiet_hours (SINAU_DELIVERY__QUIET_HOURS)" in str(error.value), bad
