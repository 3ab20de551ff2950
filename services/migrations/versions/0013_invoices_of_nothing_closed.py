"""Invoices of nothing (RM 0.00, paid when issued) closed on their issue date

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Close the paid invoices that were never closed.

    From 0006 to 0012 an invoice issued for RM 0.00 (a 100% discount, a charge of nothing) was
    paid from the start but kept closed_on empty, because only a payment set it; the summary
    then counted it overdue once its due date passed. Such an invoice closed the day it was
    issued (payments.refresh_invoices says the same of a paid invoice with no payment), and
    that is all this changes: no schema, only those rows.
    """
    if context.is_offline_mode():  # schema.sql is rendered offline, for an empty database
        return
    invoices = sa.table(
        "invoices",
        sa.column("status", sa.String()),
        sa.column("total_sen", sa.BigInteger()),
        sa.column("issue_date", sa.Date()),
        sa.column("closed_on", sa.Date()),
    )
    op.get_bind().execute(
        invoices.update()
        .where(
            invoices.c.status == "paid",
            invoices.c.total_sen == 0,
            invoices.c.closed_on.is_(None),
        )
        .values(closed_on=invoices.c.issue_date)
    )


def downgrade() -> None:
    """Nothing to undo: an invoice of nothing closed on its issue date is right before 0013 too."""
