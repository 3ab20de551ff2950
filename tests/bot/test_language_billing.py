"""Billing in the reader's language, through the real Application: /paid, /summary and voiding
for a Chinese-speaking operator, /remind and /invoices for a Malay-speaking one. Expected words
come from the catalogs (texts in the language); a few words of each translation are spelt out
too, so an English fallback cannot pass."""

from __future__ import annotations

import importlib
from datetime import date

from tests.bot.conftest import OPERATOR, PARENT, BotHarness, texts
from tests.bot.factories import business, invoice, press, sent, siti, wait_for_document
from tests.bot.fake_telegram import TgUser
from vanbill.bot import texts as words
from vanbill.services import customers, i18n, languages, reports

# The chart imports matplotlib when first drawn; a cold import on a loaded machine can take
# longer than a reply may, so it is imported here, outside the timed /summary.
importlib.import_module("matplotlib.backends.backend_agg")


def in_language(locale: str, read):  # type: ignore[no-untyped-def]
    """Return what read() gives in locale (a text as the catalogs have it)."""
    with i18n.use(locale):
        return read()


def no_english(seen: str, *sentences: str) -> None:
    for sentence in sentences:
        assert sentence not in seen, f"English left: {sentence!r} in {seen!r}"


async def test_a_chinese_speaking_operator_records_a_payment_in_chinese(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)
    await languages.choose(harness.db, OPERATOR.id, i18n.CHINESE)
    zh = i18n.CHINESE

    (ask,) = await harness.say(OPERATOR, "/paid")
    assert ask.text == in_language(zh, lambda: words.PAID_ASK_FAMILY)
    assert "记录付款" in ask.seen and "哪个家庭" in ask.seen
    await harness.say(OPERATOR, "Aisyah")
    account = texts(await press(harness, "Siti Nurhaliza"))
    assert "💰 Siti Nurhaliza欠 RM 150.00。" in account
    assert "他们付了多少？" in account
    no_english(account, "owes", "How much did they pay?", "left, due")

    (methods,) = await harness.say(OPERATOR, "RM100")
    date_prompt = texts(await press(harness, methods.buttons[0]["text"]))
    assert in_language(zh, lambda: words.ASK_PAYMENT_DATE).split("<b>")[0] in date_prompt
    summary = texts(await press(harness, in_language(zh, lambda: words.TODAY_BUTTON)))
    assert "请核对：\n家庭：Siti Nurhaliza\n金额：RM 100.00" in summary
    no_english(summary, "Please check", "Family:", "Amount:", "Paid on:")

    done = texts(await press(harness, in_language(zh, lambda: words.RECORD_PAYMENT_BUTTON)))
    assert "✅ 已记录Siti Nurhaliza" in done
    assert "Siti Nurhaliza仍欠 RM 50.00。" in done
    assert "🧾 收据 RCPT-2026-0001 正在发送给家长。" in done
    no_english(done, "Recorded", "still owes", "It went to", "is on its way")


async def test_a_chinese_speaking_operators_summary_is_captioned_in_chinese(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)
    await languages.choose(harness.db, OPERATOR.id, i18n.CHINESE)
    (photo,) = await harness.say(OPERATOR, "/summary")
    assert photo.method == "sendPhoto"
    report = await reports.summary_report(harness.db, biz.id, harness.clock)
    assert photo.text == in_language(i18n.CHINESE, lambda: words.summary_caption(report))
    assert "2026年1月" in photo.seen
    assert "已开账单：RM 150.00" in photo.seen and "收款率：" in photo.seen
    no_english(photo.seen, "January", "Invoiced", "Collected", "Outstanding", "Collection rate")


async def test_a_malay_speaking_operator_sends_reminders_and_lists_invoices_in_malay(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(
        harness, biz.id, family.id, 15000, issue_date=date(2026, 1, 1), due_date=date(2026, 1, 8)
    )
    tan = await customers.add_customer(harness.db, biz.id, harness.clock, name="Tan Mei Ling")
    await invoice(
        harness, biz.id, tan.id, 12000, issue_date=date(2026, 1, 1), due_date=date(2026, 1, 8)
    )
    await languages.choose(harness.db, OPERATOR.id, i18n.MALAY)
    ms = i18n.MALAY

    (ask,) = await harness.say(OPERATOR, "/remind")
    assert ask.text == in_language(ms, lambda: words.reminders_to_send(2, 2, 1))
    assert ask.seen.startswith("🔔 2 peringatan perlu dihantar hari ini, untuk 2 keluarga.")
    assert ask.seen.endswith("Hantar sekarang?")
    no_english(ask.seen, "reminders due today", "not linked yet", "Send them now?")
    (done,) = sent(await press(harness, in_language(ms, lambda: words.SEND_REMINDERS_BUTTON)))
    assert done.seen == (
        "🔔 2 peringatan dimasukkan ke dalam giliran untuk 2 keluarga. "
        "Peringatan sedang dihantar sekarang."
    )
    await wait_for_document(harness, PARENT.id)  # the reminder reaches the parent

    listed = texts(await harness.say(OPERATOR, "/invoices overdue"))
    assert listed.startswith("Invois tertunggak (2):")
    assert "INV-2026-0001 Siti Nurhaliza · RM 150.00 · baki RM 150.00 · ⚠️ tertunggak" in listed
    assert "Hantar /invoice diikuti nombor invois untuk PDFnya." in listed
    no_english(listed, "Overdue invoices", "left", "overdue ·", "Send /invoice followed")
    (again,) = await harness.say(OPERATOR, "/invoices 2026-01")
    assert again.seen.startswith("Invois bagi Januari 2026 (2):")


async def test_a_chinese_speaking_operator_voids_an_invoice_in_chinese(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)
    await languages.set_family_language(harness.db, biz.id, family.id, i18n.MALAY)
    await languages.choose(harness.db, OPERATOR.id, i18n.CHINESE)
    zh = i18n.CHINESE
    (document,) = sent(await harness.say(OPERATOR, "/invoice INV-2026-0001"), "sendDocument")
    await harness.press_button(
        OPERATOR, document, in_language(zh, lambda: words.SEND_TO_PARENT_BUTTON)
    )
    await wait_for_document(harness, PARENT.id)
    (document,) = sent(await harness.say(OPERATOR, "/invoice INV-2026-0001"), "sendDocument")
    asked = texts(
        await harness.press_button(
            OPERATOR, document, in_language(zh, lambda: words.VOID_INVOICE_BUTTON)
        )
    )
    assert "作废 INV-2026-0001（RM 150.00，Siti Nurhaliza）？" in asked
    (confirm,) = await harness.say(OPERATOR, "dibilkan dua kali")
    assert confirm.seen == "作废 INV-2026-0001？\n原因：dibilkan dua kali"
    done = texts(
        await harness.press_button(
            OPERATOR, confirm, in_language(zh, lambda: words.VOID_IT_BUTTON)
        )
    )
    assert "🚫 INV-2026-0001 已作废（dibilkan dua kali）。" in done
    no_english(done, "is void", "You can bill")
    # The parent gets the stamped invoice; its caption is in the family's language once the
    # outbox writes each delivery in its reader's language (the documents branch does that).
    await wait_for_document(harness, PARENT.id, 2)


async def test_the_guided_set_up_runs_in_malay_for_an_operator_whose_telegram_is_malay(
    harness: BotHarness,
) -> None:
    malay = TgUser(OPERATOR.id, "Aminah", username="kakros_van", language_code="ms")
    ms = i18n.MALAY
    first = texts(await harness.say(malay, "/start"))
    assert "Selamat datang! Mari sediakan perniagaan van anda: 9 langkah ringkas." in first
    no_english(first, "Welcome", "Your business name")
    saved = texts(await harness.say(malay, "Van Kak Ros"))
    assert "✅ Nama perniagaan: Van Kak Ros" in saved and "2/9" in saved
    skip = in_language(ms, lambda: words.SETUP_SKIP_BUTTON)
    done_routes = in_language(ms, lambda: words.SETUP_ROUTES_DONE_BUTTON)
    refused = ""
    for _ in range(8):
        last = harness.tg.last_to(malay.id)
        if "7/9" in last.seen and not refused:  # the due day: a refusal in Malay, then skip
            refused = texts(await harness.say(malay, "abc"))
        if any(done_routes in b.get("text", "") for b in last.buttons):
            break
        await harness.press_button(malay, last, skip)
    assert "Hantar hari tarikh akhir bayaran sebagai nombor bulat, contohnya 7." in refused
    await harness.press_button(malay, harness.tg.last_to(malay.id), done_routes)
    finish = in_language(ms, lambda: words.SETUP_FINISH_BUTTON)
    end = texts(await harness.press_button(malay, harness.tg.last_to(malay.id), finish))
    assert "🎉 Persediaan selesai." in end and "Masih perlu ditambah:" in end
    assert "tambah laluan dengan /newservice" in end
    no_english(end, "Set-up done", "Still to add", "add a route")
