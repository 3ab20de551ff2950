"""Property-based tests: random sequences of billing operations never break the books.

Hypothesis draws a list of operations (ad-hoc invoices, payments, voids, monthly runs, charges
and credits now or on the next invoice, credit notes, late fees added and waived, the clock
moving on) and the operator's late-fee rule; each example runs on a fresh database and, after
every step, the invariants are checked against the rows themselves and against what the
services report. Domain errors that a random operation provokes (paying a void invoice, voiding
twice...) are expected exactly when the model says so, and must leave every row as it was.

Hypothesis cannot drive a coroutine, so the test is a plain function that runs one
`asyncio.run(...)` per example; pytest-asyncio leaves sync tests alone.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import ScratchMySQL
from tests.data.factories import Business, make_business, make_family
from vanbill.services import (
    accounts,
    adjustments,
    audit,
    customers,
    invoices,
    latefees,
    monthly,
    payments,
    reports,
)
from vanbill.services.billing import OPEN_STATUSES, NewLine, invoice_status
from vanbill.services.clock import FixedClock, local_today
from vanbill.services.db import Database
from vanbill.services.errors import Conflict, NotFound, VanBillError
from vanbill.services.models import (
    Base,
    CreditNoteCounter,
    Invoice,
    InvoiceCounter,
    Payment,
    PaymentAllocation,
    ReceiptCounter,
)
from vanbill.services.periods import add_months
from vanbill.services.schema import migrate
from vanbill.services.views import MonthFigures, SummaryReport

# Where the clock starts: mid-January, or half an hour before the new year in Kuala Lumpur (so
# the invoice numbers start again at 0001 soon after), in one of three zones.
STARTS = (datetime(2026, 1, 15, 2, 0, tzinfo=UTC), datetime(2026, 12, 31, 15, 30, tzinfo=UTC))
ZONES = ("Asia/Kuala_Lumpur", "Pacific/Kiritimati", "America/Los_Angeles")
FIRST_PERIOD = date(2026, 1, 1)  # the month every enrolled child starts in

# (parent, children, routes): the monthly fee is worked out by hand, not by the code under test.
# Encik Lim's two children take both routes (RM 150 + RM 120 each); the second child gets the
# 10% sibling discount: 270 + 270 - 27 = RM 513.
FAMILIES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Puan Aminah", ("Aisyah",), "morning"),
    ("Encik Lim", ("Wei Ling", "Wei Jie"), "both"),
    ("Mrs Devi", ("Kavya",), "none"),
)
MONTHLY_FEE_SEN: tuple[int | None, ...] = (15000, 51300, None)
BILLING_TABLES = (
    "customers",
    "invoices",
    "invoice_items",
    "payments",
    "payment_allocations",
    "invoice_counters",
    "receipt_counters",
    "credit_note_counters",
    "adjustments",
    "late_fees",
)
# The operator's late-fee rule, drawn per example: none, RM 10 a week after the due date, or 5%
# of what is unpaid three days after it.
LATE_FEE_RULES = (
    latefees.LateFeeSettings(latefees.NONE, 0, 0, 7),
    latefees.LateFeeSettings(latefees.FIXED, 1000, 0, 7),
    latefees.LateFeeSettings(latefees.PERCENT, 0, 500, 3),
)


# ---------------------------------------------------------------------------------------------
# Operations


@dataclass(frozen=True)
class CreateInvoice:
    """An ad-hoc invoice; lines are (unit price, quantity, names the family's first child)."""

    family: int
    lines: tuple[tuple[int, int, bool], ...]
    discount_percent: int


@dataclass(frozen=True)
class Pay:
    """A payment, maybe backdated, maybe aimed at one of the family's (or another's) invoices.

    With a share, the amount is that percentage of what the family owes at the time (so partial
    payments and over-payments are common); without one, or when nothing is owed, amount_sen.
    """

    family: int
    amount_sen: int
    share_percent: int | None
    back_days: int
    target: int | None
    target_other_family: bool


@dataclass(frozen=True)
class VoidInvoice:
    """Void the pick-th invoice (modulo how many there are; a made-up id when there are none)."""

    pick: int


@dataclass(frozen=True)
class VoidPayment:
    """Void the pick-th payment (modulo how many there are; a made-up id when there are none)."""

    pick: int


@dataclass(frozen=True)
class MonthlyRun:
    """Run the monthly invoices for the current local month plus offset (-1, 0 or +1)."""

    offset: int


@dataclass(frozen=True)
class Archive:
    """Archive a family (no more invoices for it) or bring it back."""

    family: int
    archived: bool


@dataclass(frozen=True)
class Advance:
    """Move the clock on."""

    days: int
    hours: int


@dataclass(frozen=True)
class Adjust:
    """A charge or a credit for a family: now (an invoice, a credit note) or on its next
    monthly invoice (a line on it, or a credit note settling it)."""

    family: int
    credit: bool
    now: bool
    amount_sen: int


@dataclass(frozen=True)
class LateFeePass:
    """The scheduler's late-fee pass: today's late fees on overdue invoices, each once."""


@dataclass(frozen=True)
class WaiveLateFee:
    """Waive the late fee of the pick-th invoice (one without a fee is refused)."""

    pick: int


Op = (
    CreateInvoice
    | Pay
    | VoidInvoice
    | VoidPayment
    | MonthlyRun
    | Archive
    | Advance
    | Adjust
    | LateFeePass
    | WaiveLateFee
)

family_index = st.sampled_from([0, 0, 1, 1, 2])
amounts = st.one_of(
    st.sampled_from([100, 5000, 13500, 15000, 27000, 51300, 66300]),
    st.integers(1, 120_000),
)
line = st.tuples(st.integers(0, 40_000), st.integers(1, 3), st.booleans())
OPERATIONS: dict[str, st.SearchStrategy[Op]] = {
    "create": st.builds(
        CreateInvoice,
        family=family_index,
        lines=st.lists(line, min_size=1, max_size=4).map(tuple),
        discount_percent=st.one_of(st.just(0), st.integers(0, 100)),
    ),
    "pay": st.builds(
        Pay,
        family=family_index,
        amount_sen=amounts,
        share_percent=st.one_of(st.none(), st.sampled_from([30, 50, 99, 100, 101, 150])),
        back_days=st.one_of(st.just(0), st.integers(1, 40)),
        target=st.one_of(st.none(), st.integers(0, 20)),
        target_other_family=st.sampled_from([False, False, False, True]),
    ),
    "void_invoice": st.builds(VoidInvoice, pick=st.integers(0, 30)),
    "void_payment": st.builds(VoidPayment, pick=st.integers(0, 30)),
    "monthly": st.builds(MonthlyRun, offset=st.sampled_from([-1, 0, 0, 1])),
    "archive": st.builds(Archive, family=family_index, archived=st.booleans()),
    "advance": st.builds(Advance, days=st.integers(0, 45), hours=st.integers(0, 23)),
    "adjust": st.builds(
        Adjust, family=family_index, credit=st.booleans(), now=st.booleans(), amount_sen=amounts
    ),
    "late_fees": st.just(LateFeePass()),
    "waive": st.builds(WaiveLateFee, pick=st.integers(0, 30)),
}
# Drawn by kind first, so every kind turns up about as often as its weight here.
operations: st.SearchStrategy[Op] = st.sampled_from(
    [
        *("create", "create", "pay", "pay", "pay"),
        *("void_invoice", "void_payment", "monthly", "archive", "advance"),
        *("adjust", "adjust", "late_fees", "waive"),
    ]
).flatmap(OPERATIONS.__getitem__)


# ---------------------------------------------------------------------------------------------
# The state as the database holds it, and the checks


@dataclass(frozen=True)
class State:
    """The operator's billing rows, read straight from the tables."""

    invoices: list[Any]
    payments: list[Any]
    allocations: list[Any]
    counters: dict[int, int]
    receipts: list[tuple[date, str]]  # (paid_on, receipt number) of every payment, void too
    receipt_counters: dict[int, int]
    credit_note_counters: dict[int, int]


@dataclass
class Model:
    """What the test expects, worked out from the operations alone."""

    timezone: str
    customer_ids: list[int]
    first_child_ids: list[int]
    archived: set[int] = field(default_factory=set)
    balance_sen: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    billed_periods: dict[int, set[date]] = field(default_factory=lambda: defaultdict(set))
    late_fee: latefees.LateFeeSettings = LATE_FEE_RULES[0]
    # Charges (+) and credits (-) waiting for each family's next monthly invoice.
    pending_sen: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    # Every invoice's late fee: its amount and whether it was waived.
    late_fees: dict[int, tuple[int, bool]] = field(default_factory=dict)


async def read_state(db: Database, operator_id: int) -> State:
    """Read invoices, payments, allocations and counters with plain SQL."""
    async with db.sessions() as session:
        invoice_rows = (
            await session.execute(
                select(
                    Invoice.id,
                    Invoice.customer_id,
                    Invoice.number,
                    Invoice.status,
                    Invoice.kind,
                    Invoice.period,
                    Invoice.issue_date,
                    Invoice.due_date,
                    Invoice.subtotal_sen,
                    Invoice.discount_sen,
                    Invoice.total_sen,
                    Invoice.paid_sen,
                    Invoice.voided_at,
                )
                .where(Invoice.operator_id == operator_id)
                .order_by(Invoice.id)
            )
        ).all()
        payment_rows = (
            await session.execute(
                select(
                    Payment.id,
                    Payment.customer_id,
                    Payment.amount_sen,
                    Payment.voided,
                    Payment.paid_on,
                    Payment.method,
                )
                .where(Payment.operator_id == operator_id)
                .order_by(Payment.id)
            )
        ).all()
        allocation_rows = (
            await session.execute(
                select(
                    PaymentAllocation.payment_id,
                    PaymentAllocation.invoice_id,
                    PaymentAllocation.amount_sen,
                )
                .where(PaymentAllocation.operator_id == operator_id)
                .order_by(PaymentAllocation.id)
            )
        ).all()
        counters = {
            int(year): int(last)
            for year, last in await session.execute(
                select(InvoiceCounter.year, InvoiceCounter.last_seq).where(
                    InvoiceCounter.operator_id == operator_id
                )
            )
        }
        receipts = [
            (paid_on, number)
            for paid_on, number in await session.execute(
                select(Payment.paid_on, Payment.receipt_number).where(
                    Payment.operator_id == operator_id
                )
            )
        ]
        receipt_counters, credit_note_counters = {}, {}
        for series, table in (
            (receipt_counters, ReceiptCounter.__table__),
            (credit_note_counters, CreditNoteCounter.__table__),
        ):
            for year, last in await session.execute(
                select(table.c.year, table.c.last_seq).where(table.c.operator_id == operator_id)
            ):
                series[int(year)] = int(last)
    return State(
        list(invoice_rows),
        list(payment_rows),
        list(allocation_rows),
        counters,
        receipts,
        receipt_counters,
        credit_note_counters,
    )


async def snapshot(db: Database, operator_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Return every billing row of the operator, for before/after comparisons."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    async with db.sessions() as session:
        for name in BILLING_TABLES:
            table = Base.metadata.tables[name]
            rows = await session.execute(
                select(table)
                .where(table.c.operator_id == operator_id)
                .order_by(*table.primary_key.columns)
            )
            result[name] = [tuple(r) for r in rows]
    return result


@dataclass(frozen=True)
class Books:
    """Per-family figures worked out from the rows by check_books."""

    invoiced_sen: dict[int, int]
    paid_in_sen: dict[int, int]
    credit_sen: dict[int, int]
    unpaid_count: dict[int, int]

    def balance_sen(self, customer_id: int) -> int:
        """Return unvoided invoice totals less unvoided payments."""
        return self.invoiced_sen[customer_id] - self.paid_in_sen[customer_id]


def check_books(state: State) -> Books:
    """Check the invariants that hold row by row, whatever happened; return the family figures.

    Allocations never exceed their payment or their invoice; paid_sen is the allocations' sum;
    status agrees with the amounts; void rows settle nothing; invoice and receipt numbers are
    unique and, per year, consecutive from 0001 with the counter at the last one; credit is never
    negative and never sits beside an unpaid invoice.
    """
    allocated_to: dict[int, int] = defaultdict(int)
    allocated_from: dict[int, int] = defaultdict(int)
    for payment_id, invoice_id, amount in state.allocations:
        assert amount > 0, f"allocation of {amount} from payment {payment_id}"
        allocated_to[invoice_id] += amount
        allocated_from[payment_id] += amount

    books = Books(defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int))
    for pid, customer_id, amount, voided, _paid_on, _method in state.payments:
        assert allocated_from[pid] <= amount, f"payment {pid} allocated beyond its amount"
        if voided:
            assert allocated_from[pid] == 0, f"void payment {pid} still settles invoices"
            continue
        books.credit_sen[customer_id] += amount - allocated_from[pid]
        books.paid_in_sen[customer_id] += amount

    numbers_by_year: dict[int, list[int]] = defaultdict(list)
    for inv in state.invoices:
        iid, customer_id, number, status = inv.id, inv.customer_id, inv.number, inv.status
        assert inv.total_sen == inv.subtotal_sen - inv.discount_sen
        assert allocated_to[iid] <= inv.total_sen, f"{number} allocated beyond its total"
        assert inv.paid_sen == allocated_to[iid], f"{number}: paid_sen is not its allocations"
        if status == "void":
            assert inv.voided_at is not None
            assert allocated_to[iid] == 0, f"void {number} still has allocations"
        else:
            assert inv.voided_at is None
            assert status == invoice_status(inv.total_sen, inv.paid_sen), (
                f"{number} is {status} with {inv.paid_sen} paid of {inv.total_sen}"
            )
            books.invoiced_sen[customer_id] += inv.total_sen
        if status in OPEN_STATUSES:
            books.unpaid_count[customer_id] += 1
        prefix, year, seq = number.split("-")
        assert prefix == "INV" and int(year) == inv.issue_date.year, number
        numbers_by_year[int(year)].append(int(seq))

    all_numbers = [inv.number for inv in state.invoices]
    assert len(set(all_numbers)) == len(all_numbers), f"duplicate numbers: {all_numbers}"
    for year, seqs in numbers_by_year.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"gaps in {year}: {sorted(seqs)}"
    for year in set(state.counters) | set(numbers_by_year):
        assert state.counters.get(year, 0) == len(numbers_by_year[year]), f"counter of {year}"
    # Receipts (RCPT) and credit notes (CN) are numbered apart, each gap-free per year.
    by_series: dict[str, dict[int, list[int]]] = {
        "RCPT": defaultdict(list),
        "CN": defaultdict(list),
    }
    for paid_on, number in state.receipts:
        prefix, year, seq = number.split("-")
        assert prefix in by_series and int(year) == paid_on.year, number
        by_series[prefix][int(year)].append(int(seq))
    for prefix, counters in (
        ("RCPT", state.receipt_counters),
        ("CN", state.credit_note_counters),
    ):
        for year in set(counters) | set(by_series[prefix]):
            seqs = sorted(by_series[prefix][year])
            assert seqs == list(range(1, len(seqs) + 1)), f"{prefix} gaps in {year}: {seqs}"
            assert counters.get(year, 0) == len(seqs), f"{prefix} counter of {year}"
    for customer_id, credit in books.credit_sen.items():
        assert credit >= 0, f"family {customer_id} has negative credit"
        assert not (credit > 0 and books.unpaid_count[customer_id] > 0), (
            f"family {customer_id} holds {credit} credit beside unpaid invoices"
        )
    return books


async def check_invariants(
    db: Database, clock: FixedClock, operator_id: int, model: Model
) -> State:
    """Check every invariant against the rows, the model and the services; return the state."""
    state = await read_state(db, operator_id)
    books = check_books(state)
    for customer_id in model.customer_ids:
        expected = books.balance_sen(customer_id)
        assert expected == model.balance_sen[customer_id], "the rows disagree with the model"
        balance = await accounts.family_balance(db, operator_id, customer_id, clock)
        assert balance.balance_sen == expected
        assert balance.credit_sen == books.credit_sen[customer_id]
        assert len(balance.unpaid) == books.unpaid_count[customer_id]
    return state


async def check_reports(db: Database, clock: FixedClock, operator_id: int, model: Model) -> None:
    """Check the family list, statements and the summary report (at the end of a scenario)."""
    state = await read_state(db, operator_id)
    listed = {
        c.id: c.balance_sen
        for c in (
            await customers.list_customers(db, operator_id, page_size=50, include_archived=True)
        ).items
    }
    today = local_today(clock, model.timezone)
    for customer_id in model.customer_ids:
        assert listed[customer_id] == model.balance_sen[customer_id]
        history = await accounts.statement(db, operator_id, customer_id, date(2020, 1, 1), today)
        assert history.opening_balance_sen == 0
        assert history.closing_balance_sen == model.balance_sen[customer_id]
    months = 36
    report = await reports.summary_report(db, operator_id, clock, months=months)
    by_month_invoiced: dict[date, int] = defaultdict(int)
    by_month_collected: dict[date, int] = defaultdict(int)
    for inv in state.invoices:
        if inv.status != "void":
            by_month_invoiced[inv.issue_date.replace(day=1)] += inv.total_sen
    for _pid, _cid, amount, voided, paid_on, method in state.payments:
        if not voided and method != adjustments.CREDIT_METHOD:  # a credit note is not money
            by_month_collected[paid_on.replace(day=1)] += amount
    for figures in report.months:
        assert figures.invoiced_sen == by_month_invoiced[figures.month], figures
        assert figures.collected_sen == by_month_collected[figures.month], figures
        assert (figures.collection_rate_bp or 0) <= 10_000, figures  # credit is not collection
    assert report.credit_sen == sum(check_books(state).credit_sen.values())
    owed = sum(
        inv.total_sen - inv.paid_sen for inv in state.invoices if inv.status in OPEN_STATUSES
    )
    assert report.months[-1].outstanding_sen == owed
    for window in (1, 2, 5, 36):  # short windows leave closed history out of the report's reads
        report = await reports.summary_report(db, operator_id, clock, months=window, top=50)
        assert report == summary_from_rows(state, report, today, window)


def summary_from_rows(
    state: State, report: SummaryReport, today: date, months: int, top: int = 50
) -> SummaryReport:
    """Work the summary report out again from the raw rows, in Python, the slow way."""
    live = [inv for inv in state.invoices if inv.status != "void"]
    paid_on = {p.id: p.paid_on for p in state.payments}
    allocations: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for payment_id, invoice_id, amount in state.allocations:
        allocations[invoice_id].append((paid_on[payment_id], amount))
    first = add_months(today.replace(day=1), -(months - 1))
    figures = []
    for i in range(months):
        start = add_months(first, i)
        end = add_months(start, 1)
        as_of = min(end - timedelta(days=1), today)
        issued = [inv for inv in live if inv.issue_date < end]
        own = [inv for inv in issued if inv.issue_date >= start]

        def paid(inv: Any, before: date) -> int:
            return sum(a for on, a in allocations[inv.id] if on < before)

        figures.append(
            MonthFigures(
                month=start,
                invoiced_sen=sum(inv.total_sen for inv in own),
                collected_sen=sum(
                    p.amount_sen
                    for p in state.payments
                    if not p.voided
                    and p.method != adjustments.CREDIT_METHOD
                    and start <= p.paid_on < end
                ),
                outstanding_sen=sum(inv.total_sen - paid(inv, end) for inv in issued),
                overdue_count=sum(
                    1
                    for inv in live
                    if inv.due_date < as_of
                    and inv.total_sen > paid(inv, as_of + timedelta(days=1))
                ),
                settled_sen=sum(paid(inv, end) for inv in own),
            )
        )
    open_invoices = [inv for inv in state.invoices if inv.status in OPEN_STATUSES]
    owed: dict[int, int] = defaultdict(int)
    oldest: dict[int, date] = {}
    for inv in open_invoices:
        owed[inv.customer_id] += inv.total_sen - inv.paid_sen
        oldest[inv.customer_id] = min(oldest.get(inv.customer_id, inv.due_date), inv.due_date)
    # Names are not in the rows read: the report's debtors must be the families owing most, in
    # order of what they owe (then by name), each with what it owes and its oldest due date.
    got = report.top_debtors
    ranked = all(
        a.owed_sen > b.owed_sen or (a.owed_sen == b.owed_sen and a.name <= b.name)
        for a, b in itertools.pairwise(got)
    )
    right = [d.owed_sen for d in got] == sorted(owed.values(), reverse=True)[: len(got)] and all(
        (d.owed_sen, d.oldest_due) == (owed[d.customer_id], oldest[d.customer_id]) for d in got
    )
    whole = len(got) == min(len(owed), top)
    credit = {c: v for c, v in check_books(state).credit_sen.items() if v > 0}
    return dataclasses.replace(
        report,
        months=tuple(figures),
        top_debtors=got if ranked and right and whole else (),
        overdue_families=len({inv.customer_id for inv in open_invoices if inv.due_date < today}),
        credit_sen=sum(credit.values()),
        families_in_credit=len(credit),
    )


# ---------------------------------------------------------------------------------------------
# Running one operation


def pick(items: list[Any], index: int) -> Any | None:
    """Return items[index % len(items)], or None when there are none."""
    return items[index % len(items)] if items else None


async def apply(
    op: Op,
    db: Database,
    clock: FixedClock,
    business: Business,
    model: Model,
    state: State,
) -> None:
    """Run one operation, checking its outcome (or its expected refusal) against the model."""
    operator_id = business.id
    today = local_today(clock, model.timezone)
    expected_error: type[VanBillError] | None = None
    action: Callable[[], Awaitable[Any]]
    on_success: Callable[[Any], Awaitable[None]]

    if isinstance(op, Advance):
        clock.advance(timedelta(days=op.days, hours=op.hours))
        return

    if isinstance(op, CreateInvoice):
        customer_id = model.customer_ids[op.family]
        lines = [
            NewLine(
                description=f"Extra {n}",
                unit_price_sen=price,
                quantity=quantity,
                child_id=model.first_child_ids[op.family] if for_child else None,
            )
            for n, (price, quantity, for_child) in enumerate(op.lines)
        ]
        subtotal = sum(price * quantity for price, quantity, _ in op.lines)
        discount = subtotal * op.discount_percent // 100
        if customer_id in model.archived:
            expected_error = Conflict

        def action() -> Awaitable[Any]:
            return invoices.create_invoice(
                db, operator_id, customer_id, clock, lines, discount_sen=discount
            )

        async def on_success(view: Any) -> None:
            assert view.total_sen == subtotal - discount
            assert view.customer_id == customer_id
            model.balance_sen[customer_id] += subtotal - discount

    elif isinstance(op, Pay):
        customer_id = model.customer_ids[op.family]
        target_id: int | None = None
        if op.target is not None:
            owner = customer_id
            if op.target_other_family:
                owner = model.customer_ids[(op.family + 1) % len(model.customer_ids)]
            chosen = pick([i for i in state.invoices if i.customer_id == owner], op.target)
            if chosen is not None:
                target_id = chosen.id
                if chosen.customer_id != customer_id:
                    expected_error = NotFound
                elif chosen.status not in OPEN_STATUSES:
                    expected_error = Conflict
        paid_on = today - timedelta(days=op.back_days)
        owed = sum(
            i.total_sen - i.paid_sen
            for i in state.invoices
            if i.customer_id == customer_id and i.status in OPEN_STATUSES
        )
        amount = op.amount_sen
        if op.share_percent is not None and owed > 0:
            amount = max(1, owed * op.share_percent // 100)

        def action() -> Awaitable[Any]:
            return payments.record_payment(
                db,
                operator_id,
                customer_id,
                clock,
                amount_sen=amount,
                method="duitnow",
                paid_on=paid_on,
                invoice_id=target_id,
            )

        async def on_success(view: Any) -> None:
            assert view.amount_sen == amount and not view.voided
            assert view.allocated_sen <= amount
            settled = {a.invoice_id: a.amount_sen for a in view.allocations}
            if target_id is not None:
                target = next(i for i in state.invoices if i.id == target_id)
                first = min(amount, target.total_sen - target.paid_sen)
                assert settled.get(target_id) == first, "the chosen invoice is settled first"
            # Apart from the chosen one, the money goes to the oldest due invoices first: no
            # invoice due before the last one it reached may be left unpaid.
            after = {i.id: i for i in (await read_state(db, operator_id)).invoices}
            reached = [after[i] for i in settled if i != target_id]
            if reached:
                last = max((i.due_date, i.id) for i in reached)
                skipped = [
                    i.number
                    for i in after.values()
                    if i.customer_id == customer_id
                    and i.status in OPEN_STATUSES
                    and (i.due_date, i.id) < last
                ]
                assert skipped == [], f"older invoices {skipped} left unpaid"
            model.balance_sen[customer_id] -= amount

    elif isinstance(op, VoidInvoice):
        chosen = pick(state.invoices, op.pick)
        invoice_id = chosen.id if chosen is not None else 999_999
        expected_error = NotFound if chosen is None else None
        if chosen is not None and chosen.status == "void":
            expected_error = Conflict

        def action() -> Awaitable[Any]:
            return invoices.void_invoice(db, operator_id, invoice_id, clock, reason="Mistake")

        async def on_success(view: Any) -> None:
            assert chosen is not None and view.status == "void" and view.paid_sen == 0
            model.balance_sen[chosen.customer_id] -= chosen.total_sen
            # A void monthly invoice lets go of its month: the next run bills it again.
            if chosen.period is not None:
                model.billed_periods[chosen.customer_id].discard(chosen.period)

    elif isinstance(op, VoidPayment):
        chosen = pick(state.payments, op.pick)
        payment_id = chosen.id if chosen is not None else 999_999
        expected_error = NotFound if chosen is None else None
        if chosen is not None and chosen.voided:
            expected_error = Conflict

        def action() -> Awaitable[Any]:
            return payments.void_payment(db, operator_id, payment_id, clock)

        async def on_success(view: Any) -> None:
            assert chosen is not None and view.voided and view.allocations == ()
            model.balance_sen[chosen.customer_id] += chosen.amount_sen

    elif isinstance(op, Archive):
        customer_id = model.customer_ids[op.family]

        def action() -> Awaitable[Any]:
            return customers.set_archived(db, operator_id, customer_id, op.archived)

        async def on_success(view: Any) -> None:
            assert view.archived is op.archived
            (model.archived.add if op.archived else model.archived.discard)(customer_id)

    elif isinstance(op, Adjust):
        customer_id = model.customer_ids[op.family]
        if customer_id in model.archived:
            expected_error = Conflict
        signed = -op.amount_sen if op.credit else op.amount_sen

        def action() -> Awaitable[Any]:
            return adjustments.add_adjustment(
                db,
                operator_id,
                customer_id,
                clock,
                audit.BOT,
                kind=adjustments.CREDIT if op.credit else adjustments.CHARGE,
                description="Lawatan sekolah" if not op.credit else "Van tidak jalan",
                amount_sen=op.amount_sen,
                timing=adjustments.NOW if op.now else adjustments.NEXT,
            )

        async def on_success(view: Any) -> None:
            assert view.amount_sen == op.amount_sen
            assert view.pending is not op.now
            if op.now:
                model.balance_sen[customer_id] += signed
            else:
                model.pending_sen[customer_id].append(signed)

    elif isinstance(op, LateFeePass):
        rule = model.late_fee
        expected = {
            inv.id: latefees.late_fee_for(rule, inv.total_sen - inv.paid_sen)
            for inv in state.invoices
            if rule.enabled
            and inv.status in OPEN_STATUSES
            and inv.id not in model.late_fees
            and inv.customer_id not in model.archived
            and latefees.fee_due(inv.due_date, today, rule.days)
        }
        expected = {iid: fee for iid, fee in expected.items() if fee > 0}

        def action() -> Awaitable[Any]:
            return latefees.add_late_fees(db, operator_id, clock)

        async def on_success(added: Any) -> None:
            assert {a.invoice_id: a.amount_sen for a in added} == expected
            owner = {inv.id: inv.customer_id for inv in state.invoices}
            for invoice_id, fee in expected.items():
                model.late_fees[invoice_id] = (fee, False)
                model.balance_sen[owner[invoice_id]] += fee

    elif isinstance(op, WaiveLateFee):
        chosen = pick(state.invoices, op.pick)
        invoice_id = chosen.id if chosen is not None else 999_999
        fee_sen, waived = model.late_fees.get(invoice_id, (0, False))
        if invoice_id not in model.late_fees:
            expected_error = NotFound
        elif waived or (chosen is not None and chosen.status == "void"):
            expected_error = Conflict

        def action() -> Awaitable[Any]:
            return latefees.waive_late_fee(db, operator_id, invoice_id, clock, audit.BOT)

        async def on_success(view: Any) -> None:
            assert chosen is not None and view.amount_sen == fee_sen
            assert view.total_sen == chosen.total_sen - fee_sen
            model.late_fees[invoice_id] = (fee_sen, True)
            model.balance_sen[chosen.customer_id] -= fee_sen

    else:
        assert isinstance(op, MonthlyRun)
        period = add_months(today.replace(day=1), op.offset)
        due = [
            (cid, fee)
            for cid, fee in zip(model.customer_ids, MONTHLY_FEE_SEN, strict=True)
            if fee is not None and period >= FIRST_PERIOD
        ]
        unbilled = [(cid, fee) for cid, fee in due if period not in model.billed_periods[cid]]
        already = len(due) - len(unbilled)
        to_bill = [(cid, fee) for cid, fee in unbilled if cid not in model.archived]
        held_back = {cid for cid, _ in unbilled if cid in model.archived}

        def action() -> Awaitable[Any]:
            return monthly.generate_month(db, operator_id, period, clock)

        async def on_success(report: Any) -> None:
            charges = {cid: sum(a for a in model.pending_sen[cid] if a > 0) for cid, _ in to_bill}
            assert report.created == len(to_bill)
            assert report.existing == already
            assert report.total_sen == sum(fee + charges[cid] for cid, fee in to_bill)
            assert len(report.invoice_ids) == len(to_bill)
            assert {s.customer_id for s in report.skipped if s.reason == "archived"} == held_back
            for cid, fee in to_bill:
                model.billed_periods[cid].add(period)
                # The waiting charges are lines on it; the waiting credits, credit notes.
                model.balance_sen[cid] += fee + sum(model.pending_sen.pop(cid, []))

    before = await snapshot(db, operator_id) if expected_error is not None else None
    if expected_error is None:
        await on_success(await action())
        return
    with pytest.raises(expected_error):
        await action()
    assert await snapshot(db, operator_id) == before, f"{op} failed but changed rows"


# ---------------------------------------------------------------------------------------------
# The scenario and the test


async def scenario(
    url: str,
    create_schema: bool,
    ops: list[Op],
    timezone: str,
    start: datetime,
    late_fee: latefees.LateFeeSettings = LATE_FEE_RULES[0],
) -> None:
    """Set up one operator and three families, then run ops, checking after every step."""
    db = Database(url)
    try:
        if create_schema:
            await migrate(db)
        clock = FixedClock(start)
        business = await make_business(db, clock, sibling_discount_bp=1000, timezone=timezone)
        made = []
        for name, children, route_plan in FAMILIES:
            if route_plan == "none":
                customer = await customers.add_customer(db, business.id, clock, name=name)
                child = await customers.add_child(
                    db, business.id, customer.id, clock, name=children[0]
                )
                made.append((customer.id, child.id))
            else:
                family = await make_family(
                    db, clock, business, name, children, both_routes=route_plan == "both"
                )
                made.append((family.id, family.children[0].id))
        model = Model(timezone, [m[0] for m in made], [m[1] for m in made], late_fee=late_fee)
        if late_fee.enabled:
            await latefees.set_settings(
                db,
                business.id,
                clock,
                audit.BOT,
                kind=late_fee.kind,
                amount_sen=late_fee.amount_sen,
                basis_points=late_fee.basis_points,
                days=late_fee.days,
            )
        state = await check_invariants(db, clock, business.id, model)
        for step, op in enumerate(ops):
            try:
                await apply(op, db, clock, business, model, state)
                state = await check_invariants(db, clock, business.id, model)
            except AssertionError as exc:
                raise AssertionError(f"after step {step} ({op}): {exc}") from exc
        await check_reports(db, clock, business.id, model)
    finally:
        await db.dispose()


@pytest.fixture(params=["sqlite", "mysql"])
def fresh_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], tuple[str, bool]]]:
    """Return a factory of empty databases: (url, whether the schema must still be created)."""
    counter = itertools.count()
    if request.param == "sqlite":

        def make_sqlite() -> tuple[str, bool]:
            return f"sqlite+aiosqlite:///{tmp_path / f'example-{next(counter)}.db'}", True

        yield make_sqlite
    else:
        scratch: ScratchMySQL = request.getfixturevalue("mysql_scratch")

        def make_mysql() -> tuple[str, bool]:
            scratch.empty()
            return scratch.url, False

        yield make_mysql
        scratch.empty()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(
    ops=st.lists(operations, min_size=3, max_size=12),
    timezone=st.sampled_from(ZONES),
    start=st.sampled_from(STARTS),
    late_fee=st.sampled_from(LATE_FEE_RULES),
)
def test_random_billing_keeps_the_books_consistent_after_every_step(
    fresh_database: Callable[[], tuple[str, bool]],
    ops: list[Op],
    timezone: str,
    start: datetime,
    late_fee: latefees.LateFeeSettings,
) -> None:
    url, create_schema = fresh_database()
    asyncio.run(scenario(url, create_schema, ops, timezone, start, late_fee))
