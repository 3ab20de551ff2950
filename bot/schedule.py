"""The schedules: each operator's monthly run at their billing day and hour, and the daily
reminder pass at their reminder hour, both in the operator's own time zone.

A tick runs every minute (python-telegram-bot's JobQueue, on APScheduler). What is due is
decided from the database on every tick, never remembered in memory, so a bot that was down at
billing time catches up at its first tick, and nothing runs twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import Bot

from vanbill.services import digests, latefees, operators, reminders, runs
from vanbill.services.clock import Clock, local_now
from vanbill.services.db import Database, unreachable

log = logging.getLogger(__name__)

TICK = timedelta(minutes=1)


@dataclass
class TickReport:
    """What one tick did (for tests and logs)."""

    started: list[runs.StartedRun] = field(default_factory=list)
    reminders_queued: int = 0
    reported: list[runs.RunView] = field(default_factory=list)
    digests: int = 0
    late_fees: list[latefees.LateFeeAdded] = field(default_factory=list)


class Scheduler:
    """Starts due monthly runs, queues today's reminders, reports finished runs (all through
    the outbox)."""

    def __init__(self, bot: Bot, db: Database, clock: Clock, wake_outbox: Any = None) -> None:
        self.bot = bot
        self.db = db
        self.clock = clock
        self._wake = wake_outbox or (lambda: None)

    async def tick(self) -> TickReport:
        """Do whatever has come due since the last tick.

        What the operator is told (a preview to approve, a holiday, a run's report) is queued
        in the outbox by the service that decides it, in the same transaction.
        """
        report = TickReport()
        for operator_id, period in await runs.due_runs(self.db, self.clock):
            started = await runs.start_run(self.db, operator_id, period, self.clock)
            if started is not None:
                report.started.append(started)
        for operator in await operators.list_operators(self.db):
            if operator.late_fee_kind != latefees.NONE:
                # Before the reminders, so a reminder names the late fee it adds to.
                added = await latefees.add_late_fees(self.db, operator.id, self.clock)
                report.late_fees.extend(added)  # each told to the operator via the outbox
            hour = local_now(self.clock, operator.timezone).hour
            if operator.reminders_enabled and operator.reminder_hour <= hour < 21:
                report.reminders_queued += len(
                    await reminders.queue_reminders(self.db, operator.id, self.clock)
                )
            if digests.digest_due(operator.digest_hour, hour):
                # Once a day: the outbox's key is the local date, so every tick of the hour
                # after the first changes nothing.
                await digests.queue_digest(self.db, operator.id, self.clock)
                report.digests += 1
        # Mostly done already by the outbox sender as it caught up (report_finished_runs);
        # here for a run whose last delivery was parked or given up on, or a sender that died.
        report.reported = await runs.report_finished_runs(self.db, self.clock)
        if (
            report.started
            or report.reminders_queued
            or report.reported
            or report.digests
            or report.late_fees
        ):
            self._wake()
        return report

    async def job(self, _context: Any) -> None:
        """The JobQueue callback: one tick, never letting an error stop the schedule."""
        try:
            await self.tick()
        except Exception as exc:
            if not unreachable(exc):
                log.exception("a schedule tick failed; the next one tries again")
            else:  # what was due is still due at the next tick: nothing is missed
                log.warning("a schedule tick waits for the database: %s", str(exc)[:200])
