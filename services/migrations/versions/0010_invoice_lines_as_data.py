"""Invoice lines store what they bill: the month, the route and a part month's days and rule

Revision ID: 0010
Revises: 0008
"""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from alembic import context, op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

RULES = "part_rule IS NULL OR part_rule IN ('full', 'half', 'none', 'days', 'school_days')"
# What 0.1.0 to 0008 wrote into a route line: "Morning: Taman Melati → schools — August 2026",
# a part month followed by " (from 5 Mar, by days)" or " (to 20 Mar, half month)".
MONTHS = [
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
LINE = re.compile(
    r"^(?P<route>.+) — (?P<month>" + "|".join(MONTHS) + r") (?P<year>\d{4})"
    r"(?: \((?P<note>[^()]*)\))?$"
)
NOTE = re.compile(
    r"^(?:from (?P<first>\d{1,2}) \w{3})?\s*(?:to (?P<last>\d{1,2}) \w{3})?, "
    r"(?P<rule>full month|half month|not billed|by days|by school days)$"
)
RULE_WORDS = {
    "full month": "full",
    "half month": "half",
    "not billed": "none",
    "by days": "days",
    "by school days": "school_days",
}


def parse_line(description: str) -> dict[str, object] | None:
    """Return the month, route and part month an old line's English description names."""
    found = LINE.match(description)
    if found is None:
        return None
    month = date(int(found["year"]), MONTHS.index(found["month"]) + 1, 1)
    values: dict[str, object] = {"period": month, "route_name": found["route"][:100]}
    if found["note"] is not None:
        note = NOTE.match(found["note"])
        if note is None or not (note["first"] or note["last"]):
            return None
        try:
            if note["first"]:
                values["part_from"] = month.replace(day=int(note["first"]))
            if note["last"]:
                values["part_to"] = month.replace(day=int(note["last"]))
        except ValueError:
            return None
        values["part_rule"] = RULE_WORDS[note["rule"]]
    return values


def upgrade() -> None:
    """Invoice lines store what they bill: the month, the route and a part month's days and rule"""
    with op.batch_alter_table("invoice_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("period", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("route_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("part_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("part_to", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("part_rule", sa.String(length=20), nullable=True))
        batch_op.create_check_constraint("ck_invoice_items_part_rule", RULES)
    if context.is_offline_mode():  # schema.sql is rendered offline, for an empty database
        return
    items = sa.table(
        "invoice_items",
        sa.column("id", sa.BigInteger()),
        sa.column("service_id", sa.BigInteger()),
        sa.column("description", sa.String()),
        sa.column("period", sa.Date()),
        sa.column("route_name", sa.String()),
        sa.column("part_from", sa.Date()),
        sa.column("part_to", sa.Date()),
        sa.column("part_rule", sa.String()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(items.c.id, items.c.description).where(items.c.service_id.is_not(None))
    ).all()
    for item_id, description in rows:
        values = parse_line(description)
        if values is not None:
            bind.execute(items.update().where(items.c.id == item_id).values(**values))


def downgrade() -> None:
    """Undo: invoice lines store what they bill"""
    with op.batch_alter_table("invoice_items", schema=None) as batch_op:
        batch_op.drop_constraint("ck_invoice_items_part_rule", type_="check")
        for column in ("part_rule", "part_to", "part_from", "route_name", "period"):
            batch_op.drop_column(column)
