"""Months as billing periods: stored as the first day of the month, typed as YYYY-MM."""

from __future__ import annotations

import re
from datetime import date

from vanbill.services.errors import InvalidInput

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$", re.ASCII)
MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def parse_month(text: str) -> date:
    """Parse YYYY-MM into the first day of that month, or raise InvalidInput."""
    match = _MONTH.match(text or "")
    if not match:
        raise InvalidInput("month.unreadable", text=text)
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise InvalidInput("month.out_of_range", text=text)
    return date(year, month, 1)


def month_start(day: date) -> date:
    """Return the first day of day's month."""
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """Return the first day of the month count months after month (count may be negative)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_key(month: date) -> str:
    """Return YYYY-MM."""
    return f"{month.year:04d}-{month.month:02d}"


def month_label(month: date) -> str:
    """Return 'March 2026'."""
    return f"{MONTH_NAMES[month.month - 1]} {month.year}"


def day_in_month(month: date, day: int) -> date:
    """Return that day of month, clamped to the month's length."""
    next_month = add_months(month, 1)
    last = (next_month - date.resolution).day
    return month.replace(day=min(max(day, 1), last))
