"""The summary report: invoiced, collected, outstanding, overdue per month, and top debtors."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.data.factories import make_business, make_family
from vanbill.services import monthly, payments, reports
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database


async def test_the_report_adds_up_each_month_to_the_sen(db: Database, clock: FixedClock) -> None:
    clock.set(datetime(2026, 1, 1, 2, tzinfo=UTC))
    biz = await make_business(db, clock)
    aminah = await make_family(db, clock, biz, "Aminah")
    bala = await make_family(db, clock, biz, "Bala", ("Budi", "Bunga"))
    await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock)  # 150 + 300, due 7 Jan
    clock.set(datetime(2026, 1, 20, 2, tzinfo=UTC))
    await payments.record_payment(db, biz.id, aminah.id, clock, amount_sen=15000, method="cash")
    await payments.record_payment(db, biz.id, bala.id, clock, amount_sen=10050, method="duitnow")
    clock.set(datetime(2026, 2, 1, 2, tzinfo=UTC))
    await monthly.generate_month(db, biz.id, date(2026, 2, 1), clock)  # due 7 Feb
    clock.set(datetime(2026, 2, 10, 2, tzinfo=UTC))
    report = await reports.summary_report(db, biz.id, clock, months=3)
    dec, jan, feb = report.months
    assert dec.month == date(2025, 12, 1) and dec.invoiced_sen == 0
    assert (jan.invoiced_sen, jan.collected_sen) == (45000, 25050)
    assert jan.outstanding_sen == 45000 - 25050
    assert jan.overdue_count == 1  # Bala, partly paid, past 7 Jan at the end of January
    assert jan.collection_rate_bp == 5566
    assert (feb.invoiced_sen, feb.collected_sen) == (45000, 0)
    assert feb.outstanding_sen == 19950 + 45000
    assert feb.overdue_count == 3  # as of 10 Feb: Bala's January, and both February invoices
    assert [(d.name, d.owed_sen) for d in report.top_debtors] == [
        ("Bala", 19950 + 30000),
        ("Aminah", 15000),
    ]
    assert report.overdue_families == 2
    assert report.generated_on == date(2026, 2, 10)


async def test_an_empty_business_reports_zeros_not_errors(db: Database, clock: FixedClock) -> None:
    biz = await make_business(db, clock)
    report = await reports.summary_report(db, biz.id, clock)
    assert len(report.months) == 12
    assert all(m.invoiced_sen == m.collected_sen == m.outstanding_sen == 0 for m in report.months)
    assert report.months[-1].month == date(2026, 1, 1)
    assert report.months[0].collection_rate_bp is None
    assert report.top_debtors == ()


async def test_a_family_paying_over_is_credit_not_a_collection_rate_over_100_percent(
    db: Database, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 1, 1, 2, tzinfo=UTC))
    biz = await make_business(db, clock)
    aminah = await make_family(db, clock, biz, "Aminah", ("Ali", "Ani"))  # 150 + 150 - 0
    bala = await make_family(db, clock, biz, "Bala", ("Budi",), both_routes=True)  # 150 + 120
    await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock)  # RM 570 in all
    clock.set(datetime(2026, 1, 20, 2, tzinfo=UTC))
    await payments.record_payment(db, biz.id, aminah.id, clock, amount_sen=35000, method="cash")
    await payments.record_payment(db, biz.id, bala.id, clock, amount_sen=27000, method="cash")
    report = await reports.summary_report(db, biz.id, clock, months=1)
    (jan,) = report.months
    assert (jan.invoiced_sen, jan.collected_sen, jan.settled_sen) == (57000, 62000, 57000)
    assert jan.collection_rate_bp == 10_000  # not 62000 / 57000 = 108.8%
    assert (report.credit_sen, report.families_in_credit) == (5000, 1)
    assert jan.outstanding_sen == 0

    # February's invoice takes the credit: January stays at 100%, February is 5000 / 30000 paid.
    clock.set(datetime(2026, 2, 1, 2, tzinfo=UTC))
    await monthly.generate_month(db, biz.id, date(2026, 2, 1), clock)
    report = await reports.summary_report(db, biz.id, clock, months=2)
    jan, feb = report.months
    assert jan.collection_rate_bp == 10_000
    assert (feb.invoiced_sen, feb.collected_sen, feb.settled_sen) == (57000, 0, 5000)
    assert feb.collection_rate_bp == 5000 * 10_000 // 57000
    assert (report.credit_sen, report.families_in_credit) == (0, 0)
