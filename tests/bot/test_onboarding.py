"""From the first /start to the first invoices: the guided set-up, families from a file, the
bank's DuitNow QR on every invoice; and each refused file and picture with its reply."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

import pytest
from openpyxl import Workbook
from pypdf import PdfReader

from tests.bot.conftest import OPERATOR, PARENT, SECOND_OPERATOR, BotHarness, texts
from tests.bot.factories import pdf_text, press, sent, with_buttons
from tests.bot.fake_telegram import Call, TgUser
from tests.qr_pictures import (
    damaged,
    duitnow_payload,
    pdf_with_qr,
    photo_of_qr,
    picture_without_qr,
)
from vanbill.services import customers, duitnow, monthly, operators, routes

# Minutes of end-to-end run: outside the default suite (`bash .ci/dev test-all`).
pytestmark = pytest.mark.long

HEADER = ["parent", "phone", "child", "category", "birth_year", "school", "routes", "fee"]
PARENTS = [
    ("Siti binti Ahmad", "012-345 6789", ["Aisyah", "Amir"]),
    ("陈美玲", "019-876 5432", ["Wei Jie"]),
    ("Kumar a/l Rajan", "017-123 4567", ["Priya"]),
    ("Nurul Huda", "013-222 3344", ["Hana"]),
    ("Lim Ah Kow", "016-555 0101", ["Jun", "Mei"]),
    ("Rosnah Ismail", "011-2345 6789", ["Danial"]),
    ("Devi a/p Muthu", "014-777 8888", ["Kavin"]),
    ("Faridah Yusof", "019-111 2222", ["Irfan"]),
    ("Wong Siew Lan", "012-999 0000", ["Kai"]),
    ("Zainab Omar", "018-444 5555", ["Sofea", "Adam", "Iman"]),
    ("Ahmad Fauzi", "017-666 7777", ["Haziq"]),
    ("Tan Bee Choo", "010-888 9999", ["Xin Yi"]),
]


def family_rows() -> list[list[str]]:
    """Return the header and a row per child of the twelve families, on the two routes."""
    rows = [HEADER]
    for n, (parent, phone, children) in enumerate(PARENTS):
        for child in children:
            route = "Morning; Afternoon" if n % 3 == 0 else "Morning"
            rows.append([parent, phone, child, "primary", "2017", "SK Setapak", route, ""])
    return rows


def as_xlsx(rows: list[list[str]]) -> bytes:
    """Return rows as an Excel workbook."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_csv(rows: list[list[str]]) -> bytes:
    """Return rows as UTF-8 CSV with a BOM, as Excel's 'CSV UTF-8' saves it."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@dataclass
class Counted:
    """The harness, counting what the operator sends and taps."""

    harness: BotHarness
    messages: int = 0
    taps: int = 0

    async def say(self, text: str, user: TgUser = OPERATOR) -> list[Call]:
        """Send text as the operator."""
        self.messages += 1
        return await self.harness.say(user, text)

    async def tap(self, label: str, user: TgUser = OPERATOR) -> list[Call]:
        """Tap the button labelled label on the latest message that has it."""
        self.taps += 1
        call = next(c for c in reversed(self.harness.tg.seen_by(user.id)) if _has(c, label))
        return await self.harness.press_button(user, call, label)

    async def photo(self, content: bytes) -> list[Call]:
        """Send a photo as the operator."""
        self.messages += 1
        update = self.harness.tg.send_photo(OPERATOR, content)
        return await self.harness.deliver(update, OPERATOR.id)

    async def file(self, content: bytes, filename: str, mime: str) -> list[Call]:
        """Send a document as the operator."""
        self.messages += 1
        update = self.harness.tg.send_document(
            OPERATOR, content, filename=filename, mime_type=mime
        )
        return await self.harness.deliver(update, OPERATOR.id)


def _has(call: Call, label: str) -> bool:
    return any(label in b.get("text", "") for b in call.buttons)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(
    ("filename", "make", "mime"),
    [("families.xlsx", as_xlsx, XLSX), ("families.csv", as_csv, "text/csv")],
)
async def test_a_new_operator_goes_from_first_start_to_invoices_carrying_her_duitnow_qr(
    harness: BotHarness, filename: str, make: object, mime: str
) -> None:
    op = Counted(harness)
    first = texts(await op.say("/start"))
    assert "Let's set up your van business" in first and "1/9" in first
    assert "2/9" in texts(await op.say("Van Sekolah Kak Ros"))
    assert "✅ Phone: 012-345 6789" in texts(await op.say("0123456789"))
    await op.say("Maybank")
    await op.say("5140 1234 5678")
    asked = texts(await op.say("Rosnah binti Ismail"))
    assert "6/9" in asked and "DuitNow QR" in asked
    payload = duitnow_payload()
    found = texts(await op.photo(photo_of_qr(payload)))
    assert "DuitNow QR for KAK ROS ENTERPRISE, Kuala Lumpur. Use it on your invoices?" in found
    saved = texts(await op.tap("Use it on my invoices"))
    assert "Saved" in saved and "7/9" in saved
    assert "8/9" in texts(await op.say("7"))
    added = texts(await op.say("Morning 150\nAfternoon RM 120.50"))
    assert "Morning: RM 150.00 a month" in added and "Afternoon: RM 120.50" in added
    assert "9/9" in texts(await op.tap("That's all my routes"))
    content = make(family_rows())  # type: ignore[operator]
    preview = texts(await op.file(content, filename, mime))
    # 12 families, 16 children: 16 x RM 150 + 7 on the afternoon route x RM 120.50.
    assert "12 families" in preview and "16 children" in preview
    assert "RM 3,243.50" in preview
    finished = texts(await op.tap("Import 12 families"))
    assert "Imported 12 families and 16 children" in finished
    assert "Set-up done" in finished and "2 routes" in finished and "12 families" in finished
    # The guided set-up for a business with two routes, its families from a file.
    assert (op.messages, op.taps) == (10, 3)
    bot_sent = [
        c for c in harness.tg.calls_to(OPERATOR.id) if c.method in ("sendMessage", "sendDocument")
    ]
    assert len(bot_sent) == 15  # a question, or what was saved with the next question

    operator = await operators.find_operator(harness.db, OPERATOR.id)
    assert operator is not None and operator.setup_step == "done"
    assert operator.payment_qr_payload == payload
    assert operator.account_holder == "Rosnah binti Ismail"
    report = await monthly.generate_month(harness.db, operator.id, date(2026, 1, 1), harness.clock)
    assert report.created == 12
    (document,) = sent(await harness.say(OPERATOR, "/invoice INV-2026-0001"), "sendDocument")
    text = pdf_text(document)
    assert "Scan with your banking app and enter RM" in " ".join(text.split())
    assert "Rosnah binti Ismail" in text and "Tel: 012-345 6789" in text
    pdf = PdfReader(io.BytesIO(document.files["document"].content))
    images = [i.image for page in pdf.pages for i in page.images]
    codes = [c for image in images for c in duitnow.find_codes(_png(image))]
    assert codes == [payload]
    # /start afterwards greets her by her business.
    assert "Welcome back, Van Sekolah Kak Ros" in texts(await harness.say(OPERATOR, "/start"))


def _png(image: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")  # type: ignore[attr-defined]
    return out.getvalue()


async def test_the_set_up_goes_on_where_it_was_after_a_restart(harness: BotHarness) -> None:
    await harness.say(OPERATOR, "/start")
    await harness.say(OPERATOR, "Van Kak Ros")
    await press(harness, "Skip")
    await harness.restart()
    resumed = texts(await harness.say(OPERATOR, "/start"))
    assert "3/9" in resumed and "Welcome" not in resumed
    await harness.say(OPERATOR, "/customers")  # another command pauses it
    assert "3/9" in texts(await harness.say(OPERATOR, "/start"))
    operator = await operators.find_operator(harness.db, OPERATOR.id)
    assert operator is not None and operator.business_name == "Van Kak Ros"


async def test_every_step_can_be_skipped_and_the_end_says_what_is_missing(
    harness: BotHarness,
) -> None:
    await harness.say(OPERATOR, "/start")
    for _ in range(8):
        await harness.press_button(
            OPERATOR, harness.tg.last_to(OPERATOR.id), "Skip" if True else ""
        )
        last = harness.tg.last_to(OPERATOR.id)
        if _has(last, "That's all my routes"):
            break
    await harness.press_button(OPERATOR, harness.tg.last_to(OPERATOR.id), "That's all my routes")
    end = texts(await harness.press_button(OPERATOR, harness.tg.last_to(OPERATOR.id), "Finish"))
    assert "Set-up done" in end and "Still to add" in end and "routes" in end
    assert "/newservice" in end


async def test_bad_answers_in_the_set_up_are_refused_and_asked_again(harness: BotHarness) -> None:
    await harness.say(OPERATOR, "/start")
    await harness.say(OPERATOR, "Van Kak Ros")
    refused = texts(await harness.say(OPERATOR, "abc"))
    assert "phone number" in refused and "Send it again" in refused
    await harness.say(OPERATOR, "0123456789")
    for _ in range(3):
        await press(harness, "Skip")
    assert "Send a photo" in texts(await harness.say(OPERATOR, "here it is"))
    await press(harness, "Skip")
    assert "1 to 28" in texts(await harness.say(OPERATOR, "31"))
    await harness.say(OPERATOR, "10")
    assert "could not read" in texts(await harness.say(OPERATOR, "Morning"))
    assert "negative" in texts(await harness.say(OPERATOR, "Morning -5"))


async def _set_up(harness: BotHarness) -> int:
    """Give OPERATOR a finished set-up with the two routes; return the operator id."""
    operator = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    await operators.update_profile(
        harness.db, operator.id, business_name="Van Kak Ros", setup_step="done"
    )
    await routes.add_services(
        harness.db, operator.id, harness.clock, [("Morning", 15000), ("Afternoon", 12000)]
    )
    return operator.id


@pytest.mark.parametrize(
    ("content", "filename", "mime", "reply"),
    [
        (b"%PDF-1.4 not a bank pdf", "families.pdf", "application/pdf", "could not open that PDF"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
            "old.xls",
            "application/vnd.ms-excel",
            "old Excel .xls",
        ),
        ("parent,phone\nJosé,0123456789\n".encode("cp1252"), "f.csv", "text/csv", "not in UTF-8"),
        (
            as_xlsx([HEADER, ["Ali", "0191112222", "Adam", "", "", "", "Morning", "=1+1"]]),
            "f.xlsx",
            XLSX,
            "Row 2 has a formula",
        ),
        (b"hello", "notes.docx", "application/msword", "CSV file or an Excel .xlsx"),
        (b"x" * 2_100_000, "big.csv", "text/csv", "too big"),
        (as_csv([["name", "age"], ["Ali", "7"]]), "f.csv", "text/csv", "column headings"),
        (
            as_csv([HEADER, ["Ali", "abc", "Adam", "", "", "", "Nowhere", ""]]),
            "f.csv",
            "text/csv",
            "No family in it can be imported",
        ),
    ],
)
async def test_files_that_cannot_be_imported_are_answered_with_the_reason(
    harness: BotHarness, content: bytes, filename: str, mime: str, reply: str
) -> None:
    await _set_up(harness)
    update = harness.tg.send_document(OPERATOR, content, filename=filename, mime_type=mime)
    answer = texts(await harness.deliver(update, OPERATOR.id))
    assert reply in answer
    assert "Import" not in " ".join(b["text"] for b in harness.tg.last_to(OPERATOR.id).buttons)


async def test_rows_refused_are_listed_and_the_rest_import_on_confirmation(
    harness: BotHarness,
) -> None:
    operator_id = await _set_up(harness)
    rows = [
        HEADER,
        ["Ali", "abc", "Adam", "", "", "", "Morning", ""],
        ["Siti", "0123456789", "Aisyah", "", "", "", "Morning", ""],
        ["Mei", "0191112222", "Lin", "", "", "", "Evening", ""],
    ]
    update = harness.tg.send_document(
        OPERATOR, as_csv(rows), filename="f.csv", mime_type="text/csv"
    )
    preview = texts(await harness.deliver(update, OPERATOR.id))
    assert "1 family" in preview and "2 rows left out" in preview
    assert "Row 2: I could not read 'abc' as a phone number" in preview
    assert "Row 4: The route 'Evening' is not one of yours (Morning, Afternoon)" in preview
    done = texts(await press(harness, "Import"))
    assert "Imported 1 family" in done
    page = await customers.list_customers(harness.db, operator_id)
    assert [f.name for f in page.items] == ["Siti"]


async def test_another_operator_cannot_press_an_import_or_qr_button(harness: BotHarness) -> None:
    operator_id = await _set_up(harness)
    update = harness.tg.send_document(
        OPERATOR, as_csv(family_rows()), filename="f.csv", mime_type="text/csv"
    )
    await harness.deliver(update, OPERATOR.id)
    await operators.ensure_operator(harness.db, SECOND_OPERATOR.id, harness.clock)
    await harness.say(SECOND_OPERATOR, "/help")
    for forged in (f"imp:{operator_id}:go", f"dn:{operator_id}:go"):
        answer = await harness.press(SECOND_OPERATOR, forged)
        assert "not yours" in texts(answer) or "not for you" in texts(answer)
    page = await customers.list_customers(harness.db, operator_id)
    assert page.total == 0
    assert "Import" in " ".join(b["text"] for b in with_buttons(harness, OPERATOR.id).buttons)


@pytest.mark.parametrize(
    ("picture", "reply"),
    [
        (picture_without_qr(), "could not find a QR code"),
        (photo_of_qr("https://kakros.example/menu"), "not a payment code"),
        (photo_of_qr(damaged(duitnow_payload())), "checksum does not match"),
        (photo_of_qr(duitnow_payload(initiation="12")), "one-time (dynamic) QR code"),
        (photo_of_qr(duitnow_payload(amount="205.50")), "fixed amount"),
    ],
)
async def test_pictures_without_a_usable_qr_are_refused_with_the_reason(
    harness: BotHarness, picture: bytes, reply: str
) -> None:
    operator_id = await _set_up(harness)
    answer = texts(await harness.deliver(harness.tg.send_photo(OPERATOR, picture), OPERATOR.id))
    assert reply in answer
    operator = await operators.get_operator(harness.db, operator_id)
    assert operator.payment_qr_payload == ""


async def test_the_qr_in_a_banks_pdf_is_confirmed_outside_the_set_up(harness: BotHarness) -> None:
    operator_id = await _set_up(harness)
    payload = duitnow_payload("RAVI TRANSPORT", "Ipoh")
    update = harness.tg.send_document(
        OPERATOR, pdf_with_qr(payload), filename="duitnow.pdf", mime_type="application/pdf"
    )
    assert "RAVI TRANSPORT, Ipoh" in texts(await harness.deliver(update, OPERATOR.id))
    await press(harness, "Use it")
    operator = await operators.get_operator(harness.db, operator_id)
    assert operator.payment_qr_payload == payload


async def test_import_sends_a_template_on_the_operators_routes(harness: BotHarness) -> None:
    await _set_up(harness)
    (document,) = sent(await harness.say(OPERATOR, "/import"), "sendDocument")
    body = document.files["document"].content.decode("utf-8-sig")
    header, siti, tan = list(csv.reader(io.StringIO(body)))
    assert header == HEADER and siti[6] in ("Morning", "Afternoon")
    assert sorted(tan[6].split("; ")) == ["Afternoon", "Morning"]


async def test_a_parents_photo_is_still_a_transfer_slip(harness: BotHarness) -> None:
    from tests.bot.factories import business, siti

    biz = await business(harness)
    await siti(harness, biz)
    answer = texts(await harness.deliver(harness.tg.send_photo(PARENT, b"\x89PNG"), PARENT.id))
    assert "passed it to Van Kak Ros" in answer


async def test_the_invite_comes_as_a_qr_too_and_the_parent_is_told_how_it_works(
    harness: BotHarness,
) -> None:
    from tests.bot.factories import business, siti

    biz = await business(
        harness,
        phone="+60123456789",
        bank_name="Maybank",
        bank_account="514012345678",
        account_holder="Rosnah binti Ismail",
        payment_qr_payload=duitnow_payload(),
    )
    family = await siti(harness, biz, linked=False)
    (invite,) = await harness.say(OPERATOR, f"/invite {family.customer.name}")
    assert invite.method == "sendPhoto"
    link = invite.seen.split()[-1]
    assert link.startswith(f"https://t.me/{harness.tg.bot_username}?start=")
    assert duitnow.find_codes(invite.files["photo"].content) == [link]
    welcome = texts(await harness.say(PARENT, "/start " + link.split("start=")[1]))
    assert "You are now linked to Van Kak Ros (012-345 6789)" in welcome
    assert "Your invoice each month" in welcome and "A receipt for every payment" in welcome
    assert "Maybank 514012345678 (Rosnah binti Ismail)" in welcome
    assert "DuitNow QR" in welcome and "photo of the transfer slip" in welcome


async def test_export_then_import_into_a_new_operator_gives_the_same_families(
    harness: BotHarness,
) -> None:
    from tests.bot.factories import business
    from tests.data.factories import make_family
    from tests.data.test_imports import _families

    biz = await business(harness)
    await make_family(harness.db, harness.clock, biz, "陈美玲", ("Mei", "Lin"), phone="0123456789")
    await make_family(harness.db, harness.clock, biz, "Siti", ("Aisyah",), both_routes=True)
    await make_family(harness.db, harness.clock, biz, "Kumar", (), phone="0171234567")
    exported = sent(await harness.say(OPERATOR, "/export"), "sendDocument")
    (people,) = [c for c in exported if c.files["document"].filename == "customers.csv"]
    ravi = await operators.ensure_operator(harness.db, SECOND_OPERATOR.id, harness.clock)
    await operators.update_profile(harness.db, ravi.id, business_name="Ravi", setup_step="done")
    update = harness.tg.send_document(
        SECOND_OPERATOR,
        people.files["document"].content,
        filename="customers.csv",
        mime_type="text/csv",
    )
    preview = texts(await harness.deliver(update, SECOND_OPERATOR.id))
    assert "3 families" in preview and "New routes to create" in preview
    call = next(c for c in reversed(harness.tg.seen_by(SECOND_OPERATOR.id)) if c.buttons)
    done = texts(await harness.press_button(SECOND_OPERATOR, call, "Import"))
    assert "Imported 3 families and 3 children" in done
    assert await _families(harness.db, ravi.id) == await _families(harness.db, biz.id)


async def test_the_operator_is_told_once_when_a_parent_links(harness: BotHarness) -> None:
    from tests.bot.factories import SITI_PHONE, business, siti

    biz = await business(harness)
    family = await siti(harness, biz, linked=False)
    (invite,) = await harness.say(OPERATOR, f"/invite {family.customer.name}")
    await harness.say(PARENT, "/start " + invite.seen.split()[-1].split("start=")[1])
    await harness.share_contact(PARENT, SITI_PHONE)  # the same family and account again
    told = "Siti Nurhaliza is now linked — their invoices, reminders and receipts"
    await harness.tg.wait_for(
        lambda: any(told in c.seen for c in harness.tg.seen_by(OPERATOR.id)), timeout=10
    )
    await harness.restart()  # what the outbox sent is not sent again
    assert sum(told in c.seen for c in harness.tg.seen_by(OPERATOR.id)) == 1


async def test_the_daily_digest_comes_once_at_the_operators_hour(harness: BotHarness) -> None:
    from tests.bot.factories import business, invoice, siti
    from vanbill.services import payments

    biz = await business(harness, digest_hour=10)  # 10:00 in Kuala Lumpur, as the clock says
    family = await siti(harness, biz)
    bill = await invoice(harness, biz.id, family.id, 20550, due_date=date(2026, 1, 17))
    await payments.record_payment(
        harness.db, biz.id, family.id, harness.clock, amount_sen=5000, method="cash"
    )
    assert bill.total_sen == 20550
    app = harness.application
    assert app is not None
    scheduler = app.bot_data.services.scheduler
    await scheduler.tick()
    await scheduler.tick()  # the next minute of the same hour
    heading = "Your day, 15 Jan 2026"
    await harness.tg.wait_for(
        lambda: any(heading in c.seen for c in harness.tg.seen_by(OPERATOR.id)), timeout=10
    )
    (digest,) = [c for c in harness.tg.seen_by(OPERATOR.id) if heading in c.seen]
    assert "Payments recorded: 1 (RM 50.00)" in digest.seen
    assert "Invoices falling due in the next 3 days: 1 (RM 155.50 to collect)" in digest.seen
    assert "Families overdue: 0" in digest.seen


async def test_no_digest_when_switched_off_or_at_another_hour(harness: BotHarness) -> None:
    from tests.bot.factories import business

    await business(harness, digest_hour=18)
    app = harness.application
    assert app is not None
    report = await app.bot_data.services.scheduler.tick()
    assert report.digests == 0
