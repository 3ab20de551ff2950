"""Domain errors: raised by services, turned into friendly text by the bot in one place."""


class VanBillError(Exception):
    """Base of every error whose message is fit to show the person who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
