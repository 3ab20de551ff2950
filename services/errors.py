"""Domain errors: raised by services with a code and parameters, worded by the bot in one place.

A service never writes the sentence a person reads: it raises

    raise InvalidInput("amount.too_large", amount_sen=sen, limit_sen=MAX_AMOUNT_SEN)

and bot/error_texts.py holds the message of every code, in the reader's language. A parameter's
name says how it is shown: `*_sen` is money (RM 1,234.50), a `month` date is a month's name, any
other date a day; everything else is shown as it is (and escaped). A code is lower-case words
joined by dots, area first (`family.not_found`); tests/unit/test_error_texts.py checks that every
code raised in services/ has a message and that each message's placeholders are given.
"""

from __future__ import annotations


class VanBillError(Exception):
    """Base of every error fit to tell the person who caused it (as its code's message)."""

    def __init__(self, code: str, /, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        if not self.params:
            return self.code
        shown = ", ".join(f"{key}={value!r}" for key, value in self.params.items())
        return f"{self.code} ({shown})"


class InvalidInput(VanBillError):
    """The input was understood but is not acceptable (negative amount, bad month...)."""


class NotFound(VanBillError):
    """The thing asked for does not exist for this operator (or belongs to someone else)."""


class Conflict(VanBillError):
    """The request clashes with what is already recorded (duplicate name, void invoice...)."""


class PermissionDenied(VanBillError):
    """The sender may not do this."""


class TooLate(Conflict):
    """A correction's window has closed (an Undo button after its ten minutes)."""


# The code of an error read on the command line (StartupError, SchemaError): its `text`, as is.
CONSOLE = "console"
