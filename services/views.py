"""Frozen dataclasses the services hand out: plain values, never ORM objects.

Money fields are integer sen (`*_sen`); dates are local billing dates; `*_at` are aware UTC.
The documents, the charts and the bot read only these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar

from vanbill.services import i18n

T = TypeVar("T")

PAYMENT_METHODS = ("cash", "bank_transfer", "duitnow", "cheque", "other")
# A payment method as people say it (translated when shown: method_label).
METHOD_LABELS = {
    "cash": i18n.N_("Cash"),
    "bank_transfer": i18n.N_("Bank transfer"),
    "duitnow": i18n.N_("DuitNow"),
    "cheque": i18n.N_("Cheque"),
    "other": i18n.N_("Other"),
    "credit": i18n.N_("Credit note"),
}
CHILD_CATEGORIES = ("kindergarten", "primary", "secondary", "other")
# What a business is called until its operator names it (translated when shown).
DEFAULT_BUSINESS_NAME = i18n.N_("My van service")


def method_label(method: str) -> str:
    """Return a payment method as people say it, in the language being written."""
    label = METHOD_LABELS.get(method)
    return i18n.gettext(label) if label else method


@dataclass(frozen=True)
class OperatorView:
    """An operator's business profile and settings."""

    id: int
    telegram_user_id: int
    business_name: str
    address: str
    phone: str
    bank_name: str
    bank_account: str
    duitnow_id: str
    payment_note: str
    payment_qr_payload: str
    logo: bytes | None
    timezone: str
    currency: str
    invoice_prefix: str
    due_day: int
    billing_day: int
    billing_hour: int
    reminder_hour: int
    reminder_offsets: tuple[int, ...]
    reminders_enabled: bool
    sibling_discount_bp: int
    approval_required: bool
    language: str | None = None
    account_holder: str = ""
    ssm_number: str = ""
    digest_hour: int | None = None
    setup_step: str = ""
    late_fee_kind: str = "none"  # none, fixed or percent (services/latefees.py)
    late_fee_sen: int = 0
    late_fee_bp: int = 0
    late_fee_days: int = 7

    @property
    def display_name(self) -> str:
        """Return the business name, or a placeholder until one is set."""
        return self.business_name or i18n.gettext(DEFAULT_BUSINESS_NAME)


@dataclass(frozen=True)
class ChildView:
    """A child the operator drives."""

    id: int
    customer_id: int
    name: str
    category: str
    birth_year: int | None
    school: str


@dataclass(frozen=True)
class CustomerView:
    """A family (the parent who pays), with its children."""

    id: int
    name: str
    phone: str | None
    telegram_user_id: int | None
    telegram_chat_id: int | None
    notes: str
    archived: bool
    reminders_paused: bool
    children: tuple[ChildView, ...] = ()
    language: str | None = None  # its documents' and messages' (None: the parent's Telegram's)

    @property
    def linked(self) -> bool:
        """Say whether the parent has linked their Telegram account."""
        return self.telegram_chat_id is not None


@dataclass(frozen=True)
class CustomerBalance:
    """A family in a list, with what it owes (negative means credit)."""

    id: int
    name: str
    phone: str | None
    linked: bool
    archived: bool
    balance_sen: int
    unpaid_invoices: int


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list."""

    items: tuple[T, ...]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        """Return how many pages there are (at least one)."""
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class ServiceView:
    """A route or plan with its base monthly fee."""

    id: int
    name: str
    description: str
    monthly_fee_sen: int
    active: bool


@dataclass(frozen=True)
class EnrollmentView:
    """A child taking a route from one month to another (inclusive; None = open-ended)."""

    id: int
    child_id: int
    child_name: str
    service_id: int
    service_name: str
    start_month: date
    end_month: date | None
    fee_override_sen: int | None


@dataclass(frozen=True)
class InvoiceLineView:
    """One line of an invoice."""

    description: str
    quantity: int
    unit_price_sen: int
    amount_sen: int
    child_name: str | None = None
    service_name: str | None = None
    # A route line as data (services/models.py InvoiceItem): the document words it.
    period: date | None = None
    route_name: str | None = None
    part_from: date | None = None
    part_to: date | None = None
    part_rule: str | None = None


@dataclass(frozen=True)
class InvoiceView:
    """An invoice with its lines and what has been paid against it."""

    id: int
    number: str
    customer_id: int
    customer_name: str
    customer_phone: str | None
    kind: str
    period: date | None
    issue_date: date
    due_date: date
    description: str
    subtotal_sen: int
    discount_sen: int
    total_sen: int
    paid_sen: int
    credit_applied_sen: int
    status: str
    overdue: bool
    lines: tuple[InvoiceLineView, ...] = ()
    late_fee_sen: int = 0  # a late fee on it, not waived (services/latefees.py)
    void_reason: str = ""
    customer_language: str | None = None  # the family's (services/languages.py)

    @property
    def balance_sen(self) -> int:
        """Return what is still owed on this invoice (0 when void)."""
        return 0 if self.status == "void" else self.total_sen - self.paid_sen

    @property
    def paid_after_issue_sen(self) -> int:
        """Return what was paid against it apart from credit already held when it was issued."""
        return self.paid_sen - self.credit_applied_sen

    @property
    def display_status(self) -> str:
        """Return the status people see: overdue is derived, not stored."""
        return "overdue" if self.overdue else self.status

    @property
    def children(self) -> tuple[str, ...]:
        """Return the names of the children the lines cover, in order, once each."""
        seen: dict[str, None] = {}
        for line in self.lines:
            if line.child_name:
                seen.setdefault(line.child_name, None)
        return tuple(seen)


@dataclass(frozen=True)
class AllocationView:
    """The part of a payment that settled one invoice."""

    invoice_id: int
    invoice_number: str
    amount_sen: int


@dataclass(frozen=True)
class PaymentView:
    """A payment and how it was allocated; the rest is the family's credit."""

    id: int
    receipt_number: str
    customer_id: int
    customer_name: str
    amount_sen: int
    method: str
    reference: str
    paid_on: date
    voided: bool
    created_at: datetime
    allocations: tuple[AllocationView, ...] = ()
    void_reason: str = ""

    @property
    def allocated_sen(self) -> int:
        """Return how much of the payment settles invoices."""
        return sum(a.amount_sen for a in self.allocations)

    @property
    def unallocated_sen(self) -> int:
        """Return how much of it is left as credit."""
        return self.amount_sen - self.allocated_sen

    @property
    def method_label(self) -> str:
        """Return the method as people say it."""
        return method_label(self.method)


@dataclass(frozen=True)
class FamilyBalance:
    """What a family owes now: open invoices less allocations, less unallocated credit."""

    customer_id: int
    customer_name: str
    owed_sen: int
    credit_sen: int
    unpaid: tuple[InvoiceView, ...] = ()

    @property
    def balance_sen(self) -> int:
        """Return owed less credit (negative means the family is in credit)."""
        return self.owed_sen - self.credit_sen


@dataclass(frozen=True)
class StatementEntry:
    """One line of a statement: an invoice (debit), a payment (credit) or a void."""

    on: date
    kind: str
    reference: str
    description: str
    debit_sen: int
    credit_sen: int
    balance_sen: int
    # As data, for the document to word in its reader's language: an invoice's kind and month,
    # a payment's method and the payer's own reference.
    invoice_kind: str | None = None
    period: date | None = None
    method: str | None = None
    payer_reference: str = ""


@dataclass(frozen=True)
class StatementView:
    """A family's account over a date range."""

    customer: CustomerView
    start: date
    end: date
    opening_balance_sen: int
    entries: tuple[StatementEntry, ...]
    closing_balance_sen: int


@dataclass(frozen=True)
class UnpaidInvoice:
    """An earlier invoice still unpaid, as an invoice lists it beside its own total."""

    number: str
    period: date | None
    issue_date: date
    balance_sen: int


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything the invoice PDF shows, in the family's language (locale)."""

    operator: OperatorView
    invoice: InvoiceView
    previous_unpaid_sen: int
    today: date
    earlier_unpaid: tuple[UnpaidInvoice, ...] = ()
    locale: str = "en"


@dataclass(frozen=True)
class SettledInvoice:
    """An invoice a payment went to: its month and total, what the payment applied and what
    remained owing on it right after."""

    number: str
    period: date | None
    total_sen: int
    applied_sen: int
    remaining_sen: int


@dataclass(frozen=True)
class ReceiptDocument:
    """Everything the receipt PDF shows, in the family's language (locale).

    balance_after_sen is the family's balance today (negative: credit), what a caption says;
    balance_then_sen the balance right after this payment, on the day paid (the PDF's).
    """

    operator: OperatorView
    payment: PaymentView
    customer: CustomerView
    balance_after_sen: int
    today: date
    balance_then_sen: int | None = None
    invoices: tuple[SettledInvoice, ...] = ()
    locale: str = "en"


@dataclass(frozen=True)
class StatementDocument:
    """Everything the statement PDF shows, in the family's language (locale)."""

    operator: OperatorView
    statement: StatementView
    today: date
    locale: str = "en"
    # What is owed at the statement's end by days past due: current (not yet due), 1-30,
    # 31-60, over 60 days.
    ageing: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class MonthFigures:
    """One month of the summary report."""

    month: date
    invoiced_sen: int
    collected_sen: int  # every payment received in the month, credit included
    outstanding_sen: int
    overdue_count: int
    settled_sen: int = 0  # what the month's own invoices were paid by its end

    @property
    def collection_rate_bp(self) -> int | None:
        """Return the share of the month's invoices paid, in basis points (at most 10,000).

        Money paid over is credit, not collection: it counts when it pays an invoice.
        None when nothing was invoiced.
        """
        if self.invoiced_sen == 0:
            return None
        return (min(self.settled_sen, self.invoiced_sen) * 10_000) // self.invoiced_sen


@dataclass(frozen=True)
class Debtor:
    """A family that owes money."""

    customer_id: int
    name: str
    owed_sen: int
    oldest_due: date | None


@dataclass(frozen=True)
class SummaryReport:
    """The operator's summary: months oldest first, and the top debtors."""

    business_name: str
    currency: str
    generated_on: date
    months: tuple[MonthFigures, ...]
    top_debtors: tuple[Debtor, ...] = field(default_factory=tuple)
    overdue_families: int = 0
    credit_sen: int = 0  # what the families hold in credit today
    families_in_credit: int = 0
