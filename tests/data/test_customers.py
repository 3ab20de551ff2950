"""Families and children: added, found by name or phone, archived, listed with balances."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.data.factories import make_business, make_family
from vanbill.services import customers, monthly, operators, payments, routes
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import Conflict, InvalidInput, NotFound
from vanbill.services.models import Child, Customer, Enrollment


async def test_a_family_is_found_by_any_way_of_writing_its_phone(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await customers.add_customer(db, biz.id, clock, name="Aminah", phone="012-345 6789")
    assert family.phone == "+60123456789"
    for typed in ("+60123456789", "60123456789", "012-345 6789", "3456789"):
        found = await customers.find_customers(db, biz.id, typed)
        assert [f.id for f in found] == [family.id], typed


async def test_a_family_is_found_by_a_fragment_of_a_parents_or_childs_name(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    chen = await customers.add_customer(db, biz.id, clock, name="陈美玲")
    kumar = await customers.add_customer(db, biz.id, clock, name="குமார் Raj")
    await customers.add_child(db, biz.id, kumar.id, clock, name="Priya")
    assert [f.id for f in await customers.find_customers(db, biz.id, "美玲")] == [chen.id]
    assert [f.id for f in await customers.find_customers(db, biz.id, "raj")] == [kumar.id]
    assert [f.id for f in await customers.find_customers(db, biz.id, "PRIY")] == [kumar.id]
    assert await customers.find_customers(db, biz.id, "%") == []
    assert await customers.find_customers(db, biz.id, "_") == []


async def test_names_are_kept_exactly_as_typed_markup_and_all(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await customers.add_customer(
        db, biz.id, clock, name='  <b>Ali</b>   & "Sons"\x07 ', notes="gate 2"
    )
    assert family.name == '<b>Ali</b> & "Sons"'
    assert (await customers.get_customer(db, biz.id, family.id)).notes == "gate 2"


ZERO_WIDTH_AND_BIDI = (
    "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


async def test_invisible_characters_are_removed_from_every_name_and_a_name_of_only_them_refused(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    hidden = "\u202e".join(ZERO_WIDTH_AND_BIDI)
    family = await customers.add_customer(db, biz.id, clock, name=f"Siti{hidden} Nurhaliza")
    child = await customers.add_child(
        db, biz.id, family.id, clock, name="\u2066Aisyah\u2069", school="SK\u200b Setapak"
    )
    route = await routes.add_service(
        db, biz.id, clock, name=f"Bukit{ZERO_WIDTH_AND_BIDI} Jalil", monthly_fee_sen=10000
    )
    profile = await operators.update_profile(db, biz.id, business_name="Van\ufeff Kak\u200d Ros")
    assert (family.name, child.name, child.school) == ("Siti Nurhaliza", "Aisyah", "SK Setapak")
    assert (route.name, profile.business_name) == ("Bukit Jalil", "Van Kak Ros")
    attempts = [
        customers.add_customer(db, biz.id, clock, name=ZERO_WIDTH_AND_BIDI),
        customers.add_child(db, biz.id, family.id, clock, name="\u200b \u200b"),
        customers.update_customer(db, biz.id, family.id, name="\u202e"),
        routes.add_service(db, biz.id, clock, name="\u2060", monthly_fee_sen=10000),
        operators.update_profile(db, biz.id, business_name="\u2067\u2069"),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidInput, match=r"^text\.invisible "):
            await attempt
    assert (await customers.get_customer(db, biz.id, family.id)).name == "Siti Nurhaliza"
    names = {r.name for r in await routes.list_services(db, biz.id)}
    assert names == {biz.morning.name, biz.afternoon.name, "Bukit Jalil"}


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"name": "   "}, "text.empty"),
        ({"name": "x" * 201}, "text.too_long"),
        ({"name": "Ali", "phone": "call me"}, "phone.unreadable"),
    ],
)
async def test_a_family_with_bad_details_is_refused_and_nothing_is_saved(
    db: Database, clock: FixedClock, fields: dict[str, str], says: str
) -> None:
    biz = await make_business(db, clock)
    with pytest.raises(InvalidInput, match=f"^{says}( |$)"):
        await customers.add_customer(db, biz.id, clock, **fields)
    assert (await customers.list_customers(db, biz.id)).total == 0


async def test_editing_a_family_changes_only_what_was_given(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await customers.add_customer(db, biz.id, clock, name="Aminah", phone="0123456789")
    edited = await customers.update_customer(db, biz.id, family.id, name="Aminah binti Ali")
    assert edited.name == "Aminah binti Ali" and edited.phone == "+60123456789"
    cleared = await customers.update_customer(db, biz.id, family.id, phone="")
    assert cleared.phone is None


async def test_archived_families_leave_the_list_and_come_back_when_unarchived(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    a = await customers.add_customer(db, biz.id, clock, name="Aminah")
    b = await customers.add_customer(db, biz.id, clock, name="Bala")
    await customers.set_archived(db, biz.id, a.id)
    assert [c.id for c in (await customers.list_customers(db, biz.id)).items] == [b.id]
    assert await customers.find_customers(db, biz.id, "Aminah") == []
    both = await customers.list_customers(db, biz.id, include_archived=True)
    assert [c.id for c in both.items] == [a.id, b.id]
    await customers.set_archived(db, biz.id, a.id, archived=False)
    assert (await customers.list_customers(db, biz.id)).total == 2


async def test_the_list_is_paged_by_name_and_shows_each_balance(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    for i in range(12):
        await customers.add_customer(db, biz.id, clock, name=f"Parent {i:02d}")
    first = await customers.list_customers(db, biz.id, page=1, page_size=5)
    third = await customers.list_customers(db, biz.id, page=3, page_size=5)
    assert [c.name for c in first.items] == [f"Parent {i:02d}" for i in range(5)]
    assert [c.name for c in third.items] == ["Parent 10", "Parent 11"]
    assert first.pages == 3 and first.total == 12
    payer = first.items[0]
    await payments.record_payment(
        db, biz.id, payer.id, clock, amount_sen=5000, method="cash"
    )  # nothing owed yet: all of it is credit
    again = await customers.list_customers(db, biz.id, page=1, page_size=5)
    assert again.items[0].balance_sen == -5000
    assert again.items[1].balance_sen == 0


async def test_children_are_added_edited_and_removed(db: Database, clock: FixedClock) -> None:
    biz = await make_business(db, clock)
    family = await customers.add_customer(db, biz.id, clock, name="Aminah")
    child = await customers.add_child(
        db, biz.id, family.id, clock, name="Aisyah", category="Kindergarten", birth_year=2021
    )
    assert child.category == "kindergarten"
    child = await customers.update_child(db, biz.id, child.id, clock, school="Tadika Ceria")
    assert child.school == "Tadika Ceria" and child.name == "Aisyah"
    assert (await customers.get_customer(db, biz.id, family.id)).children == (child,)
    await customers.remove_child(db, biz.id, child.id)
    assert (await customers.get_customer(db, biz.id, family.id)).children == ()
    with pytest.raises(NotFound):
        await customers.remove_child(db, biz.id, child.id)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"name": ""}, "text.empty"),
        ({"name": "A", "category": "university"}, "child.category"),
        ({"name": "A", "birth_year": 1990}, "child.birth_year"),
    ],
)
async def test_a_child_with_bad_details_is_refused(
    db: Database, clock: FixedClock, fields: dict[str, object], says: str
) -> None:
    biz = await make_business(db, clock)
    family = await customers.add_customer(db, biz.id, clock, name="Aminah")
    with pytest.raises(InvalidInput, match=f"^{says}( |$)"):
        await customers.add_child(db, biz.id, family.id, clock, **fields)  # type: ignore[arg-type]


async def test_a_child_already_billed_cannot_be_deleted(db: Database, clock: FixedClock) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock)
    with pytest.raises(Conflict, match=r"^child\.on_invoices$"):
        await customers.remove_child(db, biz.id, family.children[0].id)


async def _family_rows(db: Database) -> dict[str, int]:
    """Count the rows a new family writes: parents, children, enrollments."""
    async with db.sessions() as session:
        return {
            table.__tablename__: (
                await session.execute(select(func.count()).select_from(table))
            ).scalar_one()
            for table in (Customer, Child, Enrollment)
        }


async def test_a_whole_family_is_added_in_one_go_with_its_routes_from_this_month(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    added = await customers.add_family(
        db,
        biz.id,
        clock,
        name="Siti",
        phone="012-345 6789",
        children=[
            customers.NewChild("Aisyah", "primary", 2017, "SK Setapak", (biz.morning.id,)),
            customers.NewChild(
                "Danish", "kindergarten", route_ids=(biz.morning.id, biz.afternoon.id)
            ),
            customers.NewChild("Mei", "other"),
        ],
    )
    assert added.start_month == date(2026, 1, 1)
    assert (added.customer.name, added.customer.phone) == ("Siti", "+60123456789")
    assert [c.name for c in added.customer.children] == ["Aisyah", "Danish", "Mei"]
    assert added.routes == (
        (biz.morning.name,),
        (biz.morning.name, biz.afternoon.name),
        (),
    )
    taken = await routes.list_enrollments(db, biz.id, added.customer.id, month=date(2026, 1, 1))
    assert len(taken) == 3
    assert await _family_rows(db) == {"customers": 1, "children": 3, "enrollments": 3}


@pytest.mark.parametrize("refusal", ["route switched off", "bad birth year", "not my route"])
async def test_a_refusal_of_the_last_child_leaves_no_family_behind(
    db: Database, clock: FixedClock, refusal: str
) -> None:
    biz = await make_business(db, clock)
    other = await make_business(db, clock, 2002)
    before = await _family_rows(db)
    last = {
        "route switched off": customers.NewChild("Danish", route_ids=(biz.afternoon.id,)),
        "bad birth year": customers.NewChild("Danish", birth_year=1990),
        "not my route": customers.NewChild("Danish", route_ids=(other.morning.id,)),
    }[refusal]
    await routes.update_service(db, biz.id, biz.afternoon.id, active=False)
    with pytest.raises(
        (Conflict, InvalidInput, NotFound), match=r"^child.refused \(name='Danish', "
    ):
        await customers.add_family(
            db,
            biz.id,
            clock,
            name="Siti",
            children=[customers.NewChild("Aisyah", route_ids=(biz.morning.id,)), last],
        )
    assert await _family_rows(db) == before
    assert await customers.find_customers(db, biz.id, "Siti") == []
