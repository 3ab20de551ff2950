"""The catalogs: every message the code marks is translated in every language, with the same
placeholders and HTML tags as the original; and the check itself catches what it should."""

from __future__ import annotations

from babel.messages.catalog import Catalog

from vanbill.services import catalogs, i18n


def test_every_message_has_a_translation_with_the_same_placeholders_in_every_catalog() -> None:
    assert catalogs.problems() == []


def test_the_code_marks_messages_and_every_language_has_a_catalog() -> None:
    template = catalogs.extract()
    ids = {m.id for m in template if m.id}
    assert "This button is not for you." in ids
    assert len(ids) > 50
    for locale in i18n.LOCALES:
        assert i18n.catalog_path(locale).exists(), locale


def _pair(original: str | tuple[str, str], translated: str | tuple[str, ...]) -> list[str]:
    template, catalog = Catalog(), Catalog(locale="ms")
    template.add(original)
    catalog.add(original, translated)
    return catalogs.compare(template, catalog, "ms")


def test_a_translation_that_drops_renames_or_adds_a_placeholder_is_reported() -> None:
    assert _pair("Hello, {name}!", "Helo, {name}!") == []
    assert _pair("Hello, {name}!", "Helo!")
    assert _pair("Hello, {name}!", "Helo, {nama}!")
    assert _pair("Hello, {name}!", "Helo, {name} {extra}!")
    assert _pair("Hello, {name}!", "{name}, helo!") == []  # a translation may move it


def test_a_translation_that_loses_or_adds_markup_is_reported() -> None:
    assert _pair("Pay <b>{amount}</b>", "Bayar <b>{amount}</b>") == []
    assert _pair("Pay <b>{amount}</b>", "Bayar {amount}")
    assert _pair("Pay {amount}", "Bayar <i>{amount}</i>")


def test_a_missing_empty_or_fuzzy_translation_is_reported() -> None:
    template, catalog = Catalog(), Catalog(locale="zh_Hans")
    for text in ("One", "Two", "Three"):
        template.add(text)
    catalog.add("Two", "")
    catalog.add("Three", "三", flags=["fuzzy"])
    found = catalogs.compare(template, catalog, "zh_Hans")
    assert found == [
        "zh_Hans: no translation of 'One'",
        "zh_Hans: no translation of 'Two'",
        "zh_Hans: the translation of 'Three' is marked fuzzy",
    ]


def test_plural_forms_each_carry_the_placeholders_of_the_original() -> None:
    original = ("{count} child", "{count} children")
    assert _pair(original, ("{count} anak",)) == []
    assert _pair(original, ("anak",))
