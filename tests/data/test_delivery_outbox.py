"""The delivery outbox: queued with its cause, claimed once, retried, parked until linked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from tests.data.factories import Business, make_business, make_family
from vanbill.services import (
    delivery,
    languages,
    latefees,
    monthly,
    payments,
    reminders,
    slips,
)
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.delivery import DeliveryJob
from vanbill.services.models import Customer, Delivery


async def _link(db: Database, customer_id: int, chat_id: int) -> None:
    async with db.sessions.begin() as session:
        await session.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(telegram_user_id=chat_id, telegram_chat_id=chat_id)
        )


async def _statuses(db: Database) -> dict[str, str]:
    async with db.sessions() as session:
        rows = await session.execute(select(Delivery.dedupe_key, Delivery.status))
        return dict(rows.all())


async def test_a_monthly_run_queues_each_invoice_once_with_the_invoices(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    linked = await make_family(db, clock, biz, "Aminah")
    await make_family(db, clock, biz, "Bala")
    await _link(db, linked.id, 555)
    first = await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock, deliver=True)
    await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock, deliver=True)
    assert await _statuses(db) == {
        f"invoice:{first.invoice_ids[0]}": "pending",
        f"invoice:{first.invoice_ids[1]}": "waiting_link",
    }
    jobs = await delivery.claim_due(db, "worker-a", clock)
    assert [(j.kind, j.chat_id, j.invoice_id) for j in jobs] == [
        ("invoice", 555, first.invoice_ids[0])
    ]
    assert await delivery.claim_due(db, "worker-b", clock) == []


@dataclass(frozen=True)
class MarchInvoice:
    """A linked family's March invoice, claimed for sending (its claim: job)."""

    biz: Business
    family_id: int
    invoice_id: int
    job: delivery.DeliveryJob


async def _march_invoice_claimed(db: Database, clock: FixedClock) -> MarchInvoice:
    clock.set(datetime(2026, 3, 1, 2, tzinfo=UTC))
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah", start=date(2026, 3, 1))
    await _link(db, family.id, 777)
    run = await monthly.generate_month(db, biz.id, date(2026, 3, 1), clock, deliver=True)
    (job,) = await delivery.claim_due(db, "w", clock)
    return MarchInvoice(biz, family.id, run.invoice_ids[0], job)


async def _first_reminder(db: Database, clock: FixedClock, march: MarchInvoice) -> DeliveryJob:
    clock.set(datetime(2026, 3, 4, 2, tzinfo=UTC))  # 10:00 in KL, stage -3
    (queued,) = await reminders.queue_reminders(db, march.biz.id, clock)
    assert queued.stage == -3
    (reminder,) = await delivery.claim_due(db, "w", clock)
    assert reminder.kind == "reminder"
    return reminder


async def test_a_sent_invoice_pdf_is_reused_by_its_reminders(
    db: Database, clock: FixedClock
) -> None:
    march = await _march_invoice_claimed(db, clock)
    await delivery.mark_sent(db, march.job.id, clock, message_id=10, file_id="BQAC-invoice-pdf")
    reminder = await _first_reminder(db, clock, march)
    assert reminder.reuse_file_id == "BQAC-invoice-pdf"
    assert reminder.meta == {"stage": -3, "days_late": -3}
    assert await reminders.queue_reminders(db, march.biz.id, clock) == []


async def test_an_invoice_changed_while_its_pdf_is_in_flight_is_rendered_again_for_reminders(
    db: Database, clock: FixedClock
) -> None:
    march = await _march_invoice_claimed(db, clock)
    # A late fee (or its waiver) lands after Telegram took the old PDF, before it is recorded.
    async with db.sessions.begin() as session:
        await latefees.forget_uploaded_pdf(session, march.biz.id, march.invoice_id)
    await delivery.mark_sent(db, march.job.id, clock, message_id=10, file_id="BQAC-old-pdf")
    assert (await _first_reminder(db, clock, march)).reuse_file_id is None


async def test_a_family_whose_language_changes_gets_its_reminders_pdf_drawn_again(
    db: Database, clock: FixedClock
) -> None:
    march = await _march_invoice_claimed(db, clock)
    await delivery.mark_sent(db, march.job.id, clock, message_id=10, file_id="BQAC-english-pdf")
    await languages.set_family_language(db, march.biz.id, march.family_id, "ms")
    reminder = await _first_reminder(db, clock, march)
    assert reminder.reuse_file_id is None and reminder.language == "ms"


async def test_reminders_chosen_at_night_wait_until_eight_in_the_morning(
    db: Database, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 3, 1, 2, tzinfo=UTC))
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah", start=date(2026, 3, 1))
    await _link(db, family.id, 777)
    await monthly.generate_month(db, biz.id, date(2026, 3, 1), clock)
    clock.set(datetime(2026, 3, 7, 14, 30, tzinfo=UTC))  # 22:30 in KL on the due date
    assert len(await reminders.queue_reminders(db, biz.id, clock)) == 1
    assert await delivery.claim_due(db, "w", clock) == []
    clock.set(datetime(2026, 3, 7, 23, 59, tzinfo=UTC))  # 07:59 the next morning
    assert await delivery.claim_due(db, "w", clock) == []
    clock.set(datetime(2026, 3, 8, 0, 0, tzinfo=UTC))  # 08:00
    assert len(await delivery.claim_due(db, "w", clock)) == 1


async def test_a_crashed_senders_claim_is_taken_again_after_its_lease(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    await _link(db, family.id, 555)
    await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock, deliver=True)
    lease = timedelta(seconds=30)
    (first,) = await delivery.claim_due(db, "dead-worker", clock, lease=lease)
    clock.advance(timedelta(seconds=29))
    assert await delivery.claim_due(db, "new-worker", clock, lease=lease) == []
    clock.advance(timedelta(seconds=2))
    (again,) = await delivery.claim_due(db, "new-worker", clock, lease=lease)
    assert again.id == first.id and again.attempts == 2


async def test_a_claim_taken_over_after_its_lease_cannot_be_sent_by_its_first_holder(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    await _link(db, family.id, 555)
    await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock, deliver=True)
    lease = timedelta(seconds=30)
    (slow,) = await delivery.claim_due(db, "slow-worker", clock, lease=lease)
    clock.advance(timedelta(seconds=10))
    assert await delivery.confirm_claims(db, [slow.id], "slow-worker", clock) == {slow.id}
    clock.advance(timedelta(seconds=29))
    assert await delivery.claim_due(db, "fast-worker", clock, lease=lease) == []
    clock.advance(timedelta(seconds=2))
    (taken,) = await delivery.claim_due(db, "fast-worker", clock, lease=lease)
    assert taken.id == slow.id
    assert await delivery.confirm_claims(db, [slow.id], "slow-worker", clock) == set()
    assert await delivery.confirm_claims(db, [slow.id], "fast-worker", clock) == {slow.id}


async def test_failures_back_off_and_give_up_but_flood_waits_do_not_count(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    await _link(db, family.id, 555)
    await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock, deliver=True)
    (job,) = await delivery.claim_due(db, "w", clock)
    status = await delivery.mark_retry(
        db, job.id, clock, error="429", retry_after=timedelta(seconds=5)
    )
    assert status == "pending"
    assert await delivery.claim_due(db, "w", clock) == []
    clock.advance(timedelta(seconds=5))
    (job,) = await delivery.claim_due(db, "w", clock)
    assert job.attempts == 1
    for _ in range(delivery.MAX_ATTEMPTS):
        if await delivery.mark_retry(db, job.id, clock, error="timeout") == "failed":
            break
        clock.advance(timedelta(minutes=10))
        (job,) = await delivery.claim_due(db, "w", clock)
    assert (await _statuses(db))[f"invoice:{job.invoice_id}"] == "failed"
    report = await delivery.run_deliveries(db, biz.id, date(2026, 1, 1))
    assert report.failed == (("Aminah", "timeout"),) and report.delivered == 0


async def test_a_blocked_parent_is_reported_once_and_released_when_they_come_back(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    await _link(db, family.id, 555)
    await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock, deliver=True)
    (job,) = await delivery.claim_due(db, "w", clock)
    assert await delivery.mark_blocked(db, job.id, clock, error="Forbidden: bot was blocked")
    paid = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=100, method="cash", notify_parent=True
    )
    # The receipt is parked, not sent; what goes out is the operator's notice, to their chat.
    (notice,) = await delivery.claim_due(db, "w", clock)
    assert (notice.kind, notice.chat_id, notice.customer_id) == ("operator_notice", 1001, None)
    assert notice.meta == {"notice": "family_blocked", "customer_id": family.id, "name": "Aminah"}
    assert (await _statuses(db))[f"receipt:{paid.id}"] == "undeliverable"
    async with db.sessions.begin() as session:
        released = await delivery.release_waiting(session, biz.id, family.id, clock.now())
    assert released == 2
    assert {j.kind for j in await delivery.claim_due(db, "w", clock)} == {"invoice", "receipt"}


async def test_a_family_that_links_later_gets_what_waited_for_it(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock, deliver=True)
    slip = await slips.receive_slip(
        db, biz.id, family.id, clock, telegram_file_id="x", file_kind="photo"
    )
    await slips.record_from_slip(db, biz.id, slip.id, clock, amount_sen=15000, method="cash")
    # Only the slip's notice to the operator goes (the sender skips it: the slip is recorded).
    (notice,) = await delivery.claim_due(db, "w", clock)
    assert notice.meta["notice"] == slips.SLIP_WAITING and notice.meta["slip_id"] == slip.id
    report = await delivery.run_deliveries(db, biz.id, date(2026, 1, 1))
    assert report.waiting_for_link == ("Aminah",)
    await _link(db, family.id, 999)
    async with db.sessions.begin() as session:
        assert await delivery.release_waiting(session, biz.id, family.id, clock.now()) == 2
    assert sorted(j.kind for j in await delivery.claim_due(db, "w", clock)) == [
        "invoice",
        "receipt",
    ]


def test_quiet_hours_run_from_nine_at_night_to_eight_in_the_morning() -> None:
    kl = "Asia/Kuala_Lumpur"
    assert delivery.quiet_until(datetime(2026, 3, 7, 12, 59, tzinfo=UTC), kl) is None  # 20:59
    assert delivery.quiet_until(datetime(2026, 3, 7, 13, 0, tzinfo=UTC), kl) == datetime(
        2026, 3, 8, 0, 0, tzinfo=UTC
    )
    assert delivery.quiet_until(datetime(2026, 3, 7, 23, 0, tzinfo=UTC), kl) == datetime(
        2026, 3, 8, 0, 0, tzinfo=UTC
    )
    assert delivery.quiet_until(datetime(2026, 3, 8, 0, 0, tzinfo=UTC), kl) is None


async def test_an_operator_notice_is_queued_once_per_key_and_goes_to_the_operators_chat(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    for _ in range(2):
        async with db.sessions.begin() as session:
            await delivery.notify_operator(
                session, db.dialect, biz.operator.id, "run_report", "7", clock.now(), {"n": 1}
            )
    async with db.sessions.begin() as session:
        await delivery.notify_operator(
            session, db.dialect, biz.operator.id, "run_report", "8", clock.now(), {"n": 2}
        )
    assert await _statuses(db) == {"op:run_report:7": "pending", "op:run_report:8": "pending"}
    jobs = await delivery.claim_due(db, "w", clock)
    assert [(j.kind, j.chat_id, j.customer_id, j.meta) for j in jobs] == [
        ("operator_notice", 1001, None, {"notice": "run_report", "n": 1}),
        ("operator_notice", 1001, None, {"notice": "run_report", "n": 2}),
    ]


async def test_an_operator_notice_is_kept_only_with_the_change_it_reports(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")

    class Refused(Exception):
        pass

    try:
        async with db.sessions.begin() as session:
            await session.execute(
                update(Customer).where(Customer.id == family.id).values(name="Changed")
            )
            await delivery.notify_operator(
                session, db.dialect, biz.operator.id, "family_blocked", "x", clock.now()
            )
            raise Refused
    except Refused:
        pass
    assert await _statuses(db) == {}


async def test_an_operator_notice_waits_and_is_retried_after_a_flood_wait(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    async with db.sessions.begin() as session:
        await delivery.notify_operator(
            session, db.dialect, biz.operator.id, "run_holiday", "3", clock.now(), {}
        )
    (job,) = await delivery.claim_due(db, "w", clock)
    await delivery.mark_retry(db, job.id, clock, error="flood", retry_after=timedelta(seconds=30))
    assert await delivery.claim_due(db, "w", clock) == []
    clock.advance(timedelta(seconds=31))
    (again,) = await delivery.claim_due(db, "w", clock)
    assert again.id == job.id and again.chat_id == 1001


async def test_an_operator_who_blocked_the_bot_has_their_notice_set_aside_quietly(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    async with db.sessions.begin() as session:
        await delivery.notify_operator(
            session, db.dialect, biz.operator.id, "run_holiday", "3", clock.now(), {}
        )
    (job,) = await delivery.claim_due(db, "w", clock)
    assert not await delivery.mark_blocked(db, job.id, clock, error="Forbidden")
    assert await _statuses(db) == {"op:run_holiday:3": "undeliverable"}


async def test_a_family_blocking_twice_is_reported_each_time_but_once_per_blocking(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    await _link(db, family.id, 555)
    await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock, deliver=True)
    (job,) = await delivery.claim_due(db, "w", clock)
    assert await delivery.mark_blocked(db, job.id, clock, error="Forbidden")
    assert not await delivery.mark_blocked(db, job.id, clock, error="Forbidden")
    clock.advance(timedelta(days=3))
    async with db.sessions.begin() as session:
        await delivery.release_waiting(session, biz.operator.id, family.id, clock.now())
    jobs = await delivery.claim_due(db, "w", clock)
    invoice = next(j for j in jobs if j.kind == "invoice")
    assert await delivery.mark_blocked(db, invoice.id, clock, error="Forbidden")
    notices = [k for k in await _statuses(db) if k.startswith("op:family_blocked:")]
    assert len(notices) == 2
