"""The guided first set-up: a new operator's /start leads through the essentials, one step a
message, each skippable. The step reached is kept on the operator's row, so /start after a
restart, a timeout or another command goes on where she was; /setup runs it again any time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from vanbill.bot import commands, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.conversations.flows import (
    DEFAULT_TIMEOUT,
    TYPED,
    operator_conversation,
)
from vanbill.bot.errors import replies_on_error
from vanbill.bot.guards import EVERYONE, allow, for_operator, sender_of
from vanbill.bot.handlers import files, start
from vanbill.services import i18n, operators, routes
from vanbill.services.phones import national, normalise_phone
from vanbill.services.roles import OPERATOR
from vanbill.services.views import OperatorView

NAME = "setup"
PREFIX = "setup"
DRAFT = "setup"  # nothing is drafted: every answer is saved at once; kept for the flow's shape
STEPS = texts.SETUP_STEPS
N_ = i18n.N_
DONE = "done"
ASKED_BY_TEXT = {
    # step: (the profile column, its label, how to read the answer, how to show it)
    "name": ("business_name", N_("Business name"), str.strip, str),
    "phone": ("phone", N_("Phone"), normalise_phone, national),
    "bank": ("bank_name", N_("Bank"), str.strip, str),
    "account": ("bank_account", N_("Account number"), str.strip, str),
    "holder": ("account_holder", N_("Account holder"), str.strip, str),
    "due": (
        "due_day",
        N_("Invoices due on day"),
        lambda text: parsing.whole_number(text, "due_day", 7),
        str,
    ),
}


def needs_setup(operator: OperatorView) -> bool:
    """Say whether /start should lead this operator through the set-up."""
    if operator.setup_step == DONE:
        return False
    # A business set up before the guided set-up existed has its name already.
    return operator.setup_step in STEPS or not operator.business_name


def _keyboard(operator_id: int, step: str) -> InlineKeyboardMarkup:
    def button(label: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            label, callback_data=parsing.owned_button_data(PREFIX, operator_id, action)
        )

    if step == "routes":
        return InlineKeyboardMarkup([[button(texts.SETUP_ROUTES_DONE_BUTTON, "next")]])
    if step == "families":
        return InlineKeyboardMarkup(
            [
                [button(texts.SETUP_TEMPLATE_BUTTON, "template")],
                [button(texts.SETUP_FINISH_BUTTON, "next")],
            ]
        )
    return InlineKeyboardMarkup([[button(texts.SETUP_SKIP_BUTTON, "next")]])


async def _ask(
    update: Update,
    context: VanBillContext,
    operator: OperatorView,
    step: str,
    *,
    intro: bool = False,
    done: str = "",
) -> str:
    """Keep the step on the operator's row and ask its question."""
    await operators.update_profile(context.services.db, operator.id, setup_step=step)
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        texts.setup_question(step, intro=intro, done=done),
        reply_markup=_keyboard(operator.id, step),
    )
    return step


async def _finish(
    update: Update, context: VanBillContext, operator: OperatorView, done: str = ""
) -> int:
    await operators.update_profile(context.services.db, operator.id, setup_step=DONE)
    ready = await operators.readiness(context.services.db, operator.id)
    assert update.effective_chat is not None
    text = texts.setup_finished(ready)
    await update.effective_chat.send_message(f"{done}\n\n{text}" if done else text)
    return ConversationHandler.END


async def _next(
    update: Update, context: VanBillContext, operator: OperatorView, step: str, done: str = ""
) -> str | int:
    """Go to the step after `step` (or finish after the last)."""
    following = STEPS.index(step) + 1
    if following >= len(STEPS):
        return await _finish(update, context, operator, done)
    return await _ask(update, context, operator, STEPS[following], done=done)


@allow(*EVERYONE)
async def begin(update: Update, context: VanBillContext) -> str | int:
    """Lead a new operator through the set-up, or greet anyone else as /start does."""
    sender = await sender_of(update, context)
    operator = sender.operator
    if (
        parsing.start_token(context.args) is not None
        or not sender.is_operator
        or operator is None
        or not needs_setup(operator)
    ):
        await start.start(update, context)
        return ConversationHandler.END
    assert update.effective_chat is not None
    # At start-up Telegram refuses a chat menu for an admin who never opened the bot.
    await commands.show_operator_menu(context.bot, update.effective_chat.id)
    step = operator.setup_step if operator.setup_step in STEPS else STEPS[0]
    return await _ask(update, context, operator, step, intro=step == STEPS[0])


@for_operator
async def again(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Run the set-up again from the first step (/setup)."""
    return await _ask(update, context, operator, STEPS[0], intro=True)


def _typed(step: str) -> Callable[[Update, VanBillContext], Awaitable[Any]]:
    column, label, read, show = ASKED_BY_TEXT[step]

    @replies_on_error(step, hint=texts.TRY_AGAIN)
    @for_operator
    async def answer(update: Update, context: VanBillContext, operator: OperatorView) -> str | int:
        message = update.effective_message
        assert message is not None and message.text is not None
        value = read(message.text)
        await operators.update_profile(context.services.db, operator.id, **{column: value})
        return await _next(
            update, context, operator, step, texts.setup_saved(i18n.gettext(label), show(value))
        )

    answer.__name__ = answer.__qualname__ = f"answer_{step}"
    answer.__doc__ = f"Save the {label.lower()} typed and ask the next step."
    return answer


@replies_on_error("routes", hint=texts.TRY_AGAIN)
@for_operator
async def routes_typed(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Add each route typed ('Morning 150', a line each); stay for more."""
    message = update.effective_message
    assert message is not None and message.text is not None
    added = await routes.add_services(
        context.services.db,
        operator.id,
        context.services.clock,
        parsing.routes_and_fees(message.text),
    )
    await message.reply_text(
        texts.routes_added(added, operator.currency),
        reply_markup=_keyboard(operator.id, "routes"),
    )
    return "routes"


def _pressed(step: str) -> Callable[[Update, VanBillContext], Awaitable[Any]]:
    @replies_on_error(step)
    @for_operator
    async def pressed(
        update: Update, context: VanBillContext, operator: OperatorView
    ) -> str | int | None:
        query = update.callback_query
        assert query is not None
        action, _ = parsing.owned_button(query.data, PREFIX, operator.id, ("next", "template"))
        await query.answer()
        if action == "template":
            await files.send_template(update, context)
            return None
        return await _next(update, context, operator, step)

    pressed.__name__ = pressed.__qualname__ = f"pressed_{step}"
    pressed.__doc__ = "Skip the step (or, on the last, send the template or finish)."
    return pressed


@replies_on_error("qr", hint=texts.TRY_AGAIN)
@for_operator
async def qr_sent(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Read the QR in the picture; its Use / No buttons follow."""
    await files.qr_received(update, context, operator)
    return "qr"


@replies_on_error("qr")
@for_operator
async def qr_decided(update: Update, context: VanBillContext, operator: OperatorView) -> str | int:
    """Keep the QR (then go on) or not (then ask again)."""
    if await files.qr_decided(update, context, operator):
        return await _next(update, context, operator, "qr")
    return "qr"


@replies_on_error("families", hint=texts.TRY_AGAIN)
@for_operator
async def families_sent(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Check the file of families; its Import / Cancel buttons follow."""
    await files.import_received(update, context, operator)
    return "families"


@replies_on_error("families")
@for_operator
async def families_decided(
    update: Update, context: VanBillContext, operator: OperatorView
) -> str | int:
    """Import the file (then finish) or not (then wait for another)."""
    if await files.import_decided(update, context, operator):
        return await _finish(update, context, operator)
    return "families"


@allow(OPERATOR)
async def send_a_picture(update: Update, context: VanBillContext) -> None:
    """Say the QR step wants a picture (or Skip)."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(texts.SETUP_WANTS_PICTURE)


@allow(OPERATOR)
async def send_a_file(update: Update, context: VanBillContext) -> None:
    """Say the families step wants a file (or Finish)."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(texts.SETUP_WANTS_FILE)


def _state(step: str) -> list[Any]:
    buttons = CallbackQueryHandler(_pressed(step), pattern=rf"^{PREFIX}:")
    if step in ASKED_BY_TEXT:
        return [MessageHandler(TYPED, _typed(step)), buttons]
    if step == "routes":
        return [MessageHandler(TYPED, routes_typed), buttons]
    if step == "qr":
        return [
            MessageHandler(files.ANY_FILE, qr_sent),
            CallbackQueryHandler(qr_decided, pattern=rf"^{files.DUITNOW_PREFIX}:"),
            MessageHandler(TYPED, send_a_picture),
            buttons,
        ]
    return [
        MessageHandler(filters.Document.ALL, families_sent),
        CallbackQueryHandler(families_decided, pattern=rf"^{files.IMPORT_PREFIX}:"),
        MessageHandler(TYPED, send_a_file),
        buttons,
    ]


def conversation(timeout: timedelta | None = DEFAULT_TIMEOUT) -> ConversationHandler:  # type: ignore[type-arg]
    """Build the persistent set-up conversation (its /start comes before start.py's)."""
    return operator_conversation(
        name=NAME,
        entry_points=[CommandHandler("start", begin), CommandHandler("setup", again)],
        states={step: _state(step) for step in STEPS},
        draft_key=DRAFT,
        cancelled=texts.SETUP_CANCELLED,
        timed_out=texts.setup_timed_out,
        timeout=timeout,
    )
