"""Families imported from CSV and .xlsx: checked, previewed, written whole or not at all."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.data.factories import make_business, make_family
from vanbill.services import customers, exports, imports, operators, routes
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import Conflict, InvalidInput
from vanbill.services.models import Child, Customer, Enrollment, FamilyImport
from vanbill.services.routes import list_services

HEADER = ["parent", "phone", "child", "category", "birth_year", "school", "routes", "fee"]


def csv_file(rows: list[list[str]], *, encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    """Return rows as a CSV file in an encoding."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_file(rows: list[list[object]]) -> bytes:
    """Return rows as an Excel workbook."""
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FAMILIES = [
    HEADER,
    ["Siti binti Ahmad", "012-345 6789", "Aisyah", "primary", "2017", "SK Melati", "Morning", ""],
    ["Siti binti Ahmad", "012-345 6789", "Amir", "tadika", "2021", "", "Morning; Afternoon", ""],
    [
        "陈美玲",
        "+60 19-876 5432",
        "Wei Jie",
        "secondary",
        "2012",
        "SMK Setapak",
        "Afternoon",
        "100",
    ],
    ["Kumar a/l Rajan", "0171234567", "Priya", "", "", "", "Morning", ""],
]


async def _business(db: Database, clock: FixedClock) -> int:
    op = await operators.ensure_operator(db, 1001, clock)
    await routes.add_service(db, op.id, clock, name="Morning", monthly_fee_sen=15000)
    await routes.add_service(db, op.id, clock, name="Afternoon", monthly_fee_sen=12000)
    return op.id


async def test_preview_groups_children_by_phone_and_totals_the_month(
    db: Database, clock: FixedClock
) -> None:
    operator_id = await _business(db, clock)
    plan = await imports.preview_import(db, operator_id, clock, csv_file(FAMILIES), "f.csv")
    assert [(f.parent, f.phone, len(f.children)) for f in plan.families] == [
        ("Siti binti Ahmad", "+60123456789", 2),
        ("陈美玲", "+60198765432", 1),
        ("Kumar a/l Rajan", "+60171234567", 1),
    ]
    assert plan.children == 4 and plan.refused == ()
    # Aisyah 150, Amir 150 + 120, Wei Jie's special 100, Priya 150.
    assert plan.monthly_total_sen == 15000 + 27000 + 10000 + 15000
    assert plan.families[0].children[1].category == "kindergarten"
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0


async def test_confirmed_import_writes_families_children_and_enrollments(
    db: Database, clock: FixedClock
) -> None:
    operator_id = await _business(db, clock)
    done = await imports.import_families(db, operator_id, clock, xlsx_file(FAMILIES), "f.xlsx")
    assert (done.families, done.children, done.enrollments) == (3, 4, 5)
    page = await customers.list_customers(db, operator_id)
    assert sorted(row.name for row in page.items) == sorted(
        ["Siti binti Ahmad", "陈美玲", "Kumar a/l Rajan"]
    )
    async with db.sessions() as session:
        fees = sorted(
            (await session.execute(select(Enrollment.fee_override_sen))).scalars(),
            key=lambda fee: fee or 0,
        )
    assert fees == [None, None, None, None, 10000]


async def test_refused_rows_are_named_with_their_row_number_and_reason(
    db: Database, clock: FixedClock
) -> None:
    operator_id = await _business(db, clock)
    await customers.add_customer(db, operator_id, clock, name="Siti", phone="0123456789")
    rows = [
        HEADER,
        ["Ali", "abc", "Adam", "", "", "", "Morning", ""],
        ["Siti again", "012-345 6789", "Aisyah", "", "", "", "Morning", ""],
        ["Mei", "0191112222", "Lin", "", "", "", "Evening", ""],
        ["Mei", "0191112222", "Lin", "", "", "", "Morning", ""],
        ["Ravi", "0192223333", "Dev", "university", "", "", "Morning", ""],
        ["Ravi", "0192223333", "Anu", "", "1990", "", "Morning", ""],
        ['=HYPERLINK("x")', "", "", "", "", "", "", ""],
        ["Good", "0193334444", "Child", "", "", "", "Morning", ""],
        ["Bad Fee", "0195556666", "Kid", "", "", "", "Morning", "RM 1.005"],
    ]
    plan = await imports.preview_import(db, operator_id, clock, csv_file(rows), "f.csv")
    reasons = {r.row: (r.reason.code, r.reason.params) for r in plan.refused}
    assert set(reasons) == {2, 3, 4, 6, 7, 8, 10}
    assert reasons[2][0] == "phone.unreadable"
    assert reasons[3] == ("import.family_exists_phone", {"name": "Siti", "phone": "012-345 6789"})
    assert reasons[4] == (
        "import.route_unknown",
        {"route": "Evening", "routes": "Morning, Afternoon"},
    )
    assert reasons[6][0] == "import.category"
    assert reasons[7][0] == "import.birth_year"
    assert reasons[8] == ("import.formula", {"column": "parent", "text": '=HYPERLINK("x")'})
    assert reasons[10] == ("import.fee", {"text": "RM 1.005"})
    assert [f.parent for f in plan.families] == ["Mei", "Good"]


async def test_a_route_named_with_a_fee_is_created_with_it(
    db: Database, clock: FixedClock
) -> None:
    operator_id = await _business(db, clock)
    rows = [HEADER, ["Ali", "0191112222", "Adam", "", "", "", "Evening", "90"]]
    plan = await imports.preview_import(db, operator_id, clock, csv_file(rows), "f.csv")
    assert plan.new_routes == (("Evening", 9000),)
    await imports.import_families(db, operator_id, clock, csv_file(rows), "f.csv")
    names = {r.name: r.monthly_fee_sen for r in await list_services(db, operator_id)}
    assert names["Evening"] == 9000


async def test_the_same_file_imports_once(db: Database, clock: FixedClock) -> None:
    operator_id = await _business(db, clock)
    content = csv_file([HEADER, ["No Phone", "", "Adam", "", "", "", "Morning", ""]])
    await imports.import_families(db, operator_id, clock, content, "f.csv")
    with pytest.raises((Conflict, InvalidInput)):
        await imports.import_families(db, operator_id, clock, content, "f.csv")
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 1
        assert await session.scalar(select(func.count()).select_from(FamilyImport)) == 1


async def test_a_failure_midway_leaves_nothing_written(
    db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator_id = await _business(db, clock)
    original = imports._write

    async def fail_after_writing(*args: object, **kwargs: object) -> object:
        await original(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("the database went away")

    monkeypatch.setattr(imports, "_write", fail_after_writing)
    with pytest.raises(RuntimeError):
        await imports.import_families(db, operator_id, clock, csv_file(FAMILIES), "f.csv")
    async with db.sessions() as session:
        for table in (Customer, Child, Enrollment, FamilyImport):
            assert await session.scalar(select(func.count()).select_from(table)) == 0


@pytest.mark.parametrize(
    ("content", "filename", "says"),
    [
        (b"", "f.csv", "import.empty"),
        (b"x" * (imports.MAX_FILE_BYTES + 1), "f.csv", "import.too_big"),
        (b"%PDF-1.4 ...", "families.pdf", "import.file_type"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "f.xls", "import.xls"),
        (
            "parent,phone\nTan Ah Kow,0123456789\nJosé,0123456780\n".encode("cp1252"),
            "f.csv",
            "import.not_utf8",
        ),
        (b"PK\x03\x04broken", "f.xlsx", "import.excel_unreadable"),
        (b"name,number\nA,1\n", "f.csv", "import.no_headings"),
    ],
)
async def test_files_that_cannot_be_read_are_refused_clearly(
    db: Database, clock: FixedClock, content: bytes, filename: str, says: str
) -> None:
    operator_id = await _business(db, clock)
    with pytest.raises(imports.FileRefused) as refused:
        await imports.preview_import(db, operator_id, clock, content, filename)
    assert refused.value.code == says


async def test_a_workbook_with_a_formula_is_refused_naming_its_row(
    db: Database, clock: FixedClock
) -> None:
    operator_id = await _business(db, clock)
    content = xlsx_file([HEADER, ["Ali", "0191112222", "Adam", "", "", "", "Morning", "=100+50"]])
    with pytest.raises(imports.FileRefused) as refused:
        await imports.preview_import(db, operator_id, clock, content, "f.xlsx")
    assert (refused.value.code, refused.value.params["row"]) == ("import.row_formula", 2)


async def test_utf8_with_or_without_bom_semicolons_and_excel_unicode_text_all_read(
    db: Database, clock: FixedClock
) -> None:
    operator_id = await _business(db, clock)
    rows = [HEADER, ["陈美玲", "0191112222", "Wei", "", "", "", "Morning", ""]]
    for content in (
        csv_file(rows, encoding="utf-8"),
        csv_file(rows, encoding="utf-8-sig"),
        csv_file(rows, delimiter=";"),
        csv_file(rows, encoding="utf-16", delimiter="\t"),
    ):
        plan = await imports.preview_import(db, operator_id, clock, content, "f.csv")
        assert [f.parent for f in plan.families] == ["陈美玲"], content[:20]


async def test_another_operators_routes_and_families_do_not_count(
    db: Database, clock: FixedClock
) -> None:
    other = await make_business(db, clock, telegram_user_id=5005)
    await make_family(db, clock, other, "Siti", phone="0123456789")
    operator_id = await _business(db, clock)
    rows = [
        HEADER,
        ["Siti binti Ahmad", "012-345 6789", "Aisyah", "", "", "", "Morning", ""],
        ["Tan", "0191112222", "Mei", "", "", "", other.morning.name, ""],
    ]
    plan = await imports.preview_import(db, operator_id, clock, csv_file(rows), "f.csv")
    assert [f.parent for f in plan.families] == ["Siti binti Ahmad"]
    assert [r.row for r in plan.refused] == [3]


async def test_an_export_imports_back_into_an_empty_business_as_the_same_families(
    db: Database, clock: FixedClock
) -> None:
    first = await make_business(db, clock)
    await make_family(db, clock, first, "陈美玲", ("Mei", "Lin"), phone="0123456789")
    await make_family(db, clock, first, "-Siti", ("Aisyah",), both_routes=True)
    kumar = await make_family(db, clock, first, "Kumar", (), phone="0171234567")
    await customers.set_archived(db, first.id, kumar.id, True)
    async with db.sessions.begin() as session:  # a special fee on Mei's route
        row = (await session.execute(select(Enrollment).order_by(Enrollment.id))).scalars().first()
        assert row is not None
        row.fee_override_sen = 9950
    second = await operators.ensure_operator(db, 6006, clock)  # no routes, no families
    exported = await exports.export_customers(db, first.id)
    done = await imports.import_families(db, second.id, clock, exported, "customers.csv")
    assert (done.families, done.children, done.refused) == (3, 3, 0)
    assert sorted(done.new_routes) == sorted([first.morning.name, first.afternoon.name])
    assert await _families(db, second.id) == await _families(db, first.id)


async def _families(db: Database, operator_id: int) -> list[tuple[object, ...]]:
    """Return families, children and their routes, ids left out, for comparing two businesses."""
    out = []
    page = await customers.list_customers(db, operator_id, page_size=50, include_archived=True)
    for row in page.items:
        family = await customers.get_customer(db, operator_id, row.id)
        enrolled = await routes.list_enrollments(db, operator_id, family.id)
        kids = []
        for child in family.children:
            taken = sorted(
                (e.service_name, e.fee_override_sen or 0, str(e.end_month))
                for e in enrolled
                if e.child_id == child.id
            )
            kids.append((child.name, child.category, child.birth_year, child.school, taken))
        out.append((family.name, family.phone, family.notes, family.archived, sorted(kids)))
    return sorted(out)
