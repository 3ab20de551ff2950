"""The family card's changes: the parent's details, children (added, changed, leaving, changing
route), a month billed now for routes added after its run, charges and credits, reminders
paused; each a few buttons and typed answers, saved by one service call.

python-telegram-bot's shape: one CallbackQueryHandler per action with its pattern, each button
carrying the operator and the family or child it acts on (checked again by the service), each
handler returning the next state (None stays). What is typed goes into a small draft dataclass
kept as JSON in user_data.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ConversationHandler, MessageHandler

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
from vanbill.services import adjustments, customers, families, i18n, proration, routes
from vanbill.services.errors import InvalidInput
from vanbill.services.money import parse_amount
from vanbill.services.periods import add_months, month_start
from vanbill.services.text import clean_text
from vanbill.services.views import CHILD_CATEGORIES, OperatorView

NAME = "family"
DRAFT = "family_change"
MENU, TYPING, NEW_NAME, NEW_BIRTH, NEW_SCHOOL, ADJ_TEXT, ADJ_AMOUNT = (
    "fe_menu",
    "fe_typing",
    "fe_new_name",
    "fe_new_birth",
    "fe_new_school",
    "fe_adj_text",
    "fe_adj_amount",
)
PREFIX = parsing.FAMILY_EDIT_PREFIX


@dataclass
class Draft:
    """What the operator has typed or chosen so far in one change."""

    customer_id: int = 0
    child_id: int = 0
    detail: str = ""  # "parent.phone", "child.school", ...
    name: str = ""  # a new child's
    category: str = "primary"
    birth_year: int | None = None
    school: str = ""
    routes: list[int] = field(default_factory=list)
    kind: str = ""  # an adjustment's: charge or credit
    description: str = ""
    amount_sen: int = 0


def _draft(context: VanBillContext) -> Draft:
    stored = context.user_data.get(DRAFT)
    if not isinstance(stored, dict):
        raise InvalidInput(texts.FAMILY_EXPIRED)
    try:
        return Draft(**stored)
    except TypeError:
        raise InvalidInput(texts.FAMILY_EXPIRED) from None


def _keep(context: VanBillContext, draft: Draft) -> None:
    context.user_data[DRAFT] = asdict(draft)


def _typed(update: Update) -> str:
    assert update.effective_message is not None
    return update.effective_message.text or ""


async def _reply(update: Update, text: str, **kwargs: Any) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, **kwargs)


Button = Callable[[Update, VanBillContext, OperatorView, str], Awaitable[Any]]


def button(action: str, state: object = None) -> Callable[[Button], BaseHandler[Any, Any, Any]]:
    """Make a handler for one action's buttons: the argument it carries is handed over.

    A refused press is answered with the reason and the conversation stays where it was.
    """

    def make(callback: Button) -> BaseHandler[Any, Any, Any]:
        @for_operator
        @functools.wraps(callback)
        async def pressed(update: Update, context: VanBillContext, operator: OperatorView) -> Any:
            query = update.callback_query
            assert query is not None
            _, argument = parsing.owned_button(query.data, PREFIX, operator.id, (action,))
            result = await callback(update, context, operator, argument)
            await query.answer()
            return result

        guarded = replies_on_error(state)(pressed)
        return CallbackQueryHandler(guarded, pattern=rf"^{PREFIX}:\d+:{action}(:|$)")

    return make


def typed(state: object) -> Callable[[Callable[..., Awaitable[Any]]], BaseHandler[Any, Any, Any]]:
    """Make a handler for text typed in state (a refusal asks again, staying there)."""

    def make(callback: Callable[..., Awaitable[Any]]) -> BaseHandler[Any, Any, Any]:
        guarded = replies_on_error(state, hint=texts.TRY_AGAIN)(for_operator(callback))
        return MessageHandler(TYPED, guarded)

    return make


async def _card(update: Update, context: VanBillContext, operator: OperatorView, cid: int) -> None:
    from vanbill.bot.handlers.customers import show_card  # the card lives with /customer

    await show_card(update, context, operator, cid)


# -- the parent's details --------------------------------------------------------------------


@button("edit", MENU)
async def edit_menu(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Show the parent's details with a button for each."""
    family = await customers.get_customer(
        context.services.db, operator.id, parsing.button_number(arg)
    )
    _keep(context, Draft(customer_id=family.id))
    await _reply(
        update,
        texts.family_edit_menu(family),
        reply_markup=keyboards.family_edit_menu(operator.id, family.id),
    )
    return MENU


@button("pf", MENU)
async def ask_parent(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Ask for the new value of one of the parent's details."""
    customer, what = parsing.parts(arg, 2)
    if what not in families.PARENT_FIELDS:
        raise InvalidInput(parsing.STALE_BUTTON)
    family = await customers.get_customer(
        context.services.db, operator.id, parsing.button_number(customer)
    )
    _keep(context, Draft(customer_id=family.id, detail=f"parent.{what}"))
    await _reply(update, texts.ask_parent_field(what, family.name))
    return TYPING


@typed(TYPING)
async def receive_value(update: Update, context: VanBillContext, operator: OperatorView):
    """Save the value typed for the parent's or a child's detail."""
    draft = _draft(context)
    owner, _, what = draft.detail.partition(".")
    services, actor = context.services, await actor_of(update, context)
    if owner == "parent":
        value = parsing.setting_text(_typed(update)) if what != "name" else _typed(update)
        family = await families.edit_family(
            services.db,
            operator.id,
            draft.customer_id,
            services.clock,
            actor,
            field=what,
            value=value,
        )
        await _reply(update, texts.parent_field_saved(what, family))
        await _card(update, context, operator, family.id)
        return ConversationHandler.END
    if owner != "child":
        raise InvalidInput(texts.FAMILY_EXPIRED)
    value: object = _typed(update)
    if what == "birth_year":
        value = parsing.birth_year(_typed(update), operator_today(context, operator))
    elif what == "school":
        value = parsing.setting_text(_typed(update))
    child = await families.edit_child(
        services.db, operator.id, draft.child_id, services.clock, actor, field=what, value=value
    )
    await _reply(update, texts.child_saved(child))
    return ConversationHandler.END


# -- children ----------------------------------------------------------------------------------


@button("kids", MENU)
async def children(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """List the family's children and their routes."""
    db = context.services.db
    family = await customers.get_customer(db, operator.id, parsing.button_number(arg))
    month = month_start(operator_today(context, operator))
    taken = await routes.list_enrollments(db, operator.id, family.id, month=month)
    _keep(context, Draft(customer_id=family.id))
    await _reply(
        update,
        texts.children_menu(family, taken),
        reply_markup=keyboards.children_menu(operator.id, family),
    )
    return MENU


async def _child_of(context: VanBillContext, operator: OperatorView, child_id: int):  # type: ignore[no-untyped-def]
    """Return (family, child) for one of the operator's children, or refuse a stale button."""
    found = await families.find_child(context.services.db, operator.id, child_id)
    if found is None:
        raise InvalidInput(parsing.STALE_BUTTON)
    return found


@button("kid", MENU)
async def child(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Show one child and what can change."""
    family, kid = await _child_of(context, operator, parsing.button_number(arg))
    month = month_start(operator_today(context, operator))
    taken = await routes.list_enrollments(context.services.db, operator.id, family.id, month=month)
    _keep(context, Draft(customer_id=family.id, child_id=kid.id))
    await _reply(
        update,
        texts.child_menu(kid, taken),
        reply_markup=keyboards.child_menu(operator.id, kid.id),
    )
    return MENU


@button("cf", MENU)
async def ask_child(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Ask for a child's new name, school or birth year (the category with buttons)."""
    child_id, what = parsing.parts(arg, 2)
    if what not in families.CHILD_FIELDS:
        raise InvalidInput(parsing.STALE_BUTTON)
    family, kid = await _child_of(context, operator, parsing.button_number(child_id))
    _keep(context, Draft(customer_id=family.id, child_id=kid.id, detail=f"child.{what}"))
    markup = keyboards.categories(operator.id, "ccat", kid.id) if what == "category" else None
    await _reply(update, texts.ask_child_field(what, kid.name), reply_markup=markup)
    return MENU if what == "category" else TYPING


@button("ccat", MENU)
async def child_category(
    update: Update, context: VanBillContext, operator: OperatorView, arg: str
):
    """Save a child's category."""
    child_id, category = parsing.parts(arg, 2)
    if category not in CHILD_CATEGORIES:
        raise InvalidInput(parsing.STALE_BUTTON)
    services = context.services
    kid = await families.edit_child(
        services.db,
        operator.id,
        parsing.button_number(child_id),
        services.clock,
        await actor_of(update, context),
        field="category",
        value=category,
    )
    await keyboards.drop_buttons(update.callback_query)
    await _reply(update, texts.child_saved(kid))
    return ConversationHandler.END


@button("add", MENU)
async def add_child(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Start adding a child: ask the name."""
    family = await customers.get_customer(
        context.services.db, operator.id, parsing.button_number(arg)
    )
    if family.archived:
        raise InvalidInput("family.archived_change", name=family.name)
    _keep(context, Draft(customer_id=family.id))
    await _reply(update, texts.ASK_NEW_CHILD)
    return NEW_NAME


@typed(NEW_NAME)
async def new_name(update: Update, context: VanBillContext, operator: OperatorView):
    """Take the new child's name, ask the category."""
    draft = _draft(context)
    draft.name = clean_text(_typed(update), "child_name", limit=200)
    _keep(context, draft)
    await _reply(
        update,
        texts.new_customer_category(draft.name),
        reply_markup=keyboards.categories(operator.id, "ncat"),
    )
    return MENU


@button("ncat", MENU)
async def new_category(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Take the category, ask the birth year."""
    if arg not in CHILD_CATEGORIES:
        raise InvalidInput(parsing.STALE_BUTTON)
    draft = _draft(context)
    draft.category = arg
    _keep(context, draft)
    await keyboards.drop_buttons(update.callback_query)
    await _reply(update, texts.new_customer_birth(draft.name, arg))
    return NEW_BIRTH


@typed(NEW_BIRTH)
async def new_birth(update: Update, context: VanBillContext, operator: OperatorView):
    """Take the birth year or age, ask the school."""
    draft = _draft(context)
    draft.birth_year = parsing.birth_year(_typed(update), operator_today(context, operator))
    _keep(context, draft)
    await _reply(update, texts.new_customer_school(draft.name))
    return NEW_SCHOOL


@typed(NEW_SCHOOL)
async def new_school(update: Update, context: VanBillContext, operator: OperatorView):
    """Take the school, offer the routes to tick."""
    draft = _draft(context)
    draft.school = clean_text(
        parsing.setting_text(_typed(update)), "school", limit=200, required=False
    )
    _keep(context, draft)
    active = await routes.list_services(context.services.db, operator.id)
    await _reply(
        update,
        texts.new_customer_routes(draft.name),
        reply_markup=keyboards.new_child_routes(operator.id, active, set(draft.routes)),
    )
    return MENU


@button("nrt", MENU)
async def new_route(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Tick or untick a route for the new child."""
    draft = _draft(context)
    active = await routes.list_services(context.services.db, operator.id)
    route_id = parsing.button_number(arg)
    if route_id not in {r.id for r in active}:
        raise InvalidInput(parsing.STALE_BUTTON)
    draft.routes = sorted(set(draft.routes) ^ {route_id})
    _keep(context, draft)
    assert update.callback_query is not None
    await update.callback_query.edit_message_reply_markup(
        keyboards.new_child_routes(operator.id, active, set(draft.routes))
    )
    return MENU


@button("ndone", MENU)
async def new_routes_done(
    update: Update, context: VanBillContext, operator: OperatorView, arg: str
):
    """Ask from which month the routes run (this month or the next)."""
    draft = _draft(context)
    if not draft.name:
        raise InvalidInput(texts.FAMILY_EXPIRED)
    this = month_start(operator_today(context, operator))
    choices = [
        ("this", texts.month_button(this)),
        ("next", texts.month_button(add_months(this, 1))),
    ]
    await keyboards.drop_buttons(update.callback_query)
    await _reply(
        update,
        texts.ask_new_child_start(draft.name, len(draft.routes), this),
        reply_markup=keyboards.months(
            operator.id, "nstart", "", choices[: 2 if draft.routes else 1]
        ),
    )
    return MENU


@button("nstart", MENU)
async def new_child_save(
    update: Update, context: VanBillContext, operator: OperatorView, arg: str
):
    """Save the new child with their routes; joining in the middle of a month whose run is
    still to come, first ask how that month is billed (each button shows its figure)."""
    if arg not in ("this", "next"):
        raise InvalidInput(parsing.STALE_BUTTON)
    draft = _draft(context)
    if not draft.name:
        raise InvalidInput(texts.FAMILY_EXPIRED)
    if arg == "this":
        services = context.services
        preview = await families.join_preview(
            services.db,
            operator.id,
            draft.customer_id,
            services.clock,
            route_ids=draft.routes,
        )
        if preview is not None:
            choices = [
                (rule, texts.bill_button(rule, preview.figures[rule], operator.currency))
                for rule in parsing.JOIN_RULES
            ]
            await keyboards.drop_buttons(update.callback_query)
            await _reply(
                update,
                texts.ask_join_billing(draft.name, preview.joined_on, preview.period),
                reply_markup=keyboards.months(operator.id, "njoin", "", choices),
            )
            return MENU
    return await _save_new_child(update, context, operator, draft, next_month=arg == "next")


@button("njoin", MENU)
async def new_child_join(
    update: Update, context: VanBillContext, operator: OperatorView, arg: str
):
    """Save the new child, this month's run to bill their routes by the rule tapped."""
    if arg not in parsing.JOIN_RULES:
        raise InvalidInput(parsing.STALE_BUTTON)
    draft = _draft(context)
    if not draft.name:
        raise InvalidInput(texts.FAMILY_EXPIRED)
    return await _save_new_child(update, context, operator, draft, join_rule=arg)


async def _save_new_child(
    update: Update,
    context: VanBillContext,
    operator: OperatorView,
    draft: Draft,
    *,
    next_month: bool = False,
    join_rule: str | None = None,
) -> int:
    services = context.services
    added = await families.add_child(
        services.db,
        operator.id,
        draft.customer_id,
        services.clock,
        await actor_of(update, context),
        name=draft.name,
        category=draft.category,
        birth_year=draft.birth_year,
        school=draft.school,
        route_ids=draft.routes,
        next_month=next_month,
        join_rule=join_rule,
    )
    context.user_data.pop(DRAFT, None)
    await keyboards.drop_buttons(update.callback_query)
    family = await customers.get_customer(services.db, operator.id, draft.customer_id)
    text = texts.child_added(added, family.name)
    if added.join_rule is not None and added.joined_on is not None:
        text += "\n" + texts.join_billing_saved(
            added.child.name, added.start_month, added.join_figure_sen, operator.currency
        )
    await _reply(update, text)
    await offer_month(update, context, operator, family.id)
    return ConversationHandler.END


async def offer_month(
    update: Update, context: VanBillContext, operator: OperatorView, customer_id: int
) -> bool:
    """Offer to bill this month now, when routes were added after its run; say if offered."""
    services = context.services
    offer = await families.unbilled_month(services.db, operator.id, customer_id, services.clock)
    if offer is None:
        return False
    family = await customers.get_customer(services.db, operator.id, customer_id)
    choices = [
        (rule, texts.bill_button(rule, offer.figures[rule], operator.currency))
        for rule in (proration.FULL, proration.DAYS, proration.SCHOOL_DAYS, proration.HALF)
    ]
    choices.append((families.NEXT_MONTH, texts.from_next_month_button(offer.next_month)))
    await _reply(
        update,
        texts.bill_month_offer(family.name, offer.period, offer.own_invoice),
        reply_markup=keyboards.bill_offer(operator.id, customer_id, choices),
    )
    return True


@button("offer", MENU)
async def show_offer(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Show the 'bill this month now' choices again (from the card)."""
    if not await offer_month(update, context, operator, parsing.button_number(arg)):
        raise InvalidInput("family.nothing_this_month")


@button("bill", MENU)
async def bill_now(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Bill this month now by the rule chosen (or start from next month)."""
    customer, rule = parsing.parts(arg, 2)
    if rule not in (*proration.RULES, families.NEXT_MONTH):
        raise InvalidInput(parsing.STALE_BUTTON)
    services = context.services
    billed = await families.bill_month_now(
        services.db,
        operator.id,
        parsing.button_number(customer),
        services.clock,
        await actor_of(update, context),
        rule=rule,
    )
    await keyboards.drop_buttons(update.callback_query)
    await _reply(update, texts.month_billed(billed, operator.currency))
    return ConversationHandler.END


# -- a child leaves, or changes route ------------------------------------------------------


@button("leave", MENU)
async def leave(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Ask when the child stops riding: today, or after this month or the next."""
    _, kid = await _child_of(context, operator, parsing.button_number(arg))
    today = operator_today(context, operator)
    this = month_start(today)
    choices = [
        ("today", texts.leave_today_button(today)),
        ("this", texts.leave_end_button(this)),
        ("next", texts.leave_end_button(add_months(this, 1))),
    ]
    await _reply(
        update,
        texts.ask_leave_when(kid.name, today, this, add_months(this, 1)),
        reply_markup=keyboards.months(operator.id, "lwhen", str(kid.id), choices),
    )
    return MENU


@button("lwhen", MENU)
async def leave_when(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """End the routes after a month, or ask how this month is billed when it is today."""
    child_id, when = parsing.parts(arg, 2)
    if when not in ("today", "this", "next"):
        raise InvalidInput(parsing.STALE_BUTTON)
    _, kid = await _child_of(context, operator, parsing.button_number(child_id))
    services = context.services
    today = operator_today(context, operator)
    if when == "today":
        figures = await families.leave_figures(services.db, operator.id, kid.id, services.clock)
        choices = [
            (rule, texts.bill_button(rule, figures[rule], operator.currency))
            for rule in proration.RULES
        ]
        await _reply(
            update,
            texts.ask_leave_billing(kid.name, today),
            reply_markup=keyboards.months(operator.id, "lrule", str(kid.id), choices),
        )
        return MENU
    month = add_months(month_start(today), 0 if when == "this" else 1)
    left = await families.child_leaves(
        services.db,
        operator.id,
        kid.id,
        services.clock,
        await actor_of(update, context),
        last_day=proration.month_end(month),
    )
    await keyboards.drop_buttons(update.callback_query)
    await _reply(update, texts.child_left(left, operator.currency))
    return ConversationHandler.END


@button("lrule", MENU)
async def leave_today(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """End the child's routes today, this month billed by the rule chosen."""
    child_id, rule = parsing.parts(arg, 2)
    if rule not in proration.RULES:
        raise InvalidInput(parsing.STALE_BUTTON)
    services = context.services
    left = await families.child_leaves(
        services.db,
        operator.id,
        parsing.button_number(child_id),
        services.clock,
        await actor_of(update, context),
        last_day=operator_today(context, operator),
        rule=rule,
    )
    await keyboards.drop_buttons(update.callback_query)
    await _reply(update, texts.child_left(left, operator.currency))
    return ConversationHandler.END


@button("move", MENU)
async def move(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Ask which of the child's routes changes (or straight for the new one)."""
    family, kid = await _child_of(context, operator, parsing.button_number(arg))
    month = month_start(operator_today(context, operator))
    taken = [
        e
        for e in await routes.list_enrollments(context.services.db, operator.id, family.id)
        if e.child_id == kid.id and (e.end_month is None or e.end_month >= month)
    ]
    if not taken:
        await _reply(update, texts.no_route_to_change(kid.name))
        return MENU
    if len(taken) == 1:
        return await _ask_new_route(update, context, operator, kid.id, taken[0])
    choices = [(str(e.id), e.service_name) for e in taken]
    await _reply(
        update,
        texts.ask_move_from(kid.name),
        reply_markup=keyboards.months(operator.id, "mfrom", str(kid.id), choices),
    )
    return MENU


async def _ask_new_route(update, context, operator, child_id, taken):  # type: ignore[no-untyped-def]
    active = await routes.list_services(context.services.db, operator.id)
    choices = [(str(r.id), r.name) for r in active if r.id != taken.service_id]
    if not choices:
        raise InvalidInput("route.no_other_active")
    await _reply(
        update,
        texts.ask_move_to(taken.child_name, taken.service_name),
        reply_markup=keyboards.months(operator.id, "mto", f"{child_id}-{taken.id}", choices),
    )
    return MENU


@button("mfrom", MENU)
async def move_from(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Take the route that changes; ask for the new one."""
    child_id, enrollment_id = (parsing.button_number(p) for p in parsing.parts(arg, 2))
    family, kid = await _child_of(context, operator, child_id)
    taken = next(
        (
            e
            for e in await routes.list_enrollments(context.services.db, operator.id, family.id)
            if e.id == enrollment_id and e.child_id == kid.id
        ),
        None,
    )
    if taken is None:
        raise InvalidInput(parsing.STALE_BUTTON)
    return await _ask_new_route(update, context, operator, kid.id, taken)


@button("mto", MENU)
async def move_to(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Take the new route; ask from which month."""
    child_id, enrollment_id, route_id = (parsing.button_number(p) for p in parsing.parts(arg, 3))
    route = await routes.get_service(context.services.db, operator.id, route_id)
    _, kid = await _child_of(context, operator, child_id)
    this = month_start(operator_today(context, operator))
    choices = [
        ("this", texts.month_button(this)),
        ("next", texts.month_button(add_months(this, 1))),
    ]
    await _reply(
        update,
        texts.ask_move_month(kid.name, route.name),
        reply_markup=keyboards.months(
            operator.id, "mmonth", f"{kid.id}-{enrollment_id}-{route.id}", choices
        ),
    )
    return MENU


@button("mmonth", MENU)
async def move_save(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Move the child to the new route from the month chosen."""
    child_id, enrollment_id, route_id, when = parsing.parts(arg, 4)
    if when not in ("this", "next"):
        raise InvalidInput(parsing.STALE_BUTTON)
    services = context.services
    this = month_start(operator_today(context, operator))
    moved = await families.move_child(
        services.db,
        operator.id,
        parsing.button_number(child_id),
        services.clock,
        await actor_of(update, context),
        enrollment_id=parsing.button_number(enrollment_id),
        route_id=parsing.button_number(route_id),
        from_month=this if when == "this" else add_months(this, 1),
    )
    await keyboards.drop_buttons(update.callback_query)
    await _reply(update, texts.child_moved(moved))
    return ConversationHandler.END


# -- reminders paused, charges and credits -------------------------------------------------


def _reminders(paused: bool) -> Button:
    async def switch(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
        """Pause or resume the family's reminders, then show its card."""
        services = context.services
        family = await families.set_reminders_paused(
            services.db,
            operator.id,
            parsing.button_number(arg),
            services.clock,
            await actor_of(update, context),
            paused,
        )
        await _reply(update, texts.reminders_paused(family))
        await _card(update, context, operator, family.id)
        return ConversationHandler.END

    return switch


@button("adj", MENU)
async def adjust(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Ask: a charge or a credit?"""
    family = await customers.get_customer(
        context.services.db, operator.id, parsing.button_number(arg)
    )
    if family.archived:
        raise InvalidInput("family.archived_first", name=family.name)
    _keep(context, Draft(customer_id=family.id))
    await _reply(
        update,
        texts.ask_adjustment_kind(family.name),
        reply_markup=keyboards.adjustment_kind(operator.id, family.id),
    )
    return MENU


@button("akind", MENU)
async def adjust_kind(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Take charge or credit; ask the description."""
    customer, kind = parsing.parts(arg, 2)
    if kind not in (adjustments.CHARGE, adjustments.CREDIT):
        raise InvalidInput(parsing.STALE_BUTTON)
    family = await customers.get_customer(
        context.services.db, operator.id, parsing.button_number(customer)
    )
    _keep(context, Draft(customer_id=family.id, kind=kind))
    await keyboards.drop_buttons(update.callback_query)
    await _reply(update, texts.ask_adjustment_text(kind))
    return ADJ_TEXT


@typed(ADJ_TEXT)
async def adjust_text(update: Update, context: VanBillContext, operator: OperatorView):
    """Take the description; ask the amount."""
    draft = _draft(context)
    draft.description = parsing.line_description(_typed(update))
    _keep(context, draft)
    await _reply(update, texts.ask_adjustment_amount(draft.description))
    return ADJ_AMOUNT


@typed(ADJ_AMOUNT)
async def adjust_amount(update: Update, context: VanBillContext, operator: OperatorView):
    """Take the amount; ask when it takes effect."""
    draft = _draft(context)
    draft.amount_sen = parse_amount(_typed(update))
    _keep(context, draft)
    await _reply(
        update,
        texts.ask_adjustment_timing(
            draft.kind, draft.description, draft.amount_sen, operator.currency
        ),
        reply_markup=keyboards.adjustment_timing(operator.id, draft.kind),
    )
    return MENU


@button("atime", MENU)
async def adjust_save(update: Update, context: VanBillContext, operator: OperatorView, arg: str):
    """Record the charge or credit, on the next invoice or now."""
    if arg not in (adjustments.NEXT, adjustments.NOW):
        raise InvalidInput(parsing.STALE_BUTTON)
    draft = _draft(context)
    if not draft.kind or not draft.amount_sen:
        raise InvalidInput(texts.FAMILY_EXPIRED)
    services = context.services
    made = await adjustments.add_adjustment(
        services.db,
        operator.id,
        draft.customer_id,
        services.clock,
        await actor_of(update, context),
        kind=draft.kind,
        description=draft.description,
        amount_sen=draft.amount_sen,
        timing=arg,
    )
    context.user_data.pop(DRAFT, None)
    await keyboards.drop_buttons(update.callback_query)
    await _reply(update, texts.adjustment_saved(made, operator.currency))
    return ConversationHandler.END


@for_operator
async def use_the_buttons(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Point at the buttons when the operator types instead of tapping (the step stays)."""
    await _reply(update, texts.USE_THE_BUTTONS)


BUTTONS: list[BaseHandler[Any, Any, Any]] = [
    edit_menu,
    ask_parent,
    children,
    child,
    ask_child,
    child_category,
    add_child,
    new_category,
    new_route,
    new_routes_done,
    new_child_save,
    new_child_join,
    show_offer,
    bill_now,
    leave,
    leave_when,
    leave_today,
    move,
    move_from,
    move_to,
    move_save,
    button("pause", MENU)(_reminders(True)),
    button("resume", MENU)(_reminders(False)),
    adjust,
    adjust_kind,
    adjust_save,
]


def conversation(timeout: timedelta | None = DEFAULT_TIMEOUT) -> ConversationHandler:  # type: ignore[type-arg]
    """Build the persistent conversation of the family card's changes."""
    return operator_conversation(
        name=NAME,
        entry_points=list(BUTTONS),
        states={
            MENU: [*BUTTONS, MessageHandler(TYPED, use_the_buttons)],
            TYPING: [receive_value, *BUTTONS],
            NEW_NAME: [new_name, *BUTTONS],
            NEW_BIRTH: [new_birth, *BUTTONS],
            NEW_SCHOOL: [new_school, *BUTTONS],
            ADJ_TEXT: [adjust_text, *BUTTONS],
            ADJ_AMOUNT: [adjust_amount, *BUTTONS],
        },
        draft_key=DRAFT,
        cancelled=texts.NOTHING_SAVED,
        timed_out=lambda after: texts.conversation_timed_out(i18n.gettext("change"), after),
        timeout=timeout,
    )
