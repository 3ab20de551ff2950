"""Build the python-telegram-bot Application: handlers, persistence, start-up and shut-down."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, BaseRateLimiter, Defaults

from vanbill.bot import commands, errors
from vanbill.bot.context import CONTEXT_TYPES, Services, VanBillApplication
from vanbill.bot.conversations import (
    business,
    family,
    flows,
    newcustomer,
    newinvoice,
    newservice,
    paid,
    setup,
    voiding,
)
from vanbill.bot.handlers import (
    corrections,
    files,
    language,
    linking,
    parents,
    remind,
    runs,
    sharing,
    slips,
    start,
    summary,
    switching,
)
from vanbill.bot.handlers import customers as family_handlers
from vanbill.bot.handlers import help as help_handlers
from vanbill.bot.handlers import invoices as invoice_handlers
from vanbill.bot.handlers import services as route_handlers
from vanbill.bot.intake import PersonByPerson
from vanbill.bot.pacing import ChatPacer
from vanbill.bot.persistence import DatabasePersistence
from vanbill.bot.schedule import TICK, Scheduler
from vanbill.bot.sender import OutboxSender, warm_up
from vanbill.services import operators
from vanbill.services.clock import Clock, SystemClock, zone
from vanbill.services.config import Settings
from vanbill.services.db import Database
from vanbill.services.documents import DocumentRenderer

log = logging.getLogger(__name__)

CONVERSATION_TIMEOUT = flows.DEFAULT_TIMEOUT
PERSISTENCE_INTERVAL = 1.0  # seconds between writes of conversation states and user data
_DEFAULT_LIMITER: Any = object()


def register_handlers(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    conversation_timeout: timedelta | None = CONVERSATION_TIMEOUT,
) -> None:
    """Add every handler in order; the catch-alls of bot/handlers/help.py come last."""
    for group, handler in sharing.handlers():
        application.add_handler(handler, group=group)
    application.add_handlers(switching.handlers(), group=switching.GROUP)
    # The set-up's /start leads a new operator through it and hands anyone else to start.py.
    application.add_handler(setup.conversation(conversation_timeout))
    application.add_handlers(start.handlers())
    application.add_handlers(language.handlers())
    application.add_handler(business.conversation(conversation_timeout))
    application.add_handlers(linking.handlers())
    application.add_handlers(runs.handlers())
    application.add_handler(slips.conversation(conversation_timeout))
    application.add_handlers(files.handlers())  # an operator's files; a parent's go on to slips
    application.add_handlers(slips.handlers())
    # /invoices: parents get their own list, operators go on to the operators' list.
    application.add_handlers(parents.handlers(invoice_handlers.list_invoices))
    application.add_handler(newservice.conversation(conversation_timeout))
    application.add_handler(newcustomer.conversation(conversation_timeout))
    application.add_handlers(route_handlers.handlers(conversation_timeout))
    application.add_handler(family.conversation(conversation_timeout))
    application.add_handlers(family_handlers.handlers())
    application.add_handler(newinvoice.conversation(conversation_timeout))
    application.add_handler(paid.conversation(conversation_timeout))
    application.add_handlers(invoice_handlers.handlers())
    application.add_handler(voiding.conversation(conversation_timeout))
    application.add_handlers(corrections.handlers())
    application.add_handlers(summary.handlers())
    application.add_handlers(remind.handlers())
    # New areas go here, before the catch-alls.
    application.add_handlers(help_handlers.handlers())
    application.add_error_handler(errors.handle_error)


def build_application(
    settings: Settings,
    db: Database | None = None,
    clock: Clock | None = None,
    *,
    conversation_timeout: timedelta | None = CONVERSATION_TIMEOUT,
    persistence_interval: float = PERSISTENCE_INTERVAL,
    rate_limiter: BaseRateLimiter[Any] | None = _DEFAULT_LIMITER,
    renderer: DocumentRenderer | None = None,
    run_sender: bool = True,
    sender_options: dict[str, Any] | None = None,
    run_schedules: bool = True,
    intake: PersonByPerson | None = None,
    warm_pdf_workers: bool = False,
) -> VanBillApplication:
    """Return the Application for these settings (the database is made from them if not given).

    With warm_pdf_workers (`vanbill run`), the PDF worker processes start in the background as
    the bot starts, not when the first month's invoices are waiting for them.
    """
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    database = db if db is not None else Database(settings.database_url)
    the_clock = clock if clock is not None else SystemClock()

    owned_renderer: list[DocumentRenderer] = []
    background: list[tuple[asyncio.Event, asyncio.Task[None]]] = []
    warming: list[asyncio.Task[None]] = []

    async def post_init(application: VanBillApplication) -> None:
        documents = renderer
        if documents is None:
            documents = DocumentRenderer()  # checks the fonts: a clear error, never tofu
            owned_renderer.append(documents)
        if warm_pdf_workers and run_sender:
            warming.append(asyncio.create_task(warm_up(documents), name="warm PDF workers"))
        outbox = None
        if run_sender:
            outbox = OutboxSender(
                application.bot,
                database,
                the_clock,
                documents,
                **(sender_options or {}),
            )
            stop = asyncio.Event()
            background.append((stop, asyncio.create_task(outbox.run(stop), name="outbox")))
        scheduler = Scheduler(
            application.bot, database, the_clock, outbox.wake if outbox is not None else None
        )
        if run_schedules and application.job_queue is not None:
            # Every minute: due runs and reminders are decided from the database each time.
            application.job_queue.run_repeating(
                scheduler.job, interval=TICK, first=timedelta(seconds=5), name="schedules"
            )
        application.bot_data.services = Services(
            db=database,
            clock=the_clock,
            settings=settings,
            documents=documents,
            outbox=outbox,
            scheduler=scheduler,
        )
        menus: dict[int, str | None] = dict.fromkeys(settings.admin_ids)
        menus.update(
            (op.telegram_user_id, op.language) for op in await operators.list_operators(database)
        )
        await commands.publish(application.bot, menus)
        log.info("VanBill is up as @%s", application.bot.username)

    async def post_stop(application: VanBillApplication) -> None:
        # After the updates stop and before the bot's HTTP client closes (shutdown): the sender
        # finishes its sends in flight and gives back the rest.
        for stop, task in background:
            stop.set()
            await task
        background.clear()
        for task in warming:
            task.cancel()
        warming.clear()

    async def post_shutdown(application: VanBillApplication) -> None:
        await post_stop(application)  # in case stop was never reached
        application.bot_data.services = None
        for documents in owned_renderer:
            documents.close()
        owned_renderer.clear()
        await database.dispose()

    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        .context_types(CONTEXT_TYPES)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=zone(settings.timezone)))
        .persistence(
            DatabasePersistence(database, the_clock, update_interval=persistence_interval)
        )
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        # Different people's updates at once, one person's in order; floods and odd updates
        # turned away.
        .concurrent_updates(intake if intake is not None else PersonByPerson())
    )
    if rate_limiter is _DEFAULT_LIMITER:
        # Per chat: a reply held up by one chat's flood control never holds up another chat.
        rate_limiter = ChatPacer(max_retries=3)
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    application: VanBillApplication = builder.build()  # type: ignore[assignment]
    register_handlers(application, conversation_timeout=conversation_timeout)
    return application
