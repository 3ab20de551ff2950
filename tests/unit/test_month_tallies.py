"""The summary's per-month tallies from (date, amount) groups (reports.month_tallies)."""

from __future__ import annotations

from datetime import date

from vanbill.services.reports import month_tallies

STARTS = [date(2026, 1, 1), date(2026, 2, 1)]
ENDS = [date(2026, 2, 1), date(2026, 3, 1)]
AS_OFS = [date(2026, 1, 31), date(2026, 2, 10)]  # February is this month, today the 10th


def test_a_january_invoice_paid_in_february_is_outstanding_at_januarys_end_only() -> None:
    invoices = [(date(2026, 1, 1), date(2026, 1, 7), date(2026, 2, 3), 15000, 1)]
    allocations = [(date(2026, 1, 1), date(2026, 2, 3), 15000)]

    invoiced, issued_by, settled, own, overdue = month_tallies(
        STARTS, ENDS, AS_OFS, invoices, allocations
    )

    assert invoiced == [15000, 0]
    assert [i - s for i, s in zip(issued_by, settled, strict=True)] == [15000, 0]
    assert own == [0, 0]  # not paid by January's end
    assert overdue == [1, 0]  # overdue on 31 January, closed on 3 February


def test_credit_paid_before_the_invoice_counts_from_the_invoices_month() -> None:
    invoices = [(date(2026, 2, 1), date(2026, 2, 7), date(2026, 2, 1), 12000, 1)]
    allocations = [(date(2026, 2, 1), date(2026, 1, 20), 12000)]

    invoiced, issued_by, settled, own, overdue = month_tallies(
        STARTS, ENDS, AS_OFS, invoices, allocations
    )

    assert (invoiced, issued_by, settled, own, overdue) == (
        [0, 12000],
        [0, 12000],
        [0, 12000],
        [0, 12000],
        [0, 0],
    )


def test_an_open_invoice_is_overdue_only_after_its_due_date() -> None:
    invoices = [(date(2026, 2, 1), date(2026, 2, 10), None, 5000, 3)]

    *_, overdue = month_tallies(STARTS, ENDS, AS_OFS, invoices, [])

    assert overdue == [0, 0]  # due on the 10th, today is the 10th: not yet
    *_, overdue = month_tallies(STARTS, ENDS, [AS_OFS[0], date(2026, 2, 11)], invoices, [])
    assert overdue == [0, 3]
