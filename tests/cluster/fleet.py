"""VanBill's processes spread over a Galera cluster: two bot instances in webhook mode and one
`vanbill send`, each connected to a different node, sharing one operator's monthly run and other
operators' reminders, all sending to one loopback fake Bot API.

Used by tests/cluster/test_fleet.py (small, with assertions) and bench/galera_run.py (1,000
families, with figures). Every process runs on the real clock: the operators' time zone is chosen
so that it is midday where they are (an `Etc/GMT±N` zone), so the billing hour has come, the
reminder hour too, and quiet hours (21:00-08:00) are hours away.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from tests.bot.fake_telegram import FakeTelegram
from vanbill.services import delivery, invoices, operators, routes
from vanbill.services.billing import NewLine
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.models import (
    Child,
    Customer,
    Delivery,
    Enrollment,
    MonthlyRun,
    ReminderLog,
    SendBudget,
)

FIRST_OPERATOR = 910_000  # operators' Telegram ids: 910000 (the monthly run), 910001, ...
INVOICE_CHATS = 20_000_000  # the monthly run's families: chats 20000000 + i
REMINDER_CHATS = 30_000_000  # the reminder operators' families: 30000000 + 1000 k + i
RETRY_LINE = re.compile(r"transaction aborted \((\d+)\)")
MOVED_LINE = "database connections now go to"


def midday_zone(now: datetime) -> ZoneInfo:
    """Return an Etc/GMT zone where it is between 12:00 and 13:00 at `now`."""
    offset = 12 - now.astimezone(UTC).hour  # -11 .. +12 hours from UTC
    # Etc/GMT zones have the POSIX sign: Etc/GMT-3 is three hours ahead of UTC.
    name = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"
    return ZoneInfo(name)


@dataclass
class World:
    """Who is in the database: the run's families and the reminders' families, by chat."""

    zone: str
    period: date
    run_operator: int
    reminder_operators: list[int]
    invoice_chats: list[int]
    reminder_chats: list[int]
    operator_chats: list[int]


async def bulk_families(
    db: Database,
    operator_id: int,
    first_chat: int,
    count: int,
    route_id: int | None,
    start_month: date,
    now: datetime,
) -> list[int]:
    """Insert count linked one-child families (enrolled on route_id when given); return ids."""
    async with db.sessions.begin() as session:
        await session.execute(
            insert(Customer),
            [
                {
                    "operator_id": operator_id,
                    "name": f"Parent {first_chat + i}",
                    "telegram_user_id": first_chat + i,
                    "telegram_chat_id": first_chat + i,
                    "created_at": now,
                }
                for i in range(count)
            ],
        )
        ids = list(
            (
                await session.execute(
                    select(Customer.id)
                    .where(Customer.operator_id == operator_id)
                    .order_by(Customer.id)
                )
            )
            .scalars()
            .all()
        )
        await session.execute(
            insert(Child),
            [
                {
                    "operator_id": operator_id,
                    "customer_id": cid,
                    "name": f"Kid {cid}",
                    "created_at": now,
                }
                for cid in ids
            ],
        )
        if route_id is not None:
            children = (
                (await session.execute(select(Child.id).where(Child.operator_id == operator_id)))
                .scalars()
                .all()
            )
            await session.execute(
                insert(Enrollment),
                [
                    {
                        "operator_id": operator_id,
                        "child_id": child_id,
                        "service_id": route_id,
                        "start_month": start_month,
                        "created_at": now,
                    }
                    for child_id in children
                ],
            )
    return ids


async def _operator(
    db: Database, telegram_id: int, name: str, zone: str, clock: FixedClock
) -> int:
    op = await operators.ensure_operator(db, telegram_id, clock, timezone=zone)
    await operators.update_profile(
        db,
        op.id,
        business_name=name,
        bank_name="Maybank",
        bank_account="5140 1234 5678",
        billing_day=1,
        billing_hour=0,
        reminder_hour=8,
    )
    return op.id


async def build_world(
    db: Database, *, families: int, reminder_operators: int, reminder_families: int
) -> World:
    """One operator whose month is due now with `families` linked families on a route, and
    `reminder_operators` more, each with `reminder_families` families owing one invoice three
    days past due (one reminder each today) and nothing to bill this month."""
    now = datetime.now(UTC).replace(microsecond=0)
    zone = midday_zone(now)
    clock = FixedClock(now)
    today = now.astimezone(zone).date()
    period = today.replace(day=1)
    run_op = await _operator(db, FIRST_OPERATOR, "Van Kak Ros", zone.key, clock)
    route = await routes.add_service(db, run_op, clock, name="Pagi", monthly_fee_sen=15000)
    await bulk_families(db, run_op, INVOICE_CHATS, families, route.id, period, now)
    reminder_ops, reminder_chats = [], []
    for k in range(1, reminder_operators + 1):
        op_id = await _operator(db, FIRST_OPERATOR + k, f"Van {k}", zone.key, clock)
        first = REMINDER_CHATS + 1000 * k
        ids = await bulk_families(db, op_id, first, reminder_families, None, period, now)
        for customer_id in ids:
            await invoices.create_invoice(
                db,
                op_id,
                customer_id,
                clock,
                [NewLine(description="Yuran van", quantity=1, unit_price_sen=12_345)],
                issue_date=today - timedelta(days=10),
                due_date=today - timedelta(days=3),
            )
        reminder_ops.append(op_id)
        reminder_chats.extend(range(first, first + reminder_families))
    return World(
        zone=zone.key,
        period=period,
        run_operator=run_op,
        reminder_operators=reminder_ops,
        invoice_chats=list(range(INVOICE_CHATS, INVOICE_CHATS + families)),
        reminder_chats=reminder_chats,
        operator_chats=[FIRST_OPERATOR + k for k in range(reminder_operators + 1)],
    )


def free_port() -> int:
    """Return a loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Member:
    """One process of the fleet: what it is, the node it prefers, its log."""

    name: str
    url: str
    log: Path
    process: asyncio.subprocess.Process | None = None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def retries(self) -> int:
        """Return the transactions this process ran again (its log's 'transaction aborted')."""
        return len(RETRY_LINE.findall(self.text()))

    def moved(self) -> int:
        """Return how often its connections moved to another node."""
        return self.text().count(MOVED_LINE)


@dataclass
class Fleet:
    """Two webhook bot instances and a sender, each preferring its own node of the cluster."""

    nodes: list[str]  # host:port of every node, in order
    database: str
    tg: FakeTelegram
    logs: Path
    members: list[Member] = field(default_factory=list)

    def url_from(self, first: int) -> str:
        """Return a DATABASE_URL naming every node, node `first` first (its preferred one)."""
        order = self.nodes[first:] + self.nodes[:first]
        return f"mysql+aiomysql://root@{','.join(order)}/{self.database}"

    def _env(self, url: str) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": self.tg.token,
            "TELEGRAM_API_URL": self.tg.api_url,
            "VANBILL_ADMIN_IDS": str(FIRST_OPERATOR),
            "LOG_LEVEL": "INFO",
        }

    async def _spawn(self, name: str, node: int, args: list[str]) -> Member:
        member = Member(name, self.url_from(node), self.logs / f"{name}.log")
        # Output to a file: the PDF workers inherit it, and a pipe would outlive a killed group.
        member.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "vanbill.bot",
            *args,
            env=self._env(member.url),
            stdout=member.log.open("ab"),
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self.members.append(member)
        return member

    async def start(self) -> None:
        """Start bot A on node 1, bot B on node 2 (both webhook), the sender on node 3."""
        self.logs.mkdir(parents=True, exist_ok=True)
        for n, name in enumerate(("bot-a", "bot-b")):
            port = free_port()
            await self._spawn(
                name,
                n % len(self.nodes),
                [
                    "run",
                    "--webhook",
                    "--webhook-url",
                    f"https://vanbill.example/{name}",
                    "--listen",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
            )
        await self._spawn("sender", 2 % len(self.nodes), ["send"])

    async def stop(self) -> None:
        """SIGTERM every process group, then SIGKILL what is left after 20 s."""
        for member in self.members:
            if member.process is not None and member.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(member.process.pid, signal.SIGTERM)
        for member in self.members:
            if member.process is None:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(member.process.wait(), timeout=20)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(member.process.pid, signal.SIGKILL)
            await member.process.wait()

    def died(self) -> list[str]:
        """Return the members that exited while they should be running, with their log's end."""
        return [
            f"{m.name} exited {m.process.returncode}: {m.text()[-2000:]}"
            for m in self.members
            if m.process is not None and m.process.returncode is not None
        ]

    def retries(self) -> int:
        return sum(m.retries() for m in self.members)


@dataclass
class Tally:
    """What the fake Bot API received, per family."""

    invoices: list[int]  # documents each run family received
    reminders: list[int]  # messages each reminder family received
    operator_messages: dict[int, int]
    arrivals: list[float]
    too_many: int

    @property
    def duplicates(self) -> int:
        return sum(max(n - 1, 0) for n in self.invoices + self.reminders)

    @property
    def losses(self) -> int:
        return sum(1 for n in self.invoices + self.reminders if n == 0)

    @property
    def most_in_a_second(self) -> int:
        times = sorted(self.arrivals)
        most, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most


def tally(tg: FakeTelegram, world: World) -> Tally:
    """Count what every family and operator received so far."""
    per_chat: dict[int, int] = {}
    for call in tg.calls:
        if call.ok and call.method in ("sendDocument", "sendMessage") and call.chat_id is not None:
            per_chat[call.chat_id] = per_chat.get(call.chat_id, 0) + 1
    return Tally(
        invoices=[per_chat.get(c, 0) for c in world.invoice_chats],
        reminders=[per_chat.get(c, 0) for c in world.reminder_chats],
        operator_messages={c: per_chat.get(c, 0) for c in world.operator_chats},
        arrivals=list(tg.send_arrivals),
        too_many=tg.too_many_requests,
    )


async def run_figures(db: Database, world: World) -> dict[str, object]:
    """Return what the database says of the run: runs started, invoices, reminder stages."""
    async with db.sessions() as session:
        runs = (
            await session.execute(
                select(MonthlyRun.status, MonthlyRun.created_count, MonthlyRun.started_at).where(
                    MonthlyRun.operator_id == world.run_operator,
                    MonthlyRun.period == world.period,
                )
            )
        ).all()
        reminders = (
            await session.execute(select(func.count()).select_from(ReminderLog))
        ).scalar_one()
        states = dict(
            (
                await session.execute(
                    select(Delivery.status, func.count()).group_by(Delivery.status)
                )
            ).all()
        )
        errors = (
            (await session.execute(select(Delivery.last_error).where(Delivery.last_error != "")))
            .scalars()
            .all()
        )
        # Every time a sender asked the shared budget for a turn (services/budget.py).
        budget_asks = (
            await session.execute(select(func.coalesce(func.sum(SendBudget.turns), 0)))
        ).scalar_one()
    return {
        "runs": [(r[0], r[1]) for r in runs],
        "run_started": runs[0][2] if runs else None,
        "reminder_stages": int(reminders),
        "deliveries": states,
        "errors": list(errors),
        "budget_asks": int(budget_asks),
    }


async def wait_until_delivered(
    db: Database,
    tg: FakeTelegram,
    fleet: Fleet,
    world: World,
    *,
    timeout: float,  # noqa: ASYNC109 - the caller's deadline
    on_progress=None,  # type: ignore[no-untyped-def]
) -> float:
    """Wait until every family has its message and the outbox is empty; return when the last
    message arrived (time.monotonic). `on_progress(tally)` is awaited every 0.1 s."""
    deadline = time.monotonic() + timeout
    while True:
        counts = tally(tg, world)
        if on_progress is not None:
            await on_progress(counts)
        if counts.losses == 0 and await delivery.pending_count(db) == 0:
            return max(counts.arrivals, default=time.monotonic())
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{counts.losses} families still waiting after {timeout:.0f} s; "
                f"{fleet.died() or 'every process still running'}"
            )
        if fleet.died():
            raise RuntimeError("; ".join(fleet.died()))
        await asyncio.sleep(0.1)
