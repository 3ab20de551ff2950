"""Pure rules for a month ridden in part: a child who joins or leaves in the middle of a month.

The operator chooses how such a month is billed: the full fee, half, nothing, or by the days
ridden, counted as calendar days or as school days (Monday to Friday), rounded half up to the
sen. No I/O here; services/monthly.py and services/families.py call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from vanbill.services.errors import InvalidInput
from vanbill.services.periods import add_months

FULL, HALF, NONE, DAYS, SCHOOL_DAYS = "full", "half", "none", "days", "school_days"
RULES = (FULL, HALF, NONE, DAYS, SCHOOL_DAYS)


@dataclass(frozen=True)
class PartMonth:
    """The days of one month a child rides (inclusive) and how that month is billed."""

    month: date
    first: date
    last: date
    rule: str


def month_end(month: date) -> date:
    """Return the last day of month's month."""
    return add_months(month.replace(day=1), 1) - timedelta(days=1)


def count_days(first: date, last: date, *, school_days: bool) -> int:
    """Return how many days (or Monday-to-Friday days) lie from first to last, inclusive."""
    if last < first:
        return 0
    total = (last - first).days + 1
    if not school_days:
        return total
    weeks, rest = divmod(total, 7)
    extra = sum(1 for i in range(rest) if (first + timedelta(days=i)).weekday() < 5)
    return weeks * 5 + extra


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def check_rule(rule: str) -> str:
    """Return rule if it is one of RULES, else refuse it."""
    if rule not in RULES:
        raise InvalidInput("proration.kind")
    return rule


def part_of_fee(fee_sen: int, part: PartMonth) -> int:
    """Return what a month ridden from part.first to part.last costs under part.rule.

    Never more than the fee; by days over the whole month is the fee itself. A month with no
    school days at all (by school days) costs nothing when none are ridden.
    """
    month = part.month.replace(day=1)
    start, end = max(part.first, month), min(part.last, month_end(month))
    rule = check_rule(part.rule)
    if rule == FULL:
        return fee_sen
    if rule == NONE or end < start:
        return 0
    if rule == HALF:
        return _half_up(fee_sen, 2)
    school = rule == SCHOOL_DAYS
    whole = count_days(month, month_end(month), school_days=school)
    ridden = count_days(start, end, school_days=school)
    return _half_up(fee_sen * ridden, whole) if whole else 0


def joining(month: date, day: date, rule: str) -> PartMonth:
    """Return the part of month ridden by a child who joins on day."""
    return PartMonth(month.replace(day=1), day, month_end(month), rule)


def leaving(month: date, day: date, rule: str) -> PartMonth:
    """Return the part of month ridden by a child whose last day is day."""
    return PartMonth(month.replace(day=1), month.replace(day=1), day, rule)


def options(fee_sen: int, part_first: date, part_last: date, month: date) -> dict[str, int]:
    """Return what each rule would bill for these days of month (the figures a preview shows)."""
    return {
        rule: part_of_fee(fee_sen, PartMonth(month.replace(day=1), part_first, part_last, rule))
        for rule in RULES
    }


def joining_figures(fees_sen: list[int], month: date, day: date) -> dict[str, int]:
    """Return what routes of these fees cost in month, for a child joining on day, by each
    rule (the figures the preview shows before the choice is saved)."""
    return {
        rule: sum(part_of_fee(fee, joining(month, day, rule)) for fee in fees_sen)
        for rule in RULES
    }


def rule_label(rule: str) -> str:
    """Return the words an invoice line uses for a rule."""
    return {
        FULL: "full month",
        HALF: "half month",
        NONE: "not billed",
        DAYS: "by days",
        SCHOOL_DAYS: "by school days",
    }[rule]
