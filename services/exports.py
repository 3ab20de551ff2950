"""CSV exports: customers, invoices, payments (amounts exact, 2 decimals) and the history."""

from __future__ import annotations

import csv
import io
import json
import re

from sqlalchemy import and_, select

from vanbill.services import audit
from vanbill.services.clock import zone
from vanbill.services.db import Database
from vanbill.services.models import (
    Child,
    Customer,
    Enrollment,
    Invoice,
    Operator,
    Payment,
    Service,
)
from vanbill.services.views import METHOD_LABELS

_NUMBER = re.compile(r"^[+-]?\d[\d .-]*$")


def _ringgit(sen: int) -> str:
    """Return sen as a plain decimal string (1234.50), exact, for spreadsheets."""
    sign = "-" if sen < 0 else ""
    whole, frac = divmod(abs(sen), 100)
    return f"{sign}{whole}.{frac:02d}"


def _defuse(value: object) -> object:
    """Quote text a spreadsheet would run as a formula (=, +, -, @), but not a phone number.

    An empty cell stays empty (`"" in "=+-@"` is true, so the first character is tested alone).
    """
    if isinstance(value, str) and value and value[0] in "=+-@" and not _NUMBER.match(value):
        return "'" + value
    return value


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_defuse(v) for v in row])
    # A BOM so spreadsheet programs read Chinese and Tamil names as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


async def _open_routes(
    session, operator_id: int
) -> dict[int, tuple[list[str], list[int], set[int | None]]]:  # type: ignore[no-untyped-def]
    """Return each child's routes with no last month, their fees and the special fees."""
    taken: dict[int, tuple[list[str], list[int], set[int | None]]] = {}
    rows = await session.execute(
        select(
            Enrollment.child_id, Service.name, Service.monthly_fee_sen, Enrollment.fee_override_sen
        )
        .join(
            Service,
            and_(
                Service.operator_id == Enrollment.operator_id, Service.id == Enrollment.service_id
            ),
        )
        .where(Enrollment.operator_id == operator_id, Enrollment.end_month.is_(None))
        .order_by(Enrollment.child_id, Enrollment.id)
    )
    for child_id, name, route_fee, fee in rows:
        names, route_fees, fees = taken.setdefault(child_id, ([], [], set()))
        if name not in names:
            names.append(name)
            route_fees.append(route_fee)
        fees.add(fee)
    return taken


NONE: tuple[list[str], list[int], set[int | None]] = ([], [], set())


def _special_fee(fees: set[int | None]) -> str:
    """Return the one special fee a child's routes share, as the import's fee column reads it."""
    (fee,) = fees if len(fees) == 1 else (None,)
    return "" if fee is None else _ringgit(fee)


async def export_customers(db: Database, operator_id: int) -> bytes:
    """Return the operator's families, children and their routes as CSV (/import reads it)."""
    async with db.sessions() as session:
        taken = await _open_routes(session, operator_id)
        rows = await session.execute(
            select(Customer, Child)
            .outerjoin(
                Child,
                and_(Child.operator_id == Customer.operator_id, Child.customer_id == Customer.id),
            )
            .where(Customer.operator_id == operator_id)
            .order_by(Customer.name, Customer.id, Child.id)
        )
        out = [
            [
                c.id,
                c.name,
                c.phone or "",
                "yes" if c.telegram_chat_id else "no",
                "yes" if c.archived else "no",
                ch.name if ch else "",
                ch.category if ch else "",
                ch.birth_year if ch and ch.birth_year else "",
                ch.school if ch else "",
                "; ".join(taken.get(ch.id, NONE)[0]) if ch else "",
                "; ".join(_ringgit(fee) for fee in taken.get(ch.id, NONE)[1]) if ch else "",
                _special_fee(taken.get(ch.id, NONE)[2]) if ch else "",
                c.notes,
            ]
            for c, ch in rows
        ]
    return _csv(
        [
            "customer_id",
            "parent",
            "phone",
            "linked",
            "archived",
            "child",
            "category",
            "birth_year",
            "school",
            "routes",
            "route_fees",
            "fee",
            "notes",
        ],
        out,
    )


async def export_invoices(db: Database, operator_id: int) -> bytes:
    """Return the operator's invoices as CSV."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(Invoice, Customer.name)
            .join(
                Customer,
                and_(
                    Customer.operator_id == Invoice.operator_id, Customer.id == Invoice.customer_id
                ),
            )
            .where(Invoice.operator_id == operator_id)
            .order_by(Invoice.issue_date, Invoice.id)
        )
        out = [
            [
                inv.number,
                name,
                inv.period.strftime("%Y-%m") if inv.period else "",
                inv.issue_date.isoformat(),
                inv.due_date.isoformat(),
                inv.status,
                _ringgit(inv.subtotal_sen),
                _ringgit(inv.discount_sen),
                _ringgit(inv.total_sen),
                _ringgit(inv.paid_sen),
                _ringgit(0 if inv.status == "void" else inv.total_sen - inv.paid_sen),
            ]
            for inv, name in rows
        ]
    return _csv(
        [
            "number",
            "parent",
            "period",
            "issue_date",
            "due_date",
            "status",
            "subtotal",
            "discount",
            "total",
            "paid",
            "balance",
        ],
        out,
    )


async def export_payments(db: Database, operator_id: int) -> bytes:
    """Return the operator's payments as CSV."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(Payment, Customer.name)
            .join(
                Customer,
                and_(
                    Customer.operator_id == Payment.operator_id, Customer.id == Payment.customer_id
                ),
            )
            .where(Payment.operator_id == operator_id)
            .order_by(Payment.paid_on, Payment.id)
        )
        out = [
            [
                p.receipt_number,
                name,
                p.paid_on.isoformat(),
                _ringgit(p.amount_sen),
                METHOD_LABELS.get(p.method, p.method),
                p.reference,
                "yes" if p.voided else "no",
            ]
            for p, name in rows
        ]
    return _csv(["receipt", "parent", "paid_on", "amount", "method", "reference", "void"], out)


async def export_history(db: Database, operator_id: int) -> bytes:
    """Return the operator's audit log as CSV, oldest first (times in UTC and local)."""
    async with db.sessions() as session:
        tz = (
            await session.execute(select(Operator.timezone).where(Operator.id == operator_id))
        ).scalar_one()
        names = dict(
            (
                await session.execute(
                    select(Customer.id, Customer.name).where(Customer.operator_id == operator_id)
                )
            ).all()
        )
    out = [
        [
            e.at.isoformat(),
            e.at.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M"),
            e.actor.kind,
            e.actor.telegram_user_id if e.actor.telegram_user_id is not None else "",
            e.action,
            e.entity,
            e.entity_id if e.entity_id is not None else "",
            names.get(e.customer_id, "") if e.customer_id is not None else "",
            json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
            json.dumps(e.after, ensure_ascii=False) if e.after is not None else "",
            e.reason,
        ]
        for e in await audit.operator_log(db, operator_id)
    ]
    header = ["at_utc", "at_local", "actor", "actor_telegram_id", "action", "entity"]
    header += ["entity_id", "parent", "before", "after", "reason"]
    return _csv(header, out)
