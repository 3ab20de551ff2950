"""Every keyboard the bot shows: inline menus and the share-my-phone button."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping, Sequence

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest

from vanbill.bot import parsing, texts
from vanbill.services import i18n
from vanbill.services.corrections import Correctable
from vanbill.services.views import (
    PAYMENT_METHODS,
    CustomerBalance,
    CustomerView,
    InvoiceView,
    Page,
    PaymentView,
    ServiceView,
    method_label,
)

_ = i18n.gettext


def share_phone() -> ReplyKeyboardMarkup:
    """Return the one-button keyboard that shares the person's own phone number."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(texts.SHARE_PHONE_BUTTON, request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def languages(current: str) -> InlineKeyboardMarkup:
    """Return one button per language, each in its own name; the current one ticked."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ("✓ " if locale == current else "") + i18n.NATIVE_NAMES[locale],
                    callback_data=parsing.language_button_data(locale),
                )
            ]
            for locale in i18n.LOCALES
        ]
    )


def remove() -> ReplyKeyboardRemove:
    """Return the markup that takes a reply keyboard away."""
    return ReplyKeyboardRemove()


def business_menu(operator_id: int, fields: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    """Return the /business menu: one button per (key, label), two a row, then Done."""
    buttons = [
        InlineKeyboardButton(
            texts.setting_label(label),
            callback_data=parsing.business_button_data(operator_id, key),
        )
        for key, label in fields
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    done = parsing.business_button_data(operator_id, parsing.BUSINESS_DONE)
    rows.append([InlineKeyboardButton(_("✅ Done"), callback_data=done)])
    return InlineKeyboardMarkup(rows)


def business_back(operator_id: int) -> InlineKeyboardMarkup:
    """Return the one button under a /business question: back to the menu."""
    back = parsing.business_button_data(operator_id, "back")
    return InlineKeyboardMarkup([[InlineKeyboardButton(_("⬅ Back"), callback_data=back)]])


def run_approval(operator_id: int, run_id: int) -> InlineKeyboardMarkup:
    """Return Approve / Hold for a monthly run waiting for the operator."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("✅ Approve"),
                    callback_data=parsing.run_button_data(operator_id, run_id, "ok"),
                ),
                InlineKeyboardButton(
                    _("⏸ Hold"), callback_data=parsing.run_button_data(operator_id, run_id, "hold")
                ),
            ]
        ]
    )


def operator_notice_buttons(
    operator_id: int, meta: Mapping[str, object]
) -> InlineKeyboardMarkup | None:
    """Return the buttons a queued operator notice carries (a run preview's Approve / Hold)."""
    if meta.get("notice") == "run_preview":
        return run_approval(operator_id, int(str(meta["run_id"])))
    if meta.get("notice") == "late_fee":
        return waive_late_fees(operator_id, [(int(str(meta["invoice_id"])), str(meta["number"]))])
    return None


def parent_invoices(customer_id: int, invoices: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """Return one 'PDF' button per (invoice id, number), two a row."""
    buttons = [
        InlineKeyboardButton(
            texts.invoice_pdf_button(number),
            callback_data=parsing.parent_invoice_button_data(customer_id, invoice_id),
        )
        for invoice_id, number in invoices
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def slip_for(message_id: int, families: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """Return one button per (family id, label): which business a slip is for."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    label, callback_data=parsing.slip_for_button_data(customer_id, message_id)
                )
            ]
            for customer_id, label in families
        ]
    )


def _slip_button(
    operator_id: int, slip_id: int, label: str, action: str, amount_sen: int = 0
) -> InlineKeyboardButton:
    data = parsing.slip_button_data(operator_id, slip_id, action, amount_sen)
    return InlineKeyboardButton(label, callback_data=data)


def _slip_other_or_dismiss(operator_id: int, slip_id: int) -> list[InlineKeyboardButton]:
    return [
        _slip_button(
            operator_id, slip_id, texts.SLIP_OTHER_AMOUNT_BUTTON, parsing.SLIP_OTHER_AMOUNT
        ),
        _slip_button(operator_id, slip_id, texts.SLIP_DISMISS_BUTTON, parsing.SLIP_DISMISS),
    ]


def slip_decision(
    operator_id: int, slip_id: int, balance_sen: int, currency: str
) -> InlineKeyboardMarkup:
    """Return Record RM<balance> (when something is owed), Record other amount and Dismiss."""
    rows = []
    if balance_sen > 0:
        label = texts.slip_record_button(balance_sen, currency)
        rows.append([_slip_button(operator_id, slip_id, label, parsing.SLIP_RECORD, balance_sen)])
    rows.append(_slip_other_or_dismiss(operator_id, slip_id))
    return InlineKeyboardMarkup(rows)


# A slip's method buttons and its no-reason button (their callback data is read in
# bot/handlers/slips.py): slpm:<operator>:<method>:<slip>-<amount sen>[-<slip's message>] and
# slpd:<operator>:none:<slip>.
SLIP_METHOD_PREFIX = "slpm"
SLIP_NO_REASON_PREFIX = "slpd"
SLIP_METHODS = {  # button action -> payment method, in the order offered
    "bank": "bank_transfer",
    "duitnow": "duitnow",
    "cash": "cash",
    "cheque": "cheque",
    "other": "other",
}


def slip_methods(
    operator_id: int, slip_id: int, amount_sen: int, slip_message_id: int | None = None
) -> InlineKeyboardMarkup:
    """Return one button per payment method for recording amount_sen from a slip, two a row.

    On the slip's own message (no slip_message_id) Record other amount and Dismiss stay too.
    """
    argument = f"{slip_id}-{amount_sen}"
    if slip_message_id is not None:
        argument += f"-{slip_message_id}"
    buttons = [
        _owned(method_label(method), SLIP_METHOD_PREFIX, operator_id, action, argument)
        for action, method in SLIP_METHODS.items()
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if slip_message_id is None:
        rows.append(_slip_other_or_dismiss(operator_id, slip_id))
    return InlineKeyboardMarkup(rows)


def slip_no_reason(operator_id: int, slip_id: int) -> InlineKeyboardMarkup:
    """Return the button that dismisses a slip without giving the parent a reason."""
    label, prefix = texts.SLIP_NO_REASON_BUTTON, SLIP_NO_REASON_PREFIX
    return InlineKeyboardMarkup([[_owned(label, prefix, operator_id, "none", slip_id)]])


# -- Families, routes, /newcustomer and /newservice ------------------------------------------


async def drop_buttons(query: CallbackQuery | None) -> None:
    """Take the buttons off the message a pressed button was on (gone already is fine)."""
    if query is None:
        return
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)


def _owned(
    label: str, prefix: str, operator_id: int, action: str, argument: int | str | None = None
) -> InlineKeyboardButton:
    data = parsing.owned_button_data(prefix, operator_id, action, argument)
    return InlineKeyboardButton(label, callback_data=data)


def confirm_new_service(operator_id: int) -> InlineKeyboardMarkup:
    """Return Save / Cancel for a new route."""
    prefix = parsing.NEW_SERVICE_PREFIX
    return InlineKeyboardMarkup(
        [
            [
                _owned(_("✅ Save"), prefix, operator_id, "save"),
                _owned(_("✖️ Cancel"), prefix, operator_id, "cancel"),
            ]
        ]
    )


def route_list(operator_id: int, routes: Sequence[ServiceView]) -> InlineKeyboardMarkup:
    """Return one row per route: change its fee, switch it off (or on)."""
    prefix = parsing.ROUTE_PREFIX
    return InlineKeyboardMarkup(
        [
            [
                _owned(
                    _("💰 Fee: {route}").format(route=route.name),
                    prefix,
                    operator_id,
                    "fee",
                    route.id,
                ),
                _owned(
                    _("⏸ Deactivate {route}").format(route=route.name),
                    prefix,
                    operator_id,
                    "off",
                    route.id,
                )
                if route.active
                else _owned(
                    _("▶️ Reactivate {route}").format(route=route.name),
                    prefix,
                    operator_id,
                    "on",
                    route.id,
                ),
            ]
            for route in routes
        ]
    )


def child_categories(operator_id: int, categories: Sequence[str]) -> InlineKeyboardMarkup:
    """Return one button per child category, two a row."""
    buttons = [
        _owned(texts.category_label(c), parsing.NEW_CUSTOMER_PREFIX, operator_id, "cat", c)
        for c in categories
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _ticked(route: ServiceView, chosen: Collection[int]) -> str:
    return f"{'✅' if route.id in chosen else '⬜'} {route.name}"


def route_picker(
    operator_id: int, routes: Sequence[ServiceView], chosen: Collection[int]
) -> InlineKeyboardMarkup:
    """Return the active routes to tick (ticked ones marked), then Done and No route."""
    prefix = parsing.NEW_CUSTOMER_PREFIX
    rows = [[_owned(_ticked(r, chosen), prefix, operator_id, "route", r.id)] for r in routes]
    rows.append(
        [
            _owned(_("Done"), prefix, operator_id, "done"),
            _owned(_("No route"), prefix, operator_id, "none"),
        ]
    )
    return InlineKeyboardMarkup(rows)


def another_child(operator_id: int) -> InlineKeyboardMarkup:
    """Return Yes / No for 'another child?'."""
    prefix = parsing.NEW_CUSTOMER_PREFIX
    return InlineKeyboardMarkup(
        [
            [
                _owned(_("➕ Yes, another child"), prefix, operator_id, "yes"),
                _owned(_("No, save the family"), prefix, operator_id, "no"),
            ]
        ]
    )


def family_created(operator_id: int, customer_id: int) -> InlineKeyboardMarkup:
    """Return the buttons under a family /newcustomer just saved."""
    prefix = parsing.FAMILY_PREFIX
    return InlineKeyboardMarkup(
        [
            [
                _owned(_("🔗 Invite link"), prefix, operator_id, "inv", customer_id),
                _owned(_("🧾 New invoice"), prefix, operator_id, "newinv", customer_id),
            ]
        ]
    )


def family_card(
    operator_id: int, family: CustomerView, bill_month: str | None = None
) -> InlineKeyboardMarkup:
    """Return a family card's buttons (an archived family can only be unarchived or looked at).

    bill_month labels the "bill this month now" button of a family added after the month's run.
    """
    prefix, fid, edit = parsing.FAMILY_PREFIX, family.id, parsing.FAMILY_EDIT_PREFIX
    rows = [
        [
            _owned(_("🧾 Invoices"), prefix, operator_id, "unpaid", fid),
            _owned(_("💵 Record payment"), prefix, operator_id, "pay", fid),
        ],
        [_owned(_("📄 Statement"), prefix, operator_id, "stmt", fid)],
        [
            _owned(texts.HISTORY_BUTTON, prefix, operator_id, "hist", fid),
            _owned(texts.FIX_BUTTON, prefix, operator_id, "fix", fid),
        ],
    ]
    if family.archived:
        rows[1].append(_owned(_("♻️ Unarchive"), prefix, operator_id, "unarch", fid))
        return InlineKeyboardMarkup(rows)
    rows[1].insert(0, _owned(_("🔗 Invite link"), prefix, operator_id, "inv", fid))
    rows.append(
        [
            _owned(texts.EDIT_DETAILS_BUTTON, edit, operator_id, "edit", fid),
            _owned(texts.CHILDREN_BUTTON, edit, operator_id, "kids", fid),
        ]
    )
    paused = family.reminders_paused
    rows.append(
        [
            _owned(texts.ADJUST_BUTTON, edit, operator_id, "adj", fid),
            _owned(
                texts.RESUME_BUTTON if paused else texts.PAUSE_BUTTON,
                edit,
                operator_id,
                "resume" if paused else "pause",
                fid,
            ),
        ]
    )
    if bill_month:
        rows.append([_owned(bill_month, edit, operator_id, "offer", fid)])
    rows.append(
        [
            _owned(texts.FAMILY_LANGUAGE_BUTTON, prefix, operator_id, "lang", fid),
            _owned(_("🗄 Archive"), prefix, operator_id, "arch", fid),
        ]
    )
    return InlineKeyboardMarkup(rows)


def family_languages(operator_id: int, family: CustomerView) -> InlineKeyboardMarkup:
    """Return one button per language for a family's documents, and "the parent's own"."""
    rows = [
        [
            _owned(
                ("✓ " if family.language == locale else "")
                + (i18n.NATIVE_NAMES[locale] if locale else texts.FAMILY_LANGUAGE_AUTO),
                parsing.FAMILY_LANGUAGE_PREFIX,
                operator_id,
                action,
                family.id,
            )
        ]
        for action, locale in parsing.FAMILY_LANGUAGES.items()
    ]
    return InlineKeyboardMarkup(rows)


def _pairs(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def _edit(label: str, operator_id: int, action: str, argument: object) -> InlineKeyboardButton:
    return _owned(label, parsing.FAMILY_EDIT_PREFIX, operator_id, action, str(argument))


def family_edit_menu(operator_id: int, customer_id: int) -> InlineKeyboardMarkup:
    """Return one button per parent detail."""
    return InlineKeyboardMarkup(
        _pairs(
            [
                _edit(label.capitalize(), operator_id, "pf", f"{customer_id}-{field}")
                for field, label in texts.PARENT_FIELD_LABELS.items()
            ]
        )
    )


def children_menu(operator_id: int, family: CustomerView) -> InlineKeyboardMarkup:
    """Return one button per child, then Add a child."""
    rows = _pairs([_edit(c.name[:40], operator_id, "kid", c.id) for c in family.children])
    rows.append([_edit(texts.ADD_CHILD_BUTTON, operator_id, "add", family.id)])
    return InlineKeyboardMarkup(rows)


def child_menu(operator_id: int, child_id: int) -> InlineKeyboardMarkup:
    """Return a child's details to change, Leaves and Change route."""
    rows = _pairs(
        [
            _edit(label.capitalize(), operator_id, "cf", f"{child_id}-{field}")
            for field, label in texts.CHILD_FIELD_LABELS.items()
        ]
    )
    rows.append(
        [
            _edit(texts.MOVE_BUTTON, operator_id, "move", child_id),
            _edit(texts.LEAVES_BUTTON, operator_id, "leave", child_id),
        ]
    )
    return InlineKeyboardMarkup(rows)


def categories(operator_id: int, action: str, owner: int | None = None) -> InlineKeyboardMarkup:
    """Return one button per child category (for a child being edited, or a new one)."""
    return InlineKeyboardMarkup(
        _pairs(
            [
                _edit(
                    texts.category_label(c),
                    operator_id,
                    action,
                    f"{owner}-{c}" if owner is not None else c,
                )
                for c in texts.CATEGORY_LABELS
            ]
        )
    )


def new_child_routes(
    operator_id: int, routes: Sequence[ServiceView], chosen: Collection[int]
) -> InlineKeyboardMarkup:
    """Return the active routes to tick for a new child, then Done."""
    rows = [[_edit(_ticked(r, chosen), operator_id, "nrt", r.id)] for r in routes]
    rows.append([_edit(_("Done"), operator_id, "ndone", "1")])
    return InlineKeyboardMarkup(rows)


def months(
    operator_id: int, action: str, prefix: str, choices: Sequence[tuple[str, str]]
) -> InlineKeyboardMarkup:
    """Return one button per (key, label), each carrying prefix-key."""
    return InlineKeyboardMarkup(
        [
            [_edit(label, operator_id, action, f"{prefix}-{key}" if prefix else key)]
            for key, label in choices
        ]
    )


def bill_offer(
    operator_id: int, customer_id: int, choices: Sequence[tuple[str, str]]
) -> InlineKeyboardMarkup:
    """Return one button per (rule, label) for billing this month now."""
    return months(operator_id, "bill", str(customer_id), choices)


def joined(*markups: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
    """Return the buttons of several keyboards on one message, in order."""
    return InlineKeyboardMarkup([row for markup in markups for row in markup.inline_keyboard])


def family_join(
    operator_id: int, customer_id: int, choices: Sequence[tuple[str, str]]
) -> InlineKeyboardMarkup:
    """Return one button per (rule, label) for the month a family just added joins in."""
    return InlineKeyboardMarkup(
        [
            [
                _owned(
                    label,
                    parsing.FAMILY_JOIN_PREFIX,
                    operator_id,
                    "bill",
                    f"{customer_id}-{rule}",
                )
            ]
            for rule, label in choices
        ]
    )


def adjustment_kind(operator_id: int, customer_id: int) -> InlineKeyboardMarkup:
    """Return Charge / Credit."""
    return InlineKeyboardMarkup(
        [
            [_edit(texts.CHARGE_BUTTON, operator_id, "akind", f"{customer_id}-charge")],
            [_edit(texts.CREDIT_BUTTON, operator_id, "akind", f"{customer_id}-credit")],
        ]
    )


def adjustment_timing(operator_id: int, kind: str) -> InlineKeyboardMarkup:
    """Return On the next invoice / now (an invoice of its own, or a credit note)."""
    now = texts.OWN_INVOICE_BUTTON if kind == "charge" else texts.CREDIT_NOW_BUTTON
    return InlineKeyboardMarkup(
        [
            [_edit(texts.NEXT_INVOICE_BUTTON, operator_id, "atime", "next")],
            [_edit(now, operator_id, "atime", "now")],
        ]
    )


def waive_late_fees(operator_id: int, invoices: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """Return a one-tap Waive button per (invoice id, number) with a late fee."""
    return InlineKeyboardMarkup(
        [
            [
                _owned(
                    f"{texts.WAIVE_BUTTON}: {number}",
                    parsing.LATE_FEE_PREFIX,
                    operator_id,
                    "waive",
                    invoice_id,
                )
            ]
            for invoice_id, number in invoices
        ]
    )


def family_page(operator_id: int, page: Page[CustomerBalance]) -> InlineKeyboardMarkup:
    """Return one button per family on the page, two a row, then ◀ ▶."""
    prefix = parsing.FAMILY_PREFIX
    buttons = [_owned(f.name, prefix, operator_id, "card", f.id) for f in page.items]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    turn = []
    if page.page > 1:
        turn.append(_owned(_("◀ Previous"), prefix, operator_id, "page", page.page - 1))
    if page.page < page.pages:
        turn.append(_owned(_("Next ▶"), prefix, operator_id, "page", page.page + 1))
    if turn:
        rows.append(turn)
    return InlineKeyboardMarkup(rows)


def _choice_label(family: CustomerView) -> str:
    return f"{family.name} ({family.phone})" if family.phone else family.name


def family_choices(
    operator_id: int, families: Sequence[CustomerView], action: str
) -> InlineKeyboardMarkup:
    """Return one button per matching family; pressing one does action for it."""
    return InlineKeyboardMarkup(
        [
            [_owned(_choice_label(f), parsing.FAMILY_PREFIX, operator_id, action, f.id)]
            for f in families
        ]
    )


# -- Billing commands: every button carries the operator id (checked again when pressed) ------


def family_matches(
    prefix: str, operator_id: int, families: Sequence[CustomerView]
) -> InlineKeyboardMarkup:
    """Return one button per matching family, a row each."""
    return InlineKeyboardMarkup(
        [
            [_owned(texts.family_button(family), prefix, operator_id, "fam", family.id)]
            for family in families
        ]
    )


def newinvoice_menu(operator_id: int) -> InlineKeyboardMarkup:
    """Return the /newinvoice menu: add, remove, due date, preview, confirm, cancel."""
    p = parsing.NEWINVOICE_PREFIX
    return InlineKeyboardMarkup(
        [
            [
                _owned(texts.ADD_LINE_BUTTON, p, operator_id, "add"),
                _owned(texts.REMOVE_LINE_BUTTON, p, operator_id, "undo"),
            ],
            [
                _owned(texts.DUE_DATE_BUTTON, p, operator_id, "due"),
                _owned(texts.PREVIEW_BUTTON, p, operator_id, "preview"),
            ],
            [
                _owned(texts.CONFIRM_BUTTON, p, operator_id, "ok"),
                _owned(texts.CANCEL_BUTTON, p, operator_id, "cancel"),
            ],
        ]
    )


def quantity_one(operator_id: int) -> InlineKeyboardMarkup:
    """Return the one-button answer to 'how many?': 1."""
    p = parsing.NEWINVOICE_PREFIX
    return InlineKeyboardMarkup([[_owned(texts.QUANTITY_ONE_BUTTON, p, operator_id, "one")]])


def send_to_parent(operator_id: int, invoice_id: int) -> InlineKeyboardMarkup:
    """Return the button that queues an invoice for the family's parent."""
    p = parsing.INVOICE_PREFIX
    return InlineKeyboardMarkup(
        [
            [_owned(texts.SEND_TO_PARENT_BUTTON, p, operator_id, "send", invoice_id)],
            [
                _owned(
                    texts.VOID_INVOICE_BUTTON, parsing.FIX_PREFIX, operator_id, "vinv", invoice_id
                )
            ],
        ]
    )


def payment_methods(operator_id: int) -> InlineKeyboardMarkup:
    """Return a button per payment method, two a row."""
    buttons = [
        _owned(method_label(method), parsing.PAID_PREFIX, operator_id, "method", index)
        for index, method in enumerate(PAYMENT_METHODS)
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def payment_today(operator_id: int) -> InlineKeyboardMarkup:
    """Return the Today button of the payment date question."""
    p = parsing.PAID_PREFIX
    return InlineKeyboardMarkup([[_owned(texts.TODAY_BUTTON, p, operator_id, "today")]])


def payment_confirm(operator_id: int) -> InlineKeyboardMarkup:
    """Return Record payment / Cancel."""
    p = parsing.PAID_PREFIX
    return InlineKeyboardMarkup(
        [
            [
                _owned(texts.RECORD_PAYMENT_BUTTON, p, operator_id, "ok"),
                _owned(texts.CANCEL_BUTTON, p, operator_id, "cancel"),
            ]
        ]
    )


def remind_confirm(operator_id: int) -> InlineKeyboardMarkup:
    """Return Send / Cancel for today's reminders."""
    p = parsing.REMIND_PREFIX
    return InlineKeyboardMarkup(
        [
            [
                _owned(texts.SEND_REMINDERS_BUTTON, p, operator_id, "send"),
                _owned(texts.CANCEL_BUTTON, p, operator_id, "cancel"),
            ]
        ]
    )


# -- corrections: void an invoice or a payment, Undo ---------------------------------------


def fix_menu(operator_id: int, found: Correctable, currency: str) -> InlineKeyboardMarkup | None:
    """Return one Void button per invoice and payment of the family that is not void yet."""
    p = parsing.FIX_PREFIX
    rows = [
        [
            _owned(
                texts.void_invoice_button(i, currency), p, operator_id, parsing.VOID_INVOICE, i.id
            )
        ]
        for i in found.invoices
    ] + [
        [
            _owned(
                texts.void_payment_button(pay, currency),
                p,
                operator_id,
                parsing.VOID_PAYMENT,
                pay.id,
            )
        ]
        for pay in found.payments
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def void_invoice(operator_id: int, invoice: InvoiceView, currency: str) -> InlineKeyboardMarkup:
    """Return the one button that starts voiding this invoice."""
    label = texts.void_invoice_button(invoice, currency)
    p, action = parsing.FIX_PREFIX, parsing.VOID_INVOICE
    return InlineKeyboardMarkup([[_owned(label, p, operator_id, action, invoice.id)]])


def void_payment(operator_id: int, payment: PaymentView, currency: str) -> InlineKeyboardMarkup:
    """Return the one button that starts voiding this payment."""
    label = texts.void_payment_button(payment, currency)
    p, action = parsing.FIX_PREFIX, parsing.VOID_PAYMENT
    return InlineKeyboardMarkup([[_owned(label, p, operator_id, action, payment.id)]])


def void_confirm(operator_id: int) -> InlineKeyboardMarkup:
    """Return Void it / Keep it."""
    p = parsing.FIX_PREFIX
    return InlineKeyboardMarkup(
        [
            [
                _owned(texts.VOID_IT_BUTTON, p, operator_id, parsing.VOID_YES),
                _owned(texts.KEEP_IT_BUTTON, p, operator_id, parsing.VOID_NO),
            ]
        ]
    )


def undo_payment(operator_id: int, payment_id: int) -> InlineKeyboardMarkup:
    """Return the Undo button of a payment's confirmation (it works for ten minutes)."""
    p = parsing.FIX_PREFIX
    return InlineKeyboardMarkup(
        [[_owned(texts.UNDO_BUTTON, p, operator_id, parsing.UNDO_PAYMENT, payment_id)]]
    )
