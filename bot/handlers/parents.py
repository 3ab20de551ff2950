"""Parents: /balance and /invoices (each invoice's PDF a tap away); only their own families."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from vanbill.bot import keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.guards import allow, sender_of
from vanbill.services import accounts, invoices, operators
from vanbill.services.documents import invoice_filename
from vanbill.services.errors import NotFound, PermissionDenied
from vanbill.services.roles import OPERATOR, PARENT, Family
from vanbill.services.views import InvoiceDocument, OperatorView

RECENT_INVOICES = 10
ALL_OF_A_FAMILY = 500  # list_invoices gives the oldest first: take them all, keep the newest
Callback = Callable[[Update, VanBillContext], Awaitable[Any]]


async def _operators(
    context: VanBillContext, families: tuple[Family, ...]
) -> dict[int, OperatorView]:
    db = context.services.db
    return {
        operator_id: await operators.get_operator(db, operator_id)
        for operator_id in dict.fromkeys(f.operator_id for f in families)
    }


@allow(PARENT)
async def balance(update: Update, context: VanBillContext) -> None:
    """Show each of the parent's families: unpaid invoices and the total, or that all is paid."""
    sender, services = await sender_of(update, context), context.services
    chat = update.effective_chat
    assert chat is not None
    businesses = await _operators(context, sender.families)
    sections, owing = [], False
    for family in sender.families:
        account = await accounts.family_balance(
            services.db, family.operator_id, family.customer_id, services.clock
        )
        owing = owing or account.balance_sen > 0
        sections.append(texts.family_balance(businesses[family.operator_id], account))
    await chat.send_message(texts.balances(sections, owing=owing))


@allow(PARENT)
async def parent_invoices(update: Update, context: VanBillContext) -> None:
    """List each family's recent invoices, newest first, with a PDF button for each."""
    sender, services = await sender_of(update, context), context.services
    chat = update.effective_chat
    assert chat is not None
    businesses = await _operators(context, sender.families)
    for family in sender.families:
        oldest_first = await invoices.list_invoices(
            services.db,
            family.operator_id,
            services.clock,
            customer_id=family.customer_id,
            limit=ALL_OF_A_FAMILY,
        )
        recent = oldest_first[::-1][:RECENT_INVOICES]
        await chat.send_message(
            texts.parent_invoices(businesses[family.operator_id], family.name, recent),
            reply_markup=keyboards.parent_invoices(
                family.customer_id, [(i.id, i.number) for i in recent]
            )
            if recent
            else None,
        )


async def _own_invoice(
    context: VanBillContext, family: Family, invoice_id: int
) -> InvoiceDocument:
    """Return the invoice's document if it is this family's; anything else is 'not yours'."""
    services = context.services
    try:
        document = await invoices.invoice_document(
            services.db, family.operator_id, invoice_id, services.clock
        )
    except NotFound:
        raise PermissionDenied(texts.INVOICE_NOT_YOURS) from None
    if document.invoice.customer_id != family.customer_id:
        raise PermissionDenied(texts.INVOICE_NOT_YOURS)
    return document


@allow(PARENT)
async def invoice_pdf(update: Update, context: VanBillContext) -> None:
    """Send the PDF of the invoice the button names, after checking it is the parent's."""
    sender = await sender_of(update, context)
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    families = {f.customer_id: f for f in sender.families}
    customer_id, invoice_id = parsing.parent_invoice_button(query.data, families)
    document = await _own_invoice(context, families[customer_id], invoice_id)
    await query.answer()
    pdf = await context.services.documents.render_invoice(document)
    await chat.send_document(
        pdf, filename=invoice_filename(document.invoice), caption=texts.invoice_caption(document)
    )


def invoices_command(operator_invoices: Callback | None = None) -> CommandHandler:  # type: ignore[type-arg]
    """Return /invoices: a parent's own list; an operator's goes on to operator_invoices.

    Python-telegram-bot runs the first matching handler of a group, so one command cannot have a
    parents' handler and an operators' handler side by side; this one handler routes by role.
    """
    if operator_invoices is None:
        return CommandHandler("invoices", parent_invoices)
    operators_callback = operator_invoices

    @allow(PARENT, OPERATOR)
    async def by_role(update: Update, context: VanBillContext) -> Any:
        """Answer a parent here and hand an operator to the operators' /invoices."""
        if (await sender_of(update, context)).is_operator:
            return await operators_callback(update, context)
        return await parent_invoices(update, context)

    return CommandHandler("invoices", by_role)


def handlers(operator_invoices: Callback | None = None) -> list[BaseHandler]:  # type: ignore[type-arg]
    """Return this area's handlers (/invoices routes operators to operator_invoices, if given)."""
    return [
        CommandHandler("balance", balance),
        invoices_command(operator_invoices),
        CallbackQueryHandler(invoice_pdf, pattern=rf"^{parsing.PARENT_INVOICE_PREFIX}:"),
    ]
