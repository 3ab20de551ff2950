"""One operator and six families through the school year 2026, with a pinned clock, through the
real Application and the loopback fake Bot API.

What happens: every month's run at 08:00 on the 1st; June and December are holiday months; a
child joins on 16 March, billed by days on an invoice of their own; a family is added on
10 April after the run and billed the month in full; a school-trip charge goes on the next
invoice (July, June being a holiday); a goodwill credit note in May settles July first; the
morning route's fee rises in July; a child leaves on 14 August, billed by days, the rest of the
month's fee a credit note; a late fee in March stays, another in September is waived with one
tap. At the end every invoice total, every balance and the year's report are what the test
works out from the fees, and every parent received exactly the documents expected.

Every payment is recorded through /paid (the real conversation, the parent getting the
receipt). Mistakes are corrected in the chat too: in October Aminah's payment is typed RM 16
instead of RM 160, voided from the family card (the parent gets the receipt again stamped VOID)
and entered again; in November Chong's invoice, paid already, is voided (stamped VOID to the
parent, the money Chong's credit) and re-issued for November with /newinvoice, the credit
settling it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from tests.bot.conftest import OPERATOR, BotHarness, texts
from tests.bot.factories import business, documents_to, press
from tests.bot.fake_telegram import Call, TgUser
from tests.data.factories import make_family
from vanbill.services import accounts, customers, delivery, invoices, reports, routes
from vanbill.services.clock import zone
from vanbill.services.models import Customer
from vanbill.services.periods import add_months

# Minutes of end-to-end run: outside the default suite (`bash .ci/dev test-all`).
pytestmark = pytest.mark.long

KL = zone("Asia/Kuala_Lumpur")
MORNING, AFTERNOON, MORNING_FROM_JULY = 15000, 12000, 16000
PARENTS = {name: TgUser(2100 + i, name) for i, name in enumerate("ABCDEF", start=1)}
FAMILIES = dict(zip("ABCDEF", ("Aminah", "Bala", "Chong", "Devi", "Eng", "Farah"), strict=True))
HOLIDAYS = (date(2026, 6, 1), date(2026, 12, 1))


def at(day: date, hour: int = 10) -> datetime:
    """Return that local hour of day in Kuala Lumpur, as UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=KL).astimezone(UTC)


def morning(month: date) -> int:
    """Return the morning route's fee in a month."""
    return MORNING_FROM_JULY if month >= date(2026, 7, 1) else MORNING


def half_up(numerator: int, denominator: int) -> int:
    """Round numerator/denominator half up (what the bot does to the sen)."""
    return (2 * numerator + denominator) // (2 * denominator)


async def _tick(harness: BotHarness) -> object:
    assert harness.application is not None
    return await harness.application.bot_data.services.scheduler.tick()


async def _documents_arrive(harness: BotHarness, expected: Counter[str]) -> None:
    def arrived() -> bool:
        return all(
            len(documents_to(harness, PARENTS[name].id)) >= count
            for name, count in expected.items()
        )

    await harness.tg.wait_for(arrived, timeout=60)


async def test_a_whole_school_year(harness: BotHarness) -> None:
    harness.clock.set(at(date(2026, 1, 1), 7))
    biz = await business(harness)
    db, clock = harness.db, harness.clock
    made = {
        "A": await make_family(db, clock, biz, "Aminah", ("Adam",)),
        "B": await make_family(db, clock, biz, "Bala", ("Bavani", "Bharat")),
        "C": await make_family(db, clock, biz, "Chong", ("Chen",), both_routes=True),
        "E": await make_family(db, clock, biz, "Eng", ("Emily",)),
    }
    devi = await customers.add_customer(db, biz.id, clock, name="Devi")
    dinesh = await customers.add_child(db, biz.id, devi.id, clock, name="Dinesh")
    await routes.enroll(
        db,
        biz.id,
        clock,
        child_id=dinesh.id,
        service_id=biz.afternoon.id,
        start_month=date(2026, 1, 1),
    )
    ids = {name: family.id for name, family in made.items()} | {"D": devi.id}
    for name, customer_id in ids.items():
        await _link(harness, customer_id, PARENTS[name].id)

    # In the chat: a late fee of RM 10 a week after the due date; June and December off.
    await harness.say(OPERATOR, "/business")
    await press(harness, "Late fee")
    assert "RM 10.00 after 7 days" in texts(await harness.say(OPERATOR, "RM 10 after 7"))
    for month in ("2026-06", "2026-12"):
        await press(harness, "Holiday months")
        assert "is a holiday month" in texts(await harness.say(OPERATOR, month))
    await harness.say(OPERATOR, "/cancel")

    # What each family is billed, invoice by invoice, worked out here from the fees.
    billed: dict[str, list[int]] = {name: [] for name in "ABCDEF"}
    paid: list[tuple[date, int]] = []  # money received (credit notes are not money)
    documents: Counter[str] = Counter()

    async def pay(name: str, amount: int, day: date) -> None:
        clock.set(at(day))
        await _paid(harness, FAMILIES[name], amount)
        paid.append((day, amount))
        documents[name] += 1  # the receipt

    for month in (add_months(date(2026, 1, 1), i) for i in range(12)):
        clock.set(at(month, 8))
        await _tick(harness)
        if month in HOLIDAYS:
            continue
        fee = morning(month)
        month_bills = {
            "A": fee + (3500 if month == date(2026, 7, 1) else 0),  # the trip, billed in July
            "B": 2 * fee,
            "C": fee + AFTERNOON,
            "D": AFTERNOON + (fee if month >= date(2026, 4, 1) else 0),
            "E": fee if month <= date(2026, 8, 1) else None,
            "F": fee if month >= date(2026, 5, 1) else None,
        }
        for name, amount in month_bills.items():
            if amount is not None:
                billed[name].append(amount)
                documents[name] += 1
        await _documents_arrive(harness, documents)
        fifth = month.replace(day=5)
        for name in "ACDEF":
            if month_bills[name] is None or (name, month) in (
                ("C", date(2026, 3, 1)),  # paid late, below
                ("A", date(2026, 10, 1)),  # typed wrong, below
            ):
                continue
            await pay(name, month_bills[name], fifth)  # type: ignore[arg-type]
        if month == date(2026, 7, 1):
            await pay("B", 2 * fee - 2000, fifth)  # the goodwill credit note paid the rest
        elif month != date(2026, 9, 1):
            await pay("B", 2 * fee, fifth)

        if month == date(2026, 3, 1):
            clock.set(at(date(2026, 3, 14), 8))
            before = len(harness.tg.seen_by(OPERATOR.id))
            tick = await _tick(harness)  # Chong has not paid March: its late fee
            assert [(f.customer_id, f.amount_sen) for f in tick.late_fees] == [(ids["C"], 1000)]
            await _late_fee_notice(harness, before)
            billed["C"][-1] += 1000
            clock.set(at(date(2026, 3, 16)))
            await _child_joins(harness, "Devi")
            # 16 to 31 March: 16 of 31 days of RM 150.00 = 7,741.9 sen.
            billed["D"].append(half_up(MORNING * 16, 31))
            documents["D"] += 1
            await pay("C", 27000 + 1000, date(2026, 3, 20))
            await pay("D", half_up(MORNING * 16, 31), date(2026, 3, 20))
        if month == date(2026, 4, 1):
            clock.set(at(date(2026, 4, 10)))
            ids["F"] = await _family_added_after_the_run(harness, biz.id, biz.morning.name)
            billed["F"].append(MORNING)
            documents["F"] += 1
            await pay("F", MORNING, date(2026, 4, 20))
        if month == date(2026, 5, 1):
            clock.set(at(date(2026, 5, 6)))
            await _adjustment(harness, "Aminah", "Charge", "Zoo Negara trip", "35", "next invoice")
            clock.set(at(date(2026, 5, 10)))
            await _adjustment(harness, "Bala", "Credit", "Goodwill: van late", "20", "now")
            await routes.change_fee(
                db,
                biz.id,
                biz.morning.id,
                clock,
                from_month=date(2026, 7, 1),
                fee_sen=MORNING_FROM_JULY,
            )
        if month == date(2026, 8, 1):
            clock.set(at(date(2026, 8, 14)))
            await _child_leaves(harness, "Eng", "Emily", "(by days)")
        if month == date(2026, 9, 1):
            clock.set(at(date(2026, 9, 14), 8))
            before = len(harness.tg.seen_by(OPERATOR.id))
            tick = await _tick(harness)  # Bala has not paid September: a late fee, waived
            assert [(f.customer_id, f.amount_sen) for f in tick.late_fees] == [(ids["B"], 1000)]
            notice = await _late_fee_notice(harness, before)
            assert "waived on" in texts(await harness.press_button(OPERATOR, notice, "Waive"))
            await pay("B", 2 * fee, date(2026, 9, 20))
        if month == date(2026, 10, 1):
            # Aminah paid RM 160.00 on the 5th, typed as RM 16.00: voided from the family card
            # the day after (the receipt re-sent stamped VOID) and entered again.
            clock.set(at(fifth))
            await _paid(harness, FAMILIES["A"], fee // 10)
            documents["A"] += 1  # the wrong receipt
            clock.set(at(date(2026, 10, 6)))
            await _void_from_card(harness, "Aminah", "· RM 16.00", "Typed 16 for 160")
            documents["A"] += 1  # the receipt stamped VOID
            await pay("A", fee, date(2026, 10, 6))
        if month == date(2026, 11, 1):
            # Chong's November invoice, paid on the 5th, was sent with the wrong due date: voided
            # (stamped VOID to the parent; the RM 280.00 paid is Chong's credit) and re-issued for
            # November with /newinvoice, the credit settling it.
            clock.set(at(date(2026, 11, 9)))
            (november,) = [
                i
                for i in await invoices.list_invoices(db, biz.id, clock, customer_id=ids["C"])
                if i.period == month
            ]
            await _void_from_card(harness, "Chong", november.number, "Wrong due date")
            documents["C"] += 1  # the invoice stamped VOID
            await _reissue(harness, "Chong", fee + AFTERNOON)
            billed["C"].append(fee + AFTERNOON)
            documents["C"] += 1
        await _documents_arrive(harness, documents)

    # Emily left on 14 August, billed 14 of 31 days; the rest of August is Eng's credit.
    eng_credit = MORNING_FROM_JULY - half_up(MORNING_FROM_JULY * 14, 31)
    for name, customer_id in ids.items():
        found = await invoices.list_invoices(db, biz.id, clock, customer_id=customer_id, limit=100)
        by_issue = sorted(found, key=lambda i: (i.issue_date, i.id))
        assert [i.total_sen for i in by_issue] == billed[name], name
        if name == "C":  # the voided November invoice owes nothing
            assert [i.status for i in by_issue].count("void") == 1
        balance = await accounts.family_balance(db, biz.id, customer_id, clock)
        assert balance.balance_sen == (-eng_credit if name == "E" else 0), name
    report = await reports.summary_report(db, biz.id, clock, months=12)
    invoiced = Counter[date]()
    for customer_id in ids.values():
        for invoice in await invoices.list_invoices(
            db, biz.id, clock, customer_id=customer_id, limit=100
        ):
            if invoice.status != "void":
                invoiced[invoice.issue_date.replace(day=1)] += invoice.total_sen
    collected = Counter[date]()
    for day, amount in paid:
        collected[day.replace(day=1)] += amount
    assert [m.invoiced_sen for m in report.months] == [invoiced[m.month] for m in report.months]
    assert [m.collected_sen for m in report.months] == [collected[m.month] for m in report.months]
    voided = billed["C"][-2]  # November's first invoice
    assert sum(m.invoiced_sen for m in report.months) == (
        sum(sum(b) for b in billed.values()) - voided
    )
    assert report.credit_sen == eng_credit
    # Exactly the documents expected (invoices and receipts), nothing twice, nothing missing.
    for _ in range(300):  # the last notices (November's run report) are still going out
        if await delivery.pending_count(db, biz.id) == 0:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # time enough for a document sent twice to show up
    assert await delivery.pending_count(db, biz.id) == 0
    for name, parent in PARENTS.items():
        assert len(documents_to(harness, parent.id)) == documents[name], name
    assert documents == Counter({"A": 22, "B": 20, "C": 22, "D": 22, "E": 14, "F": 14})


async def _late_fee_notice(harness: BotHarness, before: int) -> Call:
    """Wait for the late-fee notice the outbox sends the operator (with its Waive button)."""

    def notices() -> list[Call]:
        found = harness.tg.seen_by(OPERATOR.id)[before:]
        return [c for c in found if "Late fee RM 10.00 added to" in c.seen and c.buttons]

    await harness.tg.wait_for(lambda: bool(notices()), timeout=30)
    return notices()[-1]


def _carrying(replies: list[Call], label: str) -> Call:
    """Return the last of the replies with a button labelled label."""
    return [c for c in replies if any(label in b.get("text", "") for b in c.buttons)][-1]


async def _tap(harness: BotHarness, replies: list[Call], label: str) -> list[Call]:
    """Tap the button labelled label on the reply that carries it; return what followed."""
    return await harness.press_button(OPERATOR, _carrying(replies, label), label)


def _typed(amount_sen: int) -> str:
    """Return an amount of sen as an operator types it."""
    return f"RM {amount_sen // 100}.{amount_sen % 100:02d}"


async def _paid(harness: BotHarness, family: str, amount_sen: int) -> None:
    """Record a bank transfer paid today through /paid; the parent is sent the receipt."""
    replies = await _tap(harness, await harness.say(OPERATOR, f"/paid {family}"), family)
    assert "How much did they pay?" in texts(replies)
    replies = await _tap(harness, await harness.say(OPERATOR, _typed(amount_sen)), "Bank transfer")
    replies = await _tap(harness, await _tap(harness, replies, "Today"), "Record payment")
    done = texts(replies)
    assert f"Recorded {_typed(amount_sen)} (Bank transfer) from {family}" in done, done
    assert "is on its way to the parent" in done, done


async def _void_from_card(harness: BotHarness, family: str, label: str, reason: str) -> None:
    """Void the invoice or payment labelled label from the family card's Fix a mistake."""
    card = await harness.say(OPERATOR, f"/customer {family}")
    fixes = await _tap(harness, card, "Fix a mistake")
    asked = texts(await _tap(harness, fixes, label))
    assert "Void" in asked, asked
    done = texts(await _tap(harness, await harness.say(OPERATOR, reason), "Void it"))
    assert f"is void ({reason})" in done, done


async def _reissue(harness: BotHarness, family: str, total_sen: int) -> None:
    """Bill this month again with /newinvoice (its routes filled in) and send it to the parent."""
    draft = await _tap(harness, await harness.say(OPERATOR, f"/newinvoice {family}"), family)
    assert f"Total: {_typed(total_sen)}" in texts(draft), texts(draft)
    done = await _tap(harness, draft, "Confirm")
    assert "created for" in texts(done), texts(done)
    assert "on its way" in texts(await _tap(harness, done, "Send to parent"))


async def _link(harness: BotHarness, customer_id: int, user_id: int) -> None:
    async with harness.db.sessions.begin() as session:
        await session.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(telegram_user_id=user_id, telegram_chat_id=user_id)
        )


async def _child_joins(harness: BotHarness, family: str) -> None:
    await harness.say(OPERATOR, f"/customer {family}")
    await press(harness, "Children")
    await press(harness, "Add a child")
    await harness.say(OPERATOR, "Divya")
    await press(harness, "Primary school")
    await harness.say(OPERATOR, "2019")
    await harness.say(OPERATOR, "-")
    await press(harness, "Taman Melati → SK Setapak")
    await press(harness, "Done")
    await press(harness, "From March 2026")
    assert "RM 77.42 (by days)" in texts(await press(harness, "(by days)"))


async def _family_added_after_the_run(harness: BotHarness, operator_id: int, route: str) -> int:
    await harness.say(OPERATOR, "/newcustomer")
    await harness.say(OPERATOR, "Farah")
    await harness.say(OPERATOR, "-")
    await harness.say(OPERATOR, "Fatimah")
    await press(harness, "Primary school")
    await harness.say(OPERATOR, "-")
    await harness.say(OPERATOR, "-")
    await press(harness, route)
    await press(harness, "Done")
    assert "Bill April now?" in texts(await press(harness, "No, save"))
    (found,) = await customers.find_customers(harness.db, operator_id, "Farah")
    await _link(harness, found.id, PARENTS["F"].id)
    assert "RM 150.00 (full)" in texts(await press(harness, "(full)"))
    return found.id


async def _adjustment(
    harness: BotHarness, family: str, kind: str, description: str, amount: str, when: str
) -> None:
    await harness.say(OPERATOR, f"/customer {family}")
    await press(harness, "Charge or credit")
    await press(harness, kind)
    await harness.say(OPERATOR, description)
    await harness.say(OPERATOR, amount)
    assert "recorded" in texts(await press(harness, when))


async def _child_leaves(harness: BotHarness, family: str, child: str, rule: str) -> None:
    await harness.say(OPERATOR, f"/customer {family}")
    await press(harness, "Children")
    await press(harness, child)
    await press(harness, "Leaves")
    await press(harness, "Today")
    assert "rides until" in texts(await press(harness, rule))
