"""Languages in the chat: a person is answered in the language their Telegram reports until they
choose one with /language; the choice governs their replies and their command menu. Every
expected text comes from the catalogs (texts in the language), never from English in the test."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.bot.conftest import OPERATOR, PARENT, BotHarness, add_family
from tests.bot.fake_telegram import TgUser
from vanbill.bot import texts
from vanbill.services import i18n, languages, links, operators
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
