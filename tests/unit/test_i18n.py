"""Languages: Telegram's codes to ours, dates in each language, and one language per task."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from vanbill.bot import texts
from vanbill.services import i18n


@pytest.mark.parametrize(
    ("code", "locale"),
    [
        ("ms", "ms"),
        ("ms-MY", "ms"),
        ("id", "ms"),
        ("zh-hans", "zh_Hans"),
        ("zh-hant", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("ZH_CN", "zh_Hans"),
        ("en", "en"),
        ("ta", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_telegrams_language_code_gives_our_language(code: str | None, locale: str) -> None:
    assert i18n.from_telegram(code) == locale


def test_months_and_days_are_written_in_each_language() -> None:
    march, fifth = date(2026, 3, 1), date(2026, 3, 5)
    assert i18n.month_name(march, "en") == "March 2026"
    assert i18n.month_name(march, "ms") == "Mac 2026"
    assert i18n.month_name(march, "zh_Hans") == "2026年3月"
    assert i18n.month_name(date(2026, 1, 1), "ms") == "Januari 2026"
    assert i18n.day(fifth, "ms") == "5 Mac 2026"
    assert i18n.day(fifth, "zh_Hans") == "2026年3月5日"


def test_a_text_is_in_the_language_of_the_moment_and_english_outside() -> None:
    english = texts.NOT_YOUR_BUTTON
    with i18n.use("ms"):
        assert texts.NOT_YOUR_BUTTON == "Butang ini bukan untuk anda."
        with i18n.use("zh_Hans"):
            assert texts.NOT_YOUR_BUTTON == "这个按钮不是给您的。"
        assert i18n.current() == "ms"
    assert texts.NOT_YOUR_BUTTON == english == "This button is not for you."
    with i18n.use("xx"):  # unknown: English
        assert english == texts.NOT_YOUR_BUTTON


def test_the_confirmation_of_a_language_is_written_in_it() -> None:
    assert "Bahasa Melayu" in texts.language_set("ms")
    assert "中文" in texts.language_set("zh_Hans")
    assert "English" in texts.language_set("en")


def test_an_unknown_text_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        texts.NO_SUCH_TEXT  # noqa: B018


async def test_concurrent_tasks_each_keep_their_own_language() -> None:
    async def speak(locale: str) -> str:
        i18n.set_current(locale)
        await asyncio.sleep(0.01)  # the other task sets its language meanwhile
        return texts.CANCELLED

    malay, chinese = await asyncio.gather(speak("ms"), speak("zh_Hans"))
    assert malay.startswith("Dibatalkan")
    assert chinese.startswith("已取消")
    assert i18n.current() == "en"
