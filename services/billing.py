"""Pure billing rules: totals, sibling discount, status, allocation order, due dates, reminders.

No I/O here: the services fetch rows, call these, and write the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from vanbill.services.errors import InvalidInput
from vanbill.services.money import check_amount, percent_of
from vanbill.services.periods import day_in_month

OPEN_STATUSES = ("open", "partial")
MAX_LINES = 50
MAX_QUANTITY = 1000


@dataclass(frozen=True)
class NewLine:
    """A line someone wants on an invoice (amount is computed, never typed)."""

    description: str
    unit_price_sen: int
    quantity: int = 1
    child_id: int | None = None
    service_id: int | None = None
    # A route line's month and route, and a month ridden in part (see InvoiceItem).
    period: date | None = None
    route_name: str | None = None
    part_from: date | None = None
    part_to: date | None = None
    part_rule: str | None = None

    @property
    def amount_sen(self) -> int:
        """Return unit price times quantity."""
        return self.unit_price_sen * self.quantity


@dataclass(frozen=True)
class PartDays:
    """A month ridden in part: the first and/or last day ridden, and the billing rule."""

    first: date | None
    last: date | None
    rule: str


@dataclass(frozen=True)
class ChildFee:
    """One child's route for a month, at the fee in force then."""

    child_id: int
    child_name: str
    service_id: int
    service_name: str
    fee_sen: int
    note: str = ""  # a month ridden in part: "from 16 Mar, by days"
    part: PartDays | None = None  # the same, as data


@dataclass(frozen=True)
class MonthlyBill:
    """What one family owes for a month before it is numbered and written."""

    lines: tuple[NewLine, ...]
    subtotal_sen: int
    discount_sen: int

    @property
    def total_sen(self) -> int:
        """Return subtotal less discount."""
        return self.subtotal_sen - self.discount_sen


def invoice_status(total_sen: int, paid_sen: int, *, void: bool = False) -> str:
    """Return open, partial, paid or void from the amounts."""
    if void:
        return "void"
    if paid_sen <= 0:
        return "paid" if total_sen == 0 else "open"
    if paid_sen >= total_sen:
        return "paid"
    return "partial"


def closed_when_issued(total_sen: int, issue_date: date) -> date | None:
    """Return the closed_on of a new invoice: an invoice of nothing is paid, closed the day it
    is issued (as payments.refresh_invoices would say); any other starts open (None)."""
    return issue_date if total_sen == 0 else None


def is_overdue(status: str, due_date: date, today: date) -> bool:
    """Return True when an unpaid invoice's due date has passed (in the operator's zone)."""
    return status in OPEN_STATUSES and today > due_date


def due_date_for(issue_date: date, due_day: int, period: date | None = None) -> date:
    """Return the due date: the operator's due day of the billing month, never before issue.

    Ad-hoc invoices take the next due day on or after the issue date. A monthly invoice issued
    after its month's due day (a late run) is due a week after it is issued.
    """
    if period is not None:
        due = day_in_month(period, due_day)
        return due if due >= issue_date else issue_date + timedelta(days=7)
    due = day_in_month(issue_date.replace(day=1), due_day)
    if due < issue_date:
        next_month = (issue_date.replace(day=28) + timedelta(days=4)).replace(day=1)
        due = day_in_month(next_month, due_day)
    return due


def check_lines(lines: Sequence[NewLine]) -> None:
    """Refuse lines that cannot be billed, with a reason."""
    if not lines:
        raise InvalidInput("invoice.no_lines")
    if len(lines) > MAX_LINES:
        raise InvalidInput("invoice.too_many_lines", limit=MAX_LINES)
    for line in lines:
        if not line.description.strip():
            raise InvalidInput("line.no_description")
        if len(line.description) > 300:
            raise InvalidInput("line.description_too_long")
        if isinstance(line.quantity, bool) or not 1 <= line.quantity <= MAX_QUANTITY:
            raise InvalidInput("line.quantity", limit=MAX_QUANTITY)
        check_amount(line.unit_price_sen, what="line_price", allow_zero=True)
        check_amount(line.amount_sen, what="line_amount", allow_zero=True)
    check_amount(sum(line.amount_sen for line in lines), what="invoice_total", allow_zero=True)


def monthly_bill(
    fees: Iterable[ChildFee],
    sibling_discount_bp: int,
    month_label: str,
    period: date | None = None,
) -> MonthlyBill:
    """Build a family's monthly lines and its sibling discount.

    The child whose routes cost most pays in full; every further child gets the discount on
    their routes (ties broken by child id, so the result never depends on query order).
    """
    by_child: dict[int, list[ChildFee]] = {}
    for fee in fees:
        by_child.setdefault(fee.child_id, []).append(fee)
    order = sorted(by_child, key=lambda cid: (-sum(f.fee_sen for f in by_child[cid]), cid))
    lines: list[NewLine] = []
    discount = 0
    for rank, child_id in enumerate(order):
        child_fees = sorted(by_child[child_id], key=lambda f: (f.service_name, f.service_id))
        for fee in child_fees:
            lines.append(
                NewLine(
                    description=f"{fee.service_name} — {month_label}"
                    + (f" ({fee.note})" if fee.note else ""),
                    unit_price_sen=fee.fee_sen,
                    child_id=fee.child_id,
                    service_id=fee.service_id,
                    period=period,
                    route_name=fee.service_name[:100] if period else None,
                    part_from=fee.part.first if period and fee.part else None,
                    part_to=fee.part.last if period and fee.part else None,
                    part_rule=fee.part.rule if period and fee.part else None,
                )
            )
        if rank > 0 and sibling_discount_bp:
            discount += percent_of(sum(f.fee_sen for f in child_fees), sibling_discount_bp)
    subtotal = sum(line.amount_sen for line in lines)
    return MonthlyBill(
        lines=tuple(lines), subtotal_sen=subtotal, discount_sen=min(discount, subtotal)
    )


def added_sibling_discount(
    billed: Iterable[ChildFee], added: Iterable[ChildFee], sibling_discount_bp: int
) -> int:
    """Return the sibling discount due on routes added to a month already billed.

    The monthly run's rule (monthly_bill) over the whole month — the routes billed already and
    the ones added — less the discount the month's invoice gave: so the family pays in all what
    one run over all its children would have billed. Never below nothing, never more than the
    added routes cost.
    """
    billed, added = list(billed), list(added)
    if not sibling_discount_bp or not added:
        return 0
    whole = monthly_bill(billed + added, sibling_discount_bp, "").discount_sen
    before = monthly_bill(billed, sibling_discount_bp, "").discount_sen
    return max(0, min(whole - before, sum(fee.fee_sen for fee in added)))


def allocate(
    available: Sequence[tuple[int, int]], owed: Sequence[tuple[int, int]]
) -> list[tuple[int, int, int]]:
    """Match money to debts in the order given: (payment, remaining) × (invoice, balance).

    Returns (payment_id, invoice_id, amount) triples; what is left of the payments is credit.
    Callers pass payments oldest first and invoices oldest due first.
    """
    result: list[tuple[int, int, int]] = []
    payments = [[pid, left] for pid, left in available if left > 0]
    invoices = [[iid, bal] for iid, bal in owed if bal > 0]
    p = i = 0
    while p < len(payments) and i < len(invoices):
        amount = min(payments[p][1], invoices[i][1])
        result.append((payments[p][0], invoices[i][0], amount))
        payments[p][1] -= amount
        invoices[i][1] -= amount
        if payments[p][1] == 0:
            p += 1
        if invoices[i][1] == 0:
            i += 1
    return result


def reminder_stage(
    offsets: Sequence[int],
    due_date: date,
    today: date,
    already_sent: Iterable[int],
    issued_on: date | None = None,
) -> int | None:
    """Return the reminder stage (days from the due date) to send today, or None.

    The stage is the latest one whose day has come. Earlier stages missed while the bot was down
    are skipped rather than sent in a burst, and a stage already sent, or an earlier stage than
    one already sent, is never chosen again. A stage that falls on or before the day the invoice
    was issued is not a reminder of anything: the invoice itself went out that day.
    """
    days = (today - due_date).days
    reached = [
        o
        for o in sorted(offsets)
        if o <= days and (issued_on is None or due_date + timedelta(days=o) > issued_on)
    ]
    if not reached:
        return None
    stage = reached[-1]
    sent = set(already_sent)
    if stage in sent or any(s >= stage for s in sent):
        return None
    return stage


def next_reminder_day(
    offsets: Sequence[int], due_date: date, today: date, already_sent: Iterable[int]
) -> date | None:
    """Return the first day after today that reminder_stage chooses a stage, or None.

    The first stage later than every one sent goes out on its day, or tomorrow when that day
    has come already (a stage missed is sent late, once).
    """
    sent = list(already_sent)
    later = [o for o in offsets if not sent or o > max(sent)]
    if not later:
        return None
    return max(today + timedelta(days=1), due_date + timedelta(days=min(later)))
