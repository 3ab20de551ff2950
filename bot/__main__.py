"""The `vanbill` command line: initdb (and, as they land, run, demo, generate, remind)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from pydantic import ValidationError

from services.config import Settings
from services.db import Database


async def _initdb(settings: Settings) -> int:
    db = Database(settings.database_url)
    try:
        report = await db.initdb()
    finally:
        await db.dispose()
    print(report.describe())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every verb."""
    parser = argparse.ArgumentParser(
        prog="vanbill", description="VanBill: school-van billing through Telegram."
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")
    verbs.add_parser("initdb", help="create the database schema if it is missing")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"vanbill: configuration error:\n{exc}", file=sys.stderr)
        return 2
    if args.verb == "initdb":
        return asyncio.run(_initdb(settings))
    return 2


if __name__ == "__main__":
    sys.exit(main())
