"""The `vanbill` command line: initdb, run, demo, generate, remind."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from services.config import Settings
from services.db import Database
from services.models import Base

log = logging.getLogger("vanbill")


async def _initdb(settings: Settings) -> int:
    db = Database(settings.database_url)
    try:
        report = await db.initdb()
    finally:
        await db.dispose()
    print(report.describe())
    return 0


async def _missing_tables(settings: Settings) -> list[str]:
    db = Database(settings.database_url)
    try:
        present = set(await db.table_names())
    finally:
        await db.dispose()
    return sorted(set(Base.metadata.tables) - present)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.telegram_bot_token:
        print(
            "vanbill: TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather and put it in "
            "the environment or in .env (TELEGRAM_BOT_TOKEN=123456:ABC...).",
            file=sys.stderr,
        )
        return 2
    if args.webhook and not args.webhook_url:
        print("vanbill: --webhook needs --webhook-url https://your.host/path", file=sys.stderr)
        return 2
    missing = asyncio.run(_missing_tables(settings))
    if missing:
        print(
            f"vanbill: the database lacks {len(missing)} table(s) ({', '.join(missing[:5])}...); "
            "run `vanbill initdb` first.",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per long poll otherwise
    # Imported here so `vanbill initdb` works without loading python-telegram-bot.
    from telegram import Update

    from bot.app import build_application

    application = build_application(settings)
    if not args.webhook:
        log.info("polling Telegram at %s", settings.telegram_api_url)
        application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
        return 0
    if importlib.util.find_spec("tornado") is None:
        print(
            "vanbill: webhook mode needs python-telegram-bot[webhooks] (tornado) installed.",
            file=sys.stderr,
        )
        return 2
    # A fresh secret each start is enough: run_webhook registers it with setWebhook, and
    # python-telegram-bot refuses every request that does not carry it.
    secret = args.secret_token or secrets.token_urlsafe(32)
    log.info("serving the webhook on %s:%s for %s", args.listen, args.port, args.webhook_url)
    application.run_webhook(
        listen=args.listen,
        port=args.port,
        url_path=urlsplit(args.webhook_url).path.lstrip("/"),
        webhook_url=args.webhook_url,
        secret_token=secret,
        allowed_updates=Update.ALL_TYPES,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every verb."""
    parser = argparse.ArgumentParser(
        prog="vanbill", description="VanBill: school-van billing through Telegram."
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")
    verbs.add_parser("initdb", help="create the database schema if it is missing")
    run = verbs.add_parser("run", help="run the bot (long polling, or --webhook)")
    run.add_argument(
        "--webhook", action="store_true", help="receive updates by webhook instead of polling"
    )
    run.add_argument(
        "--webhook-url", help="the public HTTPS URL Telegram posts to, e.g. https://x.my/tg"
    )
    run.add_argument("--listen", default="127.0.0.1", help="address to listen on (webhook)")
    run.add_argument("--port", type=int, default=8443, help="port to listen on (webhook)")
    run.add_argument(
        "--secret-token",
        help="the X-Telegram-Bot-Api-Secret-Token to require (default: a new random one)",
    )
    run.add_argument("--verbose", action="store_true", help="log at DEBUG level")
    demo = verbs.add_parser(
        "demo", help="offline demo: a van business with three months billed, documents written"
    )
    demo.add_argument("--out", default="demo-out", help="folder for the PDFs and the chart")
    generate = verbs.add_parser(
        "generate", help="generate a month's invoices now (and queue them for parents)"
    )
    generate.add_argument("--period", help="the month, YYYY-MM (default: this month)")
    generate.add_argument("--operator", type=int, help="only this operator id (default: all)")
    verbs.add_parser("remind", help="queue today's payment reminders for every operator")
    send = verbs.add_parser(
        "send", help="run only the outbox sender (more senders may run beside the bot)"
    )
    send.add_argument("--until-empty", action="store_true", help="stop once nothing is left")
    send.add_argument("--lease", type=float, default=60.0, help="seconds a claim is held")
    send.add_argument("--batch", type=int, default=20, help="deliveries claimed at a time")
    return parser


async def _with_db(settings: Settings, work) -> int:  # type: ignore[no-untyped-def]
    db = Database(settings.database_url)
    try:
        missing = set(Base.metadata.tables) - set(await db.table_names())
        if missing and work.__name__ != "demo":
            print("vanbill: the database has no schema yet; run `vanbill initdb` first.")
            return 2
        return await work(db)
    finally:
        await db.dispose()


def _verb(settings: Settings, args: argparse.Namespace) -> int:
    from bot import cli
    from services.clock import SystemClock
    from services.errors import VanBillError
    from services.periods import parse_month

    clock = SystemClock()

    async def demo(db: Database) -> int:
        return await cli.demo(db, clock, Path(args.out))

    async def generate(db: Database) -> int:
        period = (
            parse_month(args.period)
            if args.period
            else cli.default_period(clock, settings.timezone)
        )
        return await cli.generate(db, clock, period, args.operator)

    async def remind(db: Database) -> int:
        return await cli.remind(db, clock)

    async def send(db: Database) -> int:
        if not settings.telegram_bot_token:
            print("vanbill: TELEGRAM_BOT_TOKEN is not set.", file=sys.stderr)
            return 2
        return await cli.send(
            settings, db, clock, until_empty=args.until_empty, lease=args.lease, batch=args.batch
        )

    work = {"demo": demo, "generate": generate, "remind": remind, "send": send}[args.verb]
    try:
        return asyncio.run(_with_db(settings, work))
    except VanBillError as exc:
        print(f"vanbill: {exc.message}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    """Run the command line."""
    # python-telegram-bot 22: RetryAfter.retry_after as a timedelta, as it will be in 23.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"vanbill: configuration error:\n{exc}", file=sys.stderr)
        return 2
    if args.verb == "initdb":
        return asyncio.run(_initdb(settings))
    if args.verb == "run":
        return _run(settings, args)
    return _verb(settings, args)


if __name__ == "__main__":
    sys.exit(main())
