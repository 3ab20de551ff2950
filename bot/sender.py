"""The outbox sender: claims due deliveries, renders ahead, sends within Telegram's limits.

Rendering runs ahead of sending: while one batch goes out, the next is rendered in the worker
processes. Sends are launched at most `rate` per second overall and one per second per chat,
several in flight at once (Telegram's latency does not slow the pace). On 429 the sender waits
what Telegram asks and the delivery goes back to the outbox; a 403 marks the family blocked and
tells the operator once; a network error retries with backoff.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import Bot, InputFile, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot import texts
from services import customers, delivery, invoices, operators, payments
from services.clock import Clock
from services.db import Database
from services.delivery import DeliveryJob
from services.documents import DocumentRenderer, invoice_filename, receipt_filename

log = logging.getLogger(__name__)

DEFAULT_RATE = 29.0  # Telegram allows about 30 messages a second to different chats
PER_CHAT_INTERVAL = 1.0


@dataclass
class SendStats:
    """What a sender did (for logs, the bench and tests)."""

    sent: int = 0
    skipped: int = 0
    retried: int = 0
    blocked: int = 0
    failed: int = 0
    flood_waits: int = 0
    render_seconds: float = 0.0
    rendered: int = 0

    def total(self) -> int:
        """Return how many deliveries reached an end or went back to wait."""
        return self.sent + self.skipped + self.retried + self.blocked + self.failed


@dataclass(frozen=True)
class Content:
    """What one delivery sends: a document (bytes or an uploaded file id) and a caption."""

    caption: str
    pdf: bytes | None = None
    filename: str = "document.pdf"
    file_id: str | None = None
    skip_reason: str | None = None
    operator_chat: int | None = None


@dataclass
class _Pace:
    """Launch times: `rate` per second overall, one per PER_CHAT_INTERVAL per chat."""

    rate: float
    next_slot: float = 0.0
    last_by_chat: dict[int, float] = field(default_factory=dict)
    paused_until: float = 0.0

    async def wait_turn(self, chat_id: int) -> None:
        now = time.monotonic()
        start = max(now, self.next_slot, self.paused_until)
        start = max(start, self.last_by_chat.get(chat_id, -1e9) + PER_CHAT_INTERVAL)
        self.next_slot = start + 1.0 / self.rate
        self.last_by_chat[chat_id] = start
        if start > now:
            await asyncio.sleep(start - now)

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
        batch: int = 20,
        depth: int = 3,
        lease: timedelta = delivery.DEFAULT_LEASE,
        max_in_flight: int = 16,
        on_blocked: Callable[[int, int], Awaitable[None]] | None = None,
    ) -> None:
        self.bot = bot
        self.db = db
        self.clock = clock
        self.renderer = renderer
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch
        self.depth = depth
        self.lease = lease
        self.stats = SendStats()
        self._pace = _Pace(rate)
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._wake = asyncio.Event()
        self._on_blocked = on_blocked
        self._active: set[int] = set()

    def wake(self) -> None:
        """Tell a sleeping run loop that something was just queued."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, idle: float = 2.0) -> None:
        """Send until stop is set, sleeping `idle` seconds (or until woken) when nothing is due."""
        while not stop.is_set():
            try:
                done = await self.drain()
            except Exception:  # keep the loop alive through a database hiccup
                log.exception("the outbox sender failed a pass; trying again shortly")
                done = 0
            if done == 0:
                self._wake.clear()
                waiters = [
                    asyncio.create_task(stop.wait()),
                    asyncio.create_task(self._wake.wait()),
                ]
                _, pending = await asyncio.wait(
                    waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED
                )
                for task in pending:
                    task.cancel()

    async def drain(self, operator_id: int | None = None) -> int:
        """Send everything due now; later batches render while earlier ones go out."""
        handled = 0
        pipeline: collections.deque[tuple[list[DeliveryJob], asyncio.Task[Any]]] = (
            collections.deque()
        )

        async def refill() -> None:
            while len(pipeline) < self.depth:
                jobs = await self._claim(operator_id)
                if not jobs:
                    return
                pipeline.append((jobs, asyncio.create_task(self._prepare_all(jobs))))

        try:
            await refill()
            while pipeline:
                jobs, prepared = pipeline.popleft()
                contents = await prepared
                await refill()  # keep the PDF workers busy while this batch goes out
                await self._send_all(jobs, contents)
                handled += len(jobs)
        finally:
            for jobs, prepared in pipeline:  # cancelled mid-way: the lease returns them
                prepared.cancel()
                self._active.difference_update(job.id for job in jobs)
        return handled

    async def _claim(self, operator_id: int | None) -> list[DeliveryJob]:
        jobs = await delivery.claim_due(
            self.db,
            self.worker,
            self.clock,
            limit=self.batch,
            lease=self.lease,
            operator_id=operator_id,
        )
        # A lease that ran out while this very process still holds the job (a slow send, a
        # clock that jumped) must not make this process send it a second time.
        fresh = [job for job in jobs if job.id not in self._active]
        self._active.update(job.id for job in fresh)
        return fresh

    # Preparing content: documents fetched in bulk, PDFs rendered in the worker processes.

    async def _prepare_all(self, jobs: list[DeliveryJob]) -> list[Content | BaseException]:
        started = time.perf_counter()
        try:
            by_operator: dict[int, list[DeliveryJob]] = {}
            for job in jobs:
                by_operator.setdefault(job.operator_id, []).append(job)
            results: dict[int, Content | BaseException] = {}
            for operator_id, group in by_operator.items():
                results.update(await self._prepare_group(operator_id, group))
            return [results[job.id] for job in jobs]
        finally:
            self.stats.render_seconds += time.perf_counter() - started

    async def _prepare_group(
        self, operator_id: int, jobs: list[DeliveryJob]
    ) -> dict[int, Content | BaseException]:
        operator = await operators.get_operator(self.db, operator_id)
        wanted = [j.invoice_id for j in jobs if j.invoice_id is not None]
        documents = await invoices.invoice_documents(self.db, operator_id, wanted, self.clock)
        to_render = [
            j
            for j in jobs
            if j.kind == "invoice" or (j.kind == "reminder" and not j.reuse_file_id)
        ]
        to_render = [j for j in to_render if j.invoice_id in documents]
        pdfs = dict(
            zip(
                [j.id for j in to_render],
                await self.renderer.render_invoices([documents[j.invoice_id] for j in to_render]),
                strict=True,
            )
        )
        self.stats.rendered += len(pdfs)
        out: dict[int, Content | BaseException] = {}
        for job in jobs:
            try:
                out[job.id] = await self._content(job, operator, documents, pdfs)
            except Exception as exc:  # one bad delivery must not stop the others
                out[job.id] = exc
        return out

    async def _content(
        self,
        job: DeliveryJob,
        operator: Any,
        documents: dict[int, Any],
        pdfs: dict[int, bytes],
    ) -> Content:
        if job.kind == "receipt":
            assert job.payment_id is not None
            doc = await payments.receipt_document(self.db, operator.id, job.payment_id, self.clock)
            return Content(
                caption=texts.receipt_caption(doc),
                pdf=await self.renderer.render_receipt(doc),
                filename=receipt_filename(doc.payment),
            )
        document = documents.get(job.invoice_id) if job.invoice_id else None
        if document is None:
            return Content(caption="", skip_reason="the invoice no longer exists")
        invoice = document.invoice
        if job.kind == "invoice":
            if invoice.status == "void":
                return Content(caption="", skip_reason="the invoice was voided")
            return Content(
                caption=texts.invoice_caption(document),
                pdf=pdfs[job.id],
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
            return Content(caption=caption, pdf=pdfs[job.id], filename=invoice_filename(invoice))
        return Content(caption="", skip_reason=f"unknown delivery kind {job.kind!r}")

    # Sending.

    async def _send_all(
        self, jobs: list[DeliveryJob], contents: list[Content | BaseException]
    ) -> None:
        try:
            await self._send_batch(jobs, contents)
        finally:
            self._active.difference_update(job.id for job in jobs)

    async def _send_batch(
        self, jobs: list[DeliveryJob], contents: list[Content | BaseException]
    ) -> None:
        tasks = []
        held = await delivery.confirm_claims(
            self.db, (j.id for j in jobs), self.worker, self.clock
        )
        for job, content in zip(jobs, contents, strict=True):
            if job.id not in held:
                log.warning("delivery %s was taken over by another sender; not sending", job.id)
                continue
            if isinstance(content, BaseException):
                log.error("could not prepare delivery %s: %r", job.id, content)
                await delivery.mark_retry(self.db, job.id, self.clock, error=repr(content))
                self.stats.retried += 1
                continue
            if content.skip_reason:
                await delivery.mark_skipped(
                    self.db, job.id, self.clock, reason=content.skip_reason
                )
                self.stats.skipped += 1
                continue
            await self._in_flight.acquire()
            await self._pace.wait_turn(job.chat_id)
            tasks.append(asyncio.create_task(self._send_one(job, content)))
        if tasks:
            await asyncio.gather(*tasks)

    async def _send_one(self, job: DeliveryJob, content: Content) -> None:
        try:
            message = await self._call_telegram(job, content)
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            self._pace.pause(seconds)
            self.stats.flood_waits += 1
            await delivery.mark_retry(
                self.db,
                job.id,
                self.clock,
                error=f"flood control: retry after {seconds:g} s",
                retry_after=timedelta(seconds=seconds),
            )
            self.stats.retried += 1
        except Forbidden as exc:
            first = await delivery.mark_blocked(self.db, job.id, self.clock, error=str(exc))
            self.stats.blocked += 1
            if first and self._on_blocked is not None:
                await self._on_blocked(job.operator_id, job.customer_id)
        except BadRequest as exc:
            await delivery.mark_failed(self.db, job.id, self.clock, error=str(exc))
            self.stats.failed += 1
        except (TimedOut, NetworkError) as exc:
            await delivery.mark_retry(self.db, job.id, self.clock, error=str(exc))
            self.stats.retried += 1
        else:
            file_id = message.document.file_id if message.document else None
            await delivery.mark_sent(
                self.db, job.id, self.clock, message_id=message.message_id, file_id=file_id
            )
            self.stats.sent += 1
        finally:
            self._in_flight.release()

    async def _call_telegram(self, job: DeliveryJob, content: Content) -> Message:
        document: str | InputFile
        if content.file_id:
            document = content.file_id
        else:
            assert content.pdf is not None
            document = InputFile(content.pdf, filename=content.filename)
        return await self.bot.send_document(
            chat_id=job.chat_id, document=document, caption=content.caption
        )
