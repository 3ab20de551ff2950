"""Families imported from a CSV or Excel .xlsx file: read, checked row by row, previewed, and
written all together in one transaction (or not at all).

read_table and plan_import are pure (no database); preview_import and import_families fetch the
operator's routes and families, call plan_import, and the latter writes what it planned.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from vanbill.services.clock import Clock, local_today
from vanbill.services.db import Database, retried
from vanbill.services.errors import Conflict, InvalidInput, NotFound
from vanbill.services.models import (
    Child,
    Customer,
    Enrollment,
    FamilyImport,
    Operator,
    Service,
)
from vanbill.services.money import parse_amount
from vanbill.services.periods import month_start
from vanbill.services.phones import national, normalise_phone
from vanbill.services.text import clean_text
from vanbill.services.views import CHILD_CATEGORIES

MAX_FILE_BYTES = 2_000_000
MAX_ROWS = 5_000
# The template's columns, in its order; the header row may name them in any order.
COLUMNS = ("parent", "phone", "child", "category", "birth_year", "school", "routes", "fee")
HEADER_NAMES = {
    "parent": "parent",
    "parent name": "parent",
    "parent's name": "parent",
    "customer": "parent",
    "family": "parent",
    "nama": "parent",
    "phone": "phone",
    "phone number": "phone",
    "telephone": "phone",
    "mobile": "phone",
    "telefon": "phone",
    "child": "child",
    "child's name": "child",
    "child name": "child",
    "children": "child",
    "anak": "child",
    "category": "category",
    "kategori": "category",
    "birth year": "birth_year",
    "birth_year": "birth_year",
    "year of birth": "birth_year",
    "school": "school",
    "sekolah": "school",
    "route": "routes",
    "routes": "routes",
    "laluan": "routes",
    "fee": "fee",
    "route fees": "route_fees",
    "route_fees": "route_fees",
    "monthly fee": "fee",
    "yuran": "fee",
    "notes": "notes",
    "archived": "archived",
}
CATEGORY_WORDS = {
    **{c: c for c in CHILD_CATEGORIES},
    "tadika": "kindergarten",
    "kindy": "kindergarten",
    "tabika": "kindergarten",
    "preschool": "kindergarten",
    "rendah": "primary",
    "sekolah rendah": "primary",
    "menengah": "secondary",
    "sekolah menengah": "secondary",
    "": "primary",
}
ROUTE_SEPARATORS = re.compile(r"[;,+]")
_YEAR = re.compile(r"^[0-9]{4}$")
_FORMULA_SAFE_NUMBER = re.compile(r"^[+-]?\d[\d .-]*$")
EXAMPLE_ROUTES = ("Morning", "Afternoon")


class FileRefused(InvalidInput):
    """The file as a whole cannot be read: too big, of the wrong kind, in another encoding."""


@dataclass(frozen=True)
class ImportChild:
    """One child row as it will be written."""

    row: int
    name: str
    category: str
    birth_year: int | None
    school: str
    routes: tuple[str, ...]  # the route names as the operator's routes spell them
    fee_sen: int | None  # a special fee for each of the child's routes; None: the route's fee


@dataclass(frozen=True)
class ImportFamily:
    """One family as it will be written, with its children."""

    row: int
    parent: str
    phone: str | None
    notes: str
    archived: bool
    children: tuple[ImportChild, ...]


@dataclass(frozen=True)
class Refusal:
    """A row left out, and why."""

    row: int
    reason: InvalidInput  # worded by the bot (bot/error_texts.py), without its full stop


@dataclass(frozen=True)
class ImportPlan:
    """What an import would write: the families, the routes it creates, the rows it refuses."""

    families: tuple[ImportFamily, ...]
    refused: tuple[Refusal, ...]
    new_routes: tuple[tuple[str, int], ...]  # (name, monthly fee in sen)
    monthly_total_sen: int  # before sibling discounts, archived families left out
    rows: int
    file_sha256: str = ""
    filename: str = ""

    @property
    def children(self) -> int:
        """Return how many children the import adds."""
        return sum(len(f.children) for f in self.families)


@dataclass(frozen=True)
class ImportDone:
    """What an import wrote."""

    families: int
    children: int
    enrollments: int
    new_routes: tuple[str, ...]
    refused: int
    start_month: date


@dataclass
class _Draft:
    row: int
    parent: str
    phone: str | None
    notes: str
    archived: bool
    children: list[ImportChild] = field(default_factory=list)


# Reading a file into rows of text.


def file_kind(content: bytes, filename: str) -> str:
    """Return 'xlsx' or 'csv' for a file, or refuse one of another kind with what to send."""
    name = (filename or "").lower()
    if len(content) > MAX_FILE_BYTES:
        raise FileRefused(
            "import.too_big",
            size_kb=f"{len(content) // 1000:,}",
            limit_mb=MAX_FILE_BYTES // 1_000_000,
            rows=f"{MAX_ROWS:,}",
        )
    if not content.strip():
        raise FileRefused("import.empty")
    if content[:4] == b"PK\x03\x04" and not name.endswith((".docx", ".zip", ".ods")):
        return "xlsx"
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileRefused("import.xls")
    if name.endswith((".csv", ".txt", ".tsv")) and content[:5] != b"%PDF-":
        return "csv"
    raise FileRefused("import.file_type")


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")  # Excel's "Unicode Text"
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused("import.not_utf8") from None


def _csv_rows(content: bytes) -> list[list[str]]:
    text = _decode(content)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRefused("import.excel_unreadable") from exc
    try:
        sheet = book.worksheets[0]
        rows: list[list[str]] = []
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            if number > MAX_ROWS + 1:
                break
            row = []
            for cell in cells:
                if getattr(cell, "data_type", None) == "f":
                    raise FileRefused(
                        "import.row_formula", row=number, formula=str(cell.value)[:30]
                    )
                row.append(_cell_text(cell.value))
            rows.append(row)
        return rows
    finally:
        book.close()


def read_table(content: bytes, filename: str) -> list[list[str]]:
    """Return the rows of a CSV or .xlsx file as text (the header row first)."""
    rows = _xlsx_rows(content) if file_kind(content, filename) == "xlsx" else _csv_rows(content)
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if len(rows) > MAX_ROWS + 1:
        raise FileRefused("import.too_many_rows", rows=f"{MAX_ROWS:,}")
    return rows


# Checking rows (pure).


def _header(row: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        name = HEADER_NAMES.get(re.sub(r"\s+", " ", cell.strip().lower().replace("_", " ")))
        name = name or HEADER_NAMES.get(cell.strip().lower())
        if name and name not in found:
            found[name] = index
    if "parent" not in found:
        raise FileRefused("import.no_headings")
    return found


def _value(row: Sequence[str], columns: Mapping[str, int], name: str) -> str:
    index = columns.get(name)
    if index is None or index >= len(row):
        return ""
    text = row[index].strip()
    if text.startswith("'"):  # our own /export quotes what a spreadsheet would run
        return text[1:]
    if text and text[0] in "=+-@" and not _FORMULA_SAFE_NUMBER.match(text):
        raise InvalidInput("import.formula", column=name, text=text[:20])
    return text


def _category(text: str) -> str:
    category = CATEGORY_WORDS.get(text.strip().lower())
    if category is None:
        raise InvalidInput("import.category", text=text[:30], choices=", ".join(CHILD_CATEGORIES))
    return category


def _birth_year(text: str, today: date) -> int | None:
    if not text:
        return None
    if not _YEAR.match(text) or not today.year - 25 <= int(text) <= today.year:
        raise InvalidInput(
            "import.birth_year", text=text[:10], first=today.year - 25, last=today.year
        )
    return int(text)


def _fee(text: str) -> int | None:
    if not text:
        return None
    try:
        return parse_amount(text, allow_zero=True)
    except InvalidInput:
        raise InvalidInput("import.fee", text=text[:20]) from None


def plan_import(
    rows: Sequence[Sequence[str]],
    routes: Mapping[str, tuple[str, int]],
    existing: Mapping[str, str],
    today: date,
) -> ImportPlan:
    """Check every row and group children into families; say what would be written.

    `routes` maps a route name in lower case to (its name, its fee); `existing` maps the phone
    numbers (E.164) and lower-cased names of phoneless families already there to their names.
    """
    if not rows:
        raise FileRefused("import.empty")
    columns = _header(rows[0])
    refused: list[Refusal] = []
    families: dict[str, _Draft] = {}
    new_routes: dict[str, tuple[str, int]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            draft_key, draft, child = _read_row(
                row, number, columns, routes, new_routes, existing, today
            )
        except InvalidInput as error:
            refused.append(Refusal(number, error))
            continue
        family = families.get(draft_key)
        if family is None:
            families[draft_key] = family = draft
        elif family.parent.lower() != draft.parent.lower():
            refused.append(
                Refusal(
                    number,
                    InvalidInput("import.phone_taken", parent=family.parent, row=family.row),
                )
            )
            continue
        if child is not None:
            if any(c.name.lower() == child.name.lower() for c in family.children):
                refused.append(
                    Refusal(
                        number,
                        InvalidInput("import.child_twice", name=child.name, row=family.row),
                    )
                )
                continue
            family.children.append(child)
    planned = tuple(
        ImportFamily(f.row, f.parent, f.phone, f.notes, f.archived, tuple(f.children))
        for f in families.values()
    )
    fees = {name.lower(): fee for name, fee in (*routes.values(), *new_routes.values())}
    total = sum(
        (child.fee_sen if child.fee_sen is not None else fees[route.lower()])
        for family in planned
        if not family.archived
        for child in family.children
        for route in child.routes
    )
    return ImportPlan(
        families=planned,
        refused=tuple(refused),
        new_routes=tuple(new_routes.values()),
        monthly_total_sen=total,
        rows=sum(1 for row in rows[1:] if any(cell.strip() for cell in row)),
    )


def _read_row(
    row: Sequence[str],
    number: int,
    columns: Mapping[str, int],
    routes: Mapping[str, tuple[str, int]],
    new_routes: dict[str, tuple[str, int]],
    existing: Mapping[str, str],
    today: date,
) -> tuple[str, _Draft, ImportChild | None]:
    parent = clean_text(_value(row, columns, "parent"), "parent_name", limit=200)
    phone_text = _value(row, columns, "phone")
    phone = normalise_phone(phone_text) if phone_text else None
    key = phone or f"name:{parent.lower()}"
    already = existing.get(phone or parent.lower())
    if already is not None:
        raise (
            InvalidInput("import.family_exists_phone", name=already, phone=national(phone))
            if phone
            else InvalidInput("import.family_exists", name=already)
        )
    draft = _Draft(
        row=number,
        parent=parent,
        phone=phone,
        notes=clean_text(_value(row, columns, "notes"), "note", limit=1000, required=False),
        archived=_value(row, columns, "archived").lower() in ("yes", "y", "true", "1"),
    )
    child_name = clean_text(_value(row, columns, "child"), "child_name", limit=200, required=False)
    if not child_name:
        return key, draft, None
    fee = _fee(_value(row, columns, "fee"))
    # /export names each route's own fee, so a file imports into a business without the routes.
    route_fees = [
        _fee(" ".join(text.split())) for text in _value(row, columns, "route_fees").split(";")
    ]
    names = []
    wanted_routes = [
        " ".join(w.split()) for w in ROUTE_SEPARATORS.split(_value(row, columns, "routes"))
    ]
    for position, wanted in enumerate(w for w in wanted_routes if w):
        known = routes.get(wanted.lower()) or new_routes.get(wanted.lower())
        own = route_fees[position] if position < len(route_fees) else None
        if known is None:
            if own is not None:
                name = clean_text(wanted, "route_name", limit=100)
                known = new_routes[wanted.lower()] = (name, own)
            elif fee is None:
                yours = ", ".join(name for name, _ in routes.values())
                raise (
                    InvalidInput("import.route_unknown", route=wanted[:40], routes=yours)
                    if yours
                    else InvalidInput("import.route_unknown_none", route=wanted[:40])
                )
            else:
                name = clean_text(wanted, "route_name", limit=100)
                known = new_routes[wanted.lower()] = (name, fee)
        if known[0] not in names:
            names.append(known[0])
    own_fee = None
    if fee is not None and names:
        fees = {routes.get(n.lower(), new_routes.get(n.lower(), ("", -1)))[1] for n in names}
        own_fee = None if fees == {fee} else fee
    child = ImportChild(
        row=number,
        name=child_name,
        category=_category(_value(row, columns, "category")),
        birth_year=_birth_year(_value(row, columns, "birth_year"), today),
        school=clean_text(_value(row, columns, "school"), "school", limit=200, required=False),
        routes=tuple(names),
        fee_sen=own_fee,
    )
    return key, draft, child


def template_csv(route_names: Sequence[str] = ()) -> bytes:
    """Return the import template: the header row and two example rows (on the operator's
    own routes when there are some), UTF-8 with a BOM so spreadsheets read it right."""
    first, second = (*route_names, *EXAMPLE_ROUTES)[:2]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerow(
        [
            "Siti binti Ahmad",
            "012-345 6789",
            "Aisyah",
            "primary",
            "2017",
            "SK Taman Melati",
            first,
            "",
        ]
    )
    writer.writerow(
        [
            "Tan Mei Ling",
            "019-876 5432",
            "Wei Jie",
            "secondary",
            "2012",
            "SMK Setapak",
            f"{first}; {second}",
            "120.00",
        ]
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# With the database.


async def _known(session, operator_id: int) -> tuple[dict[str, tuple[str, int]], dict[str, str]]:  # type: ignore[no-untyped-def]
    routes = {
        name.lower(): (name, fee)
        for name, fee in await session.execute(
            select(Service.name, Service.monthly_fee_sen).where(
                Service.operator_id == operator_id, Service.active.is_(True)
            )
        )
    }
    existing: dict[str, str] = {}
    for name, phone in await session.execute(
        select(Customer.name, Customer.phone).where(Customer.operator_id == operator_id)
    ):
        if phone:
            try:
                existing[normalise_phone(phone)] = name
            except InvalidInput:
                existing[phone] = name
        else:
            existing[name.lower()] = name
    return routes, existing


async def _today(session, operator_id: int, clock: Clock, *, lock: bool) -> date:  # type: ignore[no-untyped-def]
    query = select(Operator.timezone).where(Operator.id == operator_id)
    if lock:
        query = query.with_for_update()  # two imports of one business run one after the other
    tz = (await session.execute(query)).scalar_one_or_none()
    if tz is None:
        raise NotFound("operator.not_found")
    return local_today(clock, tz)


def _with_file(plan: ImportPlan, content: bytes, filename: str) -> ImportPlan:
    return ImportPlan(
        families=plan.families,
        refused=plan.refused,
        new_routes=plan.new_routes,
        monthly_total_sen=plan.monthly_total_sen,
        rows=plan.rows,
        file_sha256=hashlib.sha256(content).hexdigest(),
        filename=(filename or "")[:200],
    )


async def preview_import(
    db: Database, operator_id: int, clock: Clock, content: bytes, filename: str
) -> ImportPlan:
    """Read and check a file of families against the operator's data; write nothing."""
    rows = read_table(content, filename)
    async with db.sessions() as session:
        today = await _today(session, operator_id, clock, lock=False)
        routes, existing = await _known(session, operator_id)
    return _with_file(plan_import(rows, routes, existing, today), content, filename)


@retried
async def import_families(
    db: Database, operator_id: int, clock: Clock, content: bytes, filename: str
) -> ImportDone:
    """Write every family the file's check accepts, with its children and routes, in one
    transaction; a file already imported is refused (the database holds its fingerprint)."""
    rows = read_table(content, filename)
    digest = hashlib.sha256(content).hexdigest()
    now = clock.now()
    try:
        async with db.sessions.begin() as session:
            today = await _today(session, operator_id, clock, lock=True)
            routes, existing = await _known(session, operator_id)
            plan = plan_import(rows, routes, existing, today)
            if not plan.families:
                raise InvalidInput("import.nothing")
            session.add(
                FamilyImport(
                    operator_id=operator_id,
                    file_sha256=digest,
                    filename=(filename or "")[:200],
                    families=len(plan.families),
                    children=plan.children,
                    created_at=now,
                )
            )
            await session.flush()
            return await _write(session, operator_id, plan, routes, today, now)
    except IntegrityError as exc:
        raise Conflict("import.done_already") from exc


def _family_key(name: str, phone: str | None) -> str:
    return phone or f"name:{name.lower()}"


async def _write(  # type: ignore[no-untyped-def]
    session, operator_id: int, plan: ImportPlan, routes, today: date, now: datetime
) -> ImportDone:
    start = month_start(today)
    route_ids = {
        name.lower(): service_id
        for service_id, name in await session.execute(
            select(Service.id, Service.name).where(Service.operator_id == operator_id)
        )
    }
    for name, fee in plan.new_routes:
        service = Service(operator_id=operator_id, name=name, monthly_fee_sen=fee, created_at=now)
        session.add(service)
        await session.flush()
        route_ids[name.lower()] = service.id
    # Three bulk inserts (families, children, enrollments), each followed by reading back the
    # ids of what it wrote: the rows this transaction added at `now`, above the largest id before.
    before = await session.scalar(
        select(func.coalesce(func.max(Customer.id), 0)).where(Customer.operator_id == operator_id)
    )
    await session.execute(
        insert(Customer),
        [
            {
                "operator_id": operator_id,
                "name": f.parent,
                "phone": f.phone,
                "notes": f.notes,
                "archived": f.archived,
                "created_at": now,
            }
            for f in plan.families
        ],
    )
    family_ids = {
        _family_key(name, phone): customer_id
        for customer_id, name, phone in await session.execute(
            select(Customer.id, Customer.name, Customer.phone).where(
                Customer.operator_id == operator_id,
                Customer.id > before,
                Customer.created_at == now,
            )
        )
    }
    wanted = [
        (family_ids[_family_key(f.parent, f.phone)], child)
        for f in plan.families
        for child in f.children
    ]
    if wanted:
        await session.execute(
            insert(Child),
            [
                {
                    "operator_id": operator_id,
                    "customer_id": customer_id,
                    "name": c.name,
                    "category": c.category,
                    "birth_year": c.birth_year,
                    "school": c.school,
                    "created_at": now,
                }
                for customer_id, c in wanted
            ],
        )
    child_ids = {
        (customer_id, name.lower()): child_id
        for child_id, customer_id, name in await session.execute(
            select(Child.id, Child.customer_id, Child.name).where(
                Child.operator_id == operator_id,
                Child.customer_id.in_(list(family_ids.values()) or [0]),
            )
        )
    }
    enrollments = [
        {
            "operator_id": operator_id,
            "child_id": child_ids[(customer_id, child.name.lower())],
            "service_id": route_ids[name.lower()],
            "start_month": start,
            "end_month": None,
            "fee_override_sen": child.fee_sen,
            "created_at": now,
        }
        for customer_id, child in wanted
        for name in child.routes
    ]
    if enrollments:
        await session.execute(insert(Enrollment), enrollments)
    return ImportDone(
        families=len(plan.families),
        children=plan.children,
        enrollments=len(enrollments),
        new_routes=tuple(name for name, _ in plan.new_routes),
        refused=len(plan.refused),
        start_month=start,
    )
