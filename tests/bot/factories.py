"""Builders for the billing bot tests: a business, families and invoices made through services."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from pypdf import PdfReader
from sqlalchemy import update

from tests.bot.conftest import OPERATOR, PARENT, BotHarness
from tests.bot.fake_telegram import Call
from tests.data.factories import Business, Family, make_business, make_family
from vanbill.services import customers, invoices, links, monthly, operators, routes
from vanbill.services.billing import NewLine
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.models import Customer
from vanbill.services.views import InvoiceView

SITI_PHONE = "+60123456789"


async def business(harness: BotHarness, **profile: object) -> Business:
    """Create OPERATOR's business (Van Kak Ros, due day 7) with its two routes."""
    return await make_business(harness.db, harness.clock, OPERATOR.id, **profile)


async def siti(
    harness: BotHarness,
    biz: Business,
    *,
    linked: bool = True,
    children: tuple[str, ...] = ("Aisyah",),
    both_routes: bool = False,
) -> Family:
    """Create the Siti Nurhaliza family on the morning route, linked to PARENT unless told."""
    family = await make_family(
        harness.db,
        harness.clock,
        biz,
        "Siti Nurhaliza",
        children,
        phone=SITI_PHONE,
        both_routes=both_routes,
    )
    if linked:
        # Without the operator's "now linked" notice: tests count what their own steps send.
        await links.link_by_phone(
            harness.db, PARENT.id, PARENT.id, SITI_PHONE, harness.clock, tell_operator=False
        )
    return family


async def invoice(
    harness: BotHarness,
    operator_id: int,
    customer_id: int,
    amount_sen: int = 15000,
    *,
    description: str = "School transport",
    issue_date: date | None = None,
    due_date: date | None = None,
) -> InvoiceView:
    """Create a one-line invoice through the service."""
    return await invoices.create_invoice(
        harness.db,
        operator_id,
        customer_id,
        harness.clock,
        [NewLine(description=description, unit_price_sen=amount_sen)],
        issue_date=issue_date,
        due_date=due_date,
    )


async def second_business(harness: BotHarness, telegram_user_id: int) -> int:
    """Create another operator's account; return its id."""
    other = await operators.ensure_operator(harness.db, telegram_user_id, harness.clock)
    # An account in use: /start greets it rather than leading it through the set-up.
    await operators.update_profile(harness.db, other.id, setup_step="done")
    return other.id


def pdf_text(call: Call) -> str:
    """Return the text of the PDF a sendDocument call carried, as pypdf extracts it."""
    stored = call.files["document"]
    reader = PdfReader(io.BytesIO(stored.content))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def documents_to(harness: BotHarness, chat_id: int) -> list[Call]:
    """Return the documents the bot sent to a chat, oldest first."""
    return [c for c in harness.tg.calls_to(chat_id, "sendDocument") if c.ok]


async def wait_for_document(harness: BotHarness, chat_id: int, count: int = 1) -> Call:
    """Wait until chat_id has received count documents (the outbox sends in the background)."""
    await harness.tg.wait_for(lambda: len(documents_to(harness, chat_id)) >= count, timeout=10)
    return documents_to(harness, chat_id)[count - 1]


def with_buttons(harness: BotHarness, chat_id: int) -> Call:
    """Return the latest message in chat_id that has buttons."""
    return [c for c in harness.tg.seen_by(chat_id) if c.buttons][-1]


async def press(harness: BotHarness, label: str, user: Any = OPERATOR) -> list[Call]:
    """Press the button labelled label on the latest message with buttons; return the replies."""
    return await harness.press_button(user, with_buttons(harness, user.id), label)


async def reply_to(harness: BotHarness, user: Any, text: str, message: Call) -> list[Call]:
    """Send text as a reply to a message the bot sent; return what the user saw."""
    update = harness.tg.send_message(user, text)
    # The fake keeps the update until the bot polls, so it can still be made a reply here.
    assert message.message_id is not None
    update["message"]["reply_to_message"] = harness.tg.message(user.id, message.message_id)
    return await harness.deliver(update, user.id)


def sent(calls: list[Call], method: str = "sendMessage") -> list[Call]:
    """Return the calls of one method (e.g. the messages among a button press's replies)."""
    return [c for c in calls if c.method == method]


async def linked_month_queued(
    db: Database, clock: FixedClock, families: int, *, period: date, first_chat: int
) -> list[int]:
    """Create OPERATOR with `families` linked one-child families on one route, bill `period`
    with every invoice queued for delivery, and return the families' chat ids in order."""
    operator = await operators.ensure_operator(db, OPERATOR.id, clock)
    route = await routes.add_service(db, operator.id, clock, name="Morning", monthly_fee_sen=15000)
    chats = []
    for n in range(families):
        family = await customers.add_customer(db, operator.id, clock, name=f"Parent {n:02d}")
        child = await customers.add_child(db, operator.id, family.id, clock, name=f"Kid {n}")
        await routes.enroll(
            db, operator.id, clock, child_id=child.id, service_id=route.id, start_month=period
        )
        async with db.sessions.begin() as session:
            await session.execute(
                update(Customer)
                .where(Customer.id == family.id)
                .values(telegram_user_id=first_chat + n, telegram_chat_id=first_chat + n)
            )
        chats.append(first_chat + n)
    report = await monthly.generate_month(db, operator.id, period, clock, deliver=True)
    assert report.created == families
    return chats
