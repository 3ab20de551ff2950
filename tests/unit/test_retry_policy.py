"""Which database errors mean "run the whole transaction again", and how long to wait."""

from __future__ import annotations

import random

import pymysql
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from vanbill.services.db import RetryPolicy, retryable


def mysql_error(code: int, statement: str | None = "UPDATE customers SET notes = %s") -> Exception:
    """Return the error SQLAlchemy raises for MySQL error `code` during `statement`."""
    return OperationalError(statement, {}, pymysql.err.OperationalError(code, "…"))


@pytest.mark.parametrize("code", [1213, 1205, 1047])
def test_an_aborted_transaction_is_retried_wherever_it_failed(code: int) -> None:
    assert retryable(mysql_error(code))
    assert retryable(mysql_error(code, statement=None))  # at COMMIT: Galera's certification


def test_a_connection_lost_during_a_statement_is_retried() -> None:
    assert retryable(mysql_error(2013))
    assert retryable(mysql_error(2006))


def test_a_connection_lost_with_no_statement_is_not_retried_it_may_have_been_the_commit() -> None:
    assert not retryable(mysql_error(2013, statement=None))


def test_a_server_that_cannot_be_reached_is_retried_nothing_was_sent() -> None:
    assert retryable(mysql_error(2003, statement=None))


def test_other_errors_are_not_retried() -> None:
    duplicate = IntegrityError("INSERT", {}, pymysql.err.IntegrityError(1062, "Duplicate"))
    assert not retryable(duplicate)
    assert not retryable(mysql_error(1146))  # no such table
    assert not retryable(ValueError("1213"))
    assert not retryable(OperationalError("SELECT 1", {}, Exception("database is locked")))


def test_an_error_a_use_case_gave_up_on_is_not_retried_again_by_its_caller() -> None:
    error = mysql_error(1213)
    error.vanbill_gave_up = True  # type: ignore[attr-defined]
    assert not retryable(error)


def test_pauses_are_jittered_and_bounded_by_the_doubling_ceiling() -> None:
    policy = RetryPolicy(attempts=6, base_delay=0.02, max_delay=0.1)
    rng = random.Random(7)
    for attempt, ceiling in [(1, 0.02), (2, 0.04), (3, 0.08), (4, 0.1), (5, 0.1)]:
        pauses = [policy.delay(attempt, rng) for _ in range(200)]
        assert all(0 <= p <= ceiling for p in pauses)
        assert len(set(pauses)) > 150  # jittered: racers do not wake in step
        assert max(pauses) > ceiling * 0.8
