"""/summary: the chart as a photo, captioned with this month's figures."""

from __future__ import annotations

from datetime import date

from tests.bot.conftest import OPERATOR, PARENT, BotHarness
from tests.bot.factories import business, invoice, siti
from vanbill.services import payments, reports


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
