"""The outbox sender: claims due deliveries, renders ahead, sends within Telegram's limits.

Rendering runs ahead of sending: while one batch goes out, the next ones are rendered in the
worker processes, and each message goes as soon as its own PDF is ready. Sends are launched at
most `rate` per second overall and one per second per chat, several in flight at once
(Telegram's latency does not slow the pace), and never more than Telegram's 30 in any second
as Telegram counts them (see _Pace). On 429 the sender waits
what Telegram asks and the delivery goes back to the outbox; a 403 marks the family blocked and
queues the operator's notice once (in the outbox, like every message); a network error
retries with backoff.

While the database cannot be reached the sender keeps going by itself: what it claimed and did
not send is given back as soon as the database answers; the outcome of a send that reached
Telegram (sent, refused, blocked) is kept in memory and recorded with backoff before anything
is claimed again, so a message that went out is recorded once and never sent a second time by
this process (the lease, 60 s, is what would let another sender take it).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import functools
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from vanbill.bot import keyboards, texts
from vanbill.services import (
    budget,
    customers,
    delivery,
    i18n,
    invoices,
    operators,
    payments,
    runs,
    slips,
)
from vanbill.services.clock import Clock
from vanbill.services.db import Database, unreachable
from vanbill.services.delivery import DeliveryJob
from vanbill.services.documents import DocumentRenderer, invoice_filename, receipt_filename
from vanbill.services.errors import Conflict, NotFound

log = logging.getLogger(__name__)

DEFAULT_RATE = 29.0  # Telegram allows about 30 messages a second to different chats
TELEGRAM_WINDOW_LIMIT = 30  # never more than this many messages in any one second
PER_CHAT_INTERVAL = 1.0
RECORD_RETRY_FIRST, RECORD_RETRY_MAX = 0.25, 2.0  # seconds between tries to record an outcome
DROPPED_WAIT = 5.0  # seconds a stopping drain waits for what it dropped before cancelling it


@dataclass
class SendStats:
    """What a sender did (for logs, the bench and tests)."""

    sent: int = 0
    skipped: int = 0
    retried: int = 0
    blocked: int = 0
    failed: int = 0
    flood_waits: int = 0
    rendered: int = 0

    def total(self) -> int:
        """Return how many deliveries reached an end or went back to wait."""
        return self.sent + self.skipped + self.retried + self.blocked + self.failed


@dataclass(frozen=True)
class Content:
    """What one delivery sends: a document (bytes or an uploaded file id) and a caption, or
    (a notice) text alone."""

    caption: str
    pdf: bytes | None = None
    filename: str = "document.pdf"
    file_id: str | None = None
    skip_reason: str | None = None
    text: str | None = None
    buttons: InlineKeyboardMarkup | None = None
    photo: bool = False  # file_id is a photo (a parent's transfer slip), not a document


def _consume(future: asyncio.Future[Any]) -> None:
    """Retrieve a dropped future's outcome, so nobody is warned it was never looked at."""
    if not future.cancelled():
        future.exception()


def _now_us() -> int:
    """Return Unix time in µs: the clock all senders of a bot share (NTP keeps machines close)."""
    return time.time_ns() // 1000


@dataclass
class _Pace:
    """When a send may start: the overall rate, one per chat per interval, and Telegram's window.

    Launches are spaced `rate` per second. That alone does not keep Telegram's count within its
    limit: Telegram counts a message when it arrives, somewhere between our launch and its
    answer, so a request held up on the way arrives together with the next one. Hence the
    window rule: a send starts only while fewer than `window_limit` sends are in flight or were
    answered within the last second (`window`). Any second of arrivals then holds at most
    `window_limit`, however unevenly the requests travel; with quick answers it never binds.
    """

    rate: float
    window_limit: int = TELEGRAM_WINDOW_LIMIT
    window: float = 1.0
    next_slot: float = 0.0
    last_by_chat: dict[int, float] = field(default_factory=dict)
    paused_until: float = 0.0
    in_flight: int = 0
    answered: collections.deque[float] = field(default_factory=collections.deque)
    _freed: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_turn(self, chat_id: int) -> None:
        """Wait until a send to chat_id may start, and count it as started."""
        while True:
            now = time.monotonic()
            slot = max(self.next_slot, self.paused_until)
            slot = max(slot, self.last_by_chat.get(chat_id, -1e9) + PER_CHAT_INTERVAL)
            if slot > now:
                await asyncio.sleep(slot - now)
                continue
            while self.answered and now - self.answered[0] >= self.window:
                self.answered.popleft()
            if self.in_flight + len(self.answered) >= self.window_limit:
                self._freed.clear()
                timeout = self.answered[0] + self.window - now if self.answered else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._freed.wait(), timeout)
                continue
            # No await between the checks above and here: concurrent callers take turns.
            # Spaced from the slot, not from when the sleep ended, so that waking a little
            # late does not slow the pace; never more than one slot is caught up.
            self.next_slot = max(slot, now - 0.5 / self.rate) + 1.0 / self.rate
            self.last_by_chat[chat_id] = now
            self.in_flight += 1
            return

    def answered_now(self) -> None:
        """Count a started send as answered (or failed) now."""
        self.in_flight -= 1
        self.answered.append(time.monotonic())
        self._freed.set()

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)


class OutboxSender:
    """Sends what the outbox holds; any number of these may run against one MySQL database."""

    def __init__(
        self,
        bot: Bot,
        db: Database,
        clock: Clock,
        renderer: DocumentRenderer,
        *,
        worker: str | None = None,
        rate: float = DEFAULT_RATE,
        window_limit: int = TELEGRAM_WINDOW_LIMIT,
        window: float = 1.0,
        batch: int = 20,
        first_batch: int = 4,
        depth: int = 3,
        lease: timedelta = delivery.DEFAULT_LEASE,
        max_in_flight: int = 16,
        shared_budget: bool | None = None,
    ) -> None:
        self.bot = bot
        self.db = db
        self.clock = clock
        self.renderer = renderer
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch
        self.first_batch = min(first_batch, batch)
        self.depth = depth
        self.lease = lease
        self.stats = SendStats()
        self._pace = _Pace(rate, window_limit, window)
        # Every sender of this bot token takes its turns from one budget in the database
        # (services/budget.py), on MySQL by default: on SQLite only one process sends.
        if shared_budget is None:
            shared_budget = db.is_mysql
        self._budget_bot = int(bot.token.split(":")[0]) if shared_budget else None
        self._budget = (window_limit, int(window * 1_000_000))
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._wake = asyncio.Event()
        self._active: set[int] = set()
        self._halt = asyncio.Event()  # set once stopping: what waits for a PDF stops waiting
        self._unsent: list[int] = []
        # Contents no longer wanted (a stop, a claim taken over), still finishing: never
        # cancelled in the middle of a database read (an aiosqlite connection whose task is
        # cancelled twice while it closes never answers again, and its loop never closes), only
        # at their PDF, which is cancelled. Awaited, bounded, at the end of the drain.
        self._dropped: set[asyncio.Future[Any]] = set()
        self._pdfs: dict[int, asyncio.Future[bytes]] = {}  # job id -> its PDF being drawn
        # Outcomes of sends that could not be recorded (the database was away), by delivery id:
        # the recording to try again. Their ids stay in _active, so they are not sent again.
        self._unrecorded: dict[int, Callable[[], Awaitable[object]]] = {}
        self._recorder: asyncio.Task[None] | None = None

    def request_stop(self) -> None:
        """Stop claiming: the drain under way finishes its sends in flight, gives back the rest."""
        self._halt.set()
        self._wake.set()

    @property
    def _stopping(self) -> bool:
        return self._halt.is_set()

    def wake(self) -> None:
        """Tell a sleeping run loop that something was just queued."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, idle: float = 2.0) -> None:
        """Send until stop is set, sleeping `idle` seconds (or until woken) when nothing is due."""
        watcher = asyncio.create_task(stop.wait())
        watcher.add_done_callback(lambda _: self.request_stop())
        try:
            await self._run(stop, idle)
        finally:
            watcher.cancel()

    async def _run(self, stop: asyncio.Event, idle: float) -> None:
        sent_since = False  # something was handled since the outbox was last found empty
        try:
            while not stop.is_set():
                try:
                    done = await self.drain()
                    if done > 0:
                        sent_since = True
                    elif sent_since and not self._stopping:
                        sent_since = False
                        await self._on_caught_up()
                except Exception as exc:  # keep the loop alive through a database outage
                    if not unreachable(exc):
                        log.exception("the outbox sender failed a pass; trying again shortly")
                    else:
                        log.warning("the outbox waits for the database: %s", str(exc)[:200])
                    done = 0
                if done == 0:
                    await self._idle(stop, idle)
        finally:
            await self._last_records()

    async def _on_caught_up(self) -> None:
        """The outbox is empty again after sends: report the runs whose invoices have all gone
        (at once, not at the next schedule tick a minute later); the report goes out next."""
        if await runs.report_finished_runs(self.db, self.clock):
            self._wake.set()

    async def _idle(self, stop: asyncio.Event, idle: float) -> None:
        """Sleep idle seconds, or until stopped or woken."""
        self._wake.clear()
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(self._wake.wait())]
        _, pending = await asyncio.wait(waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()

    async def drain(self, operator_id: int | None = None) -> int:
        """Send everything due now; later batches render while earlier ones go out."""
        # What an outage held back comes first: outcomes to record, claims to give back.
        if self._unrecorded and not await self._record_held():
            return 0
        await self._give_back()
        handled = 0
        pipeline: collections.deque[
            tuple[list[DeliveryJob], asyncio.Task[list[asyncio.Future[Content]]]]
        ] = collections.deque()

        claims = 0

        async def refill() -> None:
            nonlocal claims
            while len(pipeline) < self.depth and not self._stopping:
                # A small first batch: the first message goes out after a handful of PDFs,
                # not after a whole batch of them.
                limit = self.first_batch if claims == 0 else self.batch
                jobs = await self._claim(operator_id, limit)
                claims += 1
                if not jobs:
                    return
                pipeline.append((jobs, asyncio.create_task(self._prepare_all(jobs))))

        sending: list[asyncio.Task[None]] = []
        # A batch taken off the pipeline and not yet handed to _send_batch (which gives back
        # what it does not send): if a refill fails meanwhile, it is given back below.
        current: list[DeliveryJob] = []
        current_contents: list[asyncio.Future[Content]] = []
        current_prepared: asyncio.Task[list[asyncio.Future[Content]]] | None = None
        try:
            await refill()
            while pipeline and not self._stopping:
                jobs, prepared = pipeline.popleft()
                current, current_contents, current_prepared = jobs, [], prepared
                # Shielded: a drain cancelled here leaves the reads to end (dropped below).
                current_contents = await asyncio.shield(prepared)
                await refill()  # keep the PDF workers busy while this batch goes out
                sending = [task for task in sending if not task.done()]
                current = []
                sending.extend(await self._send_batch(jobs, current_contents))
                handled += len(jobs)
            await asyncio.gather(*sending)
        except Exception:
            # The database went away part-way (a claim, a confirmation): the sends already
            # under way may have reached Telegram, so they end and keep their outcome, never
            # cancelled into `sending` with nobody to record or give them back.
            await asyncio.gather(*sending, return_exceptions=True)
            raise
        finally:
            for task in sending:  # stopped part-way: in-flight sends end with us
                task.cancel()
            if current and current_contents:
                for job, content in zip(current, current_contents, strict=True):
                    self._drop(job.id, content)
            elif current and current_prepared is not None:
                pipeline.appendleft((current, current_prepared))
                current = []
            self._active.difference_update(job.id for job in current)
            self._unsent.extend(job.id for job in current)
            for jobs, prepared in pipeline:  # not started: given back below
                if prepared.done():
                    self._drop_prepared(jobs, prepared)
                else:
                    self._dropped.add(prepared)
                    prepared.add_done_callback(functools.partial(self._drop_prepared, jobs))
                self._active.difference_update(job.id for job in jobs)
                self._unsent.extend(job.id for job in jobs)
            # Let what was dropped finish (a session it holds closes): left running, it would
            # close its connection after the database is disposed, and a SQLite connection
            # closed so never answers. Bounded: a database that does not answer holds nobody
            # for long; only then is what is left cancelled.
            await self._settle_dropped(sending)
        # Not in the finally: a drain that is cancelled (not stopped) must not wait on the
        # database while its loop closes; the lease returns those claims instead.
        await self._give_back()
        return handled

    def _drop(self, job_id: int, content: asyncio.Future[Any]) -> None:
        """Give up a job's content: its PDF is cancelled, its database reads end on their own."""
        pdf = self._pdfs.pop(job_id, None)
        if pdf is not None:
            pdf.cancel()
        if not content.done():
            self._dropped.add(content)
            content.add_done_callback(self._dropped.discard)
            content.add_done_callback(_consume)

    def _drop_prepared(
        self, jobs: list[DeliveryJob], prepared: asyncio.Task[list[asyncio.Future[Content]]]
    ) -> None:
        self._dropped.discard(prepared)
        if prepared.cancelled() or prepared.exception() is not None:
            return
        for job, content in zip(jobs, prepared.result(), strict=True):
            self._drop(job.id, content)

    async def _settle_dropped(self, sending: list[asyncio.Task[None]]) -> None:
        """Wait (bounded) for the cancelled sends and the dropped contents to end."""
        deadline = time.monotonic() + DROPPED_WAIT
        while True:
            pending = [f for f in (*sending, *self._dropped) if not f.done()]
            left = deadline - time.monotonic()
            if not pending:
                return
            if left <= 0:
                for future in pending:
                    future.cancel()
                return
            # A prepared batch that ends adds its contents: look again until nothing is left.
            await asyncio.wait(pending, timeout=left, return_when=asyncio.FIRST_COMPLETED)

    async def _give_back(self) -> None:
        """Release the claims taken but not sent, so nothing waits out a lease in `sending`.

        If the database is away they are kept and given back at the next pass.
        """
        unsent, self._unsent = self._unsent, []
        if not unsent:
            return
        try:
            released = await delivery.release_claims(self.db, unsent, self.worker, self.clock)
        except Exception as exc:
            if not unreachable(exc):
                log.warning("could not give back %d deliveries", len(unsent), exc_info=True)
                return  # the lease returns them, later
            self._unsent = unsent + self._unsent
            log.warning("%d deliveries to give back once the database answers", len(unsent))
        else:
            log.info("gave back %d deliveries not sent", released)

    # Recording outcomes: kept in memory while the database is away.

    async def _record(self, job_id: int, recording: Callable[[], Awaitable[object]]) -> object:
        """Record a send's outcome now, or keep it to record when the database answers."""
        try:
            return await recording()
        except Exception as exc:
            if not unreachable(exc):
                raise
            log.warning("delivery %s: recording its outcome once the database answers", job_id)
            self._unrecorded[job_id] = recording
            if self._recorder is None or self._recorder.done():
                self._recorder = asyncio.create_task(self._keep_recording(), name="records")
            return None

    async def _record_held(self) -> bool:
        """Try once to record every outcome held back; return True when none is left."""
        for job_id, recording in list(self._unrecorded.items()):
            try:
                await recording()
            except Exception as exc:
                if unreachable(exc):
                    return False
                log.exception("could not record the outcome of delivery %s", job_id)
            self._unrecorded.pop(job_id, None)
            self._active.discard(job_id)
        return True

    async def _keep_recording(self) -> None:
        """Record the held-back outcomes as soon as the database answers (backing off a little)."""
        pause = RECORD_RETRY_FIRST
        while self._unrecorded:
            await asyncio.sleep(pause)
            if await self._record_held():
                log.info("recorded the deliveries sent while the database was unreachable")
                self.wake()
                return
            pause = min(pause * 2, RECORD_RETRY_MAX)

    async def _last_records(self) -> None:
        """On the way out: a few more tries to record what was sent (else the lease re-sends)."""
        for _ in range(5):
            if not self._unrecorded or await self._record_held():
                break
            await asyncio.sleep(RECORD_RETRY_MAX / 2)
        if self._recorder is not None:
            self._recorder.cancel()
        if self._unrecorded:
            log.error(
                "stopping with %d sends unrecorded (the lease sends them again): %s",
                len(self._unrecorded),
                sorted(self._unrecorded),
            )
        await self._give_back()

    async def _claim(self, operator_id: int | None, limit: int) -> list[DeliveryJob]:
        jobs = await delivery.claim_due(
            self.db,
            self.worker,
            self.clock,
            limit=limit,
            lease=self.lease,
            operator_id=operator_id,
        )
        # A lease that ran out while this very process still holds the job (a slow send, a
        # clock that jumped) must not make this process send it a second time.
        fresh = [job for job in jobs if job.id not in self._active]
        self._active.update(job.id for job in fresh)
        if self._unsent:  # taken again (its lease ran out): not to be given back now
            taken = {job.id for job in jobs}
            self._unsent = [i for i in self._unsent if i not in taken]
        return fresh

    # Preparing content: documents fetched in bulk, PDFs rendered in the worker processes.

    async def _prepare_all(self, jobs: list[DeliveryJob]) -> list[asyncio.Future[Content]]:
        """Fetch what the jobs need and start their PDFs; return each job's content, in order.

        Only the database reads are awaited here. Each job's content is a future of its own,
        done as soon as its own PDF is: sending starts with the first PDF of a batch instead of
        waiting for the whole batch.
        """
        by_operator: dict[int, list[DeliveryJob]] = {}
        for job in jobs:
            by_operator.setdefault(job.operator_id, []).append(job)
        contents: dict[int, asyncio.Future[Content]] = {}
        for operator_id, group in by_operator.items():
            try:
                contents.update(await self._prepare_group(operator_id, group))
            except Exception as exc:  # these deliveries wait for the next pass; others go on
                for job in group:
                    failed: asyncio.Future[Content] = asyncio.get_running_loop().create_future()
                    failed.set_exception(exc)
                    contents[job.id] = failed
        return [contents[job.id] for job in jobs]

    async def _prepare_group(
        self, operator_id: int, jobs: list[DeliveryJob]
    ) -> dict[int, asyncio.Future[Content]]:
        operator = await operators.get_operator(self.db, operator_id)
        wanted = [j.invoice_id for j in jobs if j.invoice_id is not None]
        documents = await invoices.invoice_documents(self.db, operator_id, wanted, self.clock)
        to_render = [
            j
            for j in jobs
            if j.invoice_id in documents
            and documents[j.invoice_id].invoice.status != "void"
            and (j.kind == "invoice" or (j.kind == "reminder" and not j.reuse_file_id))
        ]
        pdfs = dict(
            zip(
                [j.id for j in to_render],
                self.renderer.start_invoices([documents[j.invoice_id] for j in to_render]),
                strict=True,
            )
        )
        self.stats.rendered += len(pdfs)
        self._pdfs.update(pdfs)
        contents: dict[int, asyncio.Future[Content]] = {}
        for job in jobs:
            content = asyncio.ensure_future(
                self._content(job, operator, documents, pdfs.get(job.id))
            )
            content.add_done_callback(functools.partial(self._forget_pdf, job.id))
            contents[job.id] = content
        return contents

    def _forget_pdf(self, job_id: int, _: asyncio.Future[Content]) -> None:
        self._pdfs.pop(job_id, None)

    async def _content(
        self,
        job: DeliveryJob,
        operator: Any,
        documents: dict[int, Any],
        pdf: Awaitable[bytes] | None,
    ) -> Content:
        # In its reader's language: the caption here, the PDF in the renderer (each document
        # carries its family's language to the worker thread or process that draws it).
        # Each job's content is a task of its own, so the language stays within it.
        with i18n.use(job.language):
            return await self._content_in_language(job, operator, documents, pdf)

    async def _content_in_language(
        self,
        job: DeliveryJob,
        operator: Any,
        documents: dict[int, Any],
        pdf: Awaitable[bytes] | None,
    ) -> Content:
        if job.kind in (delivery.VOID_INVOICE, delivery.VOID_RECEIPT):
            return await self._void_content(job, operator, documents)
        if job.kind == "receipt":
            assert job.payment_id is not None
            found = await payments.get_payment(self.db, operator.id, job.payment_id)
            if found.voided:
                return Content(caption="", skip_reason=f"{found.receipt_number} was voided")
            doc = await payments.receipt_document(self.db, operator.id, job.payment_id, self.clock)
            return Content(
                caption=texts.receipt_caption(doc),
                pdf=await self.renderer.render_receipt(doc),
                filename=receipt_filename(doc.payment),
            )
        if job.kind == "notice":
            return Content(caption="", text=texts.parent_notice(operator, job.meta))
        if job.kind == delivery.OPERATOR_NOTICE and job.meta.get("notice") == slips.SLIP_WAITING:
            return await self._slip_content(job, operator)
        if job.kind == delivery.OPERATOR_NOTICE:
            return Content(
                caption="",
                text=texts.operator_notice(job.meta),
                buttons=keyboards.operator_notice_buttons(job.operator_id, job.meta),
            )
        document = documents.get(job.invoice_id) if job.invoice_id else None
        if document is None:
            return Content(caption="", skip_reason="the invoice no longer exists")
        invoice = document.invoice
        if job.kind == "invoice":
            if invoice.status == "void":
                return Content(caption="", skip_reason="the invoice was voided")
            assert pdf is not None
            return Content(
                caption=texts.invoice_caption(document),
                pdf=await pdf,
                filename=invoice_filename(invoice),
            )
        if job.kind == "reminder":
            if invoice.balance_sen <= 0:
                return Content(caption="", skip_reason=f"{invoice.number} is {invoice.status}")
            customer = await customers.get_customer(self.db, operator.id, job.customer_id)
            if customer.reminders_paused or customer.archived:
                return Content(caption="", skip_reason="reminders are paused for this family")
            caption = texts.reminder_caption(document, int(job.meta.get("stage", 0)))
            if job.reuse_file_id:
                return Content(caption=caption, file_id=job.reuse_file_id)
            assert pdf is not None
            return Content(caption=caption, pdf=await pdf, filename=invoice_filename(invoice))
        return Content(caption="", skip_reason=f"unknown delivery kind {job.kind!r}")

    async def _slip_content(self, job: DeliveryJob, operator: Any) -> Content:
        """Return a parent's transfer slip for the operator, with the buttons to record it."""
        try:
            slip = await slips.get_pending_slip(self.db, operator.id, int(job.meta["slip_id"]))
        except (NotFound, Conflict):
            return Content(caption="", skip_reason="the slip was dealt with already")
        slip = dataclasses.replace(slip, balance_sen=int(job.meta.get("balance_sen", 0)))
        return Content(
            caption=texts.slip_for_operator(operator, str(job.meta.get("name", "")), slip),
            file_id=slip.telegram_file_id,
            photo=slip.file_kind == "photo",
            buttons=keyboards.slip_decision(
                operator.id, slip.id, slip.balance_sen, operator.currency
            ),
        )

    async def _void_content(
        self, job: DeliveryJob, operator: Any, documents: dict[int, Any]
    ) -> Content:
        """Return a voided invoice or receipt, stamped VOID, with a line saying why."""
        if job.kind == delivery.VOID_RECEIPT:
            assert job.payment_id is not None
            doc = await payments.receipt_document(
                self.db, operator.id, job.payment_id, self.clock, voided=True
            )
            return Content(
                caption=texts.void_receipt_caption(doc),
                pdf=await self.renderer.render_receipt(doc),
                filename=receipt_filename(doc.payment),
            )
        document = documents.get(job.invoice_id) if job.invoice_id else None
        if document is None:
            return Content(caption="", skip_reason="the invoice no longer exists")
        return Content(
            caption=texts.void_invoice_caption(document),
            pdf=await self.renderer.render_invoice(document),
            filename=invoice_filename(document.invoice),
        )

    # Sending.

    async def _send_batch(
        self, jobs: list[DeliveryJob], contents: list[asyncio.Future[Content]]
    ) -> list[asyncio.Task[None]]:
        """Start a batch's sends, in order, each once its content is ready and Telegram allows.

        Returns the sends still waiting for Telegram's answer; the next batch need not wait
        for them.
        """
        started: list[asyncio.Task[None]] = []
        waiting = collections.deque(zip(jobs, contents, strict=True))
        try:
            held = await delivery.confirm_claims(
                self.db, (j.id for j in jobs), self.worker, self.clock
            )
            confirmed = time.monotonic()
            while waiting and not self._stopping:
                job, content = waiting[0]
                if not content.done() and not await self._ready_unless_stopped(content):
                    break  # stopped while its PDF is drawn: given back, not waited for
                task = await self._start_send(job, content, job.id in held, confirmed)
                waiting.popleft()
                if task is None:
                    self._active.discard(job.id)
                else:
                    started.append(task)
        finally:
            for job, content in waiting:  # stopped part-way: given back at the end of the drain
                self._drop(job.id, content)
                self._active.discard(job.id)
                self._unsent.append(job.id)
        return started

    async def _ready_unless_stopped(self, content: asyncio.Future[Content]) -> bool:
        """Wait for a content, or for a stop; return True if the content is ready."""
        halted = asyncio.ensure_future(self._halt.wait())
        try:
            await asyncio.wait((content, halted), return_when=asyncio.FIRST_COMPLETED)
        finally:
            halted.cancel()
        return content.done()

    async def _start_send(
        self,
        job: DeliveryJob,
        prepared: asyncio.Future[Content],
        held: bool,
        confirmed: float,
    ) -> asyncio.Task[None] | None:
        if not held:
            self._drop(job.id, prepared)
            log.warning("delivery %s was taken over by another sender; not sending", job.id)
            return None
        try:
            content = await prepared
        except Exception as exc:  # one bad delivery must not stop the others
            log.error("could not prepare delivery %s: %r", job.id, exc)
            await delivery.mark_retry(self.db, job.id, self.clock, error=repr(exc))
            self.stats.retried += 1
            return None
        if content.skip_reason:
            await delivery.mark_skipped(self.db, job.id, self.clock, reason=content.skip_reason)
            self.stats.skipped += 1
            return None
        await self._in_flight.acquire()
        try:
            await self._pace.wait_turn(job.chat_id)
            turn = await self._budget_turn()
            # A slow render or a long wait for a turn can outlast a good part of the lease, and
            # another sender may take a claim whose lease ran out: confirm it again first.
            if time.monotonic() - confirmed > self.lease.total_seconds() / 3:
                still = await delivery.confirm_claims(self.db, [job.id], self.worker, self.clock)
                if job.id not in still:
                    log.warning(
                        "delivery %s was taken over by another sender; not sending", job.id
                    )
                    if turn is not None:
                        await budget.give_back(self.db, turn, now_us=_now_us())
                    self._in_flight.release()
                    return None
        except BaseException:
            self._in_flight.release()
            raise
        task = asyncio.create_task(self._send_one(job, content, turn))
        # Even a task cancelled before it ever ran gives back its places.
        task.add_done_callback(functools.partial(self._send_finished, job.id))
        return task

    def _send_finished(self, job_id: int, task: asyncio.Task[None]) -> None:
        self._pace.answered_now()
        self._in_flight.release()
        if job_id not in self._unrecorded:  # else it stays, not to be sent again meanwhile
            self._active.discard(job_id)

    async def _budget_turn(self) -> int | None:
        """Wait for a turn in the bot's shared budget (None when the budget is not shared)."""
        if self._budget_bot is None:
            return None
        limit, window_us = self._budget
        while True:
            turn = await budget.take_turn(
                self.db, self._budget_bot, limit=limit, window_us=window_us, now_us=_now_us()
            )
            if turn is not None:
                return turn
            await asyncio.sleep(window_us / 20_000_000)

    async def _send_one(self, job: DeliveryJob, content: Content, turn: int | None) -> None:
        try:
            await self._deliver(job, content)
        finally:
            if turn is not None:
                with contextlib.suppress(Exception):  # uncounted after STALE_US at worst
                    await budget.give_back(self.db, turn, now_us=_now_us())

    async def _deliver(self, job: DeliveryJob, content: Content) -> None:
        db, clock, record = self.db, self.clock, functools.partial(self._record, job.id)
        try:
            message = await self._call_telegram(job, content)
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            self._pace.pause(seconds)
            self.stats.flood_waits += 1
            await record(
                functools.partial(
                    delivery.mark_retry,
                    db,
                    job.id,
                    clock,
                    error=f"flood control: retry after {seconds:g} s",
                    retry_after=timedelta(seconds=seconds),
                )
            )
            self.stats.retried += 1
        except Forbidden as exc:
            blocked = functools.partial(delivery.mark_blocked, db, job.id, clock, error=str(exc))
            await record(blocked)
            self.wake()  # the operator's notice may just have been queued
            self.stats.blocked += 1
        except BadRequest as exc:
            await record(
                functools.partial(delivery.mark_failed, db, job.id, clock, error=str(exc))
            )
            self.stats.failed += 1
        except (TimedOut, NetworkError) as exc:
            await record(functools.partial(delivery.mark_retry, db, job.id, clock, error=str(exc)))
            self.stats.retried += 1
        else:
            file_id = message.document.file_id if message.document else None
            sent = functools.partial(
                delivery.mark_sent, db, job.id, clock, message_id=message.message_id
            )
            await record(functools.partial(sent, file_id=file_id))
            self.stats.sent += 1

    async def _call_telegram(self, job: DeliveryJob, content: Content) -> Message:
        if content.text is not None:
            return await self.bot.send_message(
                chat_id=job.chat_id, text=content.text, reply_markup=content.buttons
            )
        if content.photo:
            return await self.bot.send_photo(
                chat_id=job.chat_id,
                photo=content.file_id,
                caption=content.caption,
                reply_markup=content.buttons,
            )
        document: str | InputFile
        if content.file_id:
            document = content.file_id
        else:
            assert content.pdf is not None
            document = InputFile(content.pdf, filename=content.filename)
        return await self.bot.send_document(
            chat_id=job.chat_id,
            document=document,
            caption=content.caption,
            reply_markup=content.buttons,
        )


async def warm_up(documents: DocumentRenderer) -> None:
    """Start the PDF workers in the background; a failure is logged (rendering will try again)."""
    started = time.monotonic()
    try:
        await documents.warm()
    except Exception as exc:  # the first render starts them again, or says why it cannot
        log.warning("the PDF workers did not start ahead: %r", exc)
    else:
        log.info("PDF workers ready in %.1f s", time.monotonic() - started)
