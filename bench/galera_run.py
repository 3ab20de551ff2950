"""A whole month across a Galera cluster: two webhook bot instances and a `vanbill send`, each
connected to its own node, share one operator's monthly run (--families) and other operators'
reminders, through a loopback fake Bot API that takes 30 messages a second (429 beyond).

    python bench/galera.py start
    python -m bench.galera_run --families 1000            # then the same with node 2 killed
    python -m bench.galera_run --families 1000 --no-kill  # only the run without a kill
    python -m bench.galera_run --single 127.0.0.1:3306    # the same on one server, to compare

Prints, for each run: duplicates (target 0), losses (target 0), retries taken (the processes'
"transaction aborted" log lines), the whole run (from the run's start in the database to the last
message's arrival) against Telegram's floor N/30 s (target <= 1.15 x), 429s and the most sends in
any second. The killed run SIGKILLs node 2 (bot B's) when half of the invoices have arrived and
starts it again afterwards; its duplicates are the sends in flight at the kill.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import galera
from tests.bot.fake_telegram import FakeTelegram
from tests.cluster.conftest import causal
from tests.cluster.fleet import (
    Fleet,
    Tally,
    build_world,
    run_figures,
    tally,
    wait_until_delivered,
)
from tests.mysql import ScratchMySQL
from vanbill.services.db import Database

TELEGRAM_RATE = 30


def cpu_of(pid: int) -> tuple[int, float]:
    """Return a live process's group and the CPU seconds (user + system) it has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[2]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(fleet: Fleet) -> dict[str, float]:
    """Return CPU seconds used so far: each fleet process, its PDF workers, the Galera nodes,
    and this process (the fake Bot API and the checks)."""
    groups = {m.process.pid: m.name for m in fleet.members if m.process is not None}
    used: dict[str, float] = {"bench + fake Bot API": time.process_time()}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            group, seconds = cpu_of(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
        if group in groups:
            who = groups[group] if int(entry.name) == group else "PDF workers"
            used[who] = used.get(who, 0.0) + seconds
    for pid, who in database_servers():
        # Per server: a node killed meanwhile is left out of the difference (see spent()).
        used[f"{who} {pid}"] = cpu_of(pid)[1]
    return used


def spent(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    """Return the CPU used between two snapshots by kind (servers summed over those in both)."""
    used: dict[str, float] = {}
    for key, seconds in after.items():
        server = key.rsplit(" ", 1)[0] if key.rsplit(" ", 1)[-1].isdigit() else None
        if server is not None and key not in before:
            continue  # a node started again after the kill: none of its CPU is in `before`
        who = server or key
        used[who] = used.get(who, 0.0) + seconds - before.get(key, 0.0)
    return used


def database_servers() -> list[tuple[int, str]]:
    """Return the pids of the MariaDB servers here: the Galera nodes and any other."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "mariadbd":
                line = (entry / "cmdline").read_bytes()
                who = "Galera nodes" if b"--wsrep-on=ON" in line else "MariaDB (one server)"
                found.append((int(entry.name), who))
        except OSError:
            continue
    return found


async def one_run(
    nodes: list[str],
    families: int,
    reminder_ops: int,
    reminder_families: int,
    kill: int | None,
    keep_logs: str | None = None,
) -> None:
    """Set up a fresh database on the cluster, run the fleet, print the figures."""
    scratch = ScratchMySQL(f"mysql+aiomysql://root@{nodes[0]}/", prefix="vanbill_galera_run")
    checker = causal(Database(f"mysql+aiomysql://root@{nodes[0]}/{scratch.name}", pool_size=2))
    killed: dict[str, float] = {}
    try:
        world = await build_world(
            checker,
            families=families,
            reminder_operators=reminder_ops,
            reminder_families=reminder_families,
        )

        sending: dict[str, dict[str, float]] = {}

        async def kill_half_way(counts: Tally) -> None:
            if counts.arrivals and not sending:
                sending["cpu"] = cpu_snapshot(fleet)  # the first message has arrived
            if kill is not None and not killed and sum(counts.invoices) >= families // 2:
                galera.kill(galera.DEFAULT_DIR, kill)
                killed["at"] = time.monotonic()

        with tempfile.TemporaryDirectory(prefix="vanbill-galera-run-") as scratch_logs:
            logs = keep_logs or scratch_logs
            async with FakeTelegram(max_per_second=TELEGRAM_RATE) as tg:
                fleet = Fleet(nodes, scratch.name, tg, Path(logs))
                cpu_before = cpu_snapshot(fleet)
                started = time.monotonic()
                await fleet.start()
                try:
                    last = await wait_until_delivered(
                        checker, tg, fleet, world, timeout=900, on_progress=kill_half_way
                    )
                    cpu_after = cpu_snapshot(fleet)
                    await asyncio.sleep(3.0)  # a copy sent twice would have arrived by now
                    counts = tally(tg, world)
                finally:
                    await fleet.stop()
                retries = {m.name: m.retries() for m in fleet.members}
                moved = {m.name: m.moved() for m in fleet.members}
                figures = await run_figures(checker, world)
                # The run started in the database (a bot's schedule tick); on the monotonic
                # clock, by the wall-clock time elapsed since.
                run_started = figures["run_started"]
                assert isinstance(run_started, datetime)
                since = (datetime.now(UTC) - run_started.replace(tzinfo=UTC)).total_seconds()
                run_began = time.monotonic() - since
        messages = len(world.invoice_chats) + len(world.reminder_chats)
        floor = messages / TELEGRAM_RATE
        whole = last - run_began
        title = f"node {kill} SIGKILLed at half-way" if kill is not None else "no node killed"
        if len(nodes) == 1:
            title = f"one server ({nodes[0]}), no cluster"
        print(f"--- {title}")
        print(
            f"families                 {families} invoices + {len(world.reminder_chats)} "
            f"reminders ({reminder_ops} operators) = {messages} messages to parents"
        )
        print(f"processes                bot-a, bot-b (webhook), sender on {', '.join(nodes)}")
        print(f"runs in the database     {figures['runs']}")
        print(f"reminder stages recorded {figures['reminder_stages']}")
        print(f"duplicates               {counts.duplicates}  (target 0)")
        print(f"losses                   {counts.losses}  (target 0)")
        print(f"retries taken            {sum(retries.values())}  {retries}")
        if kill is not None:
            print(f"moved to another node    {moved}")
            print(f"killed at                {killed['at'] - run_began:.2f} s into the run")
        print(f"processes started to run {run_began - started:.2f} s (start-up, first tick)")
        first = min(counts.arrivals) - run_began if counts.arrivals else 0.0
        print(f"first message            {first:.2f} s after the run started (generation)")
        print(f"whole run                {whole:.2f} s")
        print(f"Telegram floor N/30      {floor:.2f} s")
        print(f"whole / floor            {whole / floor:.3f}  (target <= 1.15)")
        print(f"429s received            {counts.too_many}  (target 0)")
        print(f"budget turns asked for   {figures['budget_asks']} (for {messages} messages)")
        print(f"most sends in any second {counts.most_in_a_second}  (limit {TELEGRAM_RATE})")
        print(f"deliveries               {figures['deliveries']}; errors {len(figures['errors'])}")
        span = last - min(counts.arrivals)
        cores = os.cpu_count() or 1
        while_sending = spent(cpu_after, sending["cpu"])
        total = sum(while_sending.values())
        print(
            f"CPU while sending        {total:.1f} s over {span:.2f} s, first to last message: "
            f"{total / span:.2f} of {cores} cores busy (a node killed: its CPU left out)"
        )
        for who, seconds in sorted(while_sending.items()):
            print(f"  {who:<22} {seconds:6.1f} s ({seconds / span:.2f} cores)")
        pdf_cpu = while_sending.get("PDF workers", 0.0)
        # Reminders resend the invoice's file by its Telegram id: one PDF per family.
        print(
            f"  PDF CPU per invoice    {pdf_cpu / families * 1000:.0f} ms; all the PDFs on "
            f"{cores} cores alone: {pdf_cpu / cores / floor:.2f} x the floor"
        )
        before = spent(sending["cpu"], cpu_before)
        print(
            "  before the first send: "
            + ", ".join(f"{who} {seconds:.1f} s" for who, seconds in sorted(before.items()))
        )
        buckets = [0] * (int(span // 5) + 1)
        for at in counts.arrivals:
            buckets[min(int((at - min(counts.arrivals)) // 5), len(buckets) - 1)] += 1
        print(f"messages per second, by 5 s: {' '.join(f'{b / 5:.1f}' for b in buckets)}")
        print(f"load average             {os.getloadavg()[0]:.2f}")
    finally:
        await checker.dispose()
        if killed:
            await asyncio.to_thread(galera.rejoin, galera.DEFAULT_DIR, kill)
        scratch.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=1000)
    parser.add_argument("--reminder-operators", type=int, default=3)
    parser.add_argument("--reminder-families", type=int, default=20)
    parser.add_argument("--kill-node", type=int, default=2, help="the node killed at half-way")
    parser.add_argument("--no-kill", action="store_true", help="only the run without a kill")
    parser.add_argument("--only-kill", action="store_true", help="only the run with a kill")
    parser.add_argument("--logs", help="keep the processes' logs in this directory")
    parser.add_argument(
        "--single",
        metavar="HOST:PORT",
        help="for comparison: every process on this one MariaDB server (no cluster, no kill)",
    )
    args = parser.parse_args()
    if args.single:
        asyncio.run(
            one_run(
                [args.single],
                args.families,
                args.reminder_operators,
                args.reminder_families,
                None,
                args.logs,
            )
        )
        return
    nodes = [f"127.0.0.1:{galera.client_port(n)}" for n in galera.NODES]
    if galera.status(galera.DEFAULT_DIR) != len(galera.NODES):
        raise SystemExit("the cluster is not all Synced: python bench/galera.py start")
    plans = [] if args.only_kill else [None]
    if not args.no_kill:
        plans.append(args.kill_node)
    for kill in plans:
        asyncio.run(
            one_run(
                nodes,
                args.families,
                args.reminder_operators,
                args.reminder_families,
                kill,
                args.logs and f"{args.logs}/{'kill' if kill else 'as-is'}",
            )
        )


if __name__ == "__main__":
    main()
