"""/newinvoice: an invoice made by hand for one family, line by line, previewed, then created.

The draft lives in user_data as plain JSON (ids and sen, never objects), so the database
persistence keeps it across a restart and the operator carries on where they were.
"""

from __future__ import annotations

import contextlib
import functools
from datetime import date, timedelta
from typing import Any

from telegram import InputFile, Update
from telegram.error import BadRequest
from telegram.ext import (
    ConversationHandler,
)

from vanbill.bot import keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.conversations import flows
from vanbill.bot.conversations.flows import DEFAULT_TIMEOUT, button_flow
from vanbill.bot.errors import replies_on_error, show_error
from vanbill.bot.guards import actor_of, allow
from vanbill.services import customers, delivery, invoices, monthly
from vanbill.services.billing import NewLine, due_date_for
from vanbill.services.documents import invoice_filename
from vanbill.services.errors import Conflict, InvalidInput, VanBillError
from vanbill.services.money import parse_amount
from vanbill.services.roles import OPERATOR
from vanbill.services.views import OperatorView

NAME = "newinvoice"
FAMILY, LINES, DESCRIPTION, AMOUNT, QUANTITY, DUE = (
    "family",
    "lines",
    "description",
    "amount",
    "quantity",
    "due",
)
DRAFT = "newinvoice"  # user_data key of the draft
PREFIX = parsing.NEWINVOICE_PREFIX
PICK, ADD, UNDO, SET_DUE, PREVIEW, CONFIRM, CANCEL, ONE = (
    "fam",
    "add",
    "undo",
    "due",
    "preview",
    "ok",
    "cancel",
    "one",
)
ACTIONS = (PICK, ADD, UNDO, SET_DUE, PREVIEW, CONFIRM, CANCEL, ONE)
SEARCH_LIMIT = 8

Draft = dict[str, Any]


_operator = flows.operator_of
_today = flows.operator_today


def _to(context: VanBillContext, state: str) -> str:
    return flows.go_to(context, DRAFT, state)


def _lines(draft: Draft) -> list[NewLine]:
    return [
        NewLine(
            description=line["d"],
            unit_price_sen=line["p"],
            quantity=line["q"],
            child_id=line.get("c"),
            service_id=line.get("s"),
        )
        for line in draft.get("lines", [])
    ]


def _line_json(line: NewLine) -> dict[str, Any]:
    return {
        "d": line.description,
        "p": line.unit_price_sen,
        "q": line.quantity,
        "c": line.child_id,
        "s": line.service_id,
    }


def _due(draft: Draft) -> date | None:
    return date.fromisoformat(draft["due"]) if draft.get("due") else None


def _total(draft: Draft) -> int:
    return sum(line.amount_sen for line in _lines(draft)) - int(draft.get("discount", 0))


async def _show_draft(
    update: Update, context: VanBillContext, operator: OperatorView, intro: str = ""
) -> str:
    chat = update.effective_chat
    assert chat is not None
    draft = context.user_data[DRAFT]
    draft.pop("pending", None)
    today = _today(context, operator)
    due = _due(draft)
    text = texts.invoice_draft(
        draft["name"],
        _lines(draft),
        {int(k): v for k, v in draft.get("children", {}).items()},
        int(draft.get("discount", 0)),
        due or due_date_for(today, operator.due_day),
        due is None,
        operator.currency,
        intro,
    )
    await chat.send_message(text, reply_markup=keyboards.newinvoice_menu(operator.id))
    return _to(context, LINES)


async def _search(update: Update, context: VanBillContext, wanted: str) -> str:
    chat = update.effective_chat
    assert chat is not None
    operator = await _operator(update, context)
    found = await customers.find_customers(
        context.services.db, operator.id, wanted, limit=SEARCH_LIMIT
    )
    if not found:
        await chat.send_message(texts.no_family_matches(wanted))
    else:
        await chat.send_message(
            texts.pick_family(len(found), SEARCH_LIMIT),
            reply_markup=keyboards.family_matches(PREFIX, operator.id, found),
        )
    return _to(context, FAMILY)


@allow(OPERATOR)
@replies_on_error(FAMILY, hint=texts.TRY_AGAIN)
async def start(update: Update, context: VanBillContext) -> str:
    """Ask which family the invoice is for (/newinvoice Siti searches at once)."""
    assert update.effective_chat is not None
    context.user_data[DRAFT] = {"step": FAMILY}
    wanted = parsing.search_text(context.args)
    if not wanted:
        await update.effective_chat.send_message(texts.NEWINVOICE_ASK_FAMILY)
        return FAMILY
    return await _search(update, context, wanted)


@allow(OPERATOR)
@replies_on_error(FAMILY, hint=texts.TRY_AGAIN)
async def search(update: Update, context: VanBillContext) -> str:
    """Show the families matching what the operator typed."""
    message = update.effective_message
    assert message is not None and message.text is not None
    return await _search(update, context, message.text)


async def _pick(
    update: Update, context: VanBillContext, operator: OperatorView, customer_id: int
) -> str:
    """Start the draft for the family, with its routes for this month filled in."""
    services = context.services
    family = await customers.get_customer(services.db, operator.id, customer_id)
    if family.archived:
        raise Conflict(f"{family.name} is archived; unarchive the family to bill it.")
    month = _today(context, operator).replace(day=1)
    bill = await monthly.family_bill(services.db, operator.id, family.id, month)
    assert update.callback_query is not None
    await update.callback_query.answer()
    context.user_data[DRAFT] = {
        "customer_id": family.id,
        "name": family.name,
        "children": {str(child.id): child.name for child in family.children},
        "lines": [_line_json(line) for line in bill.lines] if bill else [],
        "discount": bill.discount_sen if bill else 0,
        "due": None,
        # Routes billed by hand make this the month's invoice: the monthly run then skips it.
        "period": month.isoformat() if bill else None,
    }
    intro = texts.draft_intro(family.name, month, bill is not None)
    return await _show_draft(update, context, operator, intro)


async def _ask(update: Update, context: VanBillContext, text: str, state: str) -> str:
    assert update.callback_query is not None and update.effective_chat is not None
    await update.callback_query.answer()
    await update.effective_chat.send_message(text)
    return _to(context, state)


async def _remove_last(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    assert update.callback_query is not None
    draft = context.user_data[DRAFT]
    if not draft["lines"]:
        raise InvalidInput(texts.NO_LINE_TO_REMOVE)
    await update.callback_query.answer()
    removed = draft["lines"].pop()
    intro = ""
    if removed.get("s") is not None and draft.get("discount"):
        # The sibling discount was worked out on the family's route lines as a whole.
        intro = texts.discount_dropped(draft["discount"], operator.currency)
        draft["discount"] = 0
    return await _show_draft(update, context, operator, intro)


async def _preview(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    query, chat, services = update.callback_query, update.effective_chat, context.services
    assert query is not None and chat is not None
    draft = context.user_data[DRAFT]
    await query.answer()
    document = await invoices.draft_invoice_document(
        services.db,
        operator.id,
        draft["customer_id"],
        services.clock,
        _lines(draft),
        due_date=_due(draft),
        discount_sen=int(draft.get("discount", 0)),
    )
    pdf = await services.documents.render_invoice(document)
    await chat.send_document(
        InputFile(pdf, filename=invoice_filename(document.invoice)),
        caption=texts.preview_caption(draft["name"], _total(draft), operator.currency),
        reply_markup=keyboards.newinvoice_menu(operator.id),
    )
    return _to(context, LINES)


def _period(draft: dict[str, Any]) -> date | None:
    """Return the month the draft bills, when any of the month's route lines is still on it."""
    if not draft.get("period") or not any(line.get("s") is not None for line in draft["lines"]):
        return None
    return date.fromisoformat(draft["period"])


async def _confirm(update: Update, context: VanBillContext, operator: OperatorView) -> int:
    query, chat, services = update.callback_query, update.effective_chat, context.services
    assert query is not None and chat is not None
    draft = context.user_data[DRAFT]
    invoice = await invoices.create_invoice(
        services.db,
        operator.id,
        draft["customer_id"],
        services.clock,
        _lines(draft),
        due_date=_due(draft),
        discount_sen=int(draft.get("discount", 0)),
        period=_period(draft),
        actor=await actor_of(update, context),
    )
    context.user_data.pop(DRAFT, None)
    await query.answer()  # only now: a refusal above is shown as the button's alert
    with contextlib.suppress(BadRequest):  # already without buttons
        await query.edit_message_reply_markup(None)
    family = await customers.get_customer(services.db, operator.id, invoice.customer_id)
    created = texts.invoice_created(invoice, operator.currency)
    if family.linked:
        await chat.send_message(
            f"{created}\n{texts.invoice_ready_to_send(family.name)}",
            reply_markup=keyboards.send_to_parent(operator.id, invoice.id),
        )
    else:
        await delivery.send_invoice(services.db, operator.id, invoice.id, services.clock)
        services.wake_outbox()
        await chat.send_message(f"{created}\n{texts.invoice_waits_for_link(family.name)}")
    return ConversationHandler.END


async def _cancel_draft(update: Update, context: VanBillContext) -> int:
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    await query.answer()
    context.user_data.pop(DRAFT, None)
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)
    await chat.send_message(texts.NEWINVOICE_CANCELLED)
    return ConversationHandler.END


async def _add_one(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    assert update.callback_query is not None
    draft = context.user_data[DRAFT]
    pending = draft.get("pending") or {}
    if "p" not in pending:
        raise InvalidInput("That button belongs to an earlier step. Answer the last question.")
    await update.callback_query.answer()
    return await _append_line(update, context, operator, 1)


async def _append_line(
    update: Update, context: VanBillContext, operator: OperatorView, quantity: int
) -> str:
    draft = context.user_data[DRAFT]
    pending = draft["pending"]
    line = NewLine(description=pending["d"], unit_price_sen=pending["p"], quantity=quantity)
    draft["lines"].append(_line_json(line))
    return await _show_draft(update, context, operator)


@allow(OPERATOR)
async def pressed(update: Update, context: VanBillContext) -> str | int:
    """Do what a /newinvoice button says (after checking it is this operator's)."""
    query = update.callback_query
    assert query is not None
    draft = context.user_data.get(DRAFT)
    here = draft.get("step", LINES) if isinstance(draft, dict) else ConversationHandler.END
    try:
        operator = await _operator(update, context)
        action, argument = parsing.owned_button(query.data, PREFIX, operator.id, ACTIONS)
        if action == PICK:
            return await _pick(update, context, operator, parsing.button_number(argument))
        if not isinstance(draft, dict) or "customer_id" not in draft:
            await query.answer(texts.NEWINVOICE_EXPIRED, show_alert=True)
            return here
        if action == ADD:
            return await _ask(update, context, texts.ASK_LINE_DESCRIPTION, DESCRIPTION)
        if action == UNDO:
            return await _remove_last(update, context, operator)
        if action == SET_DUE:
            return await _ask(update, context, texts.ASK_DUE_DATE, DUE)
        if action == PREVIEW:
            return await _preview(update, context, operator)
        if action == CONFIRM:
            return await _confirm(update, context, operator)
        if action == ONE:
            return await _add_one(update, context, operator)
        return await _cancel_draft(update, context)
    except VanBillError as error:
        await show_error(update, error)
        return here


def _draft_or_menu(context: VanBillContext) -> Draft | None:
    draft = context.user_data.get(DRAFT)
    return draft if isinstance(draft, dict) and "customer_id" in draft else None


@allow(OPERATOR)
@replies_on_error(DESCRIPTION, hint=texts.TRY_AGAIN)
async def describe(update: Update, context: VanBillContext) -> str:
    """Take the new line's description; ask its price."""
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = _draft_or_menu(context)
    if draft is None:
        return await _lost(update, context)
    description = parsing.line_description(message.text)
    draft["pending"] = {"d": description}
    await message.reply_text(texts.ask_line_amount(description))
    return _to(context, AMOUNT)


@allow(OPERATOR)
@replies_on_error(AMOUNT, hint=texts.TRY_AGAIN)
async def price(update: Update, context: VanBillContext) -> str:
    """Take the new line's price; ask how many."""
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = _draft_or_menu(context)
    if draft is None or "d" not in (draft.get("pending") or {}):
        return await _lost(update, context)
    operator = await _operator(update, context)
    unit = parse_amount(message.text)
    draft["pending"]["p"] = unit
    await message.reply_text(
        texts.ask_line_quantity(draft["pending"]["d"], unit, operator.currency),
        reply_markup=keyboards.quantity_one(operator.id),
    )
    return _to(context, QUANTITY)


@allow(OPERATOR)
@replies_on_error(QUANTITY, hint=texts.TRY_AGAIN)
async def how_many(update: Update, context: VanBillContext) -> str:
    """Take the new line's quantity; add the line and show the draft."""
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = _draft_or_menu(context)
    if draft is None or "p" not in (draft.get("pending") or {}):
        return await _lost(update, context)
    count = parsing.quantity(message.text)
    return await _append_line(update, context, await _operator(update, context), count)


@allow(OPERATOR)
@replies_on_error(DUE, hint=texts.TRY_AGAIN)
async def set_due(update: Update, context: VanBillContext) -> str:
    """Take the due date (or 'default'); show the draft."""
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = _draft_or_menu(context)
    if draft is None:
        return await _lost(update, context)
    operator = await _operator(update, context)
    due = parsing.due_date(message.text, _today(context, operator))
    draft["due"] = due.isoformat() if due else None
    return await _show_draft(update, context, operator)


async def _lost(update: Update, context: VanBillContext) -> str:
    """Recover from a state without its draft (it should not happen): start again."""
    assert update.effective_chat is not None
    context.user_data[DRAFT] = {"step": FAMILY}
    await update.effective_chat.send_message(texts.NEWINVOICE_ASK_FAMILY)
    return FAMILY


@allow(OPERATOR)
async def use_the_buttons(update: Update, context: VanBillContext) -> str:
    """Point at the buttons when the operator types at the menu."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(texts.USE_THE_BUTTONS)
    return _to(context, LINES)


def conversation(timeout: timedelta | None = DEFAULT_TIMEOUT) -> ConversationHandler:  # type: ignore[type-arg]
    """Build the persistent /newinvoice conversation."""
    return button_flow(
        name=NAME,
        command="newinvoice",
        start=start,
        pressed=pressed,
        prefix=PREFIX,
        typed={
            FAMILY: search,
            LINES: use_the_buttons,
            DESCRIPTION: describe,
            AMOUNT: price,
            QUANTITY: how_many,
            DUE: set_due,
        },
        draft_key=DRAFT,
        cancelled=texts.NEWINVOICE_CANCELLED,
        timed_out=functools.partial(texts.conversation_timed_out, "/newinvoice"),
        timeout=timeout,
    )
