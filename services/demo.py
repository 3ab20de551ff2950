"""The offline demo: a small van business with a quarter of billing, on any database.

`seed_demo` fills it in once (running it again changes nothing); the CLI's `vanbill demo` then
writes the documents and the chart and prints the families' balances.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from vanbill.services import customers, invoices, monthly, operators, payments, routes
from vanbill.services.clock import Clock, FixedClock, local_today
from vanbill.services.db import Database
from vanbill.services.models import Customer
from vanbill.services.periods import add_months
from vanbill.services.views import OperatorView

DEMO_TELEGRAM_USER_ID = 0  # no real Telegram user has id 0

# (parent, phone, [(child, category, birth year, school)], takes the afternoon route too)
FAMILIES: list[tuple[str, str, list[tuple[str, str, int, str]], bool]] = [
    (
        "Nur Aisyah binti Ahmad",
        "012-345 6789",
        [
            ("Muhammad Adam", "primary", 2016, "SK Taman Melati"),
            ("Nur Iman", "primary", 2018, "SK Taman Melati"),
            ("Aqil Hakimi", "kindergarten", 2021, "Tadika Sri Melati"),
        ],
        True,
    ),
    ("陈美玲", "016-222 3344", [("林子豪", "primary", 2017, "SJK(C) Chung Hwa")], True),
    (
        "குமார் a/l Subramaniam",
        "017-888 1212",
        [
            ("பிரியா", "primary", 2015, "SJK(T) Setapak"),
            ("Arjun", "secondary", 2012, "SMK Setapak"),
        ],
        False,
    ),
    (
        "Siti Hajar binti Yusof",
        "013-456 7788",
        [("Hana Sofea", "primary", 2016, "SK Setapak")],
        False,
    ),
    (
        "Tan Wei Ming",
        "012-777 9090",
        [("Tan Jia Hui", "secondary", 2011, "SMK Wangsa Maju")],
        True,
    ),
    ("Rajesh Krishnan", "019-300 4000", [("Kavya", "primary", 2017, "SK Setapak")], False),
    (
        "José Müller",
        "+60 11-2345 6789",
        [("Léa Müller", "primary", 2016, "SK Taman Melati")],
        False,
    ),
    (
        "Lim Siew Ling",
        "012-505 6060",
        [("Lim Kai Xin", "primary", 2018, "SJK(C) Chung Hwa")],
        False,
    ),
    (
        "Ahmad Faizal bin Rahman",
        "014-999 1010",
        [
            ("Danish", "primary", 2015, "SK Setapak"),
            ("Damia", "kindergarten", 2021, "Tadika Ceria"),
        ],
        False,
    ),
    (
        "Wong Mei Fong",
        "018-121 3434",
        [("Wong Zi Xuan", "primary", 2016, "SJK(C) Chung Hwa")],
        True,
    ),
    ("Lakshmi Devi", "012-606 7070", [("Meera", "secondary", 2012, "SMK Wangsa Maju")], False),
    (
        "Farah Nadia binti Kamal",
        "011-1000 2000",
        [("Irfan Hakim", "primary", 2017, "SK Setapak")],
        False,
    ),
]


@dataclass(frozen=True)
class DemoBusiness:
    """What the demo made (or found already made)."""

    operator: OperatorView
    created: bool
    invoice_ids: tuple[int, ...]
    payment_ids: tuple[int, ...]
    statement_customer_id: int
    months: tuple[date, ...]


def _morning(day: date) -> datetime:
    """Return 08:00 in Kuala Lumpur on day, as UTC."""
    return datetime(day.year, day.month, day.day, 0, 0, tzinfo=UTC)


async def seed_demo(db: Database, clock: Clock) -> DemoBusiness:
    """Create the demo business with three months billed and some payments, once."""
    today = local_today(clock, "Asia/Kuala_Lumpur")
    months = tuple(add_months(today.replace(day=1), i) for i in (-2, -1, 0))
    operator = await operators.ensure_operator(db, DEMO_TELEGRAM_USER_ID, clock)
    async with db.sessions() as session:
        existing = (
            await session.execute(select(func.count()).where(Customer.operator_id == operator.id))
        ).scalar_one()
    created = existing == 0
    if created:
        await _fill(db, clock, operator.id, months, today)
    operator = await operators.get_operator(db, operator.id)
    listed = await payments.list_payments(db, operator.id, limit=500)
    made = await invoices.list_invoices(db, operator.id, clock, limit=500)
    first_family = min(i.customer_id for i in made)
    return DemoBusiness(
        operator=operator,
        created=created,
        invoice_ids=tuple(i.id for i in made),
        payment_ids=tuple(p.id for p in sorted(listed, key=lambda p: p.id) if not p.voided),
        statement_customer_id=first_family,
        months=months,
    )


async def _fill(
    db: Database, clock: Clock, operator_id: int, months: tuple[date, ...], today: date
) -> None:
    await operators.update_profile(
        db,
        operator_id,
        business_name="Van Sekolah Kak Ros",
        address="12, Jalan Melati 3, Taman Melati, 53100 Kuala Lumpur",
        phone="+60 12-345 0000",
        bank_name="Maybank",
        bank_account="5140 1234 5678",
        duitnow_id="+60123450000",
        payment_note="Please quote the invoice number when you transfer.",
        payment_qr_payload="00020101021126580014A000000615000101065881560215DEMO-KAK-ROS5204"
        "000053034585802MY5910KAK ROS VAN6012KUALA LUMPUR6304ABCD",
        due_day=7,
        sibling_discount_bp=1000,
    )
    morning = await routes.add_service(
        db,
        operator_id,
        clock,
        name="Morning: Taman Melati → schools",
        monthly_fee_sen=15000,
        description="Pick-up from 6:30 am",
    )
    afternoon = await routes.add_service(
        db,
        operator_id,
        clock,
        name="Afternoon: schools → Taman Melati",
        monthly_fee_sen=12000,
        description="Drop-off by 2:30 pm",
    )
    families = []
    for parent, phone, children, both in FAMILIES:
        family = await customers.add_customer(db, operator_id, clock, name=parent, phone=phone)
        families.append(family)
        for name, category, born, school in children:
            child = await customers.add_child(
                db,
                operator_id,
                family.id,
                clock,
                name=name,
                category=category,
                birth_year=born,
                school=school,
            )
            for service in (morning, afternoon) if both else (morning,):
                await routes.enroll(
                    db,
                    operator_id,
                    clock,
                    child_id=child.id,
                    service_id=service.id,
                    start_month=months[0],
                )
    # Month by month, as it would have happened: bill on the 1st, payments come in by the 6th.
    # Most families pay in full, two pay a third, two have not paid, one pays a month ahead.
    billing = FixedClock(_morning(months[0]))
    methods = ("bank_transfer", "duitnow", "cash")
    for number, month in enumerate(months):
        billing.set(_morning(month))
        report = await monthly.generate_month(db, operator_id, month, billing)
        pay_day = min(month + timedelta(days=5), today)
        billing.set(_morning(pay_day))
        for index, family in enumerate(families):
            if index in (3, 7):
                continue
            due = await invoices.list_invoices(
                db, operator_id, billing, customer_id=family.id, period=month
            )
            owed = sum(i.balance_sen for i in due if i.id in report.invoice_ids)
            amount = owed // 3 if index in (1, 5) else owed
            if index == 4 and number == 0:
                amount = owed * 2
            if amount <= 0:
                continue
            await payments.record_payment(
                db,
                operator_id,
                family.id,
                billing,
                amount_sen=amount,
                method=methods[index % 3],
                reference=f"DEMO-{month:%m}-{index:02d}",
                paid_on=pay_day,
            )
