"""/newcustomer: a family, its children and their routes, asked step by step, saved at the end.

Nothing is written until the operator says there are no more children, then the whole family is
written in one transaction (customers.add_family), so /cancel, a quiet spell or a refusal at the
end leaves no half-made family. The draft lives in user_data as plain JSON, so a restart resumes
at the same step.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from vanbill.bot import error_texts, keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.conversations.family import offer_month
from vanbill.bot.conversations.flows import DEFAULT_TIMEOUT, TYPED, operator_conversation
from vanbill.bot.errors import replies_on_error
from vanbill.bot.guards import allow, for_operator
from vanbill.bot.handlers.customers import joining_offer
from vanbill.services import customers, routes
from vanbill.services.clock import local_today
from vanbill.services.customers import NewChild
from vanbill.services.errors import InvalidInput, VanBillError
from vanbill.services.roles import OPERATOR
from vanbill.services.text import clean_text
from vanbill.services.views import CHILD_CATEGORIES, OperatorView

NAME = "newcustomer"
PARENT, PHONE, CHILD, CATEGORY = "nc_parent", "nc_phone", "nc_child", "nc_category"
BIRTH, SCHOOL, ROUTES, MORE = "nc_birth", "nc_school", "nc_routes", "nc_more"
DRAFT = "newcustomer"  # user_data key: {"parent", "phone", "children": [{...}, ...]}
CAT, ROUTE, DONE, NO_ROUTE, YES, NO = "cat", "route", "done", "none", "yes", "no"


def _draft(context: VanBillContext) -> dict[str, Any]:
    return context.user_data.setdefault(DRAFT, {"children": []})  # type: ignore[no-any-return]


def _child(context: VanBillContext) -> dict[str, Any]:
    children = _draft(context)["children"]
    if not children:  # a draft lost to a stale state: start the child again
        raise InvalidInput("newcustomer.lost_child")
    return children[-1]  # type: ignore[no-any-return]


def _typed(update: Update) -> str:
    assert update.effective_message is not None
    return update.effective_message.text or ""


async def _reply(update: Update, text: str, **kwargs: Any) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, **kwargs)


async def _pressed(
    update: Update, operator: OperatorView, actions: tuple[str, ...]
) -> tuple[str, str]:
    """Return (action, argument) of this operator's /newcustomer button, and answer the press."""
    query = update.callback_query
    assert query is not None
    pressed = parsing.owned_button(query.data, parsing.NEW_CUSTOMER_PREFIX, operator.id, actions)
    await query.answer()
    return pressed


@allow(OPERATOR)
async def start(update: Update, context: VanBillContext) -> str:
    """Start a new family: ask for the parent's name."""
    context.user_data[DRAFT] = {"children": []}
    await _reply(update, texts.NEW_CUSTOMER_PARENT)
    return PARENT


@allow(OPERATOR)
@replies_on_error(PARENT, hint=texts.TRY_AGAIN)
async def receive_parent(update: Update, context: VanBillContext) -> str:
    """Take the parent's name, then ask for their phone."""
    name = clean_text(_typed(update), "parent_name", limit=200)
    _draft(context)["parent"] = name
    await _reply(update, texts.new_customer_phone(name))
    return PHONE


@allow(OPERATOR)
@replies_on_error(PHONE, hint=texts.TRY_AGAIN)
async def receive_phone(update: Update, context: VanBillContext) -> str:
    """Take the phone ('-' for none), then ask for the first child's name."""
    _draft(context)["phone"] = parsing.optional_phone(_typed(update))
    await _reply(update, texts.NEW_CUSTOMER_CHILD)
    return CHILD


@replies_on_error(CHILD, hint=texts.TRY_AGAIN)
@for_operator
async def receive_child(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Take a child's name, then ask for their category with buttons."""
    name = clean_text(_typed(update), "child_name", limit=200)
    _draft(context)["children"].append({"name": name, "routes": []})
    await _reply(
        update,
        texts.new_customer_category(name),
        reply_markup=keyboards.child_categories(operator.id, CHILD_CATEGORIES),
    )
    return CATEGORY


@replies_on_error(CATEGORY)
@for_operator
async def receive_category(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Take the category button, then ask for the birth year or age."""
    _, category = await _pressed(update, operator, (CAT,))
    if category not in CHILD_CATEGORIES:
        raise InvalidInput(parsing.STALE_BUTTON)
    child = _child(context)
    child["category"] = category
    await keyboards.drop_buttons(update.callback_query)
    await _reply(update, texts.new_customer_birth(child["name"], category))
    return BIRTH


@replies_on_error(BIRTH, hint=texts.TRY_AGAIN)
@for_operator
async def receive_birth(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Take a birth year or an age (from the operator's local today), then ask for the school."""
    today = local_today(context.services.clock, operator.timezone)
    child = _child(context)
    child["birth_year"] = parsing.birth_year(_typed(update), today)
    await _reply(update, texts.new_customer_school(child["name"]))
    return SCHOOL


@replies_on_error(SCHOOL, hint=texts.TRY_AGAIN)
@for_operator
async def receive_school(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Take the school ('-' for none), then offer the active routes."""
    child = _child(context)
    school = parsing.setting_text(_typed(update))
    child["school"] = clean_text(school, "school", limit=200, required=False)
    return await _offer_routes(update, context, operator, child)


async def _offer_routes(
    update: Update, context: VanBillContext, operator: OperatorView, child: dict[str, Any]
) -> str:
    active = await routes.list_services(context.services.db, operator.id)
    if not active:
        await _reply(update, texts.NO_ROUTES_FOR_CHILD)
        return await _ask_more(update, operator, child)
    chosen = set(child["routes"])
    await _reply(
        update,
        texts.new_customer_routes(child["name"]),
        reply_markup=keyboards.route_picker(operator.id, active, chosen),
    )
    return ROUTES


async def _ask_more(update: Update, operator: OperatorView, child: dict[str, Any]) -> str:
    await _reply(
        update,
        texts.another_child(child["name"], len(child["routes"])),
        reply_markup=keyboards.another_child(operator.id),
    )
    return MORE


@replies_on_error(ROUTES)
@for_operator
async def receive_route(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Tick or untick a route; Done (or No route) moves on to 'another child?'."""
    action, argument = await _pressed(update, operator, (ROUTE, DONE, NO_ROUTE))
    child = _child(context)
    if action != ROUTE:
        if action == NO_ROUTE:
            child["routes"] = []
        await keyboards.drop_buttons(update.callback_query)
        return await _ask_more(update, operator, child)
    active = await routes.list_services(context.services.db, operator.id)
    route_id = parsing.button_number(argument)
    if route_id not in {route.id for route in active}:
        raise InvalidInput(parsing.STALE_BUTTON)
    chosen = set(child["routes"]) ^ {route_id}
    child["routes"] = sorted(chosen)
    assert update.callback_query is not None
    await update.callback_query.edit_message_reply_markup(
        keyboards.route_picker(operator.id, active, chosen)
    )
    return ROUTES


@replies_on_error(MORE)
@for_operator
async def receive_more(
    update: Update, context: VanBillContext, operator: OperatorView
) -> str | int:
    """Ask for the next child, or save the whole family and show what was saved."""
    action, _ = await _pressed(update, operator, (YES, NO))
    await keyboards.drop_buttons(update.callback_query)
    if action == YES:
        await _reply(update, texts.NEW_CUSTOMER_NEXT_CHILD)
        return CHILD
    draft = context.user_data.pop(DRAFT, {"children": []})
    try:
        added = await customers.add_family(
            context.services.db,
            operator.id,
            context.services.clock,
            name=draft.get("parent", ""),
            phone=draft.get("phone"),
            children=_new_children(draft),
        )
    except VanBillError as error:  # nothing was written: say why, and how to start again
        await _reply(update, texts.family_not_saved(error_texts.message(error)))
        return ConversationHandler.END
    family = added.customer
    saved = texts.family_saved(family, added.routes, added.start_month)
    markup = keyboards.family_created(operator.id, family.id)
    # Added in the middle of a month before its run: how the run bills that month, asked on
    # the same message; after the run: billing the month now (bot/conversations/family.py).
    joining = await joining_offer(context, operator, family.id)
    if joining is not None:
        question, choices = joining
        saved, markup = f"{saved}\n\n{question}", keyboards.joined(markup, choices)
    await _reply(update, saved, reply_markup=markup)
    if joining is None:
        await offer_month(update, context, operator, family.id)
    return ConversationHandler.END


def _new_children(draft: dict[str, Any]) -> list[NewChild]:
    """Return the draft's children as add_family takes them."""
    return [
        NewChild(
            name=child["name"],
            category=child.get("category", "other"),
            birth_year=child.get("birth_year"),
            school=child.get("school", ""),
            route_ids=tuple(child["routes"]),
        )
        for child in draft["children"]
    ]


@allow(OPERATOR)
async def use_the_buttons(update: Update, context: VanBillContext) -> None:
    """Point at the buttons when the operator types instead of tapping (the step stays)."""
    await _reply(update, texts.USE_THE_BUTTONS)


def conversation(timeout: timedelta | None = DEFAULT_TIMEOUT) -> ConversationHandler:  # type: ignore[type-arg]
    """Build the persistent /newcustomer conversation."""
    pressed = rf"^{parsing.NEW_CUSTOMER_PREFIX}:"
    return operator_conversation(
        name=NAME,
        entry_points=[CommandHandler("newcustomer", start)],
        states={
            PARENT: [MessageHandler(TYPED, receive_parent)],
            PHONE: [MessageHandler(TYPED, receive_phone)],
            CHILD: [MessageHandler(TYPED, receive_child)],
            CATEGORY: [
                CallbackQueryHandler(receive_category, pattern=pressed),
                MessageHandler(TYPED, use_the_buttons),
            ],
            BIRTH: [MessageHandler(TYPED, receive_birth)],
            SCHOOL: [MessageHandler(TYPED, receive_school)],
            ROUTES: [
                CallbackQueryHandler(receive_route, pattern=pressed),
                MessageHandler(TYPED, use_the_buttons),
            ],
            MORE: [
                CallbackQueryHandler(receive_more, pattern=pressed),
                MessageHandler(TYPED, use_the_buttons),
            ],
        },
        draft_key=DRAFT,
        cancelled=texts.NOTHING_SAVED,
        timed_out=functools.partial(texts.conversation_timed_out, "/newcustomer"),
        timeout=timeout,
    )
