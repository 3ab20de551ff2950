"""Every error code raised in services/ has its words in bot/error_texts.py, with its parameters.

The services are read as source (their AST), so a code added without a message fails here, not
in front of a parent.
"""

from __future__ import annotations

import ast
import importlib
import re
import string
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from vanbill.bot import error_texts, texts
from vanbill.services import errors, i18n, operators
from vanbill.services.errors import Conflict, InvalidInput, NotFound, VanBillError
from vanbill.services.health import StartupError
from vanbill.services.views import AllocationView, PaymentView, method_label

SERVICES = Path(errors.__file__).parent
BOT = SERVICES.parent / "bot"
CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def _error_classes() -> set[str]:
    """Return the names of the error classes raised with a code (not the console's own)."""
    names = set()
    for path in SERVICES.glob("*.py"):
        module = importlib.import_module(f"vanbill.services.{path.stem}")
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, VanBillError)
                and value.__init__ is VanBillError.__init__
            ):
                names.add(name)
    return names


def _codes(node: ast.expr) -> list[str] | None:
    """Return the codes a raise's first argument may be: a literal, or literals in an if/else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _codes(node.body), _codes(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def _raised_in(folder: Path, classes: set[str]) -> list[tuple[str, str, set[str]]]:
    """Return (where, code, parameter names) for every error built with a literal code in the
    files of folder; in bot/, also the codes handed to parsing.number (`refusal=`) and the code
    constants (`STALE_BUTTON = "button.stale"`)."""
    found = []
    in_bot = folder == BOT
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(folder.parent)}:{getattr(node, 'lineno', 0)}"
            if in_bot and isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                names = {getattr(t, "id", "") for t in node.targets}
                if names & {"stale", "STALE_BUTTON", "EARLIER_STEP"}:
                    found.append((where, node.value.value, set()))
                continue
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            rebuilt = isinstance(func, ast.Call) and getattr(func.func, "id", None) == "type"
            refusal = [k for k in node.keywords if k.arg == "refusal"]
            if in_bot and refusal and isinstance(refusal[0].value, ast.Constant):
                params = {k.arg for k in node.keywords} - {"refusal", "low", "high"}
                found.append((where, refusal[0].value.value, params))
                continue
            if name not in classes and not rebuilt:
                continue
            codes = _codes(node.args[0]) if node.args else None
            if codes is None and in_bot:
                continue  # a code held in a name (parsing.STALE_BUTTON), or texts' own words
            assert codes is not None, f"{where}: an error's code must be a literal string"
            params = {keyword.arg for keyword in node.keywords}
            assert None not in params, f"{where}: name each parameter (no **kwargs)"
            found.extend((where, code, params) for code in codes)
    return found


def _raised() -> list[tuple[str, str, set[str]]]:
    classes = _error_classes()
    return _raised_in(SERVICES, classes) + _raised_in(BOT, classes | {"FileRefused"})


RAISED = _raised()


def _placeholders(message: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(message) if field}


def test_services_and_the_bot_raise_codes_not_sentences() -> None:
    assert len(RAISED) > 180
    wrong = [f"{where}: {code!r}" for where, code, _ in RAISED if not CODE.match(code)]
    assert not wrong, "raise a code such as 'family.not_found', not a sentence:\n" + "\n".join(
        wrong
    )


def test_every_code_has_a_message_with_its_parameters() -> None:
    problems = []
    for where, code, params in RAISED:
        message = error_texts.MESSAGES.get(code)
        if message is None:
            problems.append(f"{where}: {code} has no message in bot/error_texts.py")
        elif not _placeholders(message) <= params:
            missing = sorted(_placeholders(message) - params)
            problems.append(f"{where}: {code} is raised without {', '.join(missing)}")
    assert not problems, "\n".join(problems)


def test_every_message_is_used() -> None:
    used = {code for _, code, _ in RAISED} | {errors.CONSOLE}
    assert set(error_texts.MESSAGES) - used == set()


def _literal_args(function: str, position: int, keyword: str) -> list[tuple[str, str]]:
    found = []
    for path in [*SERVICES.glob("*.py"), *BOT.rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name != function:
                continue
            args = [k.value for k in node.keywords if k.arg == keyword] or node.args[position:][:1]
            for arg in args:
                if isinstance(arg, ast.Constant):
                    found.append((f"{path.name}:{node.lineno}", arg.value))
    return found


def test_every_field_named_has_words() -> None:
    named = (
        _literal_args("clean_text", 1, "what")
        + _literal_args("refuse_invisible", 2, "what")
        + _literal_args("whole_number", 1, "what")
    )
    assert named
    assert [(w, f) for w, f in named if f not in error_texts.FIELDS] == []
    assert set(operators.TEXT_FIELDS) <= set(error_texts.FIELDS)
    amounts = _literal_args("check_amount", 99, "what")
    assert amounts
    assert [(w, a) for w, a in amounts if a not in error_texts.AMOUNTS] == []


def test_parameters_are_shown_in_the_readers_words() -> None:
    too_much = InvalidInput("amount.too_large", amount_sen=100_000_01, limit_sen=100_000_00)
    assert error_texts.message(too_much) == (
        "RM 100,000.01 is more than the most I accept (RM 100,000.00); please check the amount."
    )
    empty = InvalidInput("text.empty", field="parent_name")
    assert error_texts.message(empty) == "The parent's name cannot be empty."
    negative = InvalidInput("amount.field_negative", amount_of="late_fee")
    assert error_texts.message(negative) == "The late fee cannot be negative."
    billed = Conflict("invoice.month_billed", month=date(2026, 3, 1))
    assert error_texts.message(billed).startswith(
        "This family already has its invoice for March 2026;"
    )
    inner = Conflict("route.inactive", name="Pagi")
    assert error_texts.message(Conflict("child.refused", name="Aisyah", reason=inner)) == (
        "Aisyah: The route 'Pagi' is no longer active."
    )
    with i18n.use(i18n.MALAY):
        assert "Mac 2026" in error_texts.message(billed)
        assert "RM 100,000.01" in error_texts.message(too_much)
    with i18n.use(i18n.CHINESE):
        assert "2026年3月" in error_texts.message(billed)


def test_a_text_bot_wrote_itself_is_shown_as_it_is() -> None:
    # texts' own constants (texts.FAMILY_EXPIRED), already in the reader's language
    shown = "That button has expired. Send /customer and the family's name again."
    assert error_texts.message(NotFound(shown)) == shown
    assert error_texts.message(StartupError("no DATABASE_URL")) == "no DATABASE_URL"


def test_a_row_reason_starts_with_a_capital_and_has_no_full_stop() -> None:
    assert error_texts.short(InvalidInput("import.fee", text="abc")) == (
        "The fee 'abc' is not an amount like 150 or 180.50"
    )


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_message_formats_in_every_language(locale: str) -> None:
    with i18n.use(locale):
        for code, message in error_texts.MESSAGES.items():
            params = dict.fromkeys(_placeholders(message), "x")
            shown = error_texts.message(VanBillError(code, **params))
            assert shown and "{" not in shown, code


def test_where_a_payment_went_is_said_in_the_readers_words() -> None:
    paid = PaymentView(
        id=1,
        customer_id=1,
        customer_name="Aminah",
        receipt_number="RCPT-2026-0001",
        amount_sen=25000,
        method="duitnow",
        paid_on=date(2026, 3, 2),
        reference="",
        voided=False,
        created_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        allocations=(AllocationView(1, "INV-2026-0001", 15000),),
    )
    assert texts.describe_allocation(paid) == "INV-2026-0001 RM 150.00, credit RM 100.00"
    assert paid.method_label == "DuitNow"
    with i18n.use(i18n.MALAY):
        assert method_label("cash") == "Tunai"
    assert method_label("barter") == "barter"


def test_why_a_family_was_not_billed_is_worded_by_the_bot() -> None:
    assert error_texts.skipped("zero_fees") == "nothing to bill (the fees are zero)"
    assert error_texts.skipped("its routes are no longer active") == (
        "its routes are no longer active"
    )  # a notice queued before the reasons were codes
