"""Clocks: the only place that reads the wall clock. Services take one; tests pin it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vanbill.services.errors import InvalidInput

DEFAULT_TIMEZONE = "Asia/Kuala_Lumpur"


class Clock(Protocol):
    """Something that tells the current instant as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that stands still until told to move (for tests and the demo)."""

    current: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    def __post_init__(self) -> None:
        if self.current.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.current = self.current.astimezone(UTC)

    def now(self) -> datetime:
        """Return the pinned instant."""
        return self.current

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self.current = self.current + delta

    def set(self, instant: datetime) -> None:
        """Move the clock to an instant (aware)."""
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.current = instant.astimezone(UTC)


def zone(name: str) -> ZoneInfo:
    """Return the time zone called name, or raise InvalidInput."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("timezone.unknown", name=name) from exc


def local_now(clock: Clock, tz: str) -> datetime:
    """Return the clock's instant in the zone tz."""
    return clock.now().astimezone(zone(tz))


def local_today(clock: Clock, tz: str) -> date:
    """Return today's date in the zone tz (a billing date)."""
    return local_now(clock, tz).date()
