"""Families: /customers, /customer and its card's buttons, /invite, /statement, /export."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from vanbill.bot import keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.guards import actor_of, for_operator
from vanbill.services import (
    accounts,
    audit,
    corrections,
    customers,
    exports,
    families,
    languages,
    latefees,
    links,
    routes,
)
from vanbill.services.clock import local_today
from vanbill.services.documents import qr_png, statement_filename
from vanbill.services.errors import InvalidInput
from vanbill.services.periods import add_months, month_start
from vanbill.services.views import CustomerBalance, OperatorView, Page

PAGE_SIZE = 10
HISTORY_SHOWN = 15  # entries of a family's history shown at once
PAGE, CARD, UNPAID, PAY, STATEMENT, INVITE = "page", "card", "unpaid", "pay", "stmt", "inv"
ARCHIVE, UNARCHIVE, NEW_INVOICE = "arch", "unarch", "newinv"
HISTORY, FIX, LANGUAGE = "hist", "fix", "lang"

Action = Callable[[Update, VanBillContext, OperatorView, int], Awaitable[None]]


async def _reply(update: Update, text: str, **kwargs: Any) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, **kwargs)


# -- the list of families ------------------------------------------------------------------


async def _page(
    context: VanBillContext, operator: OperatorView, number: int
) -> Page[CustomerBalance]:
    """Return that page of families (the last one when number is past the end)."""
    db = context.services.db
    page = await customers.list_customers(db, operator.id, page=number, page_size=PAGE_SIZE)
    if not page.items and page.page > page.pages:
        page = await customers.list_customers(
            db, operator.id, page=page.pages, page_size=PAGE_SIZE
        )
    return page


@for_operator
async def list_families(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Show the first page (or the page typed after /customers) of families with balances."""
    page = await _page(context, operator, parsing.page_number(context.args, "/customers"))
    await _reply(
        update,
        texts.family_page(page, operator.currency),
        reply_markup=keyboards.family_page(operator.id, page),
    )


async def _turn_page(
    update: Update, context: VanBillContext, operator: OperatorView, number: int
) -> None:
    """Show another page of families in the same message."""
    query = update.callback_query
    assert query is not None
    page = await _page(context, operator, number)
    await query.edit_message_text(
        texts.family_page(page, operator.currency),
        reply_markup=keyboards.family_page(operator.id, page),
    )


# -- what a family's buttons (and the commands naming one family) do ------------------------


async def show_card(
    update: Update, context: VanBillContext, operator: OperatorView, customer_id: int
) -> None:
    """Show a family's card: parent, phone, link, children and routes, balance, buttons."""
    db, clock = context.services.db, context.services.clock
    family = await customers.get_customer(db, operator.id, customer_id)
    balance = await accounts.family_balance(db, operator.id, customer_id, clock)
    month = month_start(local_today(clock, operator.timezone))
    taken = await routes.list_enrollments(db, operator.id, customer_id, month=month)
    offer = (
        None
        if family.archived
        else await families.unbilled_month(db, operator.id, family.id, clock)
    )
    await _reply(
        update,
        texts.family_card(family, taken, balance, operator.currency),
        reply_markup=keyboards.family_card(
            operator.id, family, texts.bill_now_button(offer.period) if offer else None
        ),
    )


async def show_unpaid(
    update: Update, context: VanBillContext, operator: OperatorView, customer_id: int
) -> None:
    """List the family's unpaid invoices."""
    services = context.services
    balance = await accounts.family_balance(services.db, operator.id, customer_id, services.clock)
    late = [(i.id, i.number) for i in balance.unpaid if i.late_fee_sen]
    markup = keyboards.waive_late_fees(operator.id, late) if late else None
    await _reply(update, texts.unpaid_invoices(balance, operator.currency), reply_markup=markup)


async def point_to_paid(
    update: Update, context: VanBillContext, operator: OperatorView, customer_id: int
) -> None:
    """Say how to record a payment (/paid does it)."""
    family = await customers.get_customer(context.services.db, operator.id, customer_id)
    await _reply(update, texts.use_paid(family.name))


async def point_to_newinvoice(
    update: Update, context: VanBillContext, operator: OperatorView, customer_id: int
) -> None:
    """Say how to bill the family something extra (/newinvoice does it)."""
    family = await customers.get_customer(context.services.db, operator.id, customer_id)
    await _reply(update, texts.use_newinvoice(family.name))


async def send_statement(
    update: Update, context: VanBillContext, operator: OperatorView, customer_id: int
) -> None:
    """Send the family's statement PDF, from the start of last month to today (local dates)."""
    services = context.services
    today = local_today(services.clock, operator.timezone)
    start = add_months(month_start(today), -1)
    document = await accounts.statement_document(
        services.db, operator.id, customer_id, services.clock, start, today
    )
    pdf = await services.documents.render_statement(document)
    assert update.effective_chat is not None
    await update.effective_chat.send_document(
        InputFile(pdf, filename=statement_filename(document.statement)),
        caption=texts.statement_caption(document.statement),
    )


async def send_invite(
    update: Update, context: VanBillContext, operator: OperatorView, customer_id: int
) -> None:
    """Give a one-time deep link that links the parent's Telegram to this family."""
    services = context.services
    family = await customers.get_customer(services.db, operator.id, customer_id)
    token = await links.create_parent_invite(services.db, operator.id, customer_id, services.clock)
    link = texts.deep_link(context.bot.username, token)
    assert update.effective_chat is not None
    # One message: the link to forward, and the same link as a QR code to print or scan.
    await update.effective_chat.send_photo(
        InputFile(qr_png(link), filename="invite.png"),
        caption=f"{texts.INVITE_QR_NOTE}\n\n{texts.parent_invite(family, link)}",
    )


def _archiver(archived: bool) -> Action:
    async def archive(
        update: Update, context: VanBillContext, operator: OperatorView, customer_id: int
    ) -> None:
        """Archive the family (or bring it back), then show its card again."""
        services = context.services
        family = await families.set_archived(
            services.db,
            operator.id,
            customer_id,
            services.clock,
            await actor_of(update, context),
            archived,
        )
        await _reply(update, texts.family_archived(family))
        await show_card(update, context, operator, customer_id)

    return archive


async def show_history(
    update: Update, context: VanBillContext, operator: OperatorView, customer_id: int
) -> None:
    """Show the family's latest history entries in plain words, newest first."""
    db = context.services.db
    family = await customers.get_customer(db, operator.id, customer_id)
    events = await audit.family_history(db, operator.id, customer_id, limit=HISTORY_SHOWN)
    await _reply(update, texts.family_history(family.name, events, operator))


async def show_fixes(
    update: Update, context: VanBillContext, operator: OperatorView, customer_id: int
) -> None:
    """Offer a Void button for each of the family's latest invoices and payments."""
    services = context.services
    found = await corrections.correctable(services.db, operator.id, customer_id, services.clock)
    await _reply(
        update,
        texts.fix_menu(found.customer_name, len(found.invoices), len(found.payments)),
        reply_markup=keyboards.fix_menu(operator.id, found, operator.currency),
    )


async def ask_family_language(
    update: Update, context: VanBillContext, operator: OperatorView, customer_id: int
) -> None:
    """Offer the languages a family's documents can be in (a parent not linked yet, say)."""
    family = await customers.get_customer(context.services.db, operator.id, customer_id)
    await _reply(
        update,
        texts.family_language_prompt(family),
        reply_markup=keyboards.family_languages(operator.id, family),
    )


@for_operator
async def family_language_button(
    update: Update, context: VanBillContext, operator: OperatorView
) -> None:
    """Set the language a family's invoices, reminders and receipts are in."""
    query = update.callback_query
    assert query is not None
    action, argument = parsing.owned_button(
        query.data, parsing.FAMILY_LANGUAGE_PREFIX, operator.id, parsing.FAMILY_LANGUAGES
    )
    db = context.services.db
    customer_id, locale = parsing.button_number(argument), parsing.FAMILY_LANGUAGES[action]
    await languages.set_family_language(db, operator.id, customer_id, locale)
    family = await customers.get_customer(db, operator.id, customer_id)
    await keyboards.drop_buttons(query)
    await _reply(update, texts.family_language_set(family.name, locale))
    await query.answer()


async def joining_offer(
    context: VanBillContext, operator: OperatorView, customer_id: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    """Return the question and buttons of how this month is billed for a family just added
    in its middle, before the month's run (None when there is nothing to choose)."""
    services = context.services
    preview = await families.family_join_preview(
        services.db, operator.id, customer_id, services.clock
    )
    if preview is None:
        return None
    family = await customers.get_customer(services.db, operator.id, customer_id)
    choices = [
        (rule, texts.bill_button(rule, preview.figures[rule], operator.currency))
        for rule in parsing.JOIN_RULES
    ]
    return (
        texts.ask_join_billing(family.name, preview.joined_on, preview.period),
        keyboards.family_join(operator.id, customer_id, choices),
    )


@for_operator
async def family_join_button(
    update: Update, context: VanBillContext, operator: OperatorView
) -> None:
    """Bill the month a family just added joins in by the rule tapped (once)."""
    query = update.callback_query
    assert query is not None
    _, argument = parsing.owned_button(
        query.data, parsing.FAMILY_JOIN_PREFIX, operator.id, ("bill",)
    )
    family_id, _, rule = argument.partition("-")
    if rule not in parsing.JOIN_RULES:
        raise InvalidInput(parsing.STALE_BUTTON)
    services = context.services
    customer_id = parsing.button_number(family_id)
    period, figure = await families.set_family_joining(
        services.db,
        operator.id,
        customer_id,
        services.clock,
        await actor_of(update, context),
        rule,
    )
    family = await customers.get_customer(services.db, operator.id, customer_id)
    await keyboards.drop_buttons(query)
    await _reply(update, texts.join_billing_saved(family.name, period, figure, operator.currency))
    await query.answer()


ACTIONS: dict[str, Action] = {
    PAGE: _turn_page,
    CARD: show_card,
    UNPAID: show_unpaid,
    PAY: point_to_paid,
    STATEMENT: send_statement,
    INVITE: send_invite,
    ARCHIVE: _archiver(True),
    UNARCHIVE: _archiver(False),
    NEW_INVOICE: point_to_newinvoice,
    HISTORY: show_history,
    FIX: show_fixes,
    LANGUAGE: ask_family_language,
}


@for_operator
async def family_button(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Do what a family button says, after checking it is this operator's and family's."""
    query = update.callback_query
    assert query is not None
    action, argument = parsing.owned_button(
        query.data, parsing.FAMILY_PREFIX, operator.id, ACTIONS
    )
    # The family id is checked by each service call: another operator's family is NotFound.
    high = parsing.MAX_PAGE if action == PAGE else parsing.MAX_ID
    await ACTIONS[action](update, context, operator, parsing.button_number(argument, high=high))
    await query.answer()


# -- commands naming a family by name or phone ---------------------------------------------


def _finder(
    action: str, *, include_archived: bool
) -> Callable[[Update, VanBillContext], Awaitable[None]]:
    @for_operator
    async def find(update: Update, context: VanBillContext, operator: OperatorView) -> None:
        """Find the family typed after the command: one does it, several offer buttons."""
        wanted = parsing.search_text(context.args)
        if not wanted:
            await _reply(update, texts.name_a_family(action))
            return
        found = await customers.find_customers(
            context.services.db, operator.id, wanted, include_archived=include_archived
        )
        if len(found) == 1:
            await ACTIONS[action](update, context, operator, found[0].id)
            return
        markup = keyboards.family_choices(operator.id, found, action) if found else None
        await _reply(update, texts.families_found(wanted, len(found)), reply_markup=markup)

    return find


@for_operator
async def export(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Send the operator's families, invoices, payments and history as four CSV files."""
    db = context.services.db
    assert update.effective_chat is not None
    for name, make in (
        ("customers.csv", exports.export_customers),
        ("invoices.csv", exports.export_invoices),
        ("payments.csv", exports.export_payments),
        ("history.csv", exports.export_history),
    ):
        await update.effective_chat.send_document(
            InputFile(await make(db, operator.id), filename=name),
            caption=texts.export_caption(name),
        )


@for_operator
async def waive_button(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Waive an invoice's late fee with one tap."""
    query = update.callback_query
    assert query is not None
    _, argument = parsing.owned_button(
        query.data, parsing.LATE_FEE_PREFIX, operator.id, ("waive",)
    )
    services = context.services
    waived = await latefees.waive_late_fee(
        services.db,
        operator.id,
        parsing.button_number(argument),
        services.clock,
        await actor_of(update, context),
    )
    await keyboards.drop_buttons(query)
    await _reply(update, texts.late_fee_waived(waived, operator.currency))
    await query.answer()


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Return this area's handlers."""
    return [
        CallbackQueryHandler(waive_button, pattern=rf"^{parsing.LATE_FEE_PREFIX}:"),
        CallbackQueryHandler(
            family_language_button, pattern=rf"^{parsing.FAMILY_LANGUAGE_PREFIX}:"
        ),
        CallbackQueryHandler(family_join_button, pattern=rf"^{parsing.FAMILY_JOIN_PREFIX}:"),
        CommandHandler("customers", list_families),
        CommandHandler("customer", _finder(CARD, include_archived=True)),
        CommandHandler("invite", _finder(INVITE, include_archived=False)),
        CommandHandler("statement", _finder(STATEMENT, include_archived=True)),
        CommandHandler("export", export),
        CallbackQueryHandler(family_button, pattern=rf"^{parsing.FAMILY_PREFIX}:"),
    ]
