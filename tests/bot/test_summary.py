"""/summary: the chart as a photo, captioned with this month's figures."""

from __future__ import annotations

from datetime import date

from tests.bot.conftest import OPERATOR, PARENT, BotHarness
from tests.bot.factories import business, invoice, siti
from vanbill.services import customers, payments, reports


async def test_summary_arrives_as_a_photo_with_this_months_figures(harness: BotHarness) -> None:
    biz = await business(harness, business_name="Van <Kak> Ros")
    family = await siti(harness, biz)
    january = await invoice(harness, biz.id, family.id, 15000)
    await invoice(
        harness, biz.id, family.id, 9000, issue_date=date(2025, 12, 1), due_date=date(2025, 12, 7)
    )
    await payments.record_payment(
        harness.db, biz.id, family.id, harness.clock, amount_sen=10000, method="cash",
        invoice_id=january.id,
    )  # fmt: skip
    (photo,) = await harness.say(OPERATOR, "/summary")
    assert photo.method == "sendPhoto"
    assert photo.files["photo"].content.startswith(b"\x89PNG")
    report = await reports.summary_report(harness.db, biz.id, harness.clock)
    month = report.months[-1]
    assert (month.invoiced_sen, month.collected_sen, report.overdue_families) == (15000, 10000, 1)
    assert photo.seen == (
        "📊 Van <Kak> Ros · January 2026\n"
        "Invoiced: RM 150.00\n"
        "Collected: RM 100.00\n"
        "Outstanding: RM 140.00\n"
        "Overdue families: 1\n"
        "Collection rate: 66.7%"
    )
    assert month.outstanding_sen == 14000


async def test_summary_with_nothing_invoiced_shows_a_dash_for_the_rate(
    harness: BotHarness,
) -> None:
    await business(harness)
    (photo,) = await harness.say(OPERATOR, "/summary")
    assert photo.method == "sendPhoto"
    assert "Invoiced: RM 0.00" in photo.seen and "Collection rate: —" in photo.seen


async def test_a_parent_sending_summary_is_refused(harness: BotHarness) -> None:
    biz = await business(harness)
    await siti(harness, biz)
    (refusal,) = await harness.say(PARENT, "/summary")
    assert refusal.method == "sendMessage" and "for van operators" in refusal.seen


async def test_a_family_paying_over_shows_as_credit_and_the_rate_stays_at_100_percent(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    siti_family = await siti(harness, biz)
    tan = await customers.add_customer(harness.db, biz.id, harness.clock, name="Tan")
    await invoice(harness, biz.id, siti_family.id, 30000)
    await invoice(harness, biz.id, tan.id, 37500)
    for family, paid in ((siti_family.id, 35000), (tan.id, 37500)):  # Siti pays RM 50 over
        await payments.record_payment(
            harness.db, biz.id, family, harness.clock, amount_sen=paid, method="cash"
        )
    (photo,) = await harness.say(OPERATOR, "/summary")
    assert photo.seen.splitlines()[1:] == [
        "Invoiced: RM 675.00",
        "Collected: RM 725.00",
        "Outstanding: RM 0.00",
        "Overdue families: 0",
        "Collection rate: 100%",  # not 725 / 675 = 107.4%
        "Held for 1 family: RM 50.00 in credit",
    ]
