"""The summary's per-month figures from its ledger and the overdue invoices (reports.py)."""

from __future__ import annotations

from datetime import date

from vanbill.services.reports import ledger_figures, overdue_counts

JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)
STARTS = [JAN, FEB]
AS_OFS = [date(2026, 1, 31), date(2026, 2, 10)]  # February is this month, today the 10th


def test_a_january_invoice_paid_in_february_is_outstanding_at_januarys_end_only() -> None:
    # The ledger counts the February payment in February (the later of the two months).
    invoiced, outstanding, own = ledger_figures(
        STARTS, 0, {JAN: (15000, 0, 0), FEB: (0, 15000, 0)}
    )

    assert invoiced == [15000, 0]
    assert outstanding == [15000, 0]
    assert own == [0, 0]  # not paid by January's end
    overdue = overdue_counts(AS_OFS, [(date(2026, 1, 7), date(2026, 2, 3), 1)])
    assert overdue == [1, 0]  # overdue on 31 January, closed on 3 February


def test_what_was_owed_before_the_first_month_carries_into_every_month() -> None:
    invoiced, outstanding, own = ledger_figures(STARTS, 4000, {FEB: (12000, 12000, 12000)})

    assert (invoiced, outstanding, own) == ([0, 12000], [4000, 4000], [0, 12000])


def test_a_month_with_no_ledger_row_invoiced_and_settled_nothing() -> None:
    assert ledger_figures(STARTS, 0, {}) == ([0, 0], [0, 0], [0, 0])


def test_an_open_invoice_is_overdue_only_after_its_due_date() -> None:
    groups = [(date(2026, 2, 10), None, 3)]

    assert overdue_counts(AS_OFS, groups) == [0, 0]  # due on the 10th, today is the 10th
    assert overdue_counts([AS_OFS[0], date(2026, 2, 11)], groups) == [0, 3]
