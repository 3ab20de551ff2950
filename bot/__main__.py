"""The `vanbill` command line: initdb, check, run, send, demo, generate, remind.

Whatever goes wrong at start, the person reads one line on stderr that says what is wrong and
what to do, and the exit status is 2; `--verbose` adds the traceback. No line ever holds the bot
token or the database password.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import os
import re
import secrets
import sys
import traceback
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from vanbill.bot import error_texts
from vanbill.bot.startup import RedactSecrets, configure_logging, secrets_of, wait_for_telegram
from vanbill.services.config import Settings
from vanbill.services.db import Database
from vanbill.services.errors import VanBillError
from vanbill.services.health import StartupError, open_database, reach, ready
from vanbill.services.schema import SchemaError, migrate

log = logging.getLogger("vanbill")

DEMO_DATABASE = "sqlite+aiosqlite:///vanbill-demo.db"
# Anything shaped like a bot token, for the messages written before the settings are known.
_TOKEN_SHAPE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}")


def vanbill_version() -> str:
    """Return the installed version."""
    try:
        return version("vanbill")
    except PackageNotFoundError:  # pragma: no cover - running from a tree that is not installed
        return "unknown"


def load_settings() -> Settings:
    """Read the settings, or raise StartupError with the first thing wrong with them."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        names = {
            "database_url": "DATABASE_URL",
            "telegram_bot_token": "TELEGRAM_BOT_TOKEN",
            "telegram_api_url": "TELEGRAM_API_URL",
            "admin_ids": "VANBILL_ADMIN_IDS",
            "timezone": "VANBILL_TIMEZONE",
            "log_level": "LOG_LEVEL",
        }
        field = names.get(str(first.get("loc", ("",))[0]), "")
        if field and field not in message:
            message = f"{field}: {message}"
        raise StartupError(f"configuration: {message} (see .env.example)") from exc


def _within(db: Database, work: Callable[[Database], Awaitable[int]]) -> int:
    async def go() -> int:
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _need_token(settings: Settings) -> None:
    if not settings.telegram_bot_token:
        raise StartupError(
            "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and put it in the "
            "environment or in .env (TELEGRAM_BOT_TOKEN=123456:ABC...)"
        )


def _fonts() -> None:
    from vanbill.services.documents import FontsMissing, check_fonts

    try:
        check_fonts()
    except FontsMissing as exc:
        raise StartupError(str(exc)) from exc


def _ready(settings: Settings) -> None:
    """Refuse to go on unless the database answers and its schema is the latest."""

    async def check(db: Database) -> int:
        await ready(db)
        return 0

    _within(open_database(settings.database_url), check)


def initdb(settings: Settings, args: argparse.Namespace) -> int:
    """Create the schema, or upgrade the database in place to the latest revision."""

    async def work(db: Database) -> int:
        await reach(db)
        report = await migrate(db)
        print(report.describe())
        return 0

    return _within(open_database(settings.database_url), work)


def check(settings: Settings, args: argparse.Namespace) -> int:
    """Print the checklist; exit 0 only when every item holds."""
    from vanbill.bot.checklist import run_checklist

    return asyncio.run(run_checklist(settings, sys.stdout))


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run the bot by long polling, or behind a webhook."""
    _need_token(settings)
    if args.webhook and not args.webhook_url:
        raise StartupError("--webhook needs --webhook-url https://your.host/path")
    if args.webhook and importlib.util.find_spec("tornado") is None:
        raise StartupError("webhook mode needs python-telegram-bot[webhooks] (tornado) installed")
    _ready(settings)
    _fonts()
    configure_logging(settings, verbose=args.verbose)
    me = asyncio.run(wait_for_telegram(settings))
    log.info("Telegram answers: the bot is @%s", me.username)
    # Imported here so `vanbill initdb` works without loading the whole bot.
    from telegram import Update

    from vanbill.bot.app import build_application

    application = build_application(settings, warm_pdf_workers=True)
    if not args.webhook:
        log.info("polling Telegram at %s", settings.telegram_api_url)
        # bootstrap_retries=-1: a network drop between the check above and here is waited out.
        application.run_polling(
            allowed_updates=Update.ALL_TYPES, drop_pending_updates=False, bootstrap_retries=-1
        )
        return 0
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
        bootstrap_retries=-1,
    )
    return 0


def send(settings: Settings, args: argparse.Namespace) -> int:
    """Run only the outbox sender."""
    _need_token(settings)
    _ready(settings)
    _fonts()
    configure_logging(settings, verbose=args.verbose)
    asyncio.run(wait_for_telegram(settings))
    from vanbill.bot import cli
    from vanbill.services.clock import SystemClock

    async def work(db: Database) -> int:
        return await cli.send(
            settings,
            db,
            SystemClock(),
            until_empty=args.until_empty,
            lease=args.lease,
            batch=args.batch,
        )

    return _within(open_database(settings.database_url), work)


def demo(settings: Settings, args: argparse.Namespace) -> int:
    """Run the offline demo on its own SQLite file, whatever DATABASE_URL says."""
    from vanbill.bot import cli
    from vanbill.services.clock import SystemClock
    from vanbill.services.config import normalise_database_url

    try:
        url = normalise_database_url(args.database)
    except ValueError as exc:
        raise StartupError(str(exc).replace("DATABASE_URL", "--database")) from exc

    async def work(db: Database) -> int:
        await reach(db)
        return await cli.demo(db, SystemClock(), Path(args.out))

    return _within(open_database(url), work)


def generate(settings: Settings, args: argparse.Namespace) -> int:
    """Bill a month now for one operator or all of them."""
    from vanbill.bot import cli
    from vanbill.services.clock import SystemClock
    from vanbill.services.periods import parse_month

    clock = SystemClock()
    period = (
        parse_month(args.period) if args.period else cli.default_period(clock, settings.timezone)
    )
    _ready(settings)

    async def work(db: Database) -> int:
        return await cli.generate(db, clock, period, args.operator)

    return _within(open_database(settings.database_url), work)


def remind(settings: Settings, args: argparse.Namespace) -> int:
    """Queue today's reminders for every operator."""
    from vanbill.bot import cli
    from vanbill.services.clock import SystemClock

    _ready(settings)

    async def work(db: Database) -> int:
        return await cli.remind(db, SystemClock())

    return _within(open_database(settings.database_url), work)


VERBS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "initdb": initdb,
    "migrate": initdb,
    "check": check,
    "run": run,
    "send": send,
    "demo": demo,
    "generate": generate,
    "remind": remind,
}


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every verb."""
    parser = argparse.ArgumentParser(
        prog="vanbill", description="VanBill: school-van billing through Telegram."
    )
    parser.add_argument("--version", action="version", version=f"vanbill {vanbill_version()}")
    parser.add_argument(
        "--verbose", action="store_true", help="log at DEBUG level; show tracebacks"
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    def verb(name: str, text: str) -> argparse.ArgumentParser:
        return verbs.add_parser(name, help=text, parents=[common])

    verb("initdb", "create the database schema, or upgrade it in place to the latest revision")
    verb("migrate", "the same as initdb")
    verb("check", "check the configuration, database, schema, fonts and Telegram token")
    run_verb = verb("run", "run the bot (long polling, or --webhook)")
    run_verb.add_argument(
        "--webhook", action="store_true", help="receive updates by webhook instead of polling"
    )
    run_verb.add_argument(
        "--webhook-url", help="the public HTTPS URL Telegram posts to, e.g. https://x.my/tg"
    )
    run_verb.add_argument("--listen", default="127.0.0.1", help="address to listen on (webhook)")
    run_verb.add_argument("--port", type=int, default=8443, help="port to listen on (webhook)")
    run_verb.add_argument(
        "--secret-token",
        help="the X-Telegram-Bot-Api-Secret-Token to require (default: a new random one)",
    )
    demo_verb = verb(
        "demo", "offline demo: a van business with three months billed, documents written"
    )
    demo_verb.add_argument("--out", default="demo-out", help="folder for the PDFs and the chart")
    demo_verb.add_argument(
        "--database",
        default=DEMO_DATABASE,
        help="the demo's own database (default ./vanbill-demo.db; DATABASE_URL is never used)",
    )
    generate_verb = verb("generate", "generate a month's invoices now (and queue them)")
    generate_verb.add_argument("--period", help="the month, YYYY-MM (default: this month)")
    generate_verb.add_argument("--operator", type=int, help="only this operator id (default: all)")
    verb("remind", "queue today's payment reminders for every operator")
    send_verb = verb("send", "run only the outbox sender (more senders may run beside the bot)")
    send_verb.add_argument("--until-empty", action="store_true", help="stop once nothing is left")
    send_verb.add_argument("--lease", type=float, default=60.0, help="seconds a claim is held")
    send_verb.add_argument("--batch", type=int, default=20, help="deliveries claimed at a time")
    return parser


def _say(message: str, redact: RedactSecrets) -> None:
    line = " ".join(redact.redact(message).split())
    print(f"vanbill: {_TOKEN_SHAPE.sub('***', line)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    # python-telegram-bot 22: RetryAfter.retry_after as a timedelta, as it will be in 23.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    args = build_parser().parse_args(argv)
    redact = RedactSecrets([])
    try:
        settings = load_settings()
        redact = RedactSecrets(secrets_of(settings))
        return VERBS[args.verb](settings, args)
    except (StartupError, SchemaError, VanBillError) as exc:
        if args.verbose:
            sys.stderr.write(redact.redact(traceback.format_exc()))
        _say(error_texts.message(exc), redact)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last resort: still one line, the details with --verbose
        if args.verbose:
            sys.stderr.write(redact.redact(traceback.format_exc()))
        _say(
            f"unexpected error ({exc.__class__.__name__}: {exc}); run again with --verbose "
            "for the details",
            redact,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
