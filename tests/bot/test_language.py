"""Languages in the chat: a person is answered in the language their Telegram reports until they
choose one with /language; the choice governs their replies and their command menu. Every
expected text comes from the catalogs (texts in the language), never from English in the test."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.bot.conftest import OPERATOR, PARENT, BotHarness, add_family
from tests.bot.factories import business, pdf_text, siti, wait_for_document
from tests.bot.fake_telegram import Call, TgUser
from vanbill.bot import keyboards, texts
from vanbill.services import (
    customers,
    i18n,
    invoices,
    languages,
    links,
    monthly,
    operators,
    payments,
)
from vanbill.services.billing import NewLine
from vanbill.services.links import LinkedFamily
from vanbill.services.models import Customer
from vanbill.services.roles import OPERATOR as OPERATOR_ROLE
from vanbill.services.roles import PARENT as PARENT_ROLE
from vanbill.services.roles import Family, Sender


def in_language(locale: str, read):  # type: ignore[no-untyped-def]
    """Return what read() gives in locale (a text as the catalogs have it)."""
    with i18n.use(locale):
        return read()


def menu(locale: str, commands) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{name} — {words}" for name, words in in_language(locale, commands)]


@pytest.mark.parametrize(
    ("code", "locale"), [("ms", "ms"), ("zh-hans", "zh_Hans"), ("en", "en"), ("ta", "en")]
)
async def test_a_stranger_is_answered_in_the_language_their_telegram_reports(
    harness: BotHarness, code: str, locale: str
) -> None:
    stranger = TgUser(3101, "Aisyah", language_code=code)
    (reply,) = await harness.say(stranger, "/start")
    assert reply.text == in_language(locale, lambda: texts.STRANGER)
    button = reply.button(in_language(locale, lambda: texts.SHARE_PHONE_BUTTON))
    assert button["request_contact"] is True
    if locale != "en":
        assert reply.text != texts.STRANGER  # really another language than English


async def test_the_default_menus_follow_the_language_telegram_reports(
    harness: BotHarness,
) -> None:
    tg = harness.tg
    assert tg.menu_for(TgUser(5, "A", language_code="ms")) == menu("ms", texts.parent_commands)
    assert tg.menu_for(TgUser(6, "B", language_code="id")) == menu("ms", texts.parent_commands)
    chinese = menu("zh_Hans", texts.parent_commands)
    assert tg.menu_for(TgUser(7, "C", language_code="zh-hans")) == chinese
    assert tg.menu_for(TgUser(8, "D", language_code="ta")) == menu("en", texts.parent_commands)
    assert chinese != menu("en", texts.parent_commands)


async def test_language_changes_the_operators_own_replies_and_menu_and_survives_a_restart(
    harness: BotHarness,
) -> None:
    (offer,) = await harness.say(OPERATOR, "/language")
    assert offer.text == texts.LANGUAGE_PROMPT
    assert [b["text"] for b in offer.buttons] == ["Bahasa Melayu", "✓ English", "中文"]
    seen = await harness.press_button(OPERATOR, offer, "中文")
    edits = [c for c in seen if c.method == "editMessageText"]
    assert [c.text for c in edits] == [texts.language_set("zh_Hans")]
    chinese_menu = menu("zh_Hans", texts.operator_commands)
    assert harness.tg.menu_for(OPERATOR, OPERATOR.id) == chinese_menu
    op = await operators.get_operator(
        harness.db, (await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)).id
    )
    assert op.language == "zh_Hans"
    sender = Sender(OPERATOR.id, OPERATOR_ROLE, operator=op)
    (help_reply,) = await harness.say(OPERATOR, "/help")
    assert help_reply.text == in_language("zh_Hans", lambda: texts.help_text(sender))
    assert (await harness.say(OPERATOR, "/cancel"))[0].text == in_language(
        "zh_Hans", lambda: texts.NOTHING_TO_CANCEL
    )
    await harness.restart()
    assert harness.tg.menu_for(OPERATOR, OPERATOR.id) == chinese_menu
    (again,) = await harness.say(OPERATOR, "/help")
    assert again.text == help_reply.text
    (offer,) = await harness.say(OPERATOR, "/language")
    assert offer.text == in_language("zh_Hans", lambda: texts.LANGUAGE_PROMPT)
    assert "✓ 中文" in [b["text"] for b in offer.buttons]


async def test_a_parent_who_chooses_malay_is_answered_in_it_whatever_telegram_says(
    harness: BotHarness,
) -> None:
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    op = await operators.update_profile(harness.db, op.id, business_name="Van Kak Ros")
    family_id = await add_family(harness.db, op.id, "Siti Nurhaliza", telegram_user_id=PARENT.id)
    (offer,) = await harness.say(PARENT, "/language")
    await harness.press_button(PARENT, offer, "Bahasa Melayu")
    (welcome,) = await harness.say(PARENT, "/start")
    family = Family(op.id, family_id, "Siti Nurhaliza", "Van Kak Ros", "ms")
    sender = Sender(PARENT.id, PARENT_ROLE, families=(family,))
    assert welcome.text == in_language("ms", lambda: texts.parent_welcome(sender))
    assert "Siti Nurhaliza" in welcome.text and "Van Kak Ros" in welcome.text
    assert harness.tg.menu_for(PARENT, PARENT.id) == menu("ms", texts.parent_commands)


@pytest.mark.parametrize("data", ["lang:xx", "lang:", "lang", "lang:ms:1", "lang:MS", "lang:zh"])
async def test_a_forged_language_button_changes_nothing(harness: BotHarness, data: str) -> None:
    await harness.say(OPERATOR, "/language")
    seen = await harness.press(OPERATOR, data)
    alerts = [c for c in seen if c.method == "answerCallbackQuery"]
    assert [c.params.get("text") for c in alerts] == [texts.BUTTON_EXPIRED]
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    assert op.language is None


async def test_a_stranger_cannot_choose_a_language_by_a_forged_button(harness: BotHarness) -> None:
    stranger = TgUser(3102, "Tan", language_code="ms")
    await harness.say(stranger, "/start")
    seen = await harness.press(stranger, "lang:zh_Hans")
    alerts = [c for c in seen if c.method == "answerCallbackQuery"]
    assert [c.params.get("text") for c in alerts] == [
        in_language("ms", lambda: texts.NOT_YOUR_BUTTON)
    ]
    (reply,) = await harness.say(stranger, "/start")
    assert reply.text == in_language("ms", lambda: texts.STRANGER)


async def _speaks(harness: BotHarness, user: TgUser, language: str) -> None:
    """Choose a language with /language, as the person would."""
    (offer,) = await harness.say(user, "/language")
    await harness.press_button(user, offer, language)


async def test_an_operator_in_malay_gets_the_business_menu_its_buttons_and_questions_in_malay(
    harness: BotHarness,
) -> None:
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    await operators.update_profile(harness.db, op.id, business_name="Van Kak Ros", due_day=7)
    await _speaks(harness, OPERATOR, "Bahasa Melayu")
    (menu,) = await harness.say(OPERATOR, "/business")
    profile = await operators.get_operator(harness.db, op.id)
    assert menu.text == in_language("ms", lambda: texts.business_menu(profile, []))
    assert "Perniagaan anda" in menu.seen and "Nama perniagaan: Van Kak Ros" in menu.seen
    assert "hari ke-7 setiap bulan" in menu.seen
    for english in ("Your business", "Business name", "Tap what you want", "not set", "day 7"):
        assert english not in menu.seen
    labels = [b["text"] for b in menu.buttons]
    assert "Nama perniagaan" in labels and "Hari akhir bayaran" in labels
    assert "✅ Selesai" in labels and "✅ Done" not in labels and "Due day" not in labels
    seen = await harness.press_button(OPERATOR, menu, "Hari akhir bayaran")
    (question,) = [c for c in seen if c.method == "editMessageText"]
    assert question.seen.startswith("Hantar Hari akhir bayaran yang baharu.\nSekarang: 7")
    assert "Send the new" not in question.seen and "Now:" not in question.seen
    assert [b["text"] for b in question.buttons] == ["⬅ Kembali"]
    (refusal,) = await harness.say(OPERATOR, "40")  # the hint was built at import, in English
    assert refusal.text.endswith("\n" + in_language("ms", lambda: texts.TRY_AGAIN))
    assert "Send it again" not in refusal.text


async def test_a_parent_in_chinese_sees_their_balance_in_chinese(harness: BotHarness) -> None:
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    await operators.update_profile(harness.db, op.id, business_name="Van Kak Ros")
    family = await add_family(harness.db, op.id, "Siti Nurhaliza", telegram_user_id=PARENT.id)
    for issued, due in ((date(2025, 12, 1), date(2025, 12, 7)), (date(2026, 1, 1), None)):
        await invoices.create_invoice(
            harness.db,
            op.id,
            family,
            harness.clock,
            [NewLine("School van", 150_00)],
            issue_date=issued,
            due_date=due or date(2026, 1, 20),
        )
    await _speaks(harness, PARENT, "中文")
    (reply,) = await harness.say(PARENT, "/balance")
    lines = reply.seen.splitlines()
    assert lines[0] == "🚐 Van Kak Ros — Siti Nurhaliza"
    assert lines[1] == "• INV-2025-0001，到期日 2025年12月7日：尚欠 RM 150.00 ⚠️ 已逾期"
    assert lines[2] == "• INV-2026-0001，到期日 2026年1月20日：尚欠 RM 150.00"
    assert lines[3] == "应付总额：RM 300.00"
    paid_already = in_language(
        "zh_Hans", lambda: i18n.gettext("Paid already? Send a photo of the transfer slip here.")
    )
    assert reply.seen.endswith(paid_already) and "转账单据" in paid_already
    for english in ("due", "left", "overdue", "Total to pay", "Paid already", "Dec"):
        assert english not in reply.seen
    (listed,) = await harness.say(PARENT, "/invoices")
    assert "您最近的账单" in listed.seen and "点击账单即可获取 PDF。" in listed.seen
    assert "recent invoices" not in listed.seen and "Tap an invoice" not in listed.seen


async def test_a_parent_whose_telegram_is_malay_is_welcomed_in_malay_when_linked(
    harness: BotHarness,
) -> None:
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    await operators.update_profile(
        harness.db,
        op.id,
        business_name="Van Kak Ros",
        bank_name="Maybank",
        bank_account="5123 4567 8901",
        phone="+60123456789",
    )
    family = await add_family(harness.db, op.id, "Siti Nurhaliza")
    token = await links.create_parent_invite(harness.db, op.id, family, harness.clock)
    parent = TgUser(2101, "Siti", language_code="ms")
    (welcome,) = await harness.say(parent, f"/start {token}")
    seen = welcome.seen
    assert seen.startswith(
        "Terima kasih, Siti Nurhaliza! Anda kini dipautkan kepada Van Kak Ros (012-345 6789)."
    )
    for malay in ("Apa yang anda akan terima di sini", "Cara membayar", "Resit untuk setiap"):
        assert malay in seen
    assert "Maybank 5123 4567 8901 (Van Kak Ros)" in seen
    for english in ("Thank you", "What you will get", "How to pay", "receipt", "Paid?"):
        assert english not in seen


async def test_an_operator_in_chinese_gets_the_family_list_and_card_buttons_in_chinese(
    harness: BotHarness,
) -> None:
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    await add_family(harness.db, op.id, "Siti Nurhaliza", phone="+60123456789")
    await _speaks(harness, OPERATOR, "中文")
    (page,) = await harness.say(OPERATOR, "/customers")
    assert page.seen.startswith("您的家庭（第 1/1 页，共 1 个）")
    assert "Siti Nurhaliza — 已付清 · 未绑定" in page.seen
    assert "Your families" not in page.seen and "paid up" not in page.seen
    seen = await harness.press_button(OPERATOR, page, "Siti Nurhaliza")
    (card,) = [c for c in seen if c.buttons]
    assert "尚未绑定（请发送邀请链接）" in card.seen and "余额：已付清" in card.seen
    labels = [b["text"] for b in card.buttons]
    for chinese in ("🧾 账单", "💵 记录付款", "🔗 邀请链接", "📄 对账单", "🗄 存档"):
        assert chinese in labels
    for english in ("🧾 Invoices", "💵 Record payment", "🔗 Invite link", "📄 Statement"):
        assert english not in labels
    assert "Balance" not in card.seen and "not linked" not in card.seen


def test_payment_method_buttons_are_in_the_readers_language() -> None:
    def labels(locale: str) -> list[str]:
        markup = in_language(locale, lambda: keyboards.payment_methods(1))
        return [b.text for row in markup.inline_keyboard for b in row]

    assert labels("en") == ["Cash", "Bank transfer", "DuitNow", "Cheque", "Other"]
    assert labels("ms") == ["Tunai", "Pindahan bank", "DuitNow", "Cek", "Lain-lain"]
    assert labels("zh_Hans") == ["现金", "银行转账", "DuitNow", "支票", "其他"]


async def test_a_parent_linking_by_invite_keeps_their_telegram_language_for_the_family(
    harness: BotHarness,
) -> None:
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    malay = await add_family(harness.db, op.id, "Siti Nurhaliza")
    chosen = await add_family(harness.db, op.id, "Tan Mei Ling")
    await languages.set_family_language(harness.db, op.id, chosen, "en")
    for family, user in (
        (malay, TgUser(4101, "Siti", language_code="ms")),
        (chosen, TgUser(4102, "Mei Ling", language_code="zh-hans")),
    ):
        token = await links.create_parent_invite(harness.db, op.id, family, harness.clock)
        await harness.say(user, f"/start {token}")
    async with harness.db.sessions() as session:
        found = dict((await session.execute(select(Customer.id, Customer.language))).all())
    assert found[malay] == "ms"  # nobody had chosen: Telegram's language is kept
    assert found[chosen] == "en"  # the operator's choice stands


def _message(calls: list[Call]) -> Call:
    """Return the one message among what a button press brought (its answer left out)."""
    (message,) = [c for c in calls if c.method == "sendMessage"]
    return message


async def test_the_operator_sets_a_familys_language_on_its_card_and_it_governs_the_documents(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)  # the parent's Telegram reports English
    (card,) = await harness.say(OPERATOR, "/customer siti")
    offer = _message(await harness.press_button(OPERATOR, card, "Language"))
    assert "the parent's own" in offer.seen
    assert [b["text"] for b in offer.buttons] == [
        "Bahasa Melayu",
        "English",
        "中文",
        "✓ The parent's own (from Telegram)",  # the one in use
    ]
    # Another operator's forged press, and a made-up language, change nothing.
    for forged in (f"flang:{biz.id + 1}:ms:{family.id}", f"flang:{biz.id}:fr:{family.id}"):
        (refusal,) = await harness.press(OPERATOR, forged)
        assert refusal.method == "answerCallbackQuery"
    assert (await customers.get_customer(harness.db, biz.id, family.id)).language is None
    done = _message(await harness.press_button(OPERATOR, offer, "Bahasa Melayu"))
    assert "Bahasa Melayu from now on" in done.seen
    assert (await customers.get_customer(harness.db, biz.id, family.id)).language == "ms"
    await monthly.generate_month(harness.db, biz.id, date(2026, 1, 1), harness.clock, deliver=True)
    sent = await wait_for_document(harness, PARENT.id)
    assert "INVOIS" in pdf_text(sent) and "Januari 2026" in pdf_text(sent)
    found = await invoices.find_invoice_by_number(
        harness.db, biz.id, sent.files["document"].filename.removesuffix(".pdf"), harness.clock
    )
    document = await invoices.invoice_document(harness.db, biz.id, found.id, harness.clock)
    assert sent.text == in_language("ms", lambda: texts.invoice_caption(document))
    assert sent.text != in_language("en", lambda: texts.invoice_caption(document))
    (card,) = await harness.say(OPERATOR, "/customer siti")
    offer = _message(await harness.press_button(OPERATOR, card, "Language"))
    assert "✓ Bahasa Melayu" in [b["text"] for b in offer.buttons]
    done = _message(await harness.press_button(OPERATOR, offer, "The parent's own"))
    assert "the language their Telegram reports" in done.seen
    assert (await customers.get_customer(harness.db, biz.id, family.id)).language is None


@pytest.mark.parametrize(
    ("code", "locale", "invoice_words", "receipt_word"),
    [
        ("ms", i18n.MALAY, ("INVOIS", "Jumlah perlu dibayar", "Januari 2026"), "RESIT"),
        ("zh-hans", i18n.CHINESE, ("发票", "应付总额", "2026年1月"), "收据"),
        ("en", i18n.ENGLISH, ("INVOICE", "Balance due", "January 2026"), "RECEIPT"),
    ],
)
async def test_a_parent_gets_every_message_and_document_in_the_language_telegram_reports(
    harness: BotHarness, code: str, locale: str, invoice_words: tuple[str, ...], receipt_word: str
) -> None:
    db, clock = harness.db, harness.clock
    biz = await business(harness)
    family = await siti(harness, biz, linked=False)
    parent = TgUser(PARENT.id, "Siti", "Nurhaliza", language_code=code)
    # Linked by sharing their phone: the whole welcome, in their language.
    (welcome,) = await harness.share_contact(parent, "60123456789")
    operator = await operators.get_operator(db, biz.id)
    linked = LinkedFamily(biz.id, family.id, "Siti Nurhaliza", "Van Kak Ros", operator)
    assert welcome.text == in_language(locale, lambda: texts.linked_by_phone([linked]))
    # The month's invoice: caption and PDF.
    await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock, deliver=True)
    sent = await wait_for_document(harness, PARENT.id)
    for word in invoice_words:
        assert word in pdf_text(sent), word
    number = sent.files["document"].filename.removesuffix(".pdf")
    found = await invoices.find_invoice_by_number(db, biz.id, number, clock)
    document = await invoices.invoice_document(db, biz.id, found.id, clock)
    assert sent.text == in_language(locale, lambda: texts.invoice_caption(document))
    # A reminder three days before it falls due (issued on the 15th, due a week later),
    # at ten in the morning in Kuala Lumpur.
    assert found.due_date == date(2026, 1, 22)
    harness.clock.set(datetime(2026, 1, 19, 2, 0, tzinfo=UTC))
    assert harness.application is not None
    await harness.application.bot_data.services.scheduler.tick()
    reminder = await wait_for_document(harness, PARENT.id, 2)
    document = await invoices.invoice_document(db, biz.id, found.id, clock)
    stages = (-3, -1, 0, 1, 3, 7, 14)
    assert reminder.text in [
        in_language(locale, lambda s=s: texts.reminder_caption(document, s)) for s in stages
    ]
    # A payment: the receipt, its caption and PDF.
    paid = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=5000, method="cash", notify_parent=True
    )
    harness.application.bot_data.services.wake_outbox()
    receipt = await wait_for_document(harness, PARENT.id, 3)
    assert receipt_word in pdf_text(receipt)
    receipt_doc = await payments.receipt_document(db, biz.id, paid.id, clock)
    assert receipt.text == in_language(locale, lambda: texts.receipt_caption(receipt_doc))
    # /balance, in the same language: RM 100.00 left to pay.
    (balance,) = await harness.say(parent, "/balance")
    assert "RM 100.00" in balance.seen
    if locale != i18n.ENGLISH:
        assert "owe" not in balance.seen and "Balance" not in balance.seen
