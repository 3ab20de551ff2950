"""/invoices lists invoices, /invoice <number> shows one as a PDF, and Send to parent queues it."""

from __future__ import annotations

import contextlib

from telegram import InputFile, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from vanbill.bot import keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.guards import for_operator
from vanbill.services import customers, delivery, invoices
from vanbill.services.documents import invoice_filename
from vanbill.services.errors import Conflict
from vanbill.services.views import OperatorView

LIST_FETCH = 500  # the most list_invoices returns; the reply shows texts.INVOICE_LIST_LIMIT
SEND = "send"


@for_operator
async def list_invoices(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """List invoices: the latest, the unpaid or overdue ones, or one month's."""
    chat, services = update.effective_chat, context.services
    assert chat is not None
    which, period = parsing.invoice_filter(context.args)
    found = await invoices.list_invoices(
        services.db, operator.id, services.clock, which=which, period=period, limit=LIST_FETCH
    )  # type: ignore[arg-type]
    await chat.send_message(texts.invoice_list(found, which, period, operator.currency))


@for_operator
async def show_invoice(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Send one invoice as its PDF, with a short caption and a Send to parent button."""
    chat, services = update.effective_chat, context.services
    assert chat is not None
    number = parsing.invoice_number(context.args)
    found = await invoices.find_invoice_by_number(services.db, operator.id, number, services.clock)
    document = await invoices.invoice_document(services.db, operator.id, found.id, services.clock)
    pdf = await services.documents.render_invoice(document)
    invoice = document.invoice
    await chat.send_document(
        InputFile(pdf, filename=invoice_filename(invoice)),
        caption=texts.invoice_caption_for_operator(invoice, operator.currency),
        reply_markup=None
        if invoice.status == "void"
        else keyboards.send_to_parent(operator.id, invoice.id),
    )


@for_operator
async def send_to_parent(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Queue an invoice for the family's parent (the button names the operator and invoice)."""
    query, chat, services = update.callback_query, update.effective_chat, context.services
    assert query is not None and chat is not None
    _, argument = parsing.owned_button(query.data, parsing.INVOICE_PREFIX, operator.id, (SEND,))
    invoice_id = parsing.button_number(argument)
    # Another operator's invoice is NotFound here, before anything is queued.
    invoice = await invoices.get_invoice(services.db, operator.id, invoice_id, services.clock)
    if invoice.status == "void":
        raise Conflict("invoice.void_nothing_to_send", number=invoice.number)
    queued = await delivery.send_invoice(services.db, operator.id, invoice.id, services.clock)
    services.wake_outbox()
    family = await customers.get_customer(services.db, operator.id, invoice.customer_id)
    await query.answer()
    with contextlib.suppress(BadRequest):  # already without buttons
        await query.edit_message_reply_markup(None)
    await chat.send_message(texts.invoice_sent(invoice, family.linked, queued))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Return this area's handlers (/invoices reaches list_invoices through parents.py)."""
    return [
        CommandHandler("invoice", show_invoice),
        CallbackQueryHandler(send_to_parent, pattern=rf"^{parsing.INVOICE_PREFIX}:"),
    ]
