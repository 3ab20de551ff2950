"""Keep the gettext catalogs in step with the code (Babel): extract, update, compile, check.

    python -m vanbill.services.catalogs update   # extract the words, merge them into each .po
                                                 # (English filled from the source), compile .mo
    python -m vanbill.services.catalogs check    # list what a catalog lacks; exit 1 if anything
    python -m vanbill.services.catalogs missing  # what lacks a translation, as JSON to fill in
    python -m vanbill.services.catalogs fill F   # take translations from a JSON file like that

`bash .ci/dev catalogs` runs `update`. A test runs the check: a message without a translation in
any catalog, a fuzzy one, or a translation whose placeholders or HTML tags differ from the
original fails it.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from vanbill.services import i18n

ROOT = Path(__file__).resolve().parent.parent
METHODS = [
    ("bot/**.py", "python"),
    ("services/**.py", "python"),
    # The documents: {{ _("Due date") }} in templates/*.html (Jinja2's own Babel extractor).
    ("templates/**.html", "jinja2.ext:babel_extract"),
]
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(?:[!:][^}]*)?\}")
TAG = re.compile(r"</?[a-z]+[^>]*>")
WIDTH = 99
CREATED = datetime(2026, 12, 1, tzinfo=UTC)  # fixed, so an update changes only the messages
HEADER = "# VanBill's words. Kept in step with the code by `bash .ci/dev catalogs`."


def extract(root: Path = ROOT) -> Catalog:
    """Return every message the code marks for translation, as a template catalog."""
    template = Catalog(
        project="VanBill",
        domain=i18n.DOMAIN,
        fuzzy=False,
        creation_date=CREATED,
        copyright_holder="VanBill",
        msgid_bugs_address="",
        header_comment=HEADER,
    )
    found = extract_from_dir(str(root), METHODS, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",))
    for _filename, _lineno, message, comments, context in found:
        template.add(message, None, auto_comments=comments, context=context)
    return template


def _read(locale: str) -> Catalog:
    path = i18n.catalog_path(locale)
    if not path.exists():
        return Catalog(locale=locale, domain=i18n.DOMAIN, project="VanBill", fuzzy=False)
    with path.open("rb") as file:
        return read_po(file, locale=locale, domain=i18n.DOMAIN)


def _write(catalog: Catalog, locale: str) -> None:
    path = i18n.catalog_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_po(
            file,
            catalog,
            width=WIDTH,
            no_location=True,
            omit_header=False,
            sort_output=True,
            ignore_obsolete=True,
        )


def _fill_from_source(message: Message) -> None:
    """English is the source language: its translation is the message itself."""
    if isinstance(message.id, tuple | list):
        if not any(message.string):
            message.string = tuple(message.id)
    elif not message.string:
        message.string = message.id


def update(root: Path = ROOT) -> list[Path]:
    """Merge the code's messages into every catalog and compile them; return the .po files."""
    template = extract(root)
    written = []
    for locale in i18n.LOCALES:
        catalog = _read(locale)
        # A copy: Catalog.update adopts the template's messages, and English fills them in.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        catalog.fuzzy = False
        catalog.header_comment = HEADER
        catalog.revision_date = CREATED
        catalog.last_translator = "VanBill"
        catalog.language_team = i18n.NATIVE_NAMES[locale]
        if locale == i18n.ENGLISH:
            for message in catalog:
                if message.id:
                    _fill_from_source(message)
        _write(catalog, locale)
        compile_catalog(locale)
        written.append(i18n.catalog_path(locale))
    return written


def compile_catalog(locale: str) -> Path:
    """Compile one catalog's .po into the .mo the bot loads."""
    catalog = _read(locale)
    mo = i18n.catalog_path(locale).with_suffix(".mo")
    with mo.open("wb") as file:
        write_mo(file, catalog, use_fuzzy=False)
    return mo


def _texts(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _shape(text: str) -> tuple[list[str], list[str]]:
    """Return a message's placeholders (as a sorted list) and HTML tags (in order)."""
    return sorted(set(PLACEHOLDER.findall(text))), TAG.findall(text)


def problems(root: Path = ROOT) -> list[str]:
    """Return what the catalogs lack or get wrong, one line each (empty: all is well)."""
    template = extract(root)
    return [line for locale in i18n.LOCALES for line in compare(template, _read(locale), locale)]


def compare(template: Catalog, catalog: Catalog, locale: str) -> list[str]:
    """Return what one catalog lacks of the template or translates with other placeholders."""
    found = []
    for wanted in template:
        if not wanted.id:
            continue
        message = catalog.get(wanted.id, wanted.context)
        name = _texts(wanted.id)[0][:60]
        if message is None or not all(_texts(message.string or "")):
            found.append(f"{locale}: no translation of {name!r}")
            continue
        if message.fuzzy:
            found.append(f"{locale}: the translation of {name!r} is marked fuzzy")
        # Each form of a translation carries the placeholders and tags of a form of the original.
        shapes = [_shape(text) for text in _texts(wanted.id)]
        for translated in _texts(message.string):
            if _shape(translated) not in shapes:
                found.append(
                    f"{locale}: the translation of {name!r} has placeholders and tags "
                    f"{_shape(translated)}, the original {shapes[0]}"
                )
    return found


def missing(root: Path = ROOT) -> dict[str, dict[str, Any]]:
    """Return {locale: {msgid: ""}} for each message a catalog lacks (plurals: a list of forms)."""
    template = extract(root)
    found: dict[str, dict[str, Any]] = {}
    for locale in i18n.LOCALES:
        catalog = _read(locale)
        for wanted in template:
            if not wanted.id:
                continue
            message = catalog.get(wanted.id, wanted.context)
            if message is None or not all(_texts(message.string or "")):
                forms = catalog.num_plurals if isinstance(wanted.id, tuple | list) else 0
                key = _texts(wanted.id)[0]
                found.setdefault(locale, {})[key] = [""] * forms if forms else ""
    return found


def fill(translations: dict[str, dict[str, Any]]) -> int:
    """Write translations {locale: {msgid: text or [forms]}} into the catalogs; return how many.

    A msgid the code no longer has is ignored; run `update` first so every message is there.
    """
    count = 0
    for locale, entries in translations.items():
        catalog = _read(locale)
        by_id = {_texts(m.id)[0]: m for m in catalog if m.id}
        for msgid, text in entries.items():
            message = by_id.get(msgid)
            if message is None or not text or (isinstance(text, list) and not all(text)):
                continue
            message.string = tuple(text) if isinstance(message.id, tuple | list) else str(text)
            message.flags.discard("fuzzy")
            count += 1
        _write(catalog, locale)
        compile_catalog(locale)
    return count


def main(argv: list[str] | None = None) -> int:
    """Run `update`, `check`, `missing` or `fill FILE`."""
    args = argv if argv is not None else sys.argv[1:] or ["check"]
    verb = args[0]
    if verb == "missing":
        print(json.dumps(missing(), ensure_ascii=False, indent=1))
        return 0
    if verb == "fill" and len(args) == 2:
        filled = fill(json.loads(Path(args[1]).read_text(encoding="utf-8")))
        print(f"filled {filled} translation(s)")
        return 0
    if verb == "update":
        for path in update():
            print(f"updated {path.relative_to(ROOT)}")
        return 0
    if verb == "check":
        found = problems()
        for line in found:
            print(line)
        print("catalogs complete" if not found else f"{len(found)} problem(s)")
        return 1 if found else 0
    print(
        "usage: python -m vanbill.services.catalogs update|check|missing|fill FILE",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
