"""Clocks and local dates: billing dates follow the operator's zone, timestamps stay UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from vanbill.services.clock import FixedClock, SystemClock, local_today, zone
from vanbill.services.config import Settings
from vanbill.services.errors import InvalidInput


def test_kuala_lumpur_is_already_in_the_new_year_when_utc_is_not() -> None:
    clock = FixedClock(datetime(2025, 12, 31, 16, 30, tzinfo=UTC))
    assert local_today(clock, "Asia/Kuala_Lumpur") == date(2026, 1, 1)
    assert local_today(clock, "UTC") == date(2025, 12, 31)
    assert local_today(clock, "America/New_York") == date(2025, 12, 31)


def test_a_pinned_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 2, 28, 15, 59, tzinfo=UTC))
    assert local_today(clock, "Asia/Kuala_Lumpur") == date(2026, 2, 28)
    clock.advance(timedelta(minutes=1))
    assert local_today(clock, "Asia/Kuala_Lumpur") == date(2026, 3, 1)


def test_naive_datetimes_are_refused_by_the_pinned_clock() -> None:
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


def test_the_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().utcoffset() == timedelta(0)


def test_an_unknown_zone_is_a_friendly_error() -> None:
    with pytest.raises(InvalidInput, match=r"timezone\.unknown"):
        zone("Mars/Olympus")


def test_settings_read_admin_ids_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("VANBILL_ADMIN_IDS", "111, 222")
    settings = Settings(_env_file=None)
    assert settings.admin_ids == frozenset({111, 222})
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.timezone == "Asia/Kuala_Lumpur"


def test_settings_refuse_admin_ids_that_are_not_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VANBILL_ADMIN_IDS", "alice")
    with pytest.raises(ValueError, match="comma-separated"):
        Settings(_env_file=None)
