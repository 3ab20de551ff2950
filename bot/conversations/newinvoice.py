"""/newinvoice: an invoice made by hand for one family, line by line, previewed, then created.

In python-telegram-bot's example shape: one handler per button (each with its pattern) or typed
answer, returning the next state (None stays). The draft is a small dataclass kept in user_data
as plain JSON (ids and sen, never objects), so the database persistence keeps it across a
restart and the operator carries on where they were.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from telegram import InputFile, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler

from vanbill.bot import keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.conversations.flows import (
    DEFAULT_TIMEOUT,
    TYPED,
    operator_conversation,
    operator_today,
)
from vanbill.bot.errors import replies_on_error
from vanbill.bot.guards import actor_of, for_operator
from vanbill.services import customers, delivery, invoices, monthly
from vanbill.services.billing import NewLine, due_date_for
from vanbill.services.documents import invoice_filename
from vanbill.services.errors import Conflict, InvalidInput
from vanbill.services.money import parse_amount
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
SEARCH_LIMIT = 8
EARLIER_STEP = "newinvoice.earlier_step"  # an error code: bot/error_texts.py words it


@dataclass(frozen=True)
class DraftLine:
    """One line of the draft (JSON keys kept short: d, p, q, c, s)."""

    description: str
    unit_price_sen: int
    quantity: int = 1
    child_id: int | None = None
    service_id: int | None = None

    def new_line(self) -> NewLine:
        """Return the line as the invoice service takes it."""
        return NewLine(
            description=self.description,
            unit_price_sen=self.unit_price_sen,
            quantity=self.quantity,
            child_id=self.child_id,
            service_id=self.service_id,
        )

    @classmethod
    def of(cls, line: NewLine) -> DraftLine:
        """Return a service line as a draft line."""
        return cls(
            line.description, line.unit_price_sen, line.quantity, line.child_id, line.service_id
        )

    def to_json(self) -> dict[str, Any]:
        """Return the line as JSON."""
        return {
            "d": self.description,
            "p": self.unit_price_sen,
            "q": self.quantity,
            "c": self.child_id,
            "s": self.service_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DraftLine:
        """Return the line kept as JSON."""
        return cls(data["d"], int(data["p"]), int(data["q"]), data.get("c"), data.get("s"))


@dataclass(frozen=True)
class PendingLine:
    """The line being added: its description, then its price (the quantity comes last)."""

    description: str
    unit_price_sen: int | None = None


@dataclass(frozen=True)
class InvoiceDraft:
    """The invoice being made: the family, its lines, discount, due date and month."""

    customer_id: int
    name: str
    children: dict[int, str]
    lines: tuple[DraftLine, ...] = ()
    discount: int = 0
    due: str | None = None  # ISO date, or None for the business's due day
    # Routes billed by hand make this the month's invoice: the monthly run then skips it.
    period: str | None = None
    pending: PendingLine | None = None

    def save(self, context: VanBillContext) -> None:
        """Keep the draft in user_data as JSON (persisted with the conversation)."""
        context.user_data[DRAFT] = {
            "customer_id": self.customer_id,
            "name": self.name,
            "children": {str(k): v for k, v in self.children.items()},
            "lines": [line.to_json() for line in self.lines],
            "discount": self.discount,
            "due": self.due,
            "period": self.period,
            "pending": None
            if self.pending is None
            else {"d": self.pending.description, "p": self.pending.unit_price_sen},
        }

    @classmethod
    def load(cls, context: VanBillContext) -> InvoiceDraft | None:
        """Return the draft kept in user_data, or None when there is none (or it is damaged)."""
        kept = context.user_data.get(DRAFT)
        if not isinstance(kept, dict) or "customer_id" not in kept:
            return None
        try:
            pending = kept.get("pending") or None
            return cls(
                customer_id=int(kept["customer_id"]),
                name=str(kept["name"]),
                children={int(k): str(v) for k, v in (kept.get("children") or {}).items()},
                lines=tuple(DraftLine.from_json(line) for line in kept.get("lines") or []),
                discount=int(kept.get("discount") or 0),
                due=kept.get("due"),
                period=kept.get("period"),
                pending=None
                if pending is None
                else PendingLine(str(pending["d"]), pending.get("p")),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def new_lines(self) -> list[NewLine]:
        """Return the lines as the invoice service takes them."""
        return [line.new_line() for line in self.lines]

    def due_date(self) -> date | None:
        """Return the due date chosen (None: the business's due day)."""
        return date.fromisoformat(self.due) if self.due else None

    def total_sen(self) -> int:
        """Return what the invoice adds up to."""
        return sum(line.new_line().amount_sen for line in self.lines) - self.discount

    def month(self) -> date | None:
        """Return the month the draft bills, when any of the month's route lines is on it."""
        if not self.period or not any(line.service_id is not None for line in self.lines):
            return None
        return date.fromisoformat(self.period)


def _button(action: str) -> str:
    """Return the pattern of one action's buttons (the handler checks the rest strictly)."""
    return rf"^{PREFIX}:[^:]*:{action}(:|$)"


async def _draft_for(
    update: Update, context: VanBillContext, operator: OperatorView, action: str
) -> tuple[InvoiceDraft | None, str]:
    """Check the button is this operator's; return the draft (None: expired) and the argument."""
    query = update.callback_query
    assert query is not None
    _, argument = parsing.owned_button(query.data, PREFIX, operator.id, (action,))
    draft = InvoiceDraft.load(context)
    if draft is None:
        await query.answer(texts.NEWINVOICE_EXPIRED, show_alert=True)
    return draft, argument


async def _show_draft(
    update: Update,
    context: VanBillContext,
    operator: OperatorView,
    draft: InvoiceDraft,
    intro: str = "",
) -> str:
    chat = update.effective_chat
    assert chat is not None
    draft = replace(draft, pending=None)
    draft.save(context)
    due = draft.due_date()
    text = texts.invoice_draft(
        draft.name,
        draft.new_lines(),
        draft.children,
        draft.discount,
        due or due_date_for(operator_today(context, operator), operator.due_day),
        due is None,
        operator.currency,
        intro,
    )
    await chat.send_message(text, reply_markup=keyboards.newinvoice_menu(operator.id))
    return LINES


async def _search(
    update: Update, context: VanBillContext, operator: OperatorView, wanted: str
) -> str:
    chat = update.effective_chat
    assert chat is not None
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
    return FAMILY


@replies_on_error(FAMILY, hint=texts.TRY_AGAIN)
@for_operator
async def start(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Ask which family the invoice is for (/newinvoice Siti searches at once)."""
    assert update.effective_chat is not None
    context.user_data.pop(DRAFT, None)
    wanted = parsing.search_text(context.args)
    if not wanted:
        await update.effective_chat.send_message(texts.NEWINVOICE_ASK_FAMILY)
        return FAMILY
    return await _search(update, context, operator, wanted)


@replies_on_error(FAMILY, hint=texts.TRY_AGAIN)
@for_operator
async def search(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Show the families matching what the operator typed."""
    message = update.effective_message
    assert message is not None and message.text is not None
    return await _search(update, context, operator, message.text)


@replies_on_error(None)
@for_operator
async def pick_family(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Start the draft for the family tapped, with its routes for this month filled in."""
    query, services = update.callback_query, context.services
    assert query is not None
    _, argument = parsing.owned_button(query.data, PREFIX, operator.id, (PICK,))
    family = await customers.get_customer(
        services.db, operator.id, parsing.button_number(argument)
    )
    if family.archived:
        raise Conflict("family.archived_bill", name=family.name)
    month = operator_today(context, operator).replace(day=1)
    bill = await monthly.family_bill(services.db, operator.id, family.id, month)
    await query.answer()
    draft = InvoiceDraft(
        customer_id=family.id,
        name=family.name,
        children={child.id: child.name for child in family.children},
        lines=tuple(DraftLine.of(line) for line in bill.lines) if bill else (),
        discount=bill.discount_sen if bill else 0,
        period=month.isoformat() if bill else None,
    )
    intro = texts.draft_intro(family.name, month, bill is not None)
    return await _show_draft(update, context, operator, draft, intro)


async def _ask(update: Update, text: str, state: str) -> str:
    assert update.callback_query is not None and update.effective_chat is not None
    await update.callback_query.answer()
    await update.effective_chat.send_message(text)
    return state


@replies_on_error(None)
@for_operator
async def add_line(update: Update, context: VanBillContext, operator: OperatorView) -> str | int:
    """Ask the new line's description."""
    draft, _ = await _draft_for(update, context, operator, ADD)
    if draft is None:
        return ConversationHandler.END
    return await _ask(update, texts.ASK_LINE_DESCRIPTION, DESCRIPTION)


@replies_on_error(None)
@for_operator
async def remove_last(
    update: Update, context: VanBillContext, operator: OperatorView
) -> str | int:
    """Take the last line off (and the sibling discount, when a route line goes)."""
    assert update.callback_query is not None
    draft, _ = await _draft_for(update, context, operator, UNDO)
    if draft is None:
        return ConversationHandler.END
    if not draft.lines:
        raise InvalidInput(texts.NO_LINE_TO_REMOVE)
    await update.callback_query.answer()
    removed, intro = draft.lines[-1], ""
    draft = replace(draft, lines=draft.lines[:-1])
    if removed.service_id is not None and draft.discount:
        # The sibling discount was worked out on the family's route lines as a whole.
        intro = texts.discount_dropped(draft.discount, operator.currency)
        draft = replace(draft, discount=0)
    return await _show_draft(update, context, operator, draft, intro)


@replies_on_error(None)
@for_operator
async def ask_due(update: Update, context: VanBillContext, operator: OperatorView) -> str | int:
    """Ask the due date."""
    draft, _ = await _draft_for(update, context, operator, SET_DUE)
    if draft is None:
        return ConversationHandler.END
    return await _ask(update, texts.ASK_DUE_DATE, DUE)


@replies_on_error(None)
@for_operator
async def preview(update: Update, context: VanBillContext, operator: OperatorView) -> str | int:
    """Send the invoice as it would be, stamped DRAFT, with the menu."""
    query, chat, services = update.callback_query, update.effective_chat, context.services
    assert query is not None and chat is not None
    draft, _ = await _draft_for(update, context, operator, PREVIEW)
    if draft is None:
        return ConversationHandler.END
    await query.answer()
    document = await invoices.draft_invoice_document(
        services.db,
        operator.id,
        draft.customer_id,
        services.clock,
        draft.new_lines(),
        due_date=draft.due_date(),
        discount_sen=draft.discount,
    )
    pdf = await services.documents.render_invoice(document)
    await chat.send_document(
        InputFile(pdf, filename=invoice_filename(document.invoice)),
        caption=texts.preview_caption(draft.name, draft.total_sen(), operator.currency),
        reply_markup=keyboards.newinvoice_menu(operator.id),
    )
    return LINES


@replies_on_error(None)
@for_operator
async def confirm(update: Update, context: VanBillContext, operator: OperatorView) -> int | None:
    """Create the invoice; offer to send it (or queue it for an unlinked family)."""
    query, chat, services = update.callback_query, update.effective_chat, context.services
    assert query is not None and chat is not None
    draft, _ = await _draft_for(update, context, operator, CONFIRM)
    if draft is None:
        return ConversationHandler.END
    invoice = await invoices.create_invoice(
        services.db,
        operator.id,
        draft.customer_id,
        services.clock,
        draft.new_lines(),
        due_date=draft.due_date(),
        discount_sen=draft.discount,
        period=draft.month(),
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


@replies_on_error(None)
@for_operator
async def cancel_pressed(
    update: Update, context: VanBillContext, operator: OperatorView
) -> int | None:
    """Forget the draft; no invoice is made."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    draft, _ = await _draft_for(update, context, operator, CANCEL)
    if draft is None:
        return ConversationHandler.END
    await query.answer()
    context.user_data.pop(DRAFT, None)
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)
    await chat.send_message(texts.NEWINVOICE_CANCELLED)
    return ConversationHandler.END


@replies_on_error(None)
@for_operator
async def quantity_one(
    update: Update, context: VanBillContext, operator: OperatorView
) -> str | int:
    """Add the line being described once."""
    assert update.callback_query is not None
    draft, _ = await _draft_for(update, context, operator, ONE)
    if draft is None:
        return ConversationHandler.END
    if draft.pending is None or draft.pending.unit_price_sen is None:
        raise InvalidInput(texts.EARLIER_STEP)
    await update.callback_query.answer()
    return await _append_line(update, context, operator, draft, 1)


async def _append_line(
    update: Update,
    context: VanBillContext,
    operator: OperatorView,
    draft: InvoiceDraft,
    quantity: int,
) -> str:
    pending = draft.pending
    assert pending is not None and pending.unit_price_sen is not None
    line = DraftLine(pending.description, pending.unit_price_sen, quantity)
    return await _show_draft(update, context, operator, replace(draft, lines=(*draft.lines, line)))


@replies_on_error(None)
@for_operator
async def malformed(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Refuse a /newinvoice button no action knows (forged or from an older version)."""
    assert update.callback_query is not None
    parsing.owned_button(update.callback_query.data, PREFIX, operator.id, ())


@replies_on_error(DESCRIPTION, hint=texts.TRY_AGAIN)
@for_operator
async def describe(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Take the new line's description; ask its price."""
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = InvoiceDraft.load(context)
    if draft is None:
        return await _lost(update, context)
    description = parsing.line_description(message.text)
    replace(draft, pending=PendingLine(description)).save(context)
    await message.reply_text(texts.ask_line_amount(description))
    return AMOUNT


@replies_on_error(AMOUNT, hint=texts.TRY_AGAIN)
@for_operator
async def price(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Take the new line's price; ask how many."""
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = InvoiceDraft.load(context)
    if draft is None or draft.pending is None:
        return await _lost(update, context)
    unit = parse_amount(message.text)
    replace(draft, pending=replace(draft.pending, unit_price_sen=unit)).save(context)
    await message.reply_text(
        texts.ask_line_quantity(draft.pending.description, unit, operator.currency),
        reply_markup=keyboards.quantity_one(operator.id),
    )
    return QUANTITY


@replies_on_error(QUANTITY, hint=texts.TRY_AGAIN)
@for_operator
async def how_many(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Take the new line's quantity; add the line and show the draft."""
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = InvoiceDraft.load(context)
    if draft is None or draft.pending is None or draft.pending.unit_price_sen is None:
        return await _lost(update, context)
    count = parsing.quantity(message.text)
    return await _append_line(update, context, operator, draft, count)


@replies_on_error(DUE, hint=texts.TRY_AGAIN)
@for_operator
async def set_due(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Take the due date (or 'default'); show the draft."""
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = InvoiceDraft.load(context)
    if draft is None:
        return await _lost(update, context)
    due = parsing.due_date(message.text, operator_today(context, operator))
    draft = replace(draft, due=due.isoformat() if due else None)
    return await _show_draft(update, context, operator, draft)


async def _lost(update: Update, context: VanBillContext) -> str:
    """Recover from a state without its draft (it should not happen): start again."""
    assert update.effective_chat is not None
    context.user_data.pop(DRAFT, None)
    await update.effective_chat.send_message(texts.NEWINVOICE_ASK_FAMILY)
    return FAMILY


@for_operator
async def use_the_buttons(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Point at the buttons when the operator types at the menu."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(texts.USE_THE_BUTTONS)
    return LINES


def _buttons() -> list[CallbackQueryHandler[Any, Any]]:
    """Return one handler per /newinvoice button; each works from any step of the draft."""
    return [
        CallbackQueryHandler(pick_family, pattern=_button(PICK)),
        CallbackQueryHandler(add_line, pattern=_button(ADD)),
        CallbackQueryHandler(remove_last, pattern=_button(UNDO)),
        CallbackQueryHandler(ask_due, pattern=_button(SET_DUE)),
        CallbackQueryHandler(preview, pattern=_button(PREVIEW)),
        CallbackQueryHandler(confirm, pattern=_button(CONFIRM)),
        CallbackQueryHandler(cancel_pressed, pattern=_button(CANCEL)),
        CallbackQueryHandler(quantity_one, pattern=_button(ONE)),
        CallbackQueryHandler(malformed, pattern=rf"^{PREFIX}:"),
    ]


def conversation(timeout: timedelta | None = DEFAULT_TIMEOUT) -> ConversationHandler:  # type: ignore[type-arg]
    """Build the persistent /newinvoice conversation."""
    buttons = _buttons()
    return operator_conversation(
        name=NAME,
        entry_points=[CommandHandler("newinvoice", start), *buttons],
        states={
            FAMILY: [MessageHandler(TYPED, search), *buttons],
            LINES: [MessageHandler(TYPED, use_the_buttons), *buttons],
            DESCRIPTION: [MessageHandler(TYPED, describe), *buttons],
            AMOUNT: [MessageHandler(TYPED, price), *buttons],
            QUANTITY: [MessageHandler(TYPED, how_many), *buttons],
            DUE: [MessageHandler(TYPED, set_due), *buttons],
        },
        draft_key=DRAFT,
        cancelled=texts.NEWINVOICE_CANCELLED,
        timed_out=functools.partial(texts.conversation_timed_out, "/newinvoice"),
        timeout=timeout,
    )
